package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
)

// clock is the fixed time tests inject as DB.Now. It has microsecond
// precision, which both databases keep.
var clock = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

func fixedNow() time.Time { return clock }

func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dsn      string
		kind     store.Kind
		target   string
		wantsErr bool
	}{
		{name: "Postgres", dsn: "postgres://u:p@db:5432/tessera?sslmode=disable", kind: store.Postgres, target: "postgres://u:p@db:5432/tessera?sslmode=disable"},
		{name: "PostgreSQL", dsn: "postgresql://db/tessera", kind: store.Postgres, target: "postgresql://db/tessera"},
		{name: "SQLite", dsn: "sqlite:data/tessera.db", kind: store.SQLite, target: "data/tessera.db"},
		{name: "SQLiteAbsolute", dsn: "sqlite:///var/lib/tessera.db", kind: store.SQLite, target: "/var/lib/tessera.db"},
		{name: "SQLiteQuery", dsn: "sqlite:tessera.db?cache=shared", kind: store.SQLite, target: "tessera.db"},
		{name: "File", dsn: "file:/tmp/tessera.db", kind: store.SQLite, target: "/tmp/tessera.db"},
		{name: "SQLiteEmpty", dsn: "sqlite:", wantsErr: true},
		{name: "FileEmpty", dsn: "file://", wantsErr: true},
		{name: "Garbage", dsn: "not a dsn", wantsErr: true},
		{name: "Empty", dsn: "", wantsErr: true},
		{name: "MySQL", dsn: "mysql://db/tessera", wantsErr: true},
		{name: "PostgresNoHost", dsn: "postgres:///tessera", wantsErr: true},
		{name: "PostgresBadURL", dsn: "postgres://db:port/x", wantsErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, target, err := store.ParseDSN(tt.dsn)
			if tt.wantsErr {
				if err == nil {
					t.Fatalf("ParseDSN(%q) = %q, %q, nil; want an error", tt.dsn, kind, target)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDSN(%q): %v", tt.dsn, err)
			}
			if got, want := kind, tt.kind; got != want {
				t.Fatalf("kind = %v, want %v", got, want)
			}
			if got, want := target, tt.target; got != want {
				t.Fatalf("target = %q, want %q", got, want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("ErrBadDSN", func(t *testing.T) {
		if db, err := store.Open(ctx, "garbage"); err == nil {
			db.Close()
			t.Fatalf("Open(garbage) = nil error, want an error")
		}
	})
	t.Run("SQLiteNewFolder", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "not", "yet", "there", "tessera.db")
		db, err := store.Open(ctx, "sqlite:"+path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer db.Close()
		if _, err := db.CreateUser(ctx, "alice", "hash"); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	})
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
		t.Run("Reopen", func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("first Open: %v", err)
			}
			u, err := db.CreateUser(ctx, "alice", "hash")
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if _, err := db.RevokeToken(ctx, "jti-1", backend.AccessToken, time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("RevokeToken: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			// The second Open runs the migrations again: they must see
			// the schema is current and leave the rows alone.
			for i := range 2 {
				db, err = store.Open(ctx, dsn)
				if err != nil {
					t.Fatalf("Open #%d: %v", i+2, err)
				}
				got, err := db.UserByName(ctx, "alice")
				if err != nil {
					t.Fatalf("UserByName after reopen: %v", err)
				}
				if got, want := got.ID, u.ID; got != want {
					t.Fatalf("ID = %v, want %v", got, want)
				}
				revoked, err := db.IsTokenRevoked(ctx, "jti-1")
				if err != nil {
					t.Fatalf("IsTokenRevoked after reopen: %v", err)
				}
				if got, want := revoked, true; got != want {
					t.Fatalf("revoked = %v, want %v", got, want)
				}
				if err := db.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
		})
		t.Run("Concurrent", func(t *testing.T) {
			dsn := storetest.DSN(t, kind)
			const n = 4
			start := make(chan struct{})
			errs := make([]error, n)
			dbs := make([]*store.DB, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					dbs[i], errs[i] = store.Open(ctx, dsn)
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Open #%d: %v", i, err)
				}
			}
			for _, db := range dbs {
				if db != nil {
					defer db.Close()
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			// Every handle sees one, working schema.
			for i, db := range dbs {
				if _, err := db.CreateUser(ctx, fmt.Sprintf("user%d", i), "hash"); err != nil {
					t.Fatalf("CreateUser on handle %d: %v", i, err)
				}
			}
			for i := range n {
				if _, err := dbs[0].UserByName(ctx, fmt.Sprintf("user%d", i)); err != nil {
					t.Fatalf("UserByName(user%d): %v", i, err)
				}
			}
		})
	})
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			u, err := db.CreateUser(ctx, "alice", "hash-a")
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if u.ID <= 0 {
				t.Fatalf("ID = %v, want > 0", u.ID)
			}
			if got, want := u.Name, "alice"; got != want {
				t.Fatalf("Name = %q, want %q", got, want)
			}
			if got, want := u.Password, "hash-a"; got != want {
				t.Fatalf("Password = %q, want %q", got, want)
			}
			if got, want := u.CreatedAt, clock; !got.Equal(want) {
				t.Fatalf("CreatedAt = %v, want %v", got, want)
			}
			v, err := db.CreateUser(ctx, "bob", "hash-b")
			if err != nil {
				t.Fatalf("CreateUser(bob): %v", err)
			}
			if v.ID == u.ID {
				t.Fatalf("bob.ID = alice.ID = %v, want distinct ids", v.ID)
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			db := storetest.Open(t, kind)
			if _, err := db.CreateUser(ctx, "alice", "hash-a"); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			u, err := db.CreateUser(ctx, "alice", "hash-b")
			if got, want := errors.Is(err, backend.ErrConflict), true; got != want {
				t.Fatalf("second CreateUser = %v, %v; errors.Is(err, ErrConflict) = %v, want %v", u, err, got, want)
			}
			got, err := db.UserByName(ctx, "alice")
			if err != nil {
				t.Fatalf("UserByName: %v", err)
			}
			if got, want := got.Password, "hash-a"; got != want {
				t.Fatalf("Password = %q, want %q (the first user's)", got, want)
			}
		})
		t.Run("CaseSensitive", func(t *testing.T) {
			db := storetest.Open(t, kind)
			upper, err := db.CreateUser(ctx, "Apple", "hash-upper")
			if err != nil {
				t.Fatalf("CreateUser(Apple): %v", err)
			}
			lower, err := db.CreateUser(ctx, "apple", "hash-lower")
			if err != nil {
				t.Fatalf("CreateUser(apple): %v", err)
			}
			if upper.ID == lower.ID {
				t.Fatalf("Apple and apple share id %v", upper.ID)
			}
			for _, u := range []*backend.User{upper, lower} {
				got, err := db.UserByName(ctx, u.Name)
				if err != nil {
					t.Fatalf("UserByName(%q): %v", u.Name, err)
				}
				if got, want := got.ID, u.ID; got != want {
					t.Fatalf("UserByName(%q).ID = %v, want %v", u.Name, got, want)
				}
			}
			if _, err := db.UserByName(ctx, "APPLE"); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("UserByName(APPLE) error = %v, want ErrNotFound", err)
			}
		})
		t.Run("Unicode", func(t *testing.T) {
			db := storetest.Open(t, kind)
			const name = "Zoë Ωμέγα 日本語 🚀"
			u, err := db.CreateUser(ctx, name, "hash")
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			got, err := db.UserByName(ctx, name)
			if err != nil {
				t.Fatalf("UserByName: %v", err)
			}
			if got, want := got.Name, name; got != want {
				t.Fatalf("Name = %q, want %q", got, want)
			}
			if got, want := got.ID, u.ID; got != want {
				t.Fatalf("ID = %v, want %v", got, want)
			}
		})
		t.Run("Concurrent", func(t *testing.T) {
			db := storetest.Open(t, kind)
			const n = 100
			start := make(chan struct{})
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = db.CreateUser(ctx, "racer", fmt.Sprintf("hash-%d", i))
				})
			}
			close(start)
			wg.Wait()
			var ok, conflicts int
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, backend.ErrConflict):
					conflicts++
				default:
					t.Errorf("CreateUser: unexpected error %v", err)
				}
			}
			if got, want := ok, 1; got != want {
				t.Fatalf("successes = %v, want %v", got, want)
			}
			if got, want := conflicts, n-1; got != want {
				t.Fatalf("conflicts = %v, want %v", got, want)
			}
			count, err := db.CountUsersNamed(ctx, "racer")
			if err != nil {
				t.Fatalf("CountUsersNamed: %v", err)
			}
			if got, want := count, int64(1); got != want {
				t.Fatalf("CountUsersNamed = %v, want %v", got, want)
			}
		})
	})
}

