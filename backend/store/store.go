// Package store keeps Tessera's users, sessions, token blocklist, throttling
// counters and security events in a SQL database through bun: an embedded
// SQLite file (modernc.org/sqlite, no cgo) by default, PostgreSQL when the
// DSN says so. The schema is migrated at Open. A cache in memory holds what
// authenticated requests read, exact on one instance and told of other
// instances' changes (LISTEN/NOTIFY on PostgreSQL, a polled table on
// SQLite): see cache.go and listen.go.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"tessera/backend"
)

// DB is a migrated database. It implements backend.UserStore,
// backend.SessionStore and backend.Blocklist. It is safe for concurrent use.
type DB struct {
	bun *bun.DB
	// Now is the store's clock: every time it writes or compares is Now().
	// Open sets time.Now; set another before the DB is used, not after.
	Now func() time.Time
	// cache, when enabled (EnableCache), answers what authenticated
	// requests read.
	cache *cache
	// origin names this DB in the changes it announces, and channel is
	// where it announces them on PostgreSQL (see listen.go).
	origin, channel string
	// path is the SQLite file ("" on PostgreSQL); serverLock holds it for
	// this process when it is the server (ClaimServer).
	path       string
	serverLock *os.File
}

// The store implements the services the API consumes.
var (
	_ backend.UserStore    = (*DB)(nil)
	_ backend.SessionStore = (*DB)(nil)
	_ backend.Blocklist    = (*DB)(nil)
)

// Kind tells which database a DSN selects.
type Kind string

// The databases Tessera runs on.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// ParseDSN splits a DATABASE_URL into the database kind and the driver's DSN:
// postgres:// and postgresql:// URLs select PostgreSQL; sqlite:PATH and
// file:PATH select a SQLite file at PATH. Anything else is an error.
func ParseDSN(dsn string) (Kind, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			// Not %w: url.Error's message holds the URL, password and all.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			return "", "", fmt.Errorf("not a valid URL: %s", redact(err.Error(), dsn))
		}
		if u.Host == "" {
			return "", "", errors.New("no host in the URL")
		}
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasPrefix(dsn, "file:"):
		path := dsn[strings.Index(dsn, ":")+1:]
		path = strings.TrimPrefix(path, "//")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return "", "", errors.New("no file path after the scheme")
		}
		if strings.Contains(path, "#") {
			return "", "", errors.New("the file path must not contain #")
		}
		return SQLite, path, nil
	default:
		return "", "", errors.New(`want "postgres://...", "sqlite:PATH" or "file:PATH"`)
	}
}

// userinfo finds the user and password of a URL, even of one that does not
// parse.
var userinfo = regexp.MustCompile(`^[a-z]+://([^/@:]*):([^/@]*)@`)

// redact returns msg with the password of dsn, if any, replaced by xxxxx:
// in "user:password@", and alone (where a library quotes it) when it is
// long enough not to be mistaken for other text.
func redact(msg, dsn string) string {
	m := userinfo.FindStringSubmatch(dsn)
	if m == nil || m[2] == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, m[1]+":"+m[2]+"@", m[1]+":xxxxx@")
	if len(m[2]) >= 4 {
		msg = strings.ReplaceAll(msg, m[2], "xxxxx")
	}
	return msg
}

// redactedError is err with the password of a DSN left out of its message.
type redactedError struct {
	err error
	dsn string
}

func (e *redactedError) Error() string { return redact(e.err.Error(), e.dsn) }
func (e *redactedError) Unwrap() error { return e.err }

// Redacted returns dsn with its password, if any, replaced by "xxxxx", to
// be shown in logs and messages.
func Redacted(dsn string) string { return redact(dsn, dsn) }

// Open connects to the database that dsn selects (see ParseDSN), migrates
// it and returns it. A SQLite file's folder is created if missing. Its
// errors never show the DSN's password.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := open(ctx, dsn)
	if err != nil {
		return nil, &redactedError{err: err, dsn: dsn}
	}
	return db, nil
}

