package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/api"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/internal/testclock"
	"tessera/shared"
)

// countingHandler counts the request log lines per path: what the server saw.
type countingHandler struct {
	slog.Handler
	mu    sync.Mutex
	paths map[string]int
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "path" {
				h.mu.Lock()
				h.paths[a.Value.String()]++
				h.mu.Unlock()
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, r)
}

func (h *countingHandler) count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.paths[path]
}

// testServer is a running Main.
type testServer struct {
	*Main
	clock *testclock.Clock
	log   *countingHandler
	url   string
}

// mustRunMain starts the whole server on 127.0.0.1:0 with a temp DATA_DIR
// and the database kind, and stops it when t ends.
func mustRunMain(t *testing.T, kind store.Kind, env map[string]string) *testServer {
	t.Helper()
	vars := map[string]string{
		"ADDR":        "127.0.0.1:0",
		"DATA_DIR":    t.TempDir(),
		"BCRYPT_COST": "4",

		"BCRYPT_COST_UNSAFE": "1",
	}
	if kind == store.Postgres {
		vars["DATABASE_URL"] = storetest.DSN(t, kind)
	}
	maps.Copy(vars, env)
	log := &countingHandler{Handler: slog.NewTextHandler(io.Discard, nil), paths: map[string]int{}}
	clock := testclock.New()
	m := runMain(t, vars, log, clock.Now)
	return &testServer{Main: m, clock: clock, log: log, url: "http://" + m.Addr()}
}