func TestUserByName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			u, err := db.CreateUser(ctx, "alice", "hash-a")
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			got, err := db.UserByName(ctx, "alice")
			if err != nil {
				t.Fatalf("UserByName: %v", err)
			}
			if got, want := got.ID, u.ID; got != want {
				t.Fatalf("ID = %v, want %v", got, want)
			}
			if got, want := got.Name, "alice"; got != want {
				t.Fatalf("Name = %q, want %q", got, want)
			}
			if got, want := got.Password, "hash-a"; got != want {
				t.Fatalf("Password = %q, want %q", got, want)
			}
			if got, want := got.CreatedAt, clock; !got.Equal(want) {
				t.Fatalf("CreatedAt = %v, want %v", got, want)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			db := storetest.Open(t, kind)
			u, err := db.UserByName(ctx, "nobody")
			if got, want := errors.Is(err, backend.ErrNotFound), true; got != want {
				t.Fatalf("UserByName(nobody) = %v, %v; errors.Is(err, ErrNotFound) = %v, want %v", u, err, got, want)
			}
			if u != nil {
				t.Fatalf("user = %v, want nil", u)
			}
		})
	})
}

func TestBlocklist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			if _, err := db.RevokeToken(ctx, "jti-1", backend.AccessToken, exp); err != nil {
				t.Fatalf("RevokeToken: %v", err)
			}
			revoked, err := db.IsTokenRevoked(ctx, "jti-1")
			if err != nil {
				t.Fatalf("IsTokenRevoked: %v", err)
			}
			if got, want := revoked, true; got != want {
				t.Fatalf("IsTokenRevoked(jti-1) = %v, want %v", got, want)
			}
		})
		t.Run("Unknown", func(t *testing.T) {
			db := storetest.Open(t, kind)
			if _, err := db.RevokeToken(ctx, "jti-1", backend.AccessToken, exp); err != nil {
				t.Fatalf("RevokeToken: %v", err)
			}
			revoked, err := db.IsTokenRevoked(ctx, "jti-2")
			if err != nil {
				t.Fatalf("IsTokenRevoked: %v", err)
			}
			if got, want := revoked, false; got != want {
				t.Fatalf("IsTokenRevoked(jti-2) = %v, want %v", got, want)
			}
		})
		t.Run("Twice", func(t *testing.T) {
			db := storetest.Open(t, kind)
			if _, err := db.RevokeToken(ctx, "jti-1", backend.RefreshToken, exp); err != nil {
				t.Fatalf("first RevokeToken: %v", err)
			}
			if _, err := db.RevokeToken(ctx, "jti-1", backend.RefreshToken, exp.Add(time.Hour)); err != nil {
				t.Fatalf("second RevokeToken: %v", err)
			}
			revoked, err := db.IsTokenRevoked(ctx, "jti-1")
			if err != nil {
				t.Fatalf("IsTokenRevoked: %v", err)
			}
			if got, want := revoked, true; got != want {
				t.Fatalf("IsTokenRevoked(jti-1) = %v, want %v", got, want)
			}
			if got, want := countBlocked(t, db, "jti-1"), int64(1); got != want {
				t.Fatalf("rows for jti-1 = %v, want %v", got, want)
			}
		})
		t.Run("Concurrent", func(t *testing.T) {
			db := storetest.Open(t, kind)
			const n = 20
			start := make(chan struct{})
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = db.RevokeToken(ctx, "jti-race", backend.AccessToken, exp)
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("RevokeToken #%d: %v", i, err)
				}
			}
			revoked, err := db.IsTokenRevoked(ctx, "jti-race")
			if err != nil {
				t.Fatalf("IsTokenRevoked: %v", err)
			}
			if got, want := revoked, true; got != want {
				t.Fatalf("IsTokenRevoked(jti-race) = %v, want %v", got, want)
			}
			if got, want := countBlocked(t, db, "jti-race"), int64(1); got != want {
				t.Fatalf("rows for jti-race = %v, want %v", got, want)
			}
		})
	})
}

