package api_test

import (
	"encoding/json"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"tessera/backend/api"
	"tessera/backend/store"
	"tessera/internal/testlog"
)

// logLines parses the JSON lines of logs.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestLogsHoldNoToken: tokens (in ?jwt=, in the Authorization header, in
// a body), passwords and query strings never reach a log line, while the
// request itself is logged.
func TestLogsHoldNoToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	var logs testlog.Buffer
	e = e.with(func(s *api.Server) {
		s.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.register("apple", "mango-secret-pw")
	pair := e.login("apple", "mango-secret-pw")
	tok := pair.AccessToken
	for _, path := range []string{
		"/api/user-data?jwt=" + tok,
		"/api/files/missing.png?jwt=" + tok,
		"/api/nope?jwt=" + tok,
		"/api/user-data?jwt=" + tok[:len(tok)-3] + "xyz",
		"/api/healthz?q=hush-query",
		"/?page=hush-app",
	} {
		e.do(req{method: "GET", path: path})
	}
	e.do(req{method: "GET", path: "/api/user-data", header: bearer(tok + "x")})
	e.do(req{method: "POST", path: "/api/refresh", header: bearer(pair.RefreshToken)})
	e.do(req{method: "POST", path: "/api/refresh", body: `{"refresh_token":"` + pair.RefreshToken + `"}`})
	e.do(req{method: "POST", path: "/api/login", body: creds("apple", "wrong-secret-pw")})
	e.do(req{method: "DELETE", path: "/api/logout", header: bearer(tok)})
	out := logs.String()
	if !strings.Contains(out, `"path":"/api/user-data"`) {
		t.Fatalf("requests were not logged:\n%s", out)
	}
	sig := func(t string) string { return t[strings.LastIndex(t, ".")+1:] }
	for _, secret := range []string{tok, sig(tok), pair.RefreshToken, sig(pair.RefreshToken), "jwt=", "hush", "mango-secret-pw", "wrong-secret-pw", "?"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log holds %q:\n%s", secret, out)
		}
	}
}

// TestRequestLog: one line per request with its route pattern, status,
// duration and request id, the id also sent back as X-Request-Id; lines
// logged while serving the request name its id too.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	var logs testlog.Buffer
	e = e.with(func(s *api.Server) {
		s.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	e.register("apple", "mango")
	tok := e.login("apple", "mango").AccessToken
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)

	w := e.do(req{method: "GET", path: "/api/files/a/b.png", header: bearer(tok)})
	id := w.Header().Get("X-Request-Id")
	if !hexID.MatchString(id) {
		t.Fatalf("X-Request-Id = %q, want 32 hex digits", id)
	}
	if id2 := e.do(req{method: "GET", path: "/api/healthz"}).Header().Get("X-Request-Id"); id2 == id || !hexID.MatchString(id2) {
		t.Fatalf("second X-Request-Id = %q (first %q)", id2, id)
	}
	// A proxy's id is kept from a trusted proxy only, and only when it is
	// a plain token.
	for _, c := range []struct {
		remote, id string
		kept       bool
	}{
		{"10.1.2.3:5000", "edge-4f1c.77:a_b", true},
		{"192.0.2.1:5000", "edge-4f1c.77:a_b", false},
		{"10.1.2.3:5000", "bad id\nwith newline", false},
		{"10.1.2.3:5000", strings.Repeat("x", 129), false},
	} {
		got := e.do(req{method: "GET", path: "/api/healthz", remote: c.remote, header: map[string]string{"X-Request-Id": c.id}}).Header().Get("X-Request-Id")
		if (got == c.id) != c.kept || (!c.kept && !hexID.MatchString(got)) {
			t.Errorf("from %s with X-Request-Id %q: answered %q, want it kept: %v", c.remote, c.id, got, c.kept)
		}
	}
	e.do(req{method: "GET", path: "/api/nope"})
	e.do(req{method: "GET", path: "/somewhere"})
	e.do(req{method: "OPTIONS", path: "/api/register", header: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}})
	e.do(req{method: "GET", path: "/api//user-data"})

	var file map[string]any
	routes := map[string]string{} // of the paths asked once
	preflights := 0
	for _, l := range logLines(t, logs.String()) {
		if l["msg"] != "request" {
			continue
		}
		routes[l["path"].(string)] = l["route"].(string)
		if l["method"] == "OPTIONS" && l["route"] == api.RoutePreflight {
			preflights++
		}
		if l["request_id"] == id {
			file = l
		}
		for _, k := range []string{"method", "route", "path", "status", "bytes", "duration", "remote", "request_id"} {
			if _, ok := l[k]; !ok {
				t.Errorf("request line without %q: %v", k, l)
			}
		}
	}
	if file == nil {
		t.Fatalf("no request line with request_id %s:\n%s", id, logs.String())
	}
	if file["route"] != "GET /api/files/{path...}" || file["path"] != "/api/files/a/b.png" || file["status"] != float64(404) {
		t.Errorf("request line = %v", file)
	}
	if preflights != 1 {
		t.Errorf("%d preflights logged as %q, want 1", preflights, api.RoutePreflight)
	}
	for path, want := range map[string]string{"/api/login": "POST /api/login", "/api/nope": api.RouteUnmatched, "/api//user-data": api.RouteUnmatched, "/somewhere": api.RouteApp} {
		if routes[path] != want {
			t.Errorf("route of %s = %q, want %q", path, routes[path], want)
		}
	}
}

// TestHandlerLogsNameTheRequest: a line a handler logs while it serves a
// request carries that request's id.
func TestHandlerLogsNameTheRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	var logs testlog.Buffer
	e = e.with(func(s *api.Server) { s.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	e.register("apple", "mango")
	rt := e.login("apple", "mango").RefreshToken
	e.do(req{method: "POST", path: "/api/refresh", header: bearer(rt)})
	e.clock.Advance(time.Minute) // past the grace: the next use is a reuse
	w := e.do(req{method: "POST", path: "/api/refresh", header: bearer(rt)})
	id := w.Header().Get("X-Request-Id")
	var warned bool
	for _, l := range logLines(t, logs.String()) {
		if strings.Contains(l["msg"].(string), "presented again") {
			warned = true
			if l["request_id"] != id {
				t.Errorf("reuse warning has request_id %v, want %s", l["request_id"], id)
			}
		}
	}
	if !warned {
		t.Fatalf("no reuse warning logged:\n%s", logs.String())
	}
}
