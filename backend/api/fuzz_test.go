package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"tessera/backend/store"
)

// FuzzAPI sends arbitrary bodies, Authorization headers and paths: the API
// must answer every one with JSON and never with a 5xx. The seeds run as a
// plain test; `go test -fuzz FuzzAPI ./backend/api` explores further.
func FuzzAPI(f *testing.F) {
	e := newEnv(f, store.SQLite)
	e.register("apple", "mango")
	tok := e.login("apple", "mango").AccessToken
	for _, seed := range []struct{ method, path, auth, body string }{
		{"POST", "/api/register", "", creds("alice", "secret")},
		{"POST", "/api/login", "", envelope(creds("apple", "mango"))},
		{"POST", "/api/login", "", `{"body":"{\"body\":\"{}\"}"}`},
		{"POST", "/api/register", "", "{\"username\":\"\\u0000\",\"password\":\"\\ud800\\udc00xx\"}"},
		{"GET", "/api/user-data", "Bearer " + tok, ""},
		{"GET", "/api/user-data", "Bearer " + tok[:len(tok)/2], ""},
		{"POST", "/api/refresh", "Bearer a.b.c", ""},
		{"DELETE", "/api/logout?scope=others", "Bearer " + tok, ""},
		{"GET", "/api/files/../../etc/passwd", "Bearer " + tok, ""},
		{"DELETE", "/api/sessions/%00", "Bearer " + tok, ""},
		{"POST", "/api/password", "Bearer " + tok, `{"current_password":1,"new_password":[]}`},
	} {
		f.Add(seed.method, seed.path, seed.auth, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, auth, body string) {
		switch method {
		case "GET", "POST", "DELETE", "HEAD", "OPTIONS", "PUT":
		default:
			method = "POST"
		}
		if !strings.HasPrefix(path, "/api/") {
			path = "/api/" + path
		}
		r := httptest.NewRequest("GET", "/", strings.NewReader(body))
		u, err := r.URL.Parse(path)
		if err != nil || u.Path == "" || u.Host != "" || u.Scheme != "" {
			return
		}
		r.Method, r.URL, r.RequestURI = method, u, path
		r.Header.Set("Content-Type", "application/json")
		if auth != "" && !strings.ContainsAny(auth, "\r\n\x00") {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q (auth %q, body %q) = %d %s", method, path, auth, body, w.Code, w.Body)
		}
		if method != "HEAD" && method != "OPTIONS" && w.Code != 206 && w.Code != 200 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s %q = %d with Content-Type %q", method, path, w.Code, w.Header().Get("Content-Type"))
		}
	})
}
