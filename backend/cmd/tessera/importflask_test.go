package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/internal/testpython"
	"tessera/shared"
)

// flaskSecret is the JWT_SECRET_KEY of the Flask app and the JWT_SECRET of
// Tessera: at least 32 bytes.
const flaskSecret = "flask-and-tessera-share-this-secret-0123"

// flaskPython returns the python3 that has Flask, Flask-SQLAlchemy,
// Flask-JWT-Extended (and psycopg2, for PostgreSQL): Debian's packages, in
// the system interpreter. Without them the test skips, except under
// CI=true, where it fails.
func flaskPython(t *testing.T, kind store.Kind) string {
	t.Helper()
	modules := []string{"flask", "flask_sqlalchemy", "flask_jwt_extended"}
	if kind == store.Postgres {
		modules = append(modules, "psycopg2")
	}
	return testpython.Require(t, "apt-get install python3-flask python3-flask-sqlalchemy python3-python-flask-jwt-extended python3-psycopg2", modules...)
}

// flaskFixture is what testdata/flaskapp.py printed.
type flaskFixture struct {
	Tokens struct {
		RevokedAccess  string `json:"revoked_access"`
		RevokedRefresh string `json:"revoked_refresh"`
		LiveAccess     string `json:"live_access"`
		LiveRefresh    string `json:"live_refresh"`
	} `json:"tokens"`
	FlaskAnswers struct {
		UserDataV2 map[string]any `json:"user_data_v2"`
	} `json:"flask_answers"`
}

