package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"tessera/backend/store/storetest"
)

// BenchmarkUserData measures the authenticated request path: find the
// token, verify it, check the blocklist, load the user, answer.
// It runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
func BenchmarkUserData(b *testing.B) {
	for _, kind := range storetest.Kinds(b) {
		b.Run(string(kind), func(b *testing.B) {
			e := newEnv(b, kind)
			e.register("apple", "mango")
			tok := e.login("apple", "mango").AccessToken
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", "/api/user-data", nil)
					r.Header.Set("Authorization", "Bearer "+tok)
					w := httptest.NewRecorder()
					e.handler.ServeHTTP(w, r)
					if w.Code != 200 {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}

// BenchmarkRefresh measures a refresh with rotation: the session row is
// locked, the refresh token retired and a new pair signed.
func BenchmarkRefresh(b *testing.B) {
	e := newEnv(b, "sqlite")
	e.register("apple", "mango")
	tok := e.login("apple", "mango").RefreshToken
	b.ReportAllocs()
	for b.Loop() {
		p, w := e.refresh(b, tok)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		tok = p.RefreshToken
	}
}

// BenchmarkLogin measures a sign-in at bcrypt cost 10, the default.
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b, "sqlite")
	e.srv.Passwords = mustHasher(b, 10)
	e.handler = e.srv.Handler()
	e.register("apple", "mango")
	body := creds("apple", "mango")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