// runMain runs a Main configured by vars, logging to h, on the clock now
// (nil: the real one), and closes it when t ends.
func runMain(t *testing.T, vars map[string]string, h slog.Handler, now func() time.Time) *Main {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Logger: slog.New(h), Now: now}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A connection the test's clients opened but never used would hold
		// Shutdown for 5 s: it waits that long for a first request.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	t.Run("OKDefaults", func(t *testing.T) {
		c, err := LoadConfig(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "localhost:8080" || c.DataDir != "./data" || c.DatabaseURL != "sqlite:data/tessera.db" ||
			c.AccessTTL != 15*time.Minute || c.RefreshTTL != 24*time.Hour || c.FilesDir != "data/files" ||
			len(c.CORSOrigins) != 1 || c.CORSOrigins[0] != "*" || c.BcryptCost != 10 || c.JWTSecret != "" {
			t.Fatalf("defaults = %+v", c)
		}
	})
	for _, tt := range []struct {
		name, key, value, want string
	}{
		{"ErrShortSecret", "JWT_SECRET", "secret", "JWT_SECRET is 6 bytes; it must be at least 32 bytes"},
		{"ErrBadTTL", "ACCESS_TOKEN_TTL", "15", "ACCESS_TOKEN_TTL"},
		{"ErrNegativeTTL", "REFRESH_TOKEN_TTL", "-1h", "REFRESH_TOKEN_TTL"},
		{"ErrBadCost", "BCRYPT_COST", "3", "BCRYPT_COST"},
		{"ErrCostNotNumber", "BCRYPT_COST", "ten", "BCRYPT_COST"},
		{"ErrBadDatabaseURL", "DATABASE_URL", "mysql://x", "DATABASE_URL"},
		{"ErrBadOrigin", "CORS_ORIGINS", "example.com", "CORS_ORIGINS"},
		{"ErrDataDirQuery", "DATA_DIR", "/tmp/d?x", "DATA_DIR"},
		{"ErrRotation", "REFRESH_ROTATION", "yes", "REFRESH_ROTATION"},
		{"ErrGrace", "REFRESH_REUSE_GRACE", "soon", "REFRESH_REUSE_GRACE"},
		{"ErrMaxAge", "SESSION_MAX_AGE", "1s", "SESSION_MAX_AGE"},
		{"ErrCheapCost", "BCRYPT_COST", "9", "BCRYPT_COST_UNSAFE"},
		{"ErrGraceTooLong", "REFRESH_REUSE_GRACE", "61s", "REFRESH_REUSE_GRACE"},
		{"ErrLogFormat", "LOG_FORMAT", "xml", "LOG_FORMAT"},
		{"ErrLogLevel", "LOG_LEVEL", "loud", "LOG_LEVEL"},
		{"ErrMetricsAddr", "METRICS_ADDR", "9464", "METRICS_ADDR"},
		{"ErrMetricsPort", "METRICS_ADDR", "127.0.0.1:metrics", "METRICS_ADDR"},
		{"ErrMetricsNoPort", "METRICS_ADDR", "127.0.0.1:", "METRICS_ADDR"},
		{"ErrMetricsOnPublicAddr", "METRICS_ADDR", "localhost:8080", "listener of their own"},
		{"ErrRateLimit", "RATE_LIMIT", "maybe", "RATE_LIMIT"},
		{"ErrRate", "LOGIN_RATE", "10", "LOGIN_RATE"},
		{"ErrRateZero", "REGISTER_RATE", "0/1m", "REGISTER_RATE"},
		{"ErrBudget", "LOGIN_ACCOUNT_BUDGET", "100/forever", "LOGIN_ACCOUNT_BUDGET"},
		{"ErrFreeFailures", "LOGIN_FREE_FAILURES", "-1", "LOGIN_FREE_FAILURES"},
		{"ErrBackoff", "LOGIN_BACKOFF_MAX", "0s", "LOGIN_BACKOFF_MAX"},
		{"ErrProxies", "TRUSTED_PROXIES", "10.0.0.0/8, proxy.local", "TRUSTED_PROXIES"},
		{"ErrRegistration", "REGISTRATION", "invite", "REGISTRATION"},
		{"ErrLegacy", "LEGACY_TOKENS", "yes", "LEGACY_TOKENS"},
		{"ErrPublicURL", "PUBLIC_URL", "auth.example.com", "PUBLIC_URL"},
		{"ErrSessionsPerUser", "SESSIONS_PER_USER", "many", "SESSIONS_PER_USER"},
		{"ErrDatabasePasswordHidden", "DATABASE_URL", "postgres://u:hunter2-secret@db:port/x", "DATABASE_URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(func(k string) string {
				if k == tt.key {
					return tt.value
				}
				return ""
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("ErrDatabasePasswordNeverShown", func(t *testing.T) {
		_, err := LoadConfig(func(k string) string {
			if k == "DATABASE_URL" {
				return "postgres://u:hunter2-secret@db:port/x"
			}
			return ""
		})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("err = %v, want one without the password", err)
		}
	})
	t.Run("OKSafetyDefaults", func(t *testing.T) {
		c, err := LoadConfig(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		// The defaults the README and tessera -h document.
		documented := api.Limits{
			LoginFreeFailures: 5,
			LoginBackoffMax:   15 * time.Minute,
			AccountBudget:     backend.Rate{N: 100, Per: time.Hour},
			LoginRate:         backend.Rate{N: 60, Per: time.Minute},
			RegisterRate:      backend.Rate{N: 20, Per: 10 * time.Minute},
			PasswordRate:      backend.Rate{N: 10, Per: 10 * time.Minute},
		}
		if c.Limits != documented || !c.Registration || c.LegacyTokens || c.SessionsPerUser != 100 || c.PublicURL != nil || len(c.TrustedProxies) != 0 {
			t.Fatalf("defaults = %+v", c)
		}
		c, err = LoadConfig(func(k string) string {
			return map[string]string{"JWT_SECRET": strings.Repeat("k", 32), "RATE_LIMIT": "off", "REGISTRATION": "closed",
				"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1", "PUBLIC_URL": "https://auth.example.com/", "LOGIN_RATE": "5/1s",
				"BCRYPT_COST": "4", "BCRYPT_COST_UNSAFE": "1"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		if c.Limits != (api.Limits{}) || c.Registration || !c.LegacyTokens || c.PublicURL.String() != "https://auth.example.com" ||
			len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.168.1.1/32" || c.BcryptCost != 4 {
			t.Fatalf("config = %+v", c)
		}
	})
	t.Run("ErrFilesDirHoldsDataDir", func(t *testing.T) {
		data := t.TempDir()
		for _, files := range []string{data, filepath.Dir(data), data + "/", filepath.Join(data, "..")} {
			_, err := LoadConfig(func(k string) string { return map[string]string{"DATA_DIR": data, "FILES_DIR": files}[k] })
			if err == nil || !strings.Contains(err.Error(), "FILES_DIR") {
				t.Errorf("FILES_DIR=%s DATA_DIR=%s: err = %v, want a FILES_DIR error", files, data, err)
			}
		}
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(data, link); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(func(k string) string { return map[string]string{"DATA_DIR": data, "FILES_DIR": link}[k] }); err == nil {
			t.Errorf("FILES_DIR a symlink to DATA_DIR was accepted")
		}
		db := filepath.Join(t.TempDir(), "files")
		if _, err := LoadConfig(func(k string) string {
			return map[string]string{"DATA_DIR": data, "FILES_DIR": db, "DATABASE_URL": "sqlite:" + db + "/x.db"}[k]
		}); err == nil {
			t.Errorf("the SQLite file inside FILES_DIR was accepted")
		}
	})
	t.Run("OKFilesDirBeside", func(t *testing.T) {
		data := t.TempDir()
		for _, files := range []string{filepath.Join(data, "files"), filepath.Join(data, "shared"), t.TempDir()} {
			if _, err := LoadConfig(func(k string) string { return map[string]string{"DATA_DIR": data, "FILES_DIR": files}[k] }); err != nil {
				t.Errorf("FILES_DIR=%s: %v", files, err)
			}
		}
	})
	t.Run("OKHelpListsEveryVariable", func(t *testing.T) {
		for _, v := range []string{"ADDR", "DATA_DIR", "DATABASE_URL", "JWT_SECRET", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "FILES_DIR", "CORS_ORIGINS", "BCRYPT_COST",
			"BCRYPT_COST_UNSAFE", "REFRESH_ROTATION", "REFRESH_REUSE_GRACE", "SESSION_MAX_AGE", "SESSIONS_PER_USER", "LEGACY_TOKENS", "REGISTRATION", "PUBLIC_URL",
			"TRUSTED_PROXIES", "RATE_LIMIT", "LOGIN_FREE_FAILURES", "LOGIN_BACKOFF_MAX", "LOGIN_ACCOUNT_BUDGET", "LOGIN_RATE", "REGISTER_RATE", "PASSWORD_RATE"} {
			if !strings.Contains(configHelp, v) {
				t.Errorf("tessera -h does not list %s", v)
			}
		}
	})
}

func TestSecret(t *testing.T) {
	t.Parallel()
	t.Run("OKGeneratedKeptPrivate", func(t *testing.T) {
		dir := t.TempDir()
		c := Config{DataDir: dir}
		a, err := loadSecret(c, randRead)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) < 32 {
			t.Fatalf("secret is %d bytes", len(a))
		}
		info, err := os.Stat(filepath.Join(dir, "jwt-secret"))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Fatalf("mode = %o, want 600", got)
		}
		b, err := loadSecret(c, randRead)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second load = %q, %v; want the first secret", b, err)
		}
	})
	t.Run("OKConcurrentFirstStarts", func(t *testing.T) {
		// Servers starting together on one DATA_DIR agree on one secret.
		c := Config{DataDir: t.TempDir()}
		secrets := make([][]byte, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range secrets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				secrets[i], errs[i] = loadSecret(c, randRead)
			}()
		}
		wg.Wait()
		for i := range secrets {
			if errs[i] != nil || !bytes.Equal(secrets[i], secrets[0]) {
				t.Fatalf("start %d: %q, %v; want %q", i, secrets[i], errs[i], secrets[0])
			}
		}
		entries, _ := os.ReadDir(c.DataDir)
		if len(entries) != 1 {
			t.Fatalf("DATA_DIR holds %d files, want only jwt-secret", len(entries))
		}
	})
	t.Run("ErrShortSecretFile", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "jwt-secret"), []byte("short\n"), 0o600)
		if _, err := loadSecret(Config{DataDir: dir}, randRead); err == nil {
			t.Fatal("a 5-byte secret file was accepted")
		}
	})
	t.Run("ErrOpenToOthers", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "jwt-secret")
		os.WriteFile(path, []byte(strings.Repeat("k", 64)+"\n"), 0o600)
		for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o666} {
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := loadSecret(Config{DataDir: dir}, randRead)
			if err == nil || !strings.Contains(err.Error(), "chmod 600") {
				t.Fatalf("mode %o: err = %v, want one saying chmod 600", mode, err)
			}
		}
		os.Chmod(path, 0o400)
		if _, err := loadSecret(Config{DataDir: dir}, randRead); err != nil {
			t.Fatalf("mode 400: %v", err)
		}
	})
	t.Run("OKEnvironmentWins", func(t *testing.T) {
		s, err := loadSecret(Config{DataDir: t.TempDir(), JWTSecret: strings.Repeat("k", 32)}, randRead)
		if err != nil || string(s) != strings.Repeat("k", 32) {
			t.Fatalf("secret = %q, %v", s, err)
		}
	})
}

