package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"tessera/backend"
	"tessera/backend/auth"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
)

// flaskRevoked is a row of a Flask app's token_blocklist; created_at is
// written as SQLAlchemy writes a naive UTC datetime.
type flaskRevoked struct {
	jti, typ string
	at       time.Time
}

// flaskDDL is what Flask-SQLAlchemy 3.0 (SQLAlchemy 1.4) creates from the
// tutorial's models, on each database (as db.create_all() printed it).
var flaskDDL = map[store.Kind][]string{
	store.SQLite: {
		`CREATE TABLE user (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	password VARCHAR, 
	PRIMARY KEY (id)
)`,
		`CREATE TABLE token_blocklist (
	id INTEGER NOT NULL, 
	jti VARCHAR(36) NOT NULL, 
	type VARCHAR(16) NOT NULL, 
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	PRIMARY KEY (id)
)`,
		`CREATE INDEX ix_token_blocklist_jti ON token_blocklist (jti)`,
	},
	store.Postgres: {
		`CREATE TABLE "user" (id SERIAL NOT NULL, name VARCHAR NOT NULL, password VARCHAR, PRIMARY KEY (id))`,
		`CREATE TABLE token_blocklist (id SERIAL NOT NULL, jti VARCHAR(36) NOT NULL, type VARCHAR(16) NOT NULL,
			created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now() NOT NULL, PRIMARY KEY (id))`,
		`CREATE INDEX ix_token_blocklist_jti ON token_blocklist (jti)`,
	},
}