// countBlocked counts the blocklist rows that hold jti.
func countBlocked(tb testing.TB, db *store.DB, jti string) int64 {
	tb.Helper()
	n, err := db.Bun().NewSelect().Table("token_blocklist").Where("jti = ?", jti).Count(context.Background())
	if err != nil {
		tb.Fatalf("count blocklist rows: %v", err)
	}
	return n
}

func TestPurgeExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := clock
	// Zones east and west of UTC check that times are compared as instants.
	west := time.FixedZone("west", -7*3600)
	east := time.FixedZone("east", 9*3600)
	expired := map[string]time.Time{
		"old-day":    now.Add(-24 * time.Hour),
		"old-second": now.Add(-time.Second),
		"old-micro":  now.Add(-time.Microsecond),
		"old-west":   now.Add(-time.Minute).In(west),
		"old-east":   now.Add(-time.Minute).In(east),
	}
	live := map[string]time.Time{
		"at-now":     now, // expires_at < now is strict
		"new-micro":  now.Add(time.Microsecond),
		"new-second": now.Add(time.Second),
		"new-day":    now.Add(24 * time.Hour),
		"new-west":   now.Add(time.Minute).In(west),
		"new-east":   now.Add(time.Minute).In(east),
	}
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			for _, rows := range []map[string]time.Time{expired, live} {
				for jti, exp := range rows {
					if _, err := db.RevokeToken(ctx, jti, backend.AccessToken, exp); err != nil {
						t.Fatalf("RevokeToken(%s): %v", jti, err)
					}
				}
			}
			db.Now = func() time.Time { return now.In(east) }
			n, err := db.PurgeExpired(ctx)
			if err != nil {
				t.Fatalf("PurgeExpired: %v", err)
			}
			if got, want := n, int64(len(expired)); got != want {
				t.Fatalf("PurgeExpired = %v, want %v", got, want)
			}
			for jti := range expired {
				revoked, err := db.IsTokenRevoked(ctx, jti)
				if err != nil {
					t.Fatalf("IsTokenRevoked(%s): %v", jti, err)
				}
				if got, want := revoked, false; got != want {
					t.Fatalf("IsTokenRevoked(%s) after purge = %v, want %v", jti, got, want)
				}
			}
			for jti := range live {
				revoked, err := db.IsTokenRevoked(ctx, jti)
				if err != nil {
					t.Fatalf("IsTokenRevoked(%s): %v", jti, err)
				}
				if got, want := revoked, true; got != want {
					t.Fatalf("IsTokenRevoked(%s) after purge = %v, want %v", jti, got, want)
				}
			}
			db.Now = fixedNow
			n, err = db.PurgeExpired(ctx)
			if err != nil {
				t.Fatalf("second PurgeExpired: %v", err)
			}
			if got, want := n, int64(0); got != want {
				t.Fatalf("second PurgeExpired = %v, want %v", got, want)
			}
		})
		t.Run("Empty", func(t *testing.T) {
			db := storetest.Open(t, kind)
			n, err := db.PurgeExpired(ctx)
			if err != nil {
				t.Fatalf("PurgeExpired: %v", err)
			}
			if got, want := n, int64(0); got != want {
				t.Fatalf("PurgeExpired = %v, want %v", got, want)
			}
		})
	})
}

