package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/auth"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/shared"
)

// userEnv is the environment of `tessera user` on a new, empty database
// of kind, created (migrated) as a server that has run would leave it.
func userEnv(t *testing.T, kind store.Kind) map[string]string {
	t.Helper()
	env := bareUserEnv(t)
	if kind == store.Postgres {
		env["DATABASE_URL"] = storetest.DSN(t, kind)
	}
	db := openUserStore(t, env)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return env
}

// bareUserEnv is the environment of `tessera user` on an empty DATA_DIR,
// with no database in it.
func bareUserEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DATA_DIR":           t.TempDir(),
		"BCRYPT_COST":        "4",
		"BCRYPT_COST_UNSAFE": "1",
	}
}

// userResult is what a `tessera user` run did.
type userResult struct {
	code           int
	stdout, stderr string
}

// runUserCmd runs `tessera user ARGS...` in env with stdin.
func runUserCmd(t *testing.T, env map[string]string, stdin string, args ...string) userResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runUser(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] })
	return userResult{code, stdout.String(), stderr.String()}
}

// mustUserCmd is runUserCmd that fails the test unless the run succeeded.
func mustUserCmd(t *testing.T, env map[string]string, stdin string, args ...string) userResult {
	t.Helper()
	r := runUserCmd(t, env, stdin, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("tessera user %s = %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// wantRefusal fails the test unless r is a refusal: exit 1, msg on one line
// of stderr, nothing on stdout.
func wantRefusal(t *testing.T, r userResult, msg string) {
	t.Helper()
	if r.code != 1 || !strings.Contains(r.stderr, msg) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want exit 1 and one line saying %q", r.code, r.stdout, r.stderr, msg)
	}
}

// openUserStore opens the database env selects, as the server would beside
// the commands, and closes it when t ends.
func openUserStore(t *testing.T, env map[string]string) *store.DB {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db
}

// mustSession creates an active session of userID with the store.
func mustSession(t *testing.T, db *store.DB, id string, userID int64) {
	t.Helper()
	now := time.Now()
	s := &backend.Session{ID: id, UserID: userID, CreatedAt: now, RenewedAt: now, ExpiresAt: now.Add(time.Hour), RefreshJTI: id + "-jti"}
	if err := db.CreateSession(context.Background(), s, "", 0); err != nil {
		t.Fatal(err)
	}
}

func mustUserNamed(t *testing.T, db *store.DB, name string) *backend.User {
	t.Helper()
	u, err := db.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func checkPassword(t *testing.T, hash, password string, want bool) {
	t.Helper()
	h, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Check(hash, password); got != want {
		t.Fatalf("password %q verifies: %v, want %v", password, got, want)
	}
}

func TestUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OKAddList", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			start := time.Now().Add(-time.Second)
			if r := mustUserCmd(t, env, "mango\n", "add", "apple"); r.stdout != "created user \"apple\" (id 1)\n" {
				t.Fatalf("add said %q", r.stdout)
			}
			mustUserCmd(t, env, "papaya", "add", "banana-split") // no line break
			mustUserCmd(t, env, "  two words \r\nsecond line\n", "add", "cherry")
			db := openUserStore(t, env)
			checkPassword(t, mustUserNamed(t, db, "apple").Password, "mango", true)
			checkPassword(t, mustUserNamed(t, db, "banana-split").Password, "papaya", true)
			// Only the line break goes: spaces stay, the next line is not read.
			checkPassword(t, mustUserNamed(t, db, "cherry").Password, "  two words ", true)

			table := mustUserCmd(t, env, "", "list").stdout
			lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
			row := regexp.MustCompile(`^(\d+) +(\S+) +(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$`)
			if len(lines) != 4 || !regexp.MustCompile(`^ID +NAME +CREATED$`).MatchString(lines[0]) {
				t.Fatalf("table:\n%s", table)
			}
			for i, want := range []string{"apple", "banana-split", "cherry"} {
				m := row.FindStringSubmatch(lines[i+1])
				if m == nil || m[1] != string(rune('1'+i)) || m[2] != want {
					t.Fatalf("row %d = %q, want user %d %s\n%s", i+1, lines[i+1], i+1, want, table)
				}
				created, err := time.Parse(time.RFC3339, m[3])
				if err != nil || created.Before(start.Truncate(time.Second)) || created.After(time.Now()) {
					t.Fatalf("created %s, %v: not the time of the add", m[3], err)
				}
			}
			// Aligned: every column starts at the same offset on every line.
			for _, col := range []string{"NAME", "CREATED"} {
				at := strings.Index(lines[0], col)
				for _, l := range lines[1:] {
					if l[at-1] != ' ' || l[at] == ' ' {
						t.Fatalf("column %s is not aligned:\n%s", col, table)
					}
				}
			}

			out := mustUserCmd(t, env, "", "list", "--json").stdout
			lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 3 {
				t.Fatalf("--json printed:\n%s", out)
			}
			for i, want := range []string{"apple", "banana-split", "cherry"} {
				var fields map[string]any
				if err := json.Unmarshal([]byte(lines[i]), &fields); err != nil {
					t.Fatalf("line %q: %v", lines[i], err)
				}
				created, _ := fields["created_at"].(string)
				at, err := time.Parse(time.RFC3339, created)
				if len(fields) != 3 || fields["id"] != float64(i+1) || fields["name"] != want || err != nil || !strings.HasSuffix(created, "Z") || at.After(time.Now()) {
					t.Fatalf("line %q, want user %d %s", lines[i], i+1, want)
				}
			}
		})

		t.Run("OKListEmpty", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			if out := mustUserCmd(t, env, "", "list").stdout; !regexp.MustCompile(`^ID +NAME +CREATED\n$`).MatchString(out) {
				t.Fatalf("list of no users = %q", out)
			}
			if out := mustUserCmd(t, env, "", "list", "-json").stdout; out != "" {
				t.Fatalf("list --json of no users = %q", out)
			}
		})

		t.Run("ErrAddTaken", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			mustUserCmd(t, env, "mango\n", "add", "apple")
			wantRefusal(t, runUserCmd(t, env, "other\n", "add", "apple"), shared.MsgUsernameTaken)
			checkPassword(t, mustUserNamed(t, openUserStore(t, env), "apple").Password, "mango", true)
		})

		for _, tt := range []struct {
			test, name, stdin, want string
		}{
			{"ErrAddShortPassword", "apple", "abcd\n", shared.MsgPasswordTooShort},
			{"ErrAddLongPassword", "apple", strings.Repeat("p", 73) + "\n", shared.MsgPasswordTooLong},
			{"ErrAddEmptyPassword", "apple", "", shared.MsgMissingCredentials},
			{"ErrAddEmptyLine", "apple", "\n", shared.MsgMissingCredentials},
			{"ErrAddEmptyName", "", "mango\n", shared.MsgMissingCredentials},
			{"ErrAddShortName", "ab", "mango\n", shared.MsgUsernameTooShort},
			{"ErrAddLongName", strings.Repeat("é", 65), "mango\n", shared.MsgUsernameTooLong},
			{"ErrAddNameSpace", " apple", "mango\n", shared.MsgUsernameInvalid},
			{"ErrAddNameControl", "app\x00le", "mango\n", shared.MsgUsernameInvalid},
			{"ErrAddNameBidi", "apple\u202e", "mango\n", shared.MsgUsernameInvalid},
			{"ErrAddNameNotUTF8", "app\xffle", "mango\n", shared.MsgUsernameInvalid},
			{"ErrAddPasswordNotUTF8", "apple", "man\xffgo\n", "password is not valid UTF-8"},
		} {
			t.Run(tt.test, func(t *testing.T) {
				t.Parallel()
				env := userEnv(t, kind)
				wantRefusal(t, runUserCmd(t, env, tt.stdin, "add", "--", tt.name), tt.want)
				if users, err := openUserStore(t, env).ListUsers(ctx); err != nil || len(users) != 0 {
					t.Fatalf("users = %+v, %v; want none", users, err)
				}
			})
		}

		t.Run("OKNameNFC", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			decomposed, composed := "e\u0301mile", "\u00e9mile"
			if r := mustUserCmd(t, env, "mango\n", "add", decomposed); !strings.Contains(r.stdout, `"`+composed+`"`) {
				t.Fatalf("add said %q", r.stdout)
			}
			db := openUserStore(t, env)
			mustUserNamed(t, db, composed)
			if _, err := db.UserByName(ctx, decomposed); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("the decomposed name was stored: %v", err)
			}
			// Either form names the user.
			wantRefusal(t, runUserCmd(t, env, "mango\n", "add", composed), shared.MsgUsernameTaken)
			mustUserCmd(t, env, "newpass\n", "set-password", decomposed)
			mustUserCmd(t, env, "", "delete", decomposed)
		})

		t.Run("OKNameWithDash", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			mustUserCmd(t, env, "mango\n", "add", "--", "-apple")
			mustUserNamed(t, openUserStore(t, env), "-apple")
		})

		t.Run("OKSetPasswordEndsSessions", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			mustUserCmd(t, env, "mango\n", "add", "apple")
			mustUserCmd(t, env, "papaya\n", "add", "banana")
			db := openUserStore(t, env)
			apple, banana := mustUserNamed(t, db, "apple"), mustUserNamed(t, db, "banana")
			mustSession(t, db, "apple-1", apple.ID)
			mustSession(t, db, "apple-2", apple.ID)
			mustSession(t, db, "banana-1", banana.ID)

			r := mustUserCmd(t, env, "new password\n", "set-password", "apple")
			if !strings.Contains(r.stdout, "2 sessions ended") {
				t.Fatalf("set-password said %q", r.stdout)
			}
			for _, id := range []string{"apple-1", "apple-2"} {
				s, err := db.SessionByID(ctx, id)
				if err != nil || s.RevokedAt.IsZero() || s.Reason != backend.ReasonOperator {
					t.Fatalf("session %s = %+v, %v; want revoked by the operator", id, s, err)
				}
			}
			if s, err := db.SessionByID(ctx, "banana-1"); err != nil || !s.RevokedAt.IsZero() {
				t.Fatalf("another user's session = %+v, %v; want it alive", s, err)
			}
			after := mustUserNamed(t, db, "apple")
			checkPassword(t, after.Password, "new password", true)
			checkPassword(t, after.Password, "mango", false)
			if after.TokensValidAfter.IsZero() {
				t.Fatal("tokens without session were not revoked")
			}
			checkPassword(t, mustUserNamed(t, db, "banana").Password, "papaya", true)

			if r := mustUserCmd(t, env, "newer password\n", "set-password", "apple"); !strings.Contains(r.stdout, "0 sessions ended") {
				t.Fatalf("second set-password said %q", r.stdout)
			}
		})

		t.Run("ErrSetPasswordShort", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			mustUserCmd(t, env, "mango\n", "add", "apple")
			db := openUserStore(t, env)
			mustSession(t, db, "apple-1", mustUserNamed(t, db, "apple").ID)
			wantRefusal(t, runUserCmd(t, env, "abc\n", "set-password", "apple"), shared.MsgPasswordTooShort)
			wantRefusal(t, runUserCmd(t, env, strings.Repeat("p", 73), "set-password", "apple"), shared.MsgPasswordTooLong)
			checkPassword(t, mustUserNamed(t, db, "apple").Password, "mango", true)
			if s, err := db.SessionByID(ctx, "apple-1"); err != nil || !s.RevokedAt.IsZero() {
				t.Fatalf("session = %+v, %v; want it alive", s, err)
			}
		})

		t.Run("OKDelete", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			mustUserCmd(t, env, "mango\n", "add", "apple")
			mustUserCmd(t, env, "papaya\n", "add", "banana")
			db := openUserStore(t, env)
			apple, banana := mustUserNamed(t, db, "apple"), mustUserNamed(t, db, "banana")
			mustSession(t, db, "apple-1", apple.ID)
			mustSession(t, db, "banana-1", banana.ID)

			r := mustUserCmd(t, env, "", "delete", "apple")
			if !strings.HasPrefix(r.stdout, `deleted user "apple" (id 1, created `) || !strings.Contains(r.stdout, "1 active session)") {
				t.Fatalf("delete said %q", r.stdout)
			}
			if _, err := db.UserByName(ctx, "apple"); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("deleted user: %v", err)
			}
			if _, err := db.SessionByID(ctx, "apple-1"); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("deleted user's session: %v", err)
			}
			if _, err := db.SessionByID(ctx, "banana-1"); err != nil {
				t.Fatalf("another user's session: %v", err)
			}
			if out := mustUserCmd(t, env, "", "list", "--json").stdout; strings.Count(out, "\n") != 1 || !strings.Contains(out, `"banana"`) {
				t.Fatalf("list after delete = %q", out)
			}
			wantRefusal(t, runUserCmd(t, env, "", "delete", "apple"), `no user is named "apple"`)
		})

		t.Run("ErrUnknownUser", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			mustUserCmd(t, env, "mango\n", "add", "apple")
			wantRefusal(t, runUserCmd(t, env, "", "delete", "ghost"), `no user is named "ghost"`)
			wantRefusal(t, runUserCmd(t, env, "new password\n", "set-password", "ghost"), `no user is named "ghost"`)
			wantRefusal(t, runUserCmd(t, env, "", "delete", "Apple"), `no user is named "Apple"`)
			mustUserNamed(t, openUserStore(t, env), "apple")
		})

		// The commands work while the server runs on the same database, and
		// the server sees what they did at once.
		t.Run("OKBesideServer", func(t *testing.T) {
			t.Parallel()
			env := userEnv(t, kind)
			env["REGISTRATION"] = "closed"
			s := mustRunMain(t, kind, env)
			c := shared.NewClient(s.url, shared.NewMemoryTokenStore())
			if err := c.Register(ctx, shared.Credentials{Username: "apple", Password: "mango"}); err == nil {
				t.Fatal("registration is open")
			}
			mustUserCmd(t, env, "mango\n", "add", "apple")
			if _, err := c.Login(ctx, shared.Credentials{Username: "apple", Password: "mango"}); err != nil {
				t.Fatal(err)
			}
			if got, err := c.UserData(ctx); err != nil || got.User != "apple" {
				t.Fatalf("user data = %+v, %v", got, err)
			}
			if r := mustUserCmd(t, env, "papaya\n", "set-password", "apple"); !strings.Contains(r.stdout, "1 session ended") {
				t.Fatalf("set-password said %q", r.stdout)
			}
			// The server follows the command's changes (announced by it)
			// within a few tens of milliseconds.
			over := func(what string) {
				t.Helper()
				deadline := time.Now().Add(time.Second)
				for {
					_, err := c.UserData(ctx)
					if shared.SessionOver(err) {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("call a second after %s = %v, want the session over", what, err)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			over("set-password")
			if _, err := c.Login(ctx, shared.Credentials{Username: "apple", Password: "mango"}); err == nil {
				t.Fatal("the old password still signs in")
			}
			if _, err := c.Login(ctx, shared.Credentials{Username: "apple", Password: "papaya"}); err != nil {
				t.Fatal(err)
			}
			mustUserCmd(t, env, "", "delete", "apple")
			over("delete")
			if _, err := c.Login(ctx, shared.Credentials{Username: "apple", Password: "papaya"}); err == nil {
				t.Fatal("a deleted user signs in")
			}
		})
	})
}