// flaskSource makes a Flask app's database of kind with the tutorial's
// tables holding users and revoked, and returns its SQLAlchemy URL and a
// handle on it (closed when t ends). ddl nil is flaskDDL.
func flaskSource(t *testing.T, kind store.Kind, ddl []string, users []store.FlaskUser, revoked []flaskRevoked) (string, *sql.DB) {
	t.Helper()
	var source string
	var db *sql.DB
	if kind == store.SQLite {
		path := filepath.Join(t.TempDir(), "app.db")
		source = "sqlite:///" + path // an absolute path: four slashes
		var err error
		if db, err = sql.Open("sqlite", path); err != nil {
			t.Fatal(err)
		}
	} else {
		dsn := storetest.DSN(t, kind) // a schema of its own, in search_path
		source = "postgresql" + strings.TrimPrefix(dsn, "postgres")
		db = sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	}
	t.Cleanup(func() { db.Close() })
	if ddl == nil {
		ddl = flaskDDL[kind]
	}
	ctx := context.Background()
	for _, q := range ddl {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, u := range users {
		var password any
		if u.Password != "" {
			password = u.Password
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO "user" (id, name, password) VALUES (`+fmt.Sprint(u.ID)+`, '`+strings.ReplaceAll(u.Name, "'", "''")+`', `+sqlText(password)+`)`); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range revoked {
		if _, err := db.ExecContext(ctx, `INSERT INTO token_blocklist (jti, type, created_at) VALUES ('`+r.jti+`', '`+r.typ+`', '`+r.at.UTC().Format("2006-01-02 15:04:05.000000")+`')`); err != nil {
			t.Fatal(err)
		}
	}
	return source, db
}

func sqlText(v any) string {
	if v == nil {
		return "NULL"
	}
	return "'" + strings.ReplaceAll(v.(string), "'", "''") + "'"
}

// Hashes of the kinds Tessera checks (real ones: see the auth package's
// tests) and of a kind it does not.
const (
	pbkdf2Hash = "pbkdf2:sha256:1000$4b1eZTFrna2eC0Ka$8a2c58b0c48276af8c07039bf6cd3404e6871f877fdb99557c07eed089a0b855"
	scryptHash = "scrypt:1024:8:2$NZyekO6xGm8TNcNXeIXiJA$f882b2d44a2b7d65691eca0178387c333bc02d98d98272c7e9a0af0495049cec944735b496e264e5267ffa535e948849f9593627828edf5c5cff6bd617b6b854"
	bcryptHash = "$2a$04$zYkX3rmuWSfkHoFFKGzwNOGVYKclNIhCBhPFzdVd2rRqZzt4aTtpe"
	md5Hash    = "md5$s4lt$0123456789abcdef0123456789abcdef"
)

// importOptions are the CLI's rules in short: a name needs 3 characters
// and no surrounding space, a hash must be one auth checks.
func importOptions(dryRun bool) store.ImportOptions {
	return store.ImportOptions{
		DryRun: dryRun,
		CheckName: func(name string) error {
			if len(name) < 3 || strings.TrimSpace(name) != name {
				return errors.New("username contains invalid characters")
			}
			return nil
		},
		CheckHash:  auth.ValidateHash,
		RevokedFor: 31 * 24 * time.Hour,
	}
}

// flaskUsers are the source's users of most tests: four Tessera takes,
// one name it refuses, one unknown hash, two users sharing a name.
var flaskUsers = []store.FlaskUser{
	{ID: 1, Name: "apple", Password: pbkdf2Hash},
	{ID: 2, Name: "banana", Password: scryptHash},
	{ID: 3, Name: " cherry", Password: pbkdf2Hash},
	{ID: 4, Name: "damson", Password: md5Hash},
	{ID: 5, Name: "elder", Password: bcryptHash},
	{ID: 7, Name: "fig", Password: pbkdf2Hash},
	{ID: 8, Name: "twin", Password: pbkdf2Hash},
	{ID: 9, Name: "twin", Password: scryptHash},
}

// flaskBlocklist: two live jtis (one revoked twice), one revoked long
// ago.
func flaskBlocklist() []flaskRevoked {
	return []flaskRevoked{
		{"jti-access", "access", clock.Add(-time.Hour)},
		{"jti-refresh", "refresh", clock.Add(-48 * time.Hour)},
		{"jti-access", "access", clock.Add(-2 * time.Hour)},
		{"jti-ancient", "refresh", clock.Add(-90 * 24 * time.Hour)},
	}
}

func mustReadFlask(t *testing.T, source string) *store.FlaskData {
	t.Helper()
	data, err := store.ReadFlask(context.Background(), source)
	if err != nil {
		t.Fatalf("ReadFlask: %v", err)
	}
	return data
}

func mustImport(t *testing.T, db *store.DB, data *store.FlaskData, opt store.ImportOptions) *store.ImportReport {
	t.Helper()
	rep, err := db.ImportFlask(context.Background(), data, opt)
	if err != nil {
		t.Fatalf("ImportFlask: %v", err)
	}
	return rep
}

// checkReport compares the counts of rep with want's, and the refused ids.
func checkReport(t *testing.T, rep *store.ImportReport, want store.ImportReport, refusedIDs ...int64) {
	t.Helper()
	got := *rep
	var ids []int64
	for _, r := range got.Refused {
		ids = append(ids, r.ID)
	}
	got.Refused, want.Refused = nil, nil
	if !reflect.DeepEqual(got, want) || fmt.Sprint(ids) != fmt.Sprint(refusedIDs) {
		t.Fatalf("report = %+v, refused %v\nwant     %+v, refused %v\n%+v", got, ids, want, refusedIDs, rep.Refused)
	}
}

func TestImportFlask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OKImportThenAgain", func(t *testing.T) {
			t.Parallel()
			source, _ := flaskSource(t, kind, nil, flaskUsers, flaskBlocklist())
			data := mustReadFlask(t, source)
			if len(data.Users) != len(flaskUsers) || len(data.Revoked) != 4 || !data.Revoked[0].CreatedAt.Equal(clock.Add(-time.Hour)) {
				t.Fatalf("read %+v", data)
			}
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			rep := mustImport(t, db, data, importOptions(false))
			checkReport(t, rep, store.ImportReport{UsersImported: 4, HighestID: 9, TokensImported: 2, TokensExpired: 1}, 3, 4, 8, 9)
			for _, r := range rep.Refused {
				want := map[int64]string{3: "invalid characters", 4: `password: werkzeug method "md5" is not supported`, 8: "2 users of the Flask database have this name (ids 8, 9)", 9: "(ids 8, 9)"}[r.ID]
				if !strings.Contains(r.Reason, want) || r.Name != flaskUsers[map[int64]int{3: 2, 4: 3, 8: 6, 9: 7}[r.ID]].Name {
					t.Errorf("refusal %+v, want one saying %q", r, want)
				}
			}
			for _, want := range []store.FlaskUser{flaskUsers[0], flaskUsers[1], flaskUsers[4], flaskUsers[5]} {
				u, err := db.UserByName(ctx, want.Name)
				if err != nil || u.ID != want.ID || u.Password != want.Password || !u.CreatedAt.Equal(time.Unix(0, 0)) || !u.TokensValidAfter.IsZero() {
					t.Fatalf("user %s = %+v, %v; want id %d, the same hash, created at the epoch", want.Name, u, err, want.ID)
				}
			}
			for _, name := range []string{" cherry", "damson", "twin"} {
				if _, err := db.UserByName(ctx, name); !errors.Is(err, backend.ErrNotFound) {
					t.Fatalf("refused user %q: %v", name, err)
				}
			}
			// The blocklist: each live jti once, revoked until its latest
			// revocation plus RevokedFor.
			for jti, revokedAt := range map[string]time.Time{"jti-access": clock.Add(-time.Hour), "jti-refresh": clock.Add(-48 * time.Hour)} {
				var row struct {
					Type      string    `bun:"type"`
					CreatedAt time.Time `bun:"created_at"`
					ExpiresAt time.Time `bun:"expires_at"`
				}
				if err := db.Bun().NewSelect().Table("token_blocklist").Column("type", "created_at", "expires_at").Where("jti = ?", jti).Scan(ctx, &row); err != nil {
					t.Fatal(err)
				}
				if !row.CreatedAt.Equal(revokedAt) || !row.ExpiresAt.Equal(revokedAt.Add(31*24*time.Hour)) || row.Type != strings.TrimPrefix(jti, "jti-") {
					t.Fatalf("%s: %+v, want revoked at %s", jti, row, revokedAt)
				}
				if ok, err := db.IsTokenRevoked(ctx, jti); err != nil || !ok {
					t.Fatalf("%s revoked: %v, %v", jti, ok, err)
				}
			}
			if ok, _ := db.IsTokenRevoked(ctx, "jti-ancient"); ok {
				t.Fatal("a jti that expired long ago was imported")
			}
			// New accounts get ids above every id of the source.
			if u, err := db.CreateUser(ctx, "newcomer", bcryptHash); err != nil || u.ID != 10 {
				t.Fatalf("a new user = %+v, %v; want id 10", u, err)
			}

			again := mustImport(t, db, mustReadFlask(t, source), importOptions(false))
			checkReport(t, again, store.ImportReport{UsersThere: 4, HighestID: 10, TokensThere: 2, TokensExpired: 1}, 3, 4, 8, 9)
			if again.Changed() || !rep.Changed() {
				t.Fatalf("Changed: first %v, again %v", rep.Changed(), again.Changed())
			}
			if u, err := db.CreateUser(ctx, "later", bcryptHash); err != nil || u.ID != 11 {
				t.Fatalf("a new user = %+v, %v; want id 11", u, err)
			}
		})

		t.Run("OKDryRunChangesNothing", func(t *testing.T) {
			t.Parallel()
			source, _ := flaskSource(t, kind, nil, flaskUsers, flaskBlocklist())
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			changes := countChanges(t, db)
			opt := importOptions(true)
			rep := mustImport(t, db, mustReadFlask(t, source), opt)
			checkReport(t, rep, store.ImportReport{DryRun: true, UsersImported: 4, HighestID: 9, TokensImported: 2, TokensExpired: 1}, 3, 4, 8, 9)
			if users, err := db.ListUsers(ctx); err != nil || len(users) != 0 {
				t.Fatalf("users after a dry run: %v, %v", users, err)
			}
			if ok, _ := db.IsTokenRevoked(ctx, "jti-access"); ok {
				t.Fatal("a dry run revoked a token")
			}
			if got := countChanges(t, db); got != changes {
				t.Fatalf("a dry run announced %d changes", got-changes)
			}
			if u, err := db.CreateUser(ctx, "first", bcryptHash); err != nil || u.ID != 1 {
				t.Fatalf("a new user after a dry run = %+v, %v; want id 1", u, err)
			}
			// A dry run after the import says there is nothing to do.
			opt.DryRun = false
			db2 := storetest.Open(t, kind)
			db2.Now = fixedNow
			mustImport(t, db2, mustReadFlask(t, source), opt)
			opt.DryRun = true
			rep = mustImport(t, db2, mustReadFlask(t, source), opt)
			checkReport(t, rep, store.ImportReport{DryRun: true, UsersThere: 4, HighestID: 9, TokensThere: 2, TokensExpired: 1}, 3, 4, 8, 9)
		})

		t.Run("ErrConflictsLeftAsTheyAre", func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			// Tessera's own user 1 is "banana".
			if _, err := db.CreateUser(ctx, "banana", bcryptHash); err != nil {
				t.Fatal(err)
			}
			users := []store.FlaskUser{
				{ID: 1, Name: "apple", Password: pbkdf2Hash},
				{ID: 3, Name: "cherry", Password: pbkdf2Hash},
				{ID: 5, Name: "banana", Password: scryptHash},
			}
			source, _ := flaskSource(t, kind, nil, users, nil)
			rep := mustImport(t, db, mustReadFlask(t, source), importOptions(false))
			checkReport(t, rep, store.ImportReport{UsersImported: 1, HighestID: 5}, 1, 5)
			if !strings.Contains(rep.Refused[0].Reason, `Tessera's user "banana" has this id`) || !strings.Contains(rep.Refused[1].Reason, "Tessera's user 1 has this name") {
				t.Fatalf("refusals: %+v", rep.Refused)
			}
			for name, hash := range map[string]string{"banana": bcryptHash, "cherry": pbkdf2Hash} {
				if u, err := db.UserByName(ctx, name); err != nil || u.Password != hash {
					t.Fatalf("%s = %+v, %v", name, u, err)
				}
			}
			// cherry signs in: its hash becomes bcrypt. Imported again, it
			// is not overwritten, and says why.
			cherry, _ := db.UserByName(ctx, "cherry")
			if ok, err := db.Rehash(ctx, cherry.ID, pbkdf2Hash, bcryptHash); err != nil || !ok {
				t.Fatal(err)
			}
			rep = mustImport(t, db, mustReadFlask(t, source), importOptions(false))
			checkReport(t, rep, store.ImportReport{HighestID: 5}, 1, 3, 5)
			if !strings.Contains(rep.Refused[1].Reason, "another password hash") {
				t.Fatalf("refusal: %+v", rep.Refused[1])
			}
			if u, _ := db.UserByName(ctx, "cherry"); u.Password != bcryptHash {
				t.Fatalf("cherry's hash was overwritten: %s", u.Password)
			}
		})

		t.Run("ErrAllOrNothing", func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			// A trigger makes the last step fail: nothing before it stays.
			trigger := []string{`CREATE TRIGGER boom BEFORE INSERT ON token_blocklist WHEN NEW.jti = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`}
			if kind == store.Postgres {
				trigger = []string{
					`CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.jti = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
					`CREATE TRIGGER boom BEFORE INSERT ON token_blocklist FOR EACH ROW EXECUTE FUNCTION boom()`,
				}
			}
			for _, q := range trigger {
				if _, err := db.Bun().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			changes := countChanges(t, db)
			source, _ := flaskSource(t, kind, nil, flaskUsers[:2], []flaskRevoked{{"fine", "access", clock}, {"boom", "access", clock}})
			if _, err := db.ImportFlask(ctx, mustReadFlask(t, source), importOptions(false)); err == nil || !strings.Contains(err.Error(), "boom") {
				t.Fatalf("ImportFlask = %v, want the trigger's error", err)
			}
			if users, _ := db.ListUsers(ctx); len(users) != 0 {
				t.Fatalf("users after a failed import: %+v", users)
			}
			if ok, _ := db.IsTokenRevoked(ctx, "fine"); ok {
				t.Fatal("a token was revoked by a failed import")
			}
			if got := countChanges(t, db); got != changes {
				t.Fatal("a failed import announced changes")
			}
			if u, err := db.CreateUser(ctx, "first", bcryptHash); err != nil || u.ID != 1 {
				t.Fatalf("a new user after a failed import = %+v, %v; want id 1", u, err)
			}
		})

		// A server on the same database (its cache on) sees the imported
		// names and revoked ids at once, even those it had cached as
		// unknown and not revoked; many keys still fit NOTIFY's payloads.
		t.Run("OKServerSeesTheImport", func(t *testing.T) {
			t.Parallel()
			dsn := storetest.DSN(t, kind)
			server := storetest.OpenDSN(t, dsn)
			cacheCtx, stop := context.WithCancel(ctx)
			t.Cleanup(stop)
			if err := server.EnableCache(cacheCtx, 1000, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				t.Fatal(err)
			}
			var users []store.FlaskUser
			var revoked []flaskRevoked
			for i := range 300 {
				users = append(users, store.FlaskUser{ID: int64(i + 1), Name: fmt.Sprintf("user-%03d-%s", i, strings.Repeat("x", 50)), Password: pbkdf2Hash})
				revoked = append(revoked, flaskRevoked{fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), "access", time.Now().Add(-time.Minute)})
			}
			source, _ := flaskSource(t, kind, nil, users, revoked)
			last, lastJTI := users[299].Name, revoked[299].jti
			if _, err := server.UserByName(ctx, last); !errors.Is(err, backend.ErrNotFound) {
				t.Fatal(err)
			}
			if ok, _ := server.IsTokenRevoked(ctx, lastJTI); ok {
				t.Fatal("revoked before the import")
			}
			if !server.CacheOn() || server.CacheSize() != 2 {
				t.Fatalf("cache on %v, %d entries; want the unknown name and jti cached", server.CacheOn(), server.CacheSize())
			}
			importer := storetest.OpenDSN(t, dsn)
			rep := mustImport(t, importer, mustReadFlask(t, source), importOptions(false))
			if rep.UsersImported != 300 || rep.TokensImported != 300 {
				t.Fatalf("report %+v", rep)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, err := server.UserByName(ctx, last)
				revoked, _ := server.IsTokenRevoked(ctx, lastJTI)
				if err == nil && revoked {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the server still sees %v, revoked %v", err, revoked)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})

		t.Run("OKSourceOptionsForm", func(t *testing.T) {
			t.Parallel()
			source, _ := flaskSource(t, kind, nil, flaskUsers[:1], nil)
			if kind == store.Postgres {
				// libpq's way, which SQLAlchemy apps use: options=-csearch_path=...
				i := strings.Index(source, "search_path=")
				source = source[:i] + "options=-csearch_path%3D" + source[i+len("search_path="):]
			} else {
				source = "sqlite+pysqlite" + strings.TrimPrefix(source, "sqlite")
			}
			if data := mustReadFlask(t, source); len(data.Users) != 1 || data.Users[0] != flaskUsers[0] {
				t.Fatalf("read %+v", data)
			}
		})

		t.Run("OKNullsAndTimes", func(t *testing.T) {
			t.Parallel()
			source, src := flaskSource(t, kind, nil, []store.FlaskUser{{ID: 4, Name: "nopass"}}, nil)
			// The column's own default (CURRENT_TIMESTAMP, now()).
			if _, err := src.ExecContext(ctx, `INSERT INTO token_blocklist (jti, type) VALUES ('by-default', 'access')`); err != nil {
				t.Fatal(err)
			}
			data := mustReadFlask(t, source)
			if data.Users[0].Password != "" || data.Revoked[0].CreatedAt.IsZero() || time.Since(data.Revoked[0].CreatedAt).Abs() > time.Minute {
				t.Fatalf("read %+v", data)
			}
			db := storetest.Open(t, kind)
			rep := mustImport(t, db, data, importOptions(false))
			if rep.UsersImported != 0 || len(rep.Refused) != 1 || rep.Refused[0].Reason != "password: no password hash" || rep.TokensImported != 1 {
				t.Fatalf("report %+v", rep)
			}
		})
	})
}

// countChanges is how many changes were announced through the table
// SQLite's server polls. On PostgreSQL it is 0: a NOTIFY leaves nothing to
// count, and one of a transaction rolled back is never delivered (which
// PostgreSQL guarantees, so the checks below can only fail on SQLite).
func countChanges(t *testing.T, db *store.DB) int {
	t.Helper()
	if db.Bun().Dialect().Name() == dialect.PG {
		return 0
	}
	n, err := db.Bun().NewSelect().Table("cache_changes").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestReadFlaskErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o600)
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	for _, tt := range []struct{ name, source, want string }{
		{"ErrNoFile", "sqlite:///" + filepath.Join(dir, "missing.db"), "there is no file " + filepath.Join(dir, "missing.db")},
		{"ErrRelativeNoFile", "sqlite:///missing.db", "an absolute path takes four slashes"},
		{"ErrFolder", "sqlite:///" + dir, "is a folder"},
		{"ErrNotADatabase", "sqlite:///" + notDB, notDB + " is not a SQLite database"},
		{"ErrEmptyFile", "sqlite:///" + empty, `the source has no table "user"`},
		{"ErrInMemory", "sqlite://", "in-memory"},
		{"ErrInMemoryNamed", "sqlite:///:memory:", "in-memory"},
		{"ErrSQLiteHost", "sqlite://host/app.db", "a host in a sqlite URL"},
		{"ErrSQLiteParams", "sqlite:///app.db?mode=ro", "parameters"},
		{"ErrMySQL", "mysql+pymysql://u:hunter22@db/app", "mysql databases are not supported"},
		{"ErrNotAURL", "app.db", "not a SQLAlchemy URL"},
		{"ErrUnknownScheme", "redis://u:hunter22@db/0", "not a SQLite or PostgreSQL URL"},
		{"ErrPostgresDown", "postgresql://flask:hunter22@127.0.0.1:1/app?sslmode=disable", "cannot reach the PostgreSQL server"},
		{"ErrPostgresBadURL", "postgresql://flask:hunter22%zz@db/app", "not a valid URL"},
		{"ErrPostgresNoHost", "postgresql:///app", "no host"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := store.ReadFlask(ctx, tt.source)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadFlask = %v, want an error saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("reading a missing file created it")
	}
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		for _, tt := range []struct {
			name string
			ddl  []string
			want string
		}{
			{"ErrNoTables", []string{"CREATE TABLE other (id INTEGER)"}, `the source has no table "user"`},
			{"ErrNoBlocklist", flaskDDL[kind][:1], `the source has no table "token_blocklist"`},
			{"ErrNoPassword", append([]string{`CREATE TABLE "user" (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL)`}, flaskDDL[kind][1:]...), `table "user" has no column "password"`},
			{"ErrNoCreatedAt", []string{flaskDDL[kind][0], `CREATE TABLE token_blocklist (id INTEGER PRIMARY KEY, jti VARCHAR(36), type VARCHAR(16))`}, `table "token_blocklist" has no column "created_at"`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				source, _ := flaskSource(t, kind, tt.ddl, nil, nil)
				if _, err := store.ReadFlask(ctx, source); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ReadFlask = %v, want an error saying %q", err, tt.want)
				}
			})
		}
		t.Run("OKSourceUntouched", func(t *testing.T) {
			t.Parallel()
			source, src := flaskSource(t, kind, nil, flaskUsers, flaskBlocklist())
			mustImport(t, storetest.Open(t, kind), mustReadFlask(t, source), importOptions(false))
			var users, revoked int
			if err := src.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM "user"), (SELECT COUNT(*) FROM token_blocklist)`).Scan(&users, &revoked); err != nil || users != len(flaskUsers) || revoked != 4 {
				t.Fatalf("source: %d users, %d revoked, %v", users, revoked, err)
			}
		})
	})
}

func TestParseFlaskURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url    string
		kind   store.Kind
		target string
	}{
		{"sqlite:////srv/app/app.db", store.SQLite, "/srv/app/app.db"},
		{"sqlite:///app.db", store.SQLite, "app.db"},
		{"sqlite:///instance/app.db", store.SQLite, "instance/app.db"},
		{"sqlite+pysqlite:////srv/app.db", store.SQLite, "/srv/app.db"},
		{"postgresql://u:p@db:5432/app", store.Postgres, "postgres://u:p@db:5432/app"},
		{"postgres://u@db/app?sslmode=disable", store.Postgres, "postgres://u@db/app?sslmode=disable"},
		{"postgresql+psycopg2://u:p@db/app?options=-csearch_path%3Dflask", store.Postgres, "postgres://u:p@db/app?search_path=flask"},
		{"postgresql://u@db/app?options=-c%20search_path%3Dflask%5C%20app%20--statement-timeout%3D5s&client_encoding=utf8", store.Postgres, "postgres://u@db/app?search_path=flask+app&statement_timeout=5s"},
	} {
		kind, target, err := store.ParseFlaskURL(tt.url)
		if err != nil || kind != tt.kind || target != tt.target {
			t.Errorf("ParseFlaskURL(%q) = %s, %q, %v; want %s, %q", tt.url, kind, target, err, tt.kind, tt.target)
		}
	}
	for url, want := range map[string]string{
		"postgresql://u@db/app?options=-x":                      "only \"-c name=value\" settings",
		"postgresql://u@db/app?options=-c":                      "only \"-c name=value\" settings",
		"postgresql://u@db/app?options=-csearch_path":           "not a setting name=value",
		"postgresql://u@db/app?options=-c%22x%3By%22%3D1":       "not a setting name=value",
		"postgresql://u@db/app?client_encoding=latin1":          "only UTF8",
		"postgresql://u:hunter22@db/app?client_encoding=latin1": "only UTF8",
	} {
		if _, _, err := store.ParseFlaskURL(url); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter22") {
			t.Errorf("ParseFlaskURL(%q) = %v, want an error saying %q", url, err, want)
		}
	}
}