// TestTokensSurviveRestart: a token issued before a restart is valid after
// it, because the generated secret is kept in DATA_DIR.
func TestTokensSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s1 := mustRunMain(t, store.SQLite, map[string]string{"DATA_DIR": dir})
	ctx := context.Background()
	c := shared.NewClient(s1.url, nil)
	if err := c.Register(ctx, shared.Credentials{Username: "apple", Password: "mango"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, shared.Credentials{Username: "apple", Password: "mango"}); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustRunMain(t, store.SQLite, map[string]string{"DATA_DIR": dir})
	c2 := shared.NewClient(s2.url, c.Store())
	if got, err := c2.UserData(ctx); err != nil || got.User != "apple" {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
}

// TestClient drives the real server through the typed client.
func TestClient(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		ctx := context.Background()
		cr := shared.Credentials{Username: "apple", Password: "mango"}

		t.Run("OKWholeSession", func(t *testing.T) {
			s := mustRunMain(t, kind, nil)
			c := shared.NewClient(s.url, shared.NewMemoryTokenStore())
			if err := c.Register(ctx, cr); err != nil {
				t.Fatal(err)
			}
			var apiErr *shared.Error
			if err := c.Register(ctx, cr); !errors.As(err, &apiErr) || apiErr.Status != 409 || apiErr.Msg != "The username is already in use" {
				t.Fatalf("second register = %v", err)
			}
			if _, err := c.Login(ctx, shared.Credentials{Username: "apple", Password: "wrong"}); !errors.As(err, &apiErr) || apiErr.Status != 401 {
				t.Fatalf("bad login = %v", err)
			}
			if _, err := c.Login(ctx, cr); err != nil {
				t.Fatal(err)
			}
			v2, err := c.UserDataV2(ctx)
			if err != nil || v2.Username != "apple" || v2.ID <= 0 {
				t.Fatalf("user-data-v2 = %+v, %v", v2, err)
			}
			old := c.Store().Load()
			if err := c.Logout(ctx); err != nil {
				t.Fatal(err)
			}
			if c.SignedIn() {
				t.Fatal("still signed in after logout")
			}
			// Both tokens were revoked on the server.
			for _, tok := range []string{old.AccessToken, old.RefreshToken} {
				st := shared.NewMemoryTokenStore()
				st.Save(shared.TokenPair{AccessToken: tok, RefreshToken: tok})
				_, err := shared.NewClient(s.url, st).Refresh(ctx)
				if !errors.Is(err, shared.ErrSignedOut) {
					t.Fatalf("refresh with a logged-out token = %v, want ErrSignedOut", err)
				}
			}
			if _, err := c.UserData(ctx); !errors.Is(err, shared.ErrSignedOut) {
				t.Fatalf("call after logout = %v, want ErrSignedOut", err)
			}
		})

		t.Run("OKFiftyCallsShareOneRefresh", func(t *testing.T) {
			s := mustRunMain(t, kind, nil)
			var renewed atomic.Int32
			c := shared.NewClient(s.url, nil, shared.WithOnRefresh(func(shared.TokenPair) { renewed.Add(1) }))
			if err := c.Register(ctx, cr); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Login(ctx, cr); err != nil {
				t.Fatal(err)
			}
			s.clock.Advance(16 * time.Minute) // past the access TTL
			const n = 50
			var wg sync.WaitGroup
			errs := make(chan error, n)
			start := make(chan struct{})
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					got, err := c.UserData(ctx)
					if err == nil && got.User != "apple" {
						err = errors.New("wrong user " + got.User)
					}
					errs <- err
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := s.log.count("/api/refresh"); got != 1 {
				t.Fatalf("server saw %d refreshes, want 1", got)
			}
			if got := renewed.Load(); got != 1 {
				t.Fatalf("OnRefresh ran %d times, want 1", got)
			}
			// Each call was sent at most twice: 50 first tries, at most 50 retries.
			if got := s.log.count("/api/user-data"); got > 2*n || got < n+1 {
				t.Fatalf("server saw %d user-data calls for %d callers", got, n)
			}
		})

		t.Run("OKLogoutWithExpiredAccessToken", func(t *testing.T) {
			s := mustRunMain(t, kind, nil)
			c := shared.NewClient(s.url, nil)
			if err := c.Register(ctx, cr); err != nil {
				t.Fatal(err)
			}
			pair, err := c.Login(ctx, cr)
			if err != nil {
				t.Fatal(err)
			}
			s.clock.Advance(16 * time.Minute) // the access token has expired
			if err := c.Logout(ctx); err != nil {
				t.Fatal(err)
			}
			st := shared.NewMemoryTokenStore()
			st.Save(shared.TokenPair{RefreshToken: pair.RefreshToken})
			if _, err := shared.NewClient(s.url, st).Refresh(ctx); !errors.Is(err, shared.ErrSignedOut) {
				t.Fatalf("the session outlived sign-out: refresh = %v", err)
			}
		})

		t.Run("OKTabsShareOneStore", func(t *testing.T) {
			// Two clients over one store and one shared lock, as two browser
			// tabs over one localStorage and the Web Locks API: after the
			// access token expires, both keep working with one refresh and
			// no refresh token is ever presented twice.
			s := mustRunMain(t, kind, map[string]string{"REFRESH_REUSE_GRACE": "0s"})
			st := shared.NewMemoryTokenStore()
			var mu sync.Mutex
			lock := shared.WithSharedLock(func(ctx context.Context, fn func()) error {
				mu.Lock()
				defer mu.Unlock()
				fn()
				return nil
			})
			tab1, tab2 := shared.NewClient(s.url, st, lock), shared.NewClient(s.url, st, lock)
			if err := tab1.Register(ctx, cr); err != nil {
				t.Fatal(err)
			}
			if _, err := tab1.Login(ctx, cr); err != nil {
				t.Fatal(err)
			}
			for round := 1; round <= 3; round++ {
				s.clock.Advance(16 * time.Minute)
				var wg sync.WaitGroup
				errs := make(chan error, 20)
				for i := range 20 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c := tab1
						if i%2 == 1 {
							c = tab2
						}
						_, err := c.UserData(ctx)
						errs <- err
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				if got := s.log.count("/api/refresh"); got != round {
					t.Fatalf("round %d: server saw %d refreshes, want %d", round, got, round)
				}
			}
			list, err := tab2.Sessions(ctx)
			if err != nil || len(list.Sessions) != 1 || !list.Sessions[0].Current {
				t.Fatalf("sessions = %+v, %v; want the one live session", list, err)
			}
		})

		t.Run("OKSessionsAndPassword", func(t *testing.T) {
			s := mustRunMain(t, kind, nil)
			laptop, phone := shared.NewClient(s.url, nil), shared.NewClient(s.url, nil)
			if err := laptop.Register(ctx, cr); err != nil {
				t.Fatal(err)
			}
			for _, c := range []*shared.Client{laptop, phone} {
				if _, err := c.Login(ctx, cr); err != nil {
					t.Fatal(err)
				}
			}
			// Rotation: the client keeps the new refresh token.
			before := laptop.Store().Load()
			after, err := laptop.Refresh(ctx)
			if err != nil || after.RefreshToken == before.RefreshToken || laptop.Store().Load() != after {
				t.Fatalf("refresh = %+v, %v; want a rotated refresh token, stored", after, err)
			}
			list, err := laptop.Sessions(ctx)
			if err != nil || len(list.Sessions) != 2 {
				t.Fatalf("sessions = %+v, %v", list, err)
			}
			if err := laptop.LogoutOthers(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := phone.UserData(ctx); err == nil {
				t.Fatal("the phone's session outlived logout scope=others")
			}
			if _, err := laptop.UserData(ctx); err != nil {
				t.Fatalf("the laptop lost its own session: %v", err)
			}
			if _, err := phone.Login(ctx, cr); err != nil {
				t.Fatal(err)
			}
			var apiErr *shared.Error
			if err := laptop.ChangePassword(ctx, "wrong", "papaya"); !errors.As(err, &apiErr) || apiErr.Status != 401 {
				t.Fatalf("wrong current password = %v", err)
			}
			old := laptop.Store().Load()
			if err := laptop.ChangePassword(ctx, "mango", "papaya"); err != nil {
				t.Fatal(err)
			}
			if laptop.Store().Load() == old {
				t.Fatal("the client kept the old pair after the password change")
			}
			// A copy of the laptop's old pair is signed out too.
			stolen := shared.NewMemoryTokenStore()
			stolen.Save(old)
			if _, err := shared.NewClient(s.url, stolen).UserData(ctx); !shared.SessionOver(err) {
				t.Fatalf("the old pair after the password change: %v, want the session over", err)
			}
			if _, err := phone.UserData(ctx); err == nil {
				t.Fatal("the phone's session outlived the password change")
			}
			if _, err := laptop.UserData(ctx); err != nil {
				t.Fatalf("the laptop lost its session to its own password change: %v", err)
			}
			if _, err := phone.Login(ctx, shared.Credentials{Username: "apple", Password: "papaya"}); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ErrRevokedRefreshSignsOut", func(t *testing.T) {
			s := mustRunMain(t, kind, nil)
			c := shared.NewClient(s.url, nil)
			if err := c.Register(ctx, cr); err != nil {
				t.Fatal(err)
			}
			pair, err := c.Login(ctx, cr)
			if err != nil {
				t.Fatal(err)
			}
			// Another program revokes the refresh token.
			other := shared.NewMemoryTokenStore()
			other.Save(shared.TokenPair{RefreshToken: pair.RefreshToken})
			if err := shared.NewClient(s.url, other).Logout(ctx); err != nil {
				t.Fatal(err)
			}
			s.clock.Advance(16 * time.Minute)
			before := s.log.count("/api/user-data")
			_, err = c.UserData(ctx)
			if !errors.Is(err, shared.ErrSignedOut) {
				t.Fatalf("err = %v, want ErrSignedOut", err)
			}
			var apiErr *shared.Error
			if !errors.As(err, &apiErr) || apiErr.Code != shared.CodeTokenRevoked {
				t.Fatalf("err = %v, want the server's token_revoked inside", err)
			}
			if c.SignedIn() || c.Store().Load() != (shared.TokenPair{}) {
				t.Fatalf("store = %+v, want empty", c.Store().Load())
			}
			if got := s.log.count("/api/user-data") - before; got != 1 {
				t.Fatalf("the call was sent %d times, want 1 (no retry after a failed refresh)", got)
			}
		})
	})
}

var randRead = rand.Read