// flaskDatabase runs the Flask tutorial's app (testdata/flaskapp.py) on a
// new database of kind, a SQLite file or a PostgreSQL schema of its own,
// and returns the database's SQLAlchemy URL and what the app made.
func flaskDatabase(t *testing.T, kind store.Kind) (string, flaskFixture) {
	t.Helper()
	python := flaskPython(t, kind)
	source := "sqlite:///" + filepath.Join(t.TempDir(), "app.db")
	if kind == store.Postgres {
		// libpq (the app's psycopg2) takes the schema as options, which
		// the import reads too.
		dsn := storetest.DSN(t, kind)
		i := strings.Index(dsn, "search_path=")
		source = "postgresql" + strings.TrimPrefix(dsn[:i], "postgres") + "options=-csearch_path%3D" + dsn[i+len("search_path="):]
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(python, "testdata/flaskapp.py", "build", source, flaskSecret)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("flaskapp.py: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var fx flaskFixture
	if err := json.Unmarshal(stdout.Bytes(), &fx); err != nil || fx.Tokens.LiveAccess == "" {
		t.Fatalf("flaskapp.py printed %q: %v", stdout.String(), err)
	}
	return source, fx
}

// runImportCmd runs `tessera import-flask ARGS...` in env.
func runImportCmd(t *testing.T, env map[string]string, args ...string) userResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runImportFlask(context.Background(), args, &stdout, &stderr, func(k string) string { return env[k] })
	return userResult{code, stdout.String(), stderr.String()}
}

// call sends method url with the bearer token and returns the status and
// the body.
func call(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	code, body := send(t, method, url, "", token)
	return code, strings.TrimSpace(string(body))
}

// The users testdata/flaskapp.py makes, with their passwords.
var flaskPasswords = []struct {
	id             int64
	name, password string
}{
	{1, "apple", "mango"},          // werkzeug 2.2's default: pbkdf2:sha256:260000, through the app
	{3, "banana", "papaya-papaya"}, // werkzeug 3's default: scrypt:32768:8:1
	{6, "fig", "figfig"},           // scrypt:1024:8:1
	{7, "grape", "grapes"},         // pbkdf2:sha256:1000
	{10, "kiwi", "kiwi-kiwi"},      // pbkdf2:sha512:1000
}

// TestImportFlask imports the database of the real Flask app beside a
// running server, which then answers the Flask app's users and tokens.
func TestImportFlask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		source, fx := flaskDatabase(t, kind)
		env := userEnv(t, kind)
		env["JWT_SECRET"] = flaskSecret
		s := mustRunMain(t, kind, env)
		api := s.url + "/api"

		// Before the import the Flask app's token names a user Tessera does
		// not know (and the server remembers that).
		if status, body := call(t, "GET", api+"/user-data-v2", fx.Tokens.LiveAccess); status != 401 || !strings.Contains(body, "Error loading the user grape") {
			t.Fatalf("before the import: %d %s", status, body)
		}

		dry := runImportCmd(t, env, "--dry-run", source)
		if dry.code != exitRefused || dry.stderr != "" ||
			!strings.HasPrefix(dry.stdout, "dry run: nothing was changed\n") ||
			!strings.Contains(dry.stdout, "\nusers: 6 to import, 0 there already, 2 refused (of 8 in the Flask database)\n") ||
			!strings.Contains(dry.stdout, "\nrevoked tokens: 2 to import, 0 there already (of 2 rows)\n") ||
			!strings.HasSuffix(dry.stdout, "\nnew accounts would get ids above 10\n") {
			t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
		}
		db := openUserStore(t, env)
		if users, err := db.ListUsers(ctx); err != nil || len(users) != 0 {
			t.Fatalf("users after the dry run: %v, %v", users, err)
		}

		r := runImportCmd(t, env, source)
		want := `refused user 2 " cherry": username contains invalid characters
refused user 4 "damson": password: werkzeug method "sha256" is not supported (pbkdf2 and scrypt are; werkzeug's single-round ones are not password hashes)
users: 6 imported, 0 there already, 2 refused (of 8 in the Flask database)
revoked tokens: 2 imported, 0 there already (of 2 rows)
new accounts get ids above 10
`
		if r.code != exitRefused || r.stdout != want || r.stderr != "" {
			t.Fatalf("import: exit %d\n%s%s\nwant exit 3 and\n%s", r.code, r.stdout, r.stderr, want)
		}
		again := runImportCmd(t, env, source)
		if again.code != exitRefused || !strings.Contains(again.stdout, "\nusers: 0 imported, 6 there already, 2 refused (of 8 in the Flask database)\nrevoked tokens: 0 imported, 2 there already (of 2 rows)\nnothing to import: the rest is there already or refused\n") {
			t.Fatalf("again: exit %d\n%s%s", again.code, again.stdout, again.stderr)
		}
		// Most hashes are werkzeug's cheap pbkdf2 now: a restarted server's
		// dummy comparison for unknown names would be of that kind.
		if p, err := db.CommonHashParams(ctx); err != nil || p != "pbkdf2:sha256:1000" {
			t.Fatalf("CommonHashParams = %q, %v", p, err)
		}

		t.Run("OKFlaskTokens", func(t *testing.T) {
			// The running server sees the import (at once on PostgreSQL,
			// at its next poll on SQLite), though it had looked grape up:
			// the same answer as the Flask app's, the same id.
			status, body := call(t, "GET", api+"/user-data-v2", fx.Tokens.LiveAccess)
			for deadline := time.Now().Add(5 * time.Second); status == 401 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				status, body = call(t, "GET", api+"/user-data-v2", fx.Tokens.LiveAccess)
			}
			var got map[string]any
			json.Unmarshal([]byte(body), &got)
			if status != 200 || got["id"] != fx.FlaskAnswers.UserDataV2["id"] || got["username"] != fx.FlaskAnswers.UserDataV2["username"] || got["id"] != float64(7) {
				t.Fatalf("user-data-v2 with the Flask app's token: %d %s; the Flask app said %v", status, body, fx.FlaskAnswers.UserDataV2)
			}
			if status, body := call(t, "GET", api+"/user-data", fx.Tokens.RevokedAccess); status != 401 || !strings.Contains(body, "Token has been revoked") {
				t.Fatalf("the access token revoked by the Flask app: %d %s", status, body)
			}
			if status, body := call(t, "POST", api+"/refresh", fx.Tokens.RevokedRefresh); status != 401 || !strings.Contains(body, "Token has been revoked") {
				t.Fatalf("the refresh token revoked by the Flask app: %d %s", status, body)
			}
			status, body = call(t, "POST", api+"/refresh", fx.Tokens.LiveRefresh)
			var pair shared.TokenPair
			if json.Unmarshal([]byte(body), &pair); status != 200 || pair.AccessToken == "" {
				t.Fatalf("refresh with the Flask app's refresh token: %d %s", status, body)
			}
			if status, body := call(t, "GET", api+"/user-data", pair.AccessToken); status != 200 || body != `{"user":"grape"}` {
				t.Fatalf("the new session: %d %s", status, body)
			}
		})

		t.Run("OKOldPasswordsThenBcrypt", func(t *testing.T) {
			for _, u := range flaskPasswords {
				before := mustUserNamed(t, db, u.name).Password
				for range 2 { // with the werkzeug hash, then with bcrypt
					c := shared.NewClient(s.url, shared.NewMemoryTokenStore())
					if _, err := c.Login(ctx, shared.Credentials{Username: u.name, Password: u.password}); err != nil {
						t.Fatalf("%s signs in: %v", u.name, err)
					}
					if me, err := c.UserDataV2(ctx); err != nil || me.ID != u.id || me.Username != u.name {
						t.Fatalf("%s: %+v, %v; want id %d", u.name, me, err, u.id)
					}
				}
				after := mustUserNamed(t, db, u.name).Password
				if strings.HasPrefix(before, "$2") || !strings.HasPrefix(after, "$2a$04$") {
					t.Fatalf("%s's hash: %.20s... then %.20s..., want werkzeug's then bcrypt", u.name, before, after)
				}
				c := shared.NewClient(s.url, shared.NewMemoryTokenStore())
				if _, err := c.Login(ctx, shared.Credentials{Username: u.name, Password: u.password + "?"}); err == nil {
					t.Fatalf("%s signs in with a wrong password", u.name)
				}
			}
		})

		t.Run("OKLongPasswordKeepsItsHash", func(t *testing.T) {
			before := mustUserNamed(t, db, "elder").Password
			for range 2 {
				c := shared.NewClient(s.url, shared.NewMemoryTokenStore())
				if _, err := c.Login(ctx, shared.Credentials{Username: "elder", Password: strings.Repeat("e", 100)}); err != nil {
					t.Fatalf("elder signs in: %v", err)
				}
			}
			if after := mustUserNamed(t, db, "elder").Password; after != before || !strings.HasPrefix(after, "pbkdf2:sha256:1000$") {
				t.Fatalf("elder's hash: %.24s... then %.24s..., want it kept", before, after)
			}
		})

		t.Run("ErrRefusedUsersNotThere", func(t *testing.T) {
			for _, cr := range []shared.Credentials{{Username: "damson", Password: "plum-plum"}, {Username: " cherry", Password: "cherry-pie"}} {
				if _, err := shared.NewClient(s.url, shared.NewMemoryTokenStore()).Login(ctx, cr); err == nil {
					t.Fatalf("refused user %s signs in", cr.Username)
				}
			}
		})

		t.Run("OKNewAccountsAboveTheFlaskIDs", func(t *testing.T) {
			c := shared.NewClient(s.url, shared.NewMemoryTokenStore())
			if err := c.Register(ctx, shared.Credentials{Username: "newcomer", Password: "newcomer"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Login(ctx, shared.Credentials{Username: "newcomer", Password: "newcomer"}); err != nil {
				t.Fatal(err)
			}
			if me, err := c.UserDataV2(ctx); err != nil || me.ID != 11 {
				t.Fatalf("newcomer = %+v, %v; want id 11", me, err)
			}
		})

		// After the sign-ins most hashes are bcrypt: the import refuses
		// to overwrite them, and says why.
		t.Run("ErrAgainAfterSignIns", func(t *testing.T) {
			r := runImportCmd(t, env, source)
			if r.code != exitRefused || strings.Count(r.stdout, "has another password hash") != len(flaskPasswords) ||
				!strings.Contains(r.stdout, "\nusers: 0 imported, 1 there already, 7 refused (of 8 in the Flask database)\n") {
				t.Fatalf("import after sign-ins: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, u := range flaskPasswords {
				if hash := mustUserNamed(t, db, u.name).Password; !strings.HasPrefix(hash, "$2a$") {
					t.Fatalf("%s's hash was overwritten: %.20s...", u.name, hash)
				}
			}
		})
	})
}

