package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose own tools
// (pg_dump) make consistent copies while it serves.
var ErrBackupPostgres = errors.New("the database is PostgreSQL: back it up with pg_dump (see the README)")

// BackupInfo describes a copy Backup made.
type BackupInfo struct {
	Path  string
	Bytes int64
	Users int64
}

// Backup writes a consistent copy of the SQLite database to path, which
// must not exist, while the server may go on using it (VACUUM INTO: one
// read transaction). The copy is written beside path under another name,
// synced, checked (PRAGMA quick_check) and only then renamed to path, so
// that path never holds half a copy. It is readable by its owner only: it
// holds the password hashes.
func (s *DB) Backup(ctx context.Context, path string) (BackupInfo, error) {
	if s.path == "" {
		return BackupInfo{}, ErrBackupPostgres
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup path: %w", err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return BackupInfo{}, fmt.Errorf("%s already exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return BackupInfo{}, err
	}
	// An empty file of our own, which VACUUM INTO fills.
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".*.partial")
	if err != nil {
		return BackupInfo{}, err
	}
	tmpPath := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
		}
	}()
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		return BackupInfo{}, err
	}
	if _, err := s.bun.ExecContext(ctx, "VACUUM INTO ?", tmpPath); err != nil {
		return BackupInfo{}, fmt.Errorf("copy the database: %w", err)
	}
	info := BackupInfo{Path: abs}
	if info.Users, err = checkCopy(ctx, tmpPath); err != nil {
		return BackupInfo{}, err
	}
	f, err := os.Open(tmpPath)
	if err != nil {
		return BackupInfo{}, err
	}
	st, err := f.Stat()
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err != nil {
		return BackupInfo{}, fmt.Errorf("sync the copy: %w", err)
	}
	info.Bytes = st.Size()
	// Link, not rename: it fails rather than replace a file made meanwhile.
	if err := os.Link(tmpPath, abs); err != nil {
		return BackupInfo{}, err
	}
	os.Remove(tmpPath)
	done = true
	if dir, err := os.Open(filepath.Dir(abs)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return info, nil
}

// checkCopy checks the SQLite file at path and counts its users.
func checkCopy(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("open the copy: %w", err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return 0, fmt.Errorf("check the copy: %w", err)
	}
	if check != "ok" {
		return 0, fmt.Errorf("the copy is damaged: %s", check)
	}
	var users int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&users); err != nil {
		return 0, fmt.Errorf("read the copy: %w", err)
	}
	return users, nil
}