// TestUserUsage: usage errors exit 2 before the configuration is read or
// the database opened; help exits 0.
func TestUserUsage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		test string
		args []string
		want string
	}{
		{"ErrNoCommand", nil, "no command given"},
		{"ErrUnknownCommand", []string{"remove", "apple"}, `unknown command "remove"`},
		{"ErrAddNoName", []string{"add"}, "add: NAME is missing"},
		{"ErrAddTwoNames", []string{"add", "apple", "banana"}, `add: unexpected argument "banana"`},
		{"ErrAddFlag", []string{"add", "--json", "apple"}, `add: unknown flag "--json"`},
		{"ErrAddDashName", []string{"add", "-apple"}, `add: unknown flag "-apple"`},
		{"ErrDeleteNoName", []string{"delete"}, "delete: NAME is missing"},
		{"ErrDeleteTwoNames", []string{"delete", "apple", "--", "banana"}, `delete: unexpected argument "banana"`},
		{"ErrSetPasswordNoName", []string{"set-password"}, "set-password: NAME is missing"},
		{"ErrListName", []string{"list", "apple"}, `list: unexpected argument "apple"`},
		{"ErrListFlag", []string{"list", "--all"}, `list: unknown flag "--all"`},
	} {
		t.Run(tt.test, func(t *testing.T) {
			t.Parallel()
			env := bareUserEnv(t)
			r := runUserCmd(t, env, "mango\n", tt.args...)
			if r.code != 2 || !strings.HasPrefix(r.stderr, "tessera user: "+tt.want+"\n") || !strings.Contains(r.stderr, userUsage) || r.stdout != "" {
				t.Fatalf("got exit %d, stdout %q, stderr %q; want exit 2 and %q with the usage", r.code, r.stdout, r.stderr, tt.want)
			}
			if entries, _ := os.ReadDir(env["DATA_DIR"]); len(entries) != 0 {
				t.Fatalf("a usage error touched DATA_DIR: %v", entries)
			}
		})
	}
	for _, tt := range []struct {
		test string
		args []string
	}{
		{"OKHelp", []string{"help"}},
		{"OKDashH", []string{"-h"}},
		{"OKDashDashHelp", []string{"--help"}},
		{"OKAddDashH", []string{"add", "-h"}},
		{"OKListHelp", []string{"list", "--json", "--help"}},
	} {
		t.Run(tt.test, func(t *testing.T) {
			t.Parallel()
			env := bareUserEnv(t)
			r := runUserCmd(t, env, "", tt.args...)
			if r.code != 0 || r.stdout != userUsage || r.stderr != "" {
				t.Fatalf("got exit %d, stdout %q, stderr %q; want the usage on stdout", r.code, r.stdout, r.stderr)
			}
			if entries, _ := os.ReadDir(env["DATA_DIR"]); len(entries) != 0 {
				t.Fatalf("help touched DATA_DIR: %v", entries)
			}
		})
	}
	t.Run("OKUsageNamesEveryCommand", func(t *testing.T) {
		t.Parallel()
		for name := range userCommands {
			if !strings.Contains(userUsage, "\n  "+name+" ") {
				t.Errorf("the usage does not list %s", name)
			}
		}
	})
}