func TestCommonHashParams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		if got, err := db.CommonHashParams(ctx); err != nil || got != "" {
			t.Fatalf("no users: %q, %v", got, err)
		}
		n := 0
		add := func(hashes ...string) {
			for _, h := range hashes {
				n++
				if _, err := db.CreateUser(ctx, fmt.Sprint("user", n), h); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, step := range []struct {
			add  []string
			want string
		}{
			// Hashes of unknown kinds never count.
			{[]string{"$2a$10$x", "$2a$12$y", "$2b$12$z", md5Hash, md5Hash, md5Hash, "plain$$mango", "plain$$mango", "plain$$mango"}, "$2b$12$"},
			{[]string{"$2a$12$w"}, "$2a$12$"},
			{[]string{pbkdf2Hash, pbkdf2Hash, pbkdf2Hash}, "pbkdf2:sha256:1000"},
			{[]string{scryptHash, scryptHash, scryptHash, scryptHash}, "scrypt:1024:8:2"},
			{[]string{"scrypt$s$h", "scrypt$s$h", "scrypt$s$h", "scrypt$s$h", "scrypt$s$h"}, "scrypt"},
		} {
			add(step.add...)
			got, err := db.CommonHashParams(ctx)
			if err != nil || got != step.want {
				t.Fatalf("CommonHashParams = %q, %v; want %q", got, err, step.want)
			}
			// What the hasher reads from a hash of that kind.
			if p := auth.HashParams(step.add[len(step.add)-1]); p != got && step.want != "$2b$12$" {
				t.Fatalf("auth.HashParams = %q, the store says %q", p, got)
			}
		}
	})
}