func open(ctx context.Context, dsn string) (*DB, error) {
	kind, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	var db *bun.DB
	switch kind {
	case Postgres:
		db, err = openPostgres(target)
	case SQLite:
		db, err = openSQLite(target)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &DB{bun: db, Now: time.Now, origin: rand.Text()[:12]}
	if kind == SQLite {
		s.path = target
	}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if kind == Postgres {
		var schema string
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store: read the schema: %w", err)
		}
		s.channel = changesChannel(schema)
	}
	if kind == SQLite {
		if err := useWAL(ctx, db); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

func openPostgres(dsn string) (db *bun.DB, err error) {
	// pgdriver.WithDSN panics on a DSN it cannot parse.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parse postgres DSN: %v", r)
		}
	}()
	connector := pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithTimeout(10*time.Second))
	sqldb := sql.OpenDB(connector)
	sqldb.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
	sqldb.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

func openSQLite(path string) (*bun.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// modernc.org/sqlite runs each _pragma on every new connection,
	// busy_timeout first: a writer waits for the lock instead of failing.
	// _txlock=immediate takes the write lock at BEGIN so a transaction
	// never fails half-way. WAL is set once, by useWAL: it is a property of
	// the file, not of a connection.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	sqldb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	sqldb.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// walRetry bounds how long useWAL retries.
const walRetry = 10 * time.Second

// useWAL puts the SQLite file in WAL mode, so readers run beside the one
// writer. The switch needs an exclusive lock, and SQLite does not call the
// busy handler for it when another connection holding a shared lock wants
// the same upgrade (that would deadlock): two processes opening a new file
// at once would see SQLITE_BUSY despite busy_timeout. So the switch is
// made once, here, retried while the file is busy; once the file is in
// WAL mode, the pragma only reads it.
func useWAL(ctx context.Context, db *bun.DB) error {
	ctx, cancel := context.WithTimeout(ctx, walRetry)
	defer cancel()
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		var sqlErr *sqlite.Error
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			err = fmt.Errorf("journal mode is %q", mode)
		case !errors.As(err, &sqlErr) || sqlErr.Code()&0xff != sqlite3.SQLITE_BUSY:
			return fmt.Errorf("set WAL mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("set WAL mode: %w", err)
		case <-time.After(wait):
		}
	}
}

// Pool is the database/sql pool under the store, for its statistics
// (sql.DB.Stats); the store's methods are the way to use it.
func (s *DB) Pool() *sql.DB { return s.bun.DB }

// Ping checks that the database answers.
func (s *DB) Ping(ctx context.Context) error {
	if err := s.bun.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the database, and ends the claim of ClaimServer.
func (s *DB) Close() error {
	if s.serverLock != nil {
		s.serverLock.Close()
		s.serverLock = nil
	}
	return s.bun.Close()
}

// AddQueryHook makes hook see every query of s (tests count queries with
// it). Call it before s is used, not after.
func (s *DB) AddQueryHook(hook bun.QueryHook) { s.bun = s.bun.WithQueryHook(hook) }

// Bun returns the underlying bun handle, for tests and maintenance.
func (s *DB) Bun() *bun.DB { return s.bun }

// purgeBatch is how many rows a purge deletes per statement: each one holds
// SQLite's write lock only briefly, so requests get through between them.
const purgeBatch = 500

// deleteInBatches deletes the rows of table matching where (with args),
// purgeBatch at a time by their key column, and returns how many went.
func (s *DB) deleteInBatches(ctx context.Context, table, key, where string, args ...any) (int64, error) {
	q := "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table + " WHERE " + where + " LIMIT ?)"
	var total int64
	for {
		res, err := s.bun.ExecContext(ctx, q, append(args, purgeBatch)...)
		if err != nil {
			return total, fmt.Errorf("purge %s: %w", table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge %s: %w", table, err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either database.
func isUniqueViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505"
	}
	var sqlErr *sqlite.Error
	if errors.As(err, &sqlErr) {
		return sqlErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqlErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsUnavailable reports whether err means the database could not be
// reached or is going away (the request may succeed when it is back),
// rather than that a query failed.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		code := pgErr.Field('C')
		// 08: connection exception; 57P01..3: shutting down, crashed,
		// starting; 53300: too many connections.
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
	}
	var sqlErr *sqlite.Error
	if errors.As(err, &sqlErr) {
		c := sqlErr.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
