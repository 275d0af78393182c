package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
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

// Backup writes a consistent copy of the SQLite database of dsn to path,
// which must not exist, while a server may go on using the database
// (VACUUM INTO: one read transaction). It opens the database as it is,
// without migrating it, so that a newer binary leaves an older server's
// schema alone. The copy is written beside path under another name,
// checked (PRAGMA quick_check), synced, and only then given its name, so
// that path never holds half a copy; it is readable by its owner only (it
// holds the password hashes). On PostgreSQL it returns ErrBackupPostgres
// without connecting.
func Backup(ctx context.Context, dsn, path string) (BackupInfo, error) {
	kind, dbPath, err := ParseDSN(dsn)
	if err != nil {
		return BackupInfo{}, err
	}
	if kind != SQLite {
		return BackupInfo{}, ErrBackupPostgres
	}
	// Opening a missing file would create an empty database.
	if _, err := os.Stat(dbPath); err != nil {
		return BackupInfo{}, fmt.Errorf("database: %w", err)
	}
	src, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("open %s: %w", dbPath, err)
	}
	defer src.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup path: %w", err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return BackupInfo{}, fmt.Errorf("%s already exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("backup path: %w", err)
	}
	// An empty file of our own, which VACUUM INTO fills.
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".*.partial")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("create the copy: %w", err)
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
		return BackupInfo{}, fmt.Errorf("create the copy: %w", err)
	}
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", tmpPath); err != nil {
		return BackupInfo{}, fmt.Errorf("copy the database: %w", err)
	}
	info := BackupInfo{Path: abs}
	if info.Users, err = checkCopy(ctx, tmpPath); err != nil {
		return BackupInfo{}, err
	}
	f, err := os.Open(tmpPath)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("sync the copy: %w", err)
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
	if err := claim(tmpPath, abs); err != nil {
		return BackupInfo{}, fmt.Errorf("name the copy: %w", err)
	}
	done = true // claimed: tmpPath is gone
	if dir, err := os.Open(filepath.Dir(abs)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return info, nil
}

// claim gives the file at tmp the name path, unless path exists. A hard
// link fails rather than replace a file made meanwhile; where the file
// system has none (FAT, some network shares) it is renamed, after a check.
func claim(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, os.ErrExist):
		return fmt.Errorf("%s already exists", path)
	}
	if _, serr := os.Lstat(path); !errors.Is(serr, os.ErrNotExist) {
		return fmt.Errorf("%s already exists", path)
	}
	return os.Rename(tmp, path)
}

// checkCopy checks the SQLite file at path and counts its users.
func checkCopy(ctx context.Context, path string) (int64, error) {
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
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
