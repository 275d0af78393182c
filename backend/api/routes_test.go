package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tessera/backend/auth"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/shared"
)

// TestProtectedRoutesNeedAToken walks the route table: every route but
// the public ones must answer 401 missing_token to a request without a
// token, so a handler added without its token check fails here.
func TestProtectedRoutesNeedAToken(t *testing.T) {
	t.Parallel()
	public := map[string]bool{
		"POST /api/register":    true,
		"POST /api/login":       true,
		"GET /api/healthz":      true,
		"GET /api/openapi.json": true,
	}
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Store:     storetest.Open(t, store.SQLite),
		Tokens:    tokens,
		Passwords: hasher,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	h := s.Handler()
	fill := strings.NewReplacer("{path...}", "dir/a.txt", "{id}", "some-id")
	seen := map[string]bool{}
	for _, rt := range s.routeTable() {
		seen[rt.pattern] = true
		if public[rt.pattern] {
			continue
		}
		t.Run(rt.pattern, func(t *testing.T) {
			method, path, ok := strings.Cut(rt.pattern, " ")
			if !ok {
				t.Fatalf("pattern %q has no method", rt.pattern)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(method, fill.Replace(path), strings.NewReader(`{}`)))
			if got, want := w.Code, http.StatusUnauthorized; got != want {
				t.Fatalf("%s without a token: status = %d, want %d (body %s)", rt.pattern, got, want, w.Body)
			}
			var body shared.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if got, want := body.Code, shared.CodeMissingToken; got != want {
				t.Fatalf("code = %q, want %q", got, want)
			}
		})
	}
	for p := range public {
		if !seen[p] {
			t.Errorf("public route %q is not in the route table", p)
		}
	}
}
