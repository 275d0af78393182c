package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tessera/backend/api"
	"tessera/backend/auth"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/internal/testclock"
	"tessera/shared"
)

// testSecret is the HS256 key of every test server.
var testSecret = []byte("test-secret-0123456789abcdef-0123456789")

// env is a real API handler on a real store of one kind.
type env struct {
	t       testing.TB
	db      *store.DB
	clock   *testclock.Clock
	tokens  *auth.Tokens
	srv     *api.Server
	handler http.Handler
	files   string
	queries *queryCounter // counts the store's queries when switched on
}

// newEnv builds the whole API on a fresh database of kind, with bcrypt at
// its minimum cost and a files folder in a temp dir.
func newEnv(t testing.TB, kind store.Kind) *env {
	t.Helper()
	return newEnvOn(t, storetest.DSN(t, kind), testclock.New())
}

// newEnvOn builds the whole API, one server, on the database of dsn with
// the clock c: several on one dsn are several servers on one database.
func newEnvOn(t testing.TB, dsn string, c *testclock.Clock) *env {
	t.Helper()
	db := storetest.OpenDSN(t, dsn)
	db.Now = c.Now
	queries := &queryCounter{}
	db.AddQueryHook(queries) // before anything else uses db
	// As the server runs: with the cache, which every test below then
	// checks is exact.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := db.EnableCache(ctx, 1000, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(testSecret, 15*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tokens.Now = c.Now
	hasher := mustHasher(t, 4)
	dir := t.TempDir()
	filesDir := filepath.Join(dir, "files")
	if err := os.Mkdir(filesDir, 0o700); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(filesDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	srv := &api.Server{
		Store:       db,
		Tokens:      tokens,
		Passwords:   hasher,
		Files:       root,
		CORSOrigins: []string{"*"},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version:     "test",

		Rotation:      true,
		ReuseGrace:    10 * time.Second,
		SessionMaxAge: 30 * 24 * time.Hour,
		RefreshTTL:    24 * time.Hour,
		Now:           c.Now,
		LegacyTokens:  true,
		Unavailable:   store.IsUnavailable,
	}
	return &env{t: t, db: db, clock: c, tokens: tokens, srv: srv, handler: srv.Handler(), files: filesDir, queries: queries}
}

// forEachDB runs fn on a new env of each database (storetest.ForEach).
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) { fn(t, newEnv(t, kind)) })
}

// req is one request of a scenario.
type req struct {
	method string
	path   string
	body   string
	header map[string]string
	remote string // the client's address, IP:port; httptest's default when empty
}

// do sends r through the real handler and checks the answer against the
// OpenAPI document (checkAnswer).
func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
			continue
		}
		hr.Header.Set(k, v)
	}
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, hr)
	checkAnswer(e.t, hr, w)
	return w
}

// with returns e with its server changed by change and a handler of its
// own (same store, clock and files).
func (e *env) with(change func(s *api.Server)) *env {
	srv := *e.srv
	change(&srv)
	e2 := *e
	e2.srv, e2.handler = &srv, srv.Handler()
	return &e2
}

func creds(user, pass string) string {
	b, _ := json.Marshal(shared.Credentials{Username: user, Password: pass})
	return string(b)
}

// envelope wraps a JSON body as the seed's clients send it.
func envelope(inner string) string {
	b, _ := json.Marshal(map[string]string{"body": inner})
	return string(b)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// register creates a user and fails the test if it cannot.
func (e *env) register(user, pass string) {
	e.t.Helper()
	if w := e.do(req{method: "POST", path: "/api/register", body: creds(user, pass)}); w.Code != 200 {
		e.t.Fatalf("register %q: %d %s", user, w.Code, w.Body)
	}
}

// login signs user in and returns the pair.
func (e *env) login(user, pass string) shared.TokenPair {
	e.t.Helper()
	w := e.do(req{method: "POST", path: "/api/login", body: creds(user, pass)})
	if w.Code != 200 {
		e.t.Fatalf("login %q: %d %s", user, w.Code, w.Body)
	}
	var p shared.TokenPair
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.AccessToken == "" || p.RefreshToken == "" {
		e.t.Fatalf("login body %s: %v", w.Body, err)
	}
	return p
}

// checkJSON fails unless w has status and a JSON body equal to want (a JSON
// text), or, for errors, the msg want.
func checkJSON(t testing.TB, w *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	if got := w.Code; got != status {
		t.Fatalf("status = %d, want %d (body %s)", got, status, w.Body)
	}
	if got, want := w.Header().Get("Content-Type"), "application/json"; got != want {
		t.Fatalf("Content-Type = %q, want %q", got, want)
	}
	if want == "" {
		return
	}
	var got, exp any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", w.Body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	gb, _ := json.Marshal(got)
	eb, _ := json.Marshal(exp)
	if !bytes.Equal(gb, eb) {
		t.Fatalf("body = %s, want %s", gb, eb)
	}
}

// checkMsg fails unless w is a JSON error with status, msg and code.
func checkMsg(t testing.TB, w *httptest.ResponseRecorder, status int, msg, code string) {
	t.Helper()
	b, _ := json.Marshal(shared.ErrorBody{Msg: msg, Code: code})
	checkJSON(t, w, status, string(b))
	if status == http.StatusUnauthorized {
		if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Fatalf("WWW-Authenticate = %q, want Bearer ...", got)
		}
	}
}

// restrictOrigins returns e's handler with a CORS allow-list.
func restrictOrigins(t testing.TB, e *env, origins ...string) http.Handler {
	t.Helper()
	return e.with(func(s *api.Server) { s.CORSOrigins = origins }).handler
}

func mustHasher(tb testing.TB, cost int) *auth.Hasher {
	tb.Helper()
	h, err := auth.NewHasher(cost)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// race sends n requests made by newReq (given the server's URL) all at once
// through a real listener, and counts the answers by status.
func (e *env) race(t *testing.T, n int, newReq func(url string) *http.Request) map[int]int {
	t.Helper()
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	start := make(chan struct{})
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newReq(srv.URL)
			<-start
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	return count
}
