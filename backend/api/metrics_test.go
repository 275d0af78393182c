package api_test

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/api"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/shared"
)

// recordedMetrics is an api.Metrics that keeps the counts.
type recordedMetrics struct {
	mu                            sync.Mutex
	signIns, refreshes, throttled map[string]int
	requests                      map[string]int // "route status"
}

func newRecordedMetrics() *recordedMetrics {
	return &recordedMetrics{signIns: map[string]int{}, refreshes: map[string]int{}, throttled: map[string]int{}, requests: map[string]int{}}
}

func (m *recordedMetrics) Request(route string, status int, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[route+" "+strconv.Itoa(status)]++
}

func (m *recordedMetrics) SignIn(r string)    { m.add(m.signIns, r) }
func (m *recordedMetrics) Refresh(r string)   { m.add(m.refreshes, r) }
func (m *recordedMetrics) Throttled(l string) { m.add(m.throttled, l) }

func (m *recordedMetrics) add(to map[string]int, key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	to[key]++
}

func (m *recordedMetrics) snapshot() (signIns, refreshes, throttled, requests map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.signIns), maps.Clone(m.refreshes), maps.Clone(m.throttled), maps.Clone(m.requests)
}

// checkCode fails unless w is an error of status with the code.
func checkCode(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var body shared.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != status || body.Code != code {
		t.Fatalf("answer %d %s, want %d with code %q", w.Code, w.Body, status, code)
	}
}

// checkCounts fails unless got holds exactly want.
func checkCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestMetricsResults: each sign-in, refresh and limit outcome is counted
// once under its own name (the journey through the real server, with the
// Prometheus listener, is TestMetrics in the command's package).
func TestMetricsResults(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		e := newEnv(t, kind)
		e.register("apple", "mango")

		t.Run("RenewedStartedRefused", func(t *testing.T) {
			m := newRecordedMetrics()
			off := e.with(func(s *api.Server) { s.Metrics, s.Rotation = m, false })
			p := off.login("apple", "mango")
			checkJSON(t, off.do(req{method: "POST", path: "/api/refresh", header: bearer(p.RefreshToken)}), 200, "")
			on := e.with(func(s *api.Server) { s.Metrics = m })
			// A Flask-JWT-Extended refresh token (no session): exchanged
			// for a session once, refused after.
			flask, _, err := e.tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.RefreshToken})
			if err != nil {
				t.Fatal(err)
			}
			checkJSON(t, on.do(req{method: "POST", path: "/api/refresh", header: bearer(flask)}), 200, "")
			checkJSON(t, on.do(req{method: "POST", path: "/api/refresh", header: bearer(flask)}), 401, "")
			signIns, refreshes, _, requests := m.snapshot()
			checkCounts(t, "sign-ins", signIns, map[string]int{api.SignInOK: 1})
			// The second use of the Flask token is refused by the
			// blocklist before the refresh handler: not a refresh.
			checkCounts(t, "refreshes", refreshes, map[string]int{api.RefreshRenewed: 1, api.RefreshStarted: 1})
			checkCounts(t, "requests", requests, map[string]int{"POST /api/login 200": 1, "POST /api/refresh 200": 2, "POST /api/refresh 401": 1})
		})

		t.Run("Limits", func(t *testing.T) {
			m := newRecordedMetrics()
			once := backend.Rate{N: 1, Per: time.Hour}
			l := e.with(func(s *api.Server) {
				s.Metrics = m
				s.Limits = api.Limits{RegisterRate: once, PasswordRate: once}
			})
			l.register("banana", "mango")
			checkCode(t, l.do(req{method: "POST", path: "/api/register", body: creds("cherry", "mango")}), 429, shared.CodeRateLimited)
			p := l.login("banana", "mango")
			checkJSON(t, l.do(req{method: "POST", path: "/api/password", body: passwordBody("wrong", "papaya"), header: bearer(p.AccessToken)}), 401, "")
			checkCode(t, l.do(req{method: "POST", path: "/api/password", body: passwordBody("mango", "papaya"), header: bearer(p.AccessToken)}), 429, shared.CodeRateLimited)

			// Sign-ins from an address of their own, so that the budgets
			// above do not meet them.
			from := func(r req) req { r.remote = "198.51.100.9:4000"; return r }
			g := e.with(func(s *api.Server) {
				s.Metrics = m
				s.Limits = api.Limits{LoginRate: backend.Rate{N: 2, Per: time.Hour}, AccountBudget: once}
			})
			checkJSON(t, g.do(from(req{method: "POST", path: "/api/login", body: creds("apple", "wrong")})), 401, "")
			checkCode(t, g.do(from(req{method: "POST", path: "/api/login", body: creds("apple", "wrong")})), 429, shared.CodeRateLimited)
			checkJSON(t, g.do(from(req{method: "POST", path: "/api/login", body: `{"username": 1`})), 400, "")
			checkCode(t, g.do(from(req{method: "POST", path: "/api/login", body: creds("apple", "mango")})), 429, shared.CodeRateLimited)

			signIns, _, throttled, _ := m.snapshot()
			checkCounts(t, "throttled", throttled, map[string]int{api.LimitRegisterRate: 1, api.LimitPasswordRate: 1, api.LimitAccountBudget: 1, api.LimitLoginRate: 1})
			checkCounts(t, "sign-ins", signIns, map[string]int{api.SignInOK: 1, api.SignInFailed: 2, api.SignInThrottled: 2})
		})

		t.Run("Error", func(t *testing.T) {
			m := newRecordedMetrics()
			broken := newEnv(t, kind)
			broken.register("apple", "mango")
			broken = broken.with(func(s *api.Server) { s.Metrics = m })
			if err := broken.db.Close(); err != nil {
				t.Fatal(err)
			}
			w := broken.do(req{method: "POST", path: "/api/login", body: creds("apple", "mango")})
			if w.Code < 500 {
				t.Fatalf("login on a closed database: %d %s", w.Code, w.Body)
			}
			signIns, _, _, _ := m.snapshot()
			checkCounts(t, "sign-ins", signIns, map[string]int{api.SignInError: 1})
		})
	})
}