func TestPing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		})
		t.Run("ErrClosed", func(t *testing.T) {
			db := storetest.Open(t, kind)
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := db.Ping(ctx); err == nil {
				t.Fatalf("Ping after Close = nil, want an error")
			}
		})
	})
}

func BenchmarkUserByName(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, store.SQLite)
	for i := range 1000 {
		if _, err := db.CreateUser(ctx, fmt.Sprintf("user%04d", i), "hash"); err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
	}
	for b.Loop() {
		if _, err := db.UserByName(ctx, "user0500"); err != nil {
			b.Fatalf("UserByName: %v", err)
		}
	}
}

func BenchmarkIsTokenRevoked(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, store.SQLite)
	exp := time.Now().Add(time.Hour)
	for i := range 1000 {
		if _, err := db.RevokeToken(ctx, fmt.Sprintf("jti-%04d", i), backend.AccessToken, exp); err != nil {
			b.Fatalf("RevokeToken: %v", err)
		}
	}
	for b.Loop() {
		if _, err := db.IsTokenRevoked(ctx, "jti-0500"); err != nil {
			b.Fatalf("IsTokenRevoked: %v", err)
		}
	}
}

// TestRedacted: no message about a DSN shows its password, whether the DSN
// parses or not.
func TestRedacted(t *testing.T) {
	t.Parallel()
	const pw = "s3cr3t-pa55"
	for _, dsn := range []string{
		"postgres://tessera:" + pw + "@db:5432/tessera?sslmode=disable",
		"postgres://tessera:" + pw + "@db:port/x",        // bad port
		"postgres://tessera:" + pw + "@db:5432/%zz",      // bad escape
		"postgresql://tessera:" + pw + "@[::1/tessera",   // bad host
		"postgres://tessera:" + pw + "@127.0.0.1:1/none", // nothing listens
	} {
		t.Run(dsn[strings.Index(dsn, "@"):], func(t *testing.T) {
			if got := store.Redacted(dsn); strings.Contains(got, pw) || !strings.Contains(got, "tessera:xxxxx@") {
				t.Errorf("Redacted = %q", got)
			}
			_, _, perr := store.ParseDSN(dsn)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			db, oerr := store.Open(ctx, dsn)
			if db != nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", dsn)
			}
			for _, err := range []error{perr, oerr} {
				if err != nil && strings.Contains(err.Error(), pw) {
					t.Errorf("error shows the password: %v", err)
				}
			}
		})
	}
}
