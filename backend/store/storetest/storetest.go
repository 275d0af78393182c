// Package storetest gives tests real databases: a fresh SQLite file always,
// and a fresh PostgreSQL schema when TEST_DATABASE_URL is set, so that every
// test runs on both and tests never see each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"

	"tessera/backend/store"
)

// Kinds returns the databases to test on: SQLite, and PostgreSQL when
// TEST_DATABASE_URL is set. Under CI=true a missing TEST_DATABASE_URL fails
// the test, so CI never skips PostgreSQL silently.
func Kinds(tb testing.TB) []store.Kind {
	kinds := []store.Kind{store.SQLite}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		kinds = append(kinds, store.Postgres)
	} else if os.Getenv("CI") == "true" {
		tb.Fatal("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped")
	}
	return kinds
}

// ForEach runs fn as a parallel subtest, named after the kind, for each
// database of Kinds. fn opens what it needs (Open, DSN): nothing is shared
// between the subtests, so they run side by side.
func ForEach(t *testing.T, fn func(t *testing.T, kind store.Kind)) {
	t.Helper()
	for _, kind := range Kinds(t) {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			fn(t, kind)
		})
	}
}

// DSN returns a DSN for a new, empty database of kind that is dropped when
// tb ends: a SQLite file in tb's temp dir, or a PostgreSQL schema of its own.
func DSN(tb testing.TB, kind store.Kind) string {
	tb.Helper()
	if kind == store.SQLite {
		return "sqlite:" + filepath.Join(tb.TempDir(), "tessera.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		tb.Skip("TEST_DATABASE_URL not set")
	}
	schema := "t_" + strings.ToLower(rand.Text()[:16])
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Open returns a migrated store on a new database of kind, closed when tb
// ends.
func Open(tb testing.TB, kind store.Kind) *store.DB {
	tb.Helper()
	return OpenDSN(tb, DSN(tb, kind))
}

// OpenDSN returns a migrated store on the database of dsn (from DSN), closed
// when tb ends: several of them on one DSN are several servers on one
// database.
func OpenDSN(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return db
}