// TestUserConfig: a bad configuration exits 2, a database that cannot be
// opened 1, and neither prints the database's password.
func TestUserConfig(t *testing.T) {
	t.Parallel()
	t.Run("ErrCheapBcrypt", func(t *testing.T) {
		t.Parallel()
		env := bareUserEnv(t)
		delete(env, "BCRYPT_COST_UNSAFE")
		r := runUserCmd(t, env, "mango\n", "add", "apple")
		if r.code != 2 || !strings.Contains(r.stderr, "BCRYPT_COST: 4 is too cheap") || r.stdout != "" {
			t.Fatalf("got exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if entries, _ := os.ReadDir(env["DATA_DIR"]); len(entries) != 0 {
			t.Fatalf("a configuration error touched DATA_DIR: %v", entries)
		}
	})
	t.Run("ErrDatabaseURLKeepsPassword", func(t *testing.T) {
		t.Parallel()
		env := bareUserEnv(t)
		env["DATABASE_URL"] = "postgres://tessera:s3cr%zzet@db.invalid/tessera"
		r := runUserCmd(t, env, "", "list")
		if r.code != 2 || !strings.Contains(r.stderr, "DATABASE_URL") || strings.Contains(r.stderr, "s3cr") {
			t.Fatalf("got exit %d, stderr %q; want exit 2 naming DATABASE_URL without its password", r.code, r.stderr)
		}
	})
	t.Run("ErrDatabaseDown", func(t *testing.T) {
		t.Parallel()
		env := bareUserEnv(t)
		env["DATABASE_URL"] = "postgres://tessera:s3cret@127.0.0.1:1/tessera?sslmode=disable"
		r := runUserCmd(t, env, "", "list")
		if r.code != 1 || !strings.HasPrefix(r.stderr, "tessera user list: open store: ") || strings.Contains(r.stderr, "s3cret") || r.stdout != "" {
			t.Fatalf("got exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
}

// TestUserNewDatabase: only add creates a SQLite file that is missing, and
// says so; the other commands refuse to run on a DATA_DIR without one.
func TestUserNewDatabase(t *testing.T) {
	t.Parallel()
	t.Run("OKAddCreates", func(t *testing.T) {
		t.Parallel()
		env := bareUserEnv(t)
		path := filepath.Join(env["DATA_DIR"], "tessera.db")
		r := runUserCmd(t, env, "mango\n", "add", "apple")
		if r.code != 0 || r.stderr != "tessera user add: created a new database at "+path+"\n" || !strings.Contains(r.stdout, `created user "apple"`) {
			t.Fatalf("got exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		mustUserCmd(t, env, "papaya\n", "add", "banana") // no note the second time
		mustUserNamed(t, openUserStore(t, env), "apple")
	})
	for _, tt := range []struct {
		test string
		args []string
	}{
		{"ErrList", []string{"list"}},
		{"ErrListJSON", []string{"list", "--json"}},
		{"ErrDelete", []string{"delete", "apple"}},
		{"ErrSetPassword", []string{"set-password", "apple"}},
	} {
		t.Run(tt.test, func(t *testing.T) {
			t.Parallel()
			env := bareUserEnv(t)
			wantRefusal(t, runUserCmd(t, env, "mango\n", tt.args...), "there is no database at "+filepath.Join(env["DATA_DIR"], "tessera.db"))
			if entries, _ := os.ReadDir(env["DATA_DIR"]); len(entries) != 0 {
				t.Fatalf("DATA_DIR holds %v, want nothing", entries)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ msg, dsn, want string }{
		{`parse "postgres://u:p%zz@h/db": bad`, "postgres://u:p%zz@h/db", `parse "postgres://u:xxxxx@h/db": bad`},
		{`parse "postgres://u:p@ss@h/db": bad`, "postgres://u:p@ss@h/db", `parse "postgres://u:xxxxx@h/db": bad`},
		{"no URL here", "postgres://u:p@h/db", "no URL here"},
		{`"postgres://u@h/db"`, "postgres://u@h/db", `"postgres://u@h/db"`},
		{"sqlite:/x/tessera.db", "sqlite:/x/tessera.db", "sqlite:/x/tessera.db"},
	} {
		if got := redactDSN(tt.msg, tt.dsn); got != tt.want {
			t.Errorf("redactDSN(%q, %q) = %q, want %q", tt.msg, tt.dsn, got, tt.want)
		}
	}
}