// flaskDDL is the tutorial's tables on SQLite, as Flask-SQLAlchemy makes
// them, for the tests that need no Python.
const flaskDDL = `CREATE TABLE user (id INTEGER NOT NULL, name VARCHAR NOT NULL, password VARCHAR, PRIMARY KEY (id));
CREATE TABLE token_blocklist (id INTEGER NOT NULL, jti VARCHAR(36) NOT NULL, type VARCHAR(16) NOT NULL,
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, PRIMARY KEY (id));
INSERT INTO user (id, name, password) VALUES (1, 'apple',
	'pbkdf2:sha256:1000$4b1eZTFrna2eC0Ka$8a2c58b0c48276af8c07039bf6cd3404e6871f877fdb99557c07eed089a0b855');
INSERT INTO token_blocklist (jti, type) VALUES ('9e752047-883e-4157-8731-3d20fb65d8d9', 'access');`

// sqliteFile makes a SQLite file at path holding what ddl makes.
func sqliteFile(t *testing.T, path, ddl string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
}

// TestImportFlaskSmall: one user, no Python: the password signs in, an
// import with everything imported exits 0, and a dry run creates no
// database.
func TestImportFlaskSmall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("OKDryRunCreatesNothing", func(t *testing.T) {
		t.Parallel()
		source := filepath.Join(t.TempDir(), "app.db")
		sqliteFile(t, source, flaskDDL)
		env := bareUserEnv(t)
		r := runImportCmd(t, env, "--dry-run", "sqlite:///"+source)
		path := filepath.Join(env["DATA_DIR"], "tessera.db")
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "there is no database at "+path+" yet: the import would create it\ndry run: nothing was changed\nusers: 1 to import,") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if entries, _ := os.ReadDir(env["DATA_DIR"]); len(entries) != 0 {
			t.Fatalf("a dry run made %v", entries)
		}
		r = runImportCmd(t, env, "sqlite:///"+source)
		if r.code != 0 || r.stderr != "tessera import-flask: created a new database at "+path+"\n" || !strings.Contains(r.stdout, "users: 1 imported, 0 there already, 0 refused") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		u := mustUserNamed(t, openUserStore(t, env), "apple")
		checkPassword(t, u.Password, "mango", true)
		if u.ID != 1 || u.CreatedAt.Unix() != 0 {
			t.Fatalf("apple = %+v", u)
		}
		if r := runImportCmd(t, env, "sqlite:///"+source); r.code != 0 || !strings.Contains(r.stdout, "nothing to import: everything is there already") {
			t.Fatalf("again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("OKRelativePath", func(t *testing.T) {
		t.Parallel()
		dir, err := os.MkdirTemp("testdata", "relative-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		sqliteFile(t, filepath.Join(dir, "app.db"), flaskDDL)
		env := userEnv(t, store.SQLite)
		if r := runImportCmd(t, env, "sqlite:///"+filepath.Join(dir, "app.db")); r.code != 0 || !strings.Contains(r.stdout, "users: 1 imported") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if _, err := openUserStore(t, env).UserByName(ctx, "apple"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestImportFlaskErrors: usage errors exit 2 and a source that is not a
// Flask app's database exits 1, before Tessera's database is touched; no
// message shows a password.
func TestImportFlaskErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o600)
	other := filepath.Join(dir, "other.db")
	sqliteFile(t, other, "CREATE TABLE users (id INTEGER)")
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ErrNoSource", nil, 2, "tessera import-flask: SOURCE_URL is missing\n"},
		{"ErrTwoSources", []string{"sqlite:///a.db", "postgresql://u:hunter22@db/app"}, 2, `unexpected argument "postgresql://u:xxxxx@db/app"`},
		{"ErrUnknownFlag", []string{"--force", "sqlite:///a.db"}, 2, `unknown flag "--force"`},
		{"ErrNotAURL", []string{"app.db"}, 2, "SOURCE_URL: not a SQLAlchemy URL"},
		{"ErrMySQL", []string{"mysql://u:hunter22@db/app"}, 2, "SOURCE_URL: mysql databases are not supported"},
		{"ErrBadPostgresURL", []string{"postgresql://u:hunter22%zz@db/app"}, 2, "SOURCE_URL: not a valid URL"},
		{"ErrNoFile", []string{"sqlite:///" + filepath.Join(dir, "missing.db")}, 1, "there is no file " + filepath.Join(dir, "missing.db")},
		{"ErrNotADatabase", []string{"sqlite:///" + notDB}, 1, notDB + " is not a SQLite database"},
		{"ErrNotFlask", []string{"--dry-run", "sqlite:///" + other}, 1, `the source has no table "user": is it the Flask app's database?`},
		{"ErrPostgresDown", []string{"postgresql://flask:hunter22@127.0.0.1:1/app?sslmode=disable"}, 1, "cannot reach the PostgreSQL server"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := bareUserEnv(t)
			r := runImportCmd(t, env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || r.stdout != "" || strings.Contains(r.stderr, "hunter22") {
				t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant exit %d and %q", r.code, r.stdout, r.stderr, tt.code, tt.want)
			}
			if tt.code == 2 && !strings.Contains(r.stderr, importUsage) {
				t.Fatal("a usage error without the usage")
			}
			if tt.code == 1 && strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("want one line: %q", r.stderr)
			}
			if entries, _ := os.ReadDir(env["DATA_DIR"]); len(entries) != 0 {
				t.Fatalf("DATA_DIR holds %v", entries)
			}
		})
	}
	t.Run("ErrOwnDatabase", func(t *testing.T) {
		t.Parallel()
		env := userEnv(t, store.SQLite)
		r := runImportCmd(t, env, "sqlite:///"+filepath.Join(env["DATA_DIR"], "tessera.db"))
		if r.code != 1 || !strings.Contains(r.stderr, "SOURCE_URL is Tessera's own database") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("ErrConfiguration", func(t *testing.T) {
		t.Parallel()
		env := bareUserEnv(t)
		env["DATABASE_URL"] = "postgres://tessera:hunter22%zz@db/tessera"
		r := runImportCmd(t, env, "sqlite:///"+notDB)
		if r.code != 2 || !strings.Contains(r.stderr, "configuration: DATABASE_URL") || strings.Contains(r.stderr, "hunter22") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("ErrTargetDown", func(t *testing.T) {
		t.Parallel()
		source := filepath.Join(t.TempDir(), "app.db")
		sqliteFile(t, source, flaskDDL)
		env := bareUserEnv(t)
		env["DATABASE_URL"] = "postgres://tessera:hunter22@127.0.0.1:1/tessera?sslmode=disable"
		r := runImportCmd(t, env, "sqlite:///"+source)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "tessera import-flask: open store: ") || strings.Contains(r.stderr, "hunter22") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"--dry-run", "--help", "sqlite:///x"}} {
		t.Run("OKHelp"+strings.Join(args, ""), func(t *testing.T) {
			t.Parallel()
			env := bareUserEnv(t)
			if r := runImportCmd(t, env, args...); r.code != 0 || r.stdout != importUsage || r.stderr != "" {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestImportFlaskRules: the names the import refuses are those register
// refuses, and a name not in NFC form (never changed silently); revoked
// ids are kept as long as a token of either app may live.
func TestImportFlaskRules(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"apple":                 "",
		"\u00e9mile":            "",
		"e\u0301mile":           `not in Unicode NFC form, in which Tessera keeps names (it would be "émile")`,
		"":                      "no name",
		"ab":                    shared.MsgUsernameTooShort,
		strings.Repeat("é", 65): shared.MsgUsernameTooLong,
		" apple":                shared.MsgUsernameInvalid,
		"app\x00le":             shared.MsgUsernameInvalid,
		"apple\u202e":           shared.MsgUsernameInvalid,
		"app\xffle":             shared.MsgUsernameInvalid + " (not UTF-8)",
		strings.Repeat("x", 64): "",
		"a b":                   "",
	} {
		err := importName(name)
		if (want == "") != (err == nil) || err != nil && err.Error() != want {
			t.Errorf("importName(%q) = %v, want %q", name, err, want)
		}
	}
	for _, tt := range []struct {
		refresh, want string
	}{
		{"24h", "744h"},  // 30 days and 1
		{"1h", "744h"},   // 30 days and 1
		{"720h", "744h"}, // 30 days and 1
		{"2000h", "2024h"},
	} {
		cfg, err := LoadConfig(func(k string) string { return map[string]string{"REFRESH_TOKEN_TTL": tt.refresh}[k] })
		if err != nil {
			t.Fatal(err)
		}
		if got := revokedFor(cfg).String(); got != tt.want+"0m0s" {
			t.Errorf("REFRESH_TOKEN_TTL=%s: revoked for %s, want %s", tt.refresh, got, tt.want)
		}
	}
}
