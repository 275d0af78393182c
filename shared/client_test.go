//go:build !(js && wasm)

// The client's tests run against an httptest.Server, which cannot listen
// under js/wasm (Node.js); the rest of the package's tests run there too.

package shared

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// The routes the fake API serves.
const (
	routeData    = "GET /api/user-data-v2"
	routeRefresh = "POST /api/refresh"
	routeLogout  = "DELETE /api/logout"
)

// watchdog bounds every wait in these tests (on a barrier in a handler, on a
// goroutine of the test), so that a client bug fails a test instead of
// hanging it. Nothing waits for it to pass: it only fires on failure.
const watchdog = 30 * time.Second

var (
	oldPair = TokenPair{AccessToken: "access-1", RefreshToken: "refresh-1"}
	newPair = TokenPair{AccessToken: "access-2", RefreshToken: "refresh-2"}
	alice   = UserDataV2{ID: 7, Username: "alice"}
)

// fakeAPI is an httptest.Server imitating the routes of the API a test
// gives it ("METHOD /path" → handler; anything else is a JSON 404). It
// counts the requests of each route and records the bearer token of each.
type fakeAPI struct {
	srv    *httptest.Server
	routes map[string]http.HandlerFunc

	mu     sync.Mutex
	hits   map[string]int
	tokens map[string][]string
}

func newFakeAPI(t *testing.T, routes map[string]http.HandlerFunc) *fakeAPI {
	t.Helper()
	a := &fakeAPI{routes: routes, hits: map[string]int{}, tokens: map[string][]string{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	a.mu.Lock()
	a.hits[route]++
	a.tokens[route] = append(a.tokens[route], bearer(r))
	a.mu.Unlock()
	h, ok := a.routes[route]
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, "Not Found")
		return
	}
	h(w, r)
}

// count returns how many requests route received.
func (a *fakeAPI) count(route string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits[route]
}

// total returns how many requests the server received.
func (a *fakeAPI) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, h := range a.hits {
		n += h
	}
	return n
}

// bearers returns the bearer tokens route received, in order ("" for none).
func (a *fakeAPI) bearers(route string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.tokens[route], ",")
}

// client returns a Client of the fake API with store and opts.
func (a *fakeAPI) client(store TokenStore, opts ...Option) *Client {
	return NewClient(a.srv.URL, store, append([]Option{WithHTTPClient(a.srv.Client())}, opts...)...)
}

func bearer(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Msg: msg, Code: code})
}

func writeExpired(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, CodeTokenExpired, "Token has expired")
}

// userData answers GET /api/user-data-v2: alice for the access token valid,
// 401 token_expired for any other.
func userData(valid string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) != valid {
			writeExpired(w)
			return
		}
		writeJSON(w, http.StatusOK, alice)
	}
}

// refreshTo answers POST /api/refresh: ans for the refresh token want,
// 401 token_revoked for any other.
func refreshTo(want string, ans TokenPair) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) != want {
			writeError(w, http.StatusUnauthorized, CodeTokenRevoked, "Token has been revoked")
			return
		}
		writeJSON(w, http.StatusOK, ans)
	}
}

// storeWith returns a MemoryTokenStore holding p.
func storeWith(p TokenPair) *MemoryTokenStore {
	s := NewMemoryTokenStore()
	s.Save(p)
	return s
}

// await waits for ch to be closed, or for the watchdog.
func await(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(watchdog):
		return false
	}
}

// refreshCounter is a WithOnRefresh callback that counts its calls and
// keeps the last pair.
type refreshCounter struct {
	mu   sync.Mutex
	n    int
	last TokenPair
}

func (rc *refreshCounter) option() Option {
	return WithOnRefresh(func(p TokenPair) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.n++
		rc.last = p
	})
}

func (rc *refreshCounter) get() (int, TokenPair) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n, rc.last
}

// TestClientRefreshSingleFlight sends N protected calls together, all with
// the expired access token, and holds each in the server until all N have
// arrived, so that they really meet the expiry together.
func TestClientRefreshSingleFlight(t *testing.T) {
	t.Parallel()
	t.Run("OKFiftyCallsShareOneRefresh", func(t *testing.T) {
		t.Parallel()
		const n = 50
		var arrived atomic.Int32
		allIn := make(chan struct{})
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: func(w http.ResponseWriter, r *http.Request) {
				if bearer(r) == newPair.AccessToken {
					writeJSON(w, http.StatusOK, alice)
					return
				}
				if arrived.Add(1) == n {
					close(allIn)
				}
				if !await(allIn) {
					writeError(w, http.StatusInternalServerError, CodeInternal, "barrier: not every call arrived")
					return
				}
				writeExpired(w)
			},
			routeRefresh: refreshTo(oldPair.RefreshToken, newPair),
		})
		store := storeWith(oldPair)
		var rc refreshCounter
		c := api.client(store, rc.option())

		got := make([]UserDataV2, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i], errs[i] = c.UserDataV2(t.Context()) })
		}
		wg.Wait()

		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: err = %v, want nil", i, errs[i])
			}
			if got, want := got[i], alice; got != want {
				t.Fatalf("call %d: UserDataV2 = %+v, want %+v", i, got, want)
			}
		}
		if got, want := api.count(routeRefresh), 1; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
		if got, want := api.bearers(routeRefresh), oldPair.RefreshToken; got != want {
			t.Fatalf("refresh bearer = %q, want %q", got, want)
		}
		if got, want := api.count(routeData), 2*n; got != want {
			t.Fatalf("GET /api/user-data-v2 requests = %d, want %d (each call once expired, once retried)", got, want)
		}
		if got, want := strings.Count(api.bearers(routeData), newPair.AccessToken), n; got != want {
			t.Fatalf("requests with the new access token = %d, want %d", got, want)
		}
		if got, want := store.Load(), newPair; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
		calls, last := rc.get()
		if got, want := calls, 1; got != want {
			t.Fatalf("OnRefresh calls = %d, want %d", got, want)
		}
		if got, want := last, newPair; got != want {
			t.Fatalf("OnRefresh pair = %+v, want %+v", got, want)
		}
	})

	// The callback runs after the refresh lock is released, so it may call
	// the Client, even one that refreshes.
	t.Run("OKOnRefreshMayCallClient", func(t *testing.T) {
		t.Parallel()
		third := TokenPair{AccessToken: "access-3", RefreshToken: "refresh-3"}
		var refreshes atomic.Int32
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: userData(newPair.AccessToken),
			routeRefresh: func(w http.ResponseWriter, r *http.Request) {
				if refreshes.Add(1) == 1 {
					refreshTo(oldPair.RefreshToken, newPair)(w, r)
					return
				}
				refreshTo(newPair.RefreshToken, third)(w, r)
			},
		})
		store := storeWith(oldPair)
		var (
			c        *Client
			nested   atomic.Int32
			innerErr = make(chan error, 1)
		)
		c = api.client(store, WithOnRefresh(func(TokenPair) {
			if nested.Add(1) != 1 {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), watchdog)
			defer cancel()
			_, err := c.Refresh(ctx)
			innerErr <- err
		}))
		if _, err := c.UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		// OnRefresh ran (or not) before UserDataV2 returned.
		select {
		case err := <-innerErr:
			if err != nil {
				t.Fatalf("Refresh inside OnRefresh: %v", err)
			}
		default:
			t.Fatal("OnRefresh never ran")
		}
		if got, want := store.Load(), third; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
	})
}

// TestClientRetryOnce checks that a call refreshes and retries at most once.
func TestClientRetryOnce(t *testing.T) {
	t.Parallel()
	t.Run("ErrStillExpiredAfterRefresh", func(t *testing.T) {
		t.Parallel()
		var refreshes atomic.Int32
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: func(w http.ResponseWriter, r *http.Request) { writeExpired(w) },
			routeRefresh: func(w http.ResponseWriter, r *http.Request) {
				if refreshes.Add(1) > 1 { // stops a looping client
					writeError(w, http.StatusInternalServerError, CodeInternal, "second refresh")
					return
				}
				refreshTo(oldPair.RefreshToken, newPair)(w, r)
			},
		})
		store := storeWith(oldPair)
		var rc refreshCounter
		c := api.client(store, rc.option())

		_, err := c.UserDataV2(t.Context())
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want an *Error", err)
		}
		if got, want := e.Status, http.StatusUnauthorized; got != want {
			t.Fatalf("Status = %d, want %d", got, want)
		}
		if got, want := e.Code, CodeTokenExpired; got != want {
			t.Fatalf("Code = %q, want %q", got, want)
		}
		if got, want := errors.Is(err, ErrSignedOut), false; got != want {
			t.Fatalf("errors.Is(err, ErrSignedOut) = %v, want %v (err %v)", got, want, err)
		}
		if got, want := api.count(routeRefresh), 1; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
		if got, want := api.bearers(routeData), oldPair.AccessToken+","+newPair.AccessToken; got != want {
			t.Fatalf("GET /api/user-data-v2 bearers = %q, want %q", got, want)
		}
		if got, want := store.Load(), newPair; got != want {
			t.Fatalf("stored pair = %+v, want %+v (the refresh itself succeeded)", got, want)
		}
		if n, _ := rc.get(); n != 1 {
			t.Fatalf("OnRefresh calls = %d, want 1", n)
		}
	})

	// Only 401 token_expired refreshes: other refusals fail at once.
	for _, tc := range []struct {
		name   string
		status int
		code   string
	}{
		{"ErrRevokedNoRefresh", http.StatusUnauthorized, CodeTokenRevoked},
		{"ErrForbiddenNoRefresh", http.StatusForbidden, ""},
		{"ErrExpiredCodeOn403NoRefresh", http.StatusForbidden, CodeTokenExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, map[string]http.HandlerFunc{
				routeData: func(w http.ResponseWriter, r *http.Request) {
					writeError(w, tc.status, tc.code, "refused")
				},
				routeRefresh: refreshTo(oldPair.RefreshToken, newPair),
			})
			store := storeWith(oldPair)
			_, err := api.client(store).UserDataV2(t.Context())
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if got, want := e.Status, tc.status; got != want {
				t.Fatalf("Status = %d, want %d", got, want)
			}
			if got, want := api.count(routeRefresh), 0; got != want {
				t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
			}
			if got, want := api.count(routeData), 1; got != want {
				t.Fatalf("GET /api/user-data-v2 requests = %d, want %d", got, want)
			}
			if got, want := store.Load(), oldPair; got != want {
				t.Fatalf("stored pair = %+v, want %+v", got, want)
			}
		})
	}
}

// TestClientRefreshRefused checks that a refresh token the server refuses
// signs the client out.
func TestClientRefreshRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		wantCode string
	}{
		{"ErrRevoked401", http.StatusUnauthorized, `{"msg":"Token has been revoked","code":"token_revoked"}`, CodeTokenRevoked},
		{"ErrBadSignature422", http.StatusUnprocessableEntity, `{"msg":"Signature verification failed","code":"bad_signature"}`, CodeBadSignature},
		{"ErrFlask422WithoutCode", http.StatusUnprocessableEntity, `{"msg":"Not enough segments"}`, ""},
		{"ErrBare401", http.StatusUnauthorized, ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, map[string]http.HandlerFunc{
				routeData: userData(newPair.AccessToken),
				routeRefresh: func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, tc.body)
				},
			})
			store := storeWith(oldPair)
			var rc refreshCounter
			c := api.client(store, rc.option())

			_, err := c.UserDataV2(t.Context())
			if got, want := errors.Is(err, ErrSignedOut), true; got != want {
				t.Fatalf("errors.Is(err, ErrSignedOut) = %v, want %v (err %v)", got, want, err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want it to wrap the server's *Error", err)
			}
			if got, want := e.Status, tc.status; got != want {
				t.Fatalf("Status = %d, want %d", got, want)
			}
			if got, want := e.Code, tc.wantCode; got != want {
				t.Fatalf("Code = %q, want %q", got, want)
			}
			if got, want := SessionOver(err), true; got != want {
				t.Fatalf("SessionOver(err) = %v, want %v", got, want)
			}
			if got, want := store.Load(), (TokenPair{}); got != want {
				t.Fatalf("stored pair = %+v, want it cleared", got)
			}
			if got, want := c.SignedIn(), false; got != want {
				t.Fatalf("SignedIn() = %v, want %v", got, want)
			}
			if got, want := api.count(routeRefresh), 1; got != want {
				t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
			}
			if got, want := api.count(routeData), 1; got != want {
				t.Fatalf("GET /api/user-data-v2 requests = %d, want %d (no retry)", got, want)
			}
			if n, _ := rc.get(); n != 0 {
				t.Fatalf("OnRefresh calls = %d, want 0", n)
			}
			// Signed out now: the next call fails before any request.
			if _, err := c.UserDataV2(t.Context()); !errors.Is(err, ErrSignedOut) {
				t.Fatalf("next call: err = %v, want ErrSignedOut", err)
			}
			if got, want := api.total(), 2; got != want {
				t.Fatalf("requests after the next call = %d, want %d", got, want)
			}
		})
	}
}

// errNetDown is the transport failure of failRefresh.
var errNetDown = errors.New("network is down")

// failRefresh is a RoundTripper that fails the first POST /api/refresh
// without sending it and passes every other request to next.
type failRefresh struct {
	next   http.RoundTripper
	failed atomic.Bool
}

func (f *failRefresh) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/api/refresh" && f.failed.CompareAndSwap(false, true) {
		return nil, errNetDown
	}
	return f.next.RoundTrip(r)
}

// TestClientRefreshTransient checks that a refresh failing for a reason other
// than a refused token (the network, a 5xx) keeps the tokens, which work again
// once the server does.
func TestClientRefreshTransient(t *testing.T) {
	t.Parallel()
	hijack := func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			writeError(w, http.StatusInternalServerError, CodeInternal, "hijack: "+err.Error())
			return
		}
		_ = conn.Close()
	}
	status := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = io.WriteString(w, body)
		}
	}
	for _, tc := range []struct {
		name       string
		fail       http.HandlerFunc // answers the first refresh; nil: the transport fails it
		wantStatus int              // of the *Error; 0: no *Error
	}{
		{"ErrConnectionClosed", hijack, 0},
		{"ErrTransport", nil, 0},
		{"ErrInternal500", status(500, `{"msg":"Internal Server Error","code":"internal"}`), 500},
		{"ErrUnavailable503", status(503, `{"msg":"Service Unavailable","code":"unavailable"}`), 503},
		{"ErrProxy502HTML", status(502, `<html>Bad Gateway</html>`), 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var refreshes atomic.Int32
			api := newFakeAPI(t, map[string]http.HandlerFunc{
				routeData: userData(newPair.AccessToken),
				routeRefresh: func(w http.ResponseWriter, r *http.Request) {
					if refreshes.Add(1) == 1 && tc.fail != nil {
						tc.fail(w, r)
						return
					}
					refreshTo(oldPair.RefreshToken, newPair)(w, r)
				},
			})
			store := storeWith(oldPair)
			var rc refreshCounter
			opts := []Option{rc.option()}
			if tc.fail == nil {
				opts = append(opts, WithHTTPClient(&http.Client{Transport: &failRefresh{next: api.srv.Client().Transport}}))
			}
			c := api.client(store, opts...)

			_, err := c.UserDataV2(t.Context())
			if err == nil {
				t.Fatalf("err = nil, want the refresh's error")
			}
			if got, want := errors.Is(err, ErrSignedOut), false; got != want {
				t.Fatalf("errors.Is(err, ErrSignedOut) = %v, want %v (err %v)", got, want, err)
			}
			if got, want := SessionOver(err), false; got != want {
				t.Fatalf("SessionOver(err) = %v, want %v (err %v)", got, want, err)
			}
			var e *Error
			if got, want := errors.As(err, &e), tc.wantStatus != 0; got != want {
				t.Fatalf("errors.As(err, *Error) = %v, want %v (err %v)", got, want, err)
			}
			if e != nil {
				if got, want := e.Status, tc.wantStatus; got != want {
					t.Fatalf("Status = %d, want %d", got, want)
				}
			}
			if tc.fail == nil && !errors.Is(err, errNetDown) {
				t.Fatalf("err = %v, want it to wrap %v", err, errNetDown)
			}
			if got, want := store.Load(), oldPair; got != want {
				t.Fatalf("stored pair = %+v, want %+v (kept)", got, want)
			}
			if got, want := api.count(routeData), 1; got != want {
				t.Fatalf("GET /api/user-data-v2 requests = %d, want %d (no retry)", got, want)
			}
			if n, _ := rc.get(); n != 0 {
				t.Fatalf("OnRefresh calls = %d, want 0", n)
			}

			// The kept refresh token still works.
			got, err := c.UserDataV2(t.Context())
			if err != nil {
				t.Fatalf("second call: %v", err)
			}
			if want := alice; got != want {
				t.Fatalf("second call = %+v, want %+v", got, want)
			}
			if got, want := store.Load(), newPair; got != want {
				t.Fatalf("stored pair after the second call = %+v, want %+v", got, want)
			}
		})
	}
}

// TestClientRefreshWithoutRotation checks that a refresh answer without a
// refresh token keeps the old one.
func TestClientRefreshWithoutRotation(t *testing.T) {
	t.Parallel()
	t.Run("OKKeepsRefreshToken", func(t *testing.T) {
		t.Parallel()
		second := TokenPair{AccessToken: newPair.AccessToken, RefreshToken: oldPair.RefreshToken}
		third := TokenPair{AccessToken: "access-3", RefreshToken: oldPair.RefreshToken}
		var refreshes atomic.Int32
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: userData(newPair.AccessToken),
			routeRefresh: func(w http.ResponseWriter, r *http.Request) {
				access := newPair.AccessToken
				if refreshes.Add(1) > 1 {
					access = third.AccessToken
				}
				if bearer(r) != oldPair.RefreshToken {
					writeError(w, http.StatusUnauthorized, CodeTokenRevoked, "Token has been revoked")
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"access_token":"`+access+`"}`)
			},
		})
		store := storeWith(oldPair)
		var rc refreshCounter
		c := api.client(store, rc.option())

		if _, err := c.UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if got, want := store.Load(), second; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
		if _, last := rc.get(); last != second {
			t.Fatalf("OnRefresh pair = %+v, want %+v", last, second)
		}
		// The kept token is the one the next refresh spends.
		pair, err := c.Refresh(t.Context())
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if got, want := pair, third; got != want {
			t.Fatalf("Refresh() = %+v, want %+v", got, want)
		}
		if got, want := store.Load(), third; got != want {
			t.Fatalf("stored pair after Refresh = %+v, want %+v", got, want)
		}
		if got, want := api.bearers(routeRefresh), oldPair.RefreshToken+","+oldPair.RefreshToken; got != want {
			t.Fatalf("refresh bearers = %q, want %q", got, want)
		}
	})

	t.Run("ErrAnswerWithoutAccessToken", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: userData(newPair.AccessToken),
			routeRefresh: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]string{"refresh_token": newPair.RefreshToken})
			},
		})
		store := storeWith(oldPair)
		_, err := api.client(store).UserDataV2(t.Context())
		if err == nil || errors.Is(err, ErrSignedOut) {
			t.Fatalf("err = %v, want an error other than ErrSignedOut", err)
		}
		if got, want := store.Load(), oldPair; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
	})
}

// TestClientRefreshStale checks that a refresh whose caller used an access
// token that is no longer stored adopts the stored pair without a request.
func TestClientRefreshStale(t *testing.T) {
	t.Parallel()
	t.Run("OKStoreAlreadyRefreshed", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeRefresh: refreshTo(newPair.RefreshToken, TokenPair{AccessToken: "access-3"}),
		})
		store := storeWith(newPair)
		var rc refreshCounter
		c := api.client(store, rc.option())

		pair, err := c.refresh(t.Context(), oldPair.AccessToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if got, want := pair, newPair; got != want {
			t.Fatalf("refresh() = %+v, want %+v", got, want)
		}
		if got, want := api.total(), 0; got != want {
			t.Fatalf("requests = %d, want %d", got, want)
		}
		if n, _ := rc.get(); n != 0 {
			t.Fatalf("OnRefresh calls = %d, want 0 (this call renewed nothing)", n)
		}
	})

	t.Run("OKSameTokenRefreshes", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeRefresh: refreshTo(oldPair.RefreshToken, newPair),
		})
		store := storeWith(oldPair)
		pair, err := api.client(store).refresh(t.Context(), oldPair.AccessToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if got, want := pair, newPair; got != want {
			t.Fatalf("refresh() = %+v, want %+v", got, want)
		}
		if got, want := api.count(routeRefresh), 1; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
	})

	// Another client of the same store refreshes while this call is at
	// the server: the call retries with the stored token, spending nothing.
	t.Run("OKOtherClientRefreshedDuringCall", func(t *testing.T) {
		t.Parallel()
		store := storeWith(oldPair)
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: func(w http.ResponseWriter, r *http.Request) {
				if bearer(r) == oldPair.AccessToken {
					store.Save(newPair) // the other client's refresh
				}
				userData(newPair.AccessToken)(w, r)
			},
			routeRefresh: refreshTo(oldPair.RefreshToken, TokenPair{AccessToken: "access-3", RefreshToken: "refresh-3"}),
		})
		var rc refreshCounter
		got, err := api.client(store, rc.option()).UserDataV2(t.Context())
		if err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if want := alice; got != want {
			t.Fatalf("UserDataV2 = %+v, want %+v", got, want)
		}
		if got, want := api.count(routeRefresh), 0; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
		if got, want := api.bearers(routeData), oldPair.AccessToken+","+newPair.AccessToken; got != want {
			t.Fatalf("GET /api/user-data-v2 bearers = %q, want %q", got, want)
		}
		if got, want := store.Load(), newPair; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
		if n, _ := rc.get(); n != 0 {
			t.Fatalf("OnRefresh calls = %d, want 0", n)
		}
	})
}

// TestClientSignedOut checks that calls needing a token that is not stored
// fail with ErrSignedOut before any request.
func TestClientSignedOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"ErrUserDataV2", func(ctx context.Context, c *Client) error { _, err := c.UserDataV2(ctx); return err }},
		{"ErrUserData", func(ctx context.Context, c *Client) error { _, err := c.UserData(ctx); return err }},
		{"ErrSessions", func(ctx context.Context, c *Client) error { _, err := c.Sessions(ctx); return err }},
		{"ErrFiles", func(ctx context.Context, c *Client) error { _, err := c.Files(ctx); return err }},
		{"ErrFile", func(ctx context.Context, c *Client) error { _, _, err := c.File(ctx, "a.txt"); return err }},
		{"ErrLogoutOthers", func(ctx context.Context, c *Client) error { return c.LogoutOthers(ctx) }},
		{"ErrRefresh", func(ctx context.Context, c *Client) error { _, err := c.Refresh(ctx); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, map[string]http.HandlerFunc{
				routeData:    userData(oldPair.AccessToken),
				routeRefresh: refreshTo(oldPair.RefreshToken, newPair),
			})
			err := tc.call(t.Context(), api.client(nil))
			if got, want := errors.Is(err, ErrSignedOut), true; got != want {
				t.Fatalf("errors.Is(err, ErrSignedOut) = %v, want %v (err %v)", got, want, err)
			}
			if got, want := api.total(), 0; got != want {
				t.Fatalf("requests = %d, want %d", got, want)
			}
		})
	}

	// An expired access token and no refresh token: signed out without a
	// refresh request, and the store is cleared.
	t.Run("ErrNoRefreshToken", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData:    userData(newPair.AccessToken),
			routeRefresh: refreshTo("", newPair),
		})
		store := storeWith(TokenPair{AccessToken: oldPair.AccessToken})
		_, err := api.client(store).UserDataV2(t.Context())
		if got, want := errors.Is(err, ErrSignedOut), true; got != want {
			t.Fatalf("errors.Is(err, ErrSignedOut) = %v, want %v (err %v)", got, want, err)
		}
		if got, want := api.count(routeRefresh), 0; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
		if got, want := store.Load(), (TokenPair{}); got != want {
			t.Fatalf("stored pair = %+v, want it cleared", got)
		}
	})
}

// TestClientSharedLock checks WithSharedLock.
func TestClientSharedLock(t *testing.T) {
	t.Parallel()
	t.Run("OKRefreshRunsInsideLock", func(t *testing.T) {
		t.Parallel()
		var (
			locks        atomic.Int32
			inside       atomic.Bool
			outsideCalls atomic.Int32 // refresh requests made outside the lock
		)
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: userData(newPair.AccessToken),
			routeRefresh: func(w http.ResponseWriter, r *http.Request) {
				if !inside.Load() {
					outsideCalls.Add(1)
				}
				refreshTo(oldPair.RefreshToken, newPair)(w, r)
			},
		})
		store := storeWith(oldPair)
		c := api.client(store, WithSharedLock(func(ctx context.Context, fn func()) error {
			locks.Add(1)
			inside.Store(true)
			defer inside.Store(false)
			fn()
			return nil
		}))
		if _, err := c.UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if got, want := locks.Load(), int32(1); got != want {
			t.Fatalf("lock calls = %d, want %d", got, want)
		}
		if got, want := api.count(routeRefresh), 1; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
		if got, want := outsideCalls.Load(), int32(0); got != want {
			t.Fatalf("refresh requests outside the lock = %d, want %d", got, want)
		}
		if got, want := store.Load(), newPair; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
	})

	// Another holder of the lock (a tab) refreshed while this client waited
	// for it: the client adopts those tokens instead of refreshing again.
	t.Run("OKAdoptsOtherHoldersTokens", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData:    userData(newPair.AccessToken),
			routeRefresh: refreshTo(oldPair.RefreshToken, TokenPair{AccessToken: "access-3", RefreshToken: "refresh-3"}),
		})
		store := storeWith(oldPair)
		var rc refreshCounter
		c := api.client(store, rc.option(), WithSharedLock(func(ctx context.Context, fn func()) error {
			store.Save(newPair) // the other tab's refresh, done before we get the lock
			fn()
			return nil
		}))
		if _, err := c.UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if got, want := api.count(routeRefresh), 0; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
		if got, want := store.Load(), newPair; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
		if n, _ := rc.get(); n != 0 {
			t.Fatalf("OnRefresh calls = %d, want 0", n)
		}
	})

	t.Run("ErrLockFails", func(t *testing.T) {
		t.Parallel()
		errLock := errors.New("lock unavailable")
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData:    userData(newPair.AccessToken),
			routeRefresh: refreshTo(oldPair.RefreshToken, newPair),
		})
		store := storeWith(oldPair)
		var locks atomic.Int32
		var rc refreshCounter
		c := api.client(store, rc.option(), WithSharedLock(func(ctx context.Context, fn func()) error {
			locks.Add(1)
			return errLock
		}))
		_, err := c.UserDataV2(t.Context())
		if got, want := errors.Is(err, errLock), true; got != want {
			t.Fatalf("errors.Is(err, errLock) = %v, want %v (err %v)", got, want, err)
		}
		if got, want := errors.Is(err, ErrSignedOut), false; got != want {
			t.Fatalf("errors.Is(err, ErrSignedOut) = %v, want %v", got, want)
		}
		if got, want := locks.Load(), int32(1); got != want {
			t.Fatalf("lock calls = %d, want %d", got, want)
		}
		if got, want := api.count(routeRefresh), 0; got != want {
			t.Fatalf("POST /api/refresh requests = %d, want %d", got, want)
		}
		if got, want := api.count(routeData), 1; got != want {
			t.Fatalf("GET /api/user-data-v2 requests = %d, want %d", got, want)
		}
		if got, want := store.Load(), oldPair; got != want {
			t.Fatalf("stored pair = %+v, want %+v", got, want)
		}
		if n, _ := rc.get(); n != 0 {
			t.Fatalf("OnRefresh calls = %d, want 0", n)
		}
	})
}

// makeJWT returns an unsigned-looking JWT (header.payload.signature, each
// base64url without padding) carrying claims. Only hasSession reads it.
func makeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode %v: %v", v, err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	sig := base64.RawURLEncoding.EncodeToString([]byte("not a real signature, 32 bytes.."))
	return enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims) + "." + sig
}

// farFuture is the exp of tokens that must not expire during the tests:
// 2100-01-01.
const farFuture = 4102444800

// tesseraPair is a pair as Tessera's server makes it: both tokens carry the
// session id. flaskPair is one from Flask-JWT-Extended: no session.
func tesseraPair(t *testing.T) TokenPair {
	claims := func(typ, jti string) map[string]any {
		return map[string]any{"sub": "7", "sid": "5f0c2a9e", "type": typ, "jti": jti, "iat": 1767225600, "exp": farFuture}
	}
	return TokenPair{AccessToken: makeJWT(t, claims("access", "a1")), RefreshToken: makeJWT(t, claims("refresh", "r1"))}
}

func flaskPair(t *testing.T) TokenPair {
	claims := func(typ, jti string) map[string]any {
		return map[string]any{"fresh": false, "sub": "alice", "type": typ, "jti": jti, "iat": 1767225600, "nbf": 1767225600, "exp": farFuture}
	}
	return TokenPair{AccessToken: makeJWT(t, claims("access", "a1")), RefreshToken: makeJWT(t, claims("refresh", "r1"))}
}

func TestHasSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		token string
		want  bool
	}{
		{"OKTesseraAccess", tesseraPair(t).AccessToken, true},
		{"OKTesseraRefresh", tesseraPair(t).RefreshToken, true},
		{"ErrFlaskToken", flaskPair(t).AccessToken, false},
		{"ErrEmptySid", makeJWT(t, map[string]any{"sub": "7", "sid": ""}), false},
		{"ErrNumericSid", makeJWT(t, map[string]any{"sub": "7", "sid": 5}), false},
		{"ErrTwoParts", "eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJ4In0", false},
		{"ErrBadBase64", "a.!!!.c", false},
		{"ErrEmpty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, want := hasSession(tc.token), tc.want; got != want {
				t.Fatalf("hasSession(%q) = %v, want %v", tc.token, got, want)
			}
		})
	}
}

// TestClientLogout checks Logout: which tokens it sends, that refused ones
// are no error and that it always clears the store.
func TestClientLogout(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Message{Msg: "Access token successfully revoked"})
	}
	revoked := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusUnauthorized, CodeTokenRevoked, "Token has been revoked")
	}
	// answer answers the access token's DELETE with first, the refresh
	// token's with second.
	answer := func(pair TokenPair, first, second http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			switch bearer(r) {
			case pair.AccessToken:
				first(w, r)
			case pair.RefreshToken:
				second(w, r)
			default:
				writeError(w, http.StatusUnauthorized, CodeMissingToken, "Missing Authorization Header")
			}
		}
	}
	for _, tc := range []struct {
		name        string
		pair        func(*testing.T) TokenPair
		first       http.HandlerFunc // the access token's answer
		second      http.HandlerFunc // the refresh token's answer
		wantBearers func(TokenPair) string
		wantStatus  int // of the returned *Error; 0: nil
	}{
		{
			name: "OKSessionTokenSendsAccessOnly", pair: tesseraPair, first: ok, second: ok,
			wantBearers: func(p TokenPair) string { return p.AccessToken },
		},
		{
			name: "OKFlaskTokensSendBoth", pair: flaskPair, first: ok, second: ok,
			wantBearers: func(p TokenPair) string { return p.AccessToken + "," + p.RefreshToken },
		},
		{
			name: "OKDeadSessionIsNoError", pair: tesseraPair, first: revoked, second: revoked,
			wantBearers: func(p TokenPair) string { return p.AccessToken + "," + p.RefreshToken },
		},
		{
			name: "OKExpiredAccessSendsRefresh", pair: tesseraPair,
			first:       func(w http.ResponseWriter, r *http.Request) { writeExpired(w) },
			second:      ok,
			wantBearers: func(p TokenPair) string { return p.AccessToken + "," + p.RefreshToken },
		},
		{
			name: "OKFlask422WithoutCode", pair: flaskPair,
			first: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusUnprocessableEntity, Message{Msg: "Signature verification failed"})
			},
			second:      ok,
			wantBearers: func(p TokenPair) string { return p.AccessToken + "," + p.RefreshToken },
		},
		{
			name: "ErrServerError", pair: tesseraPair,
			first: func(w http.ResponseWriter, r *http.Request) {
				writeError(w, http.StatusInternalServerError, CodeInternal, "Internal Server Error")
			},
			second:      revoked,
			wantBearers: func(p TokenPair) string { return p.AccessToken + "," + p.RefreshToken },
			wantStatus:  http.StatusInternalServerError,
		},
		{
			name: "ErrServerErrorOnRefreshToken", pair: flaskPair, first: ok,
			second: func(w http.ResponseWriter, r *http.Request) {
				writeError(w, http.StatusInternalServerError, CodeInternal, "Internal Server Error")
			},
			wantBearers: func(p TokenPair) string { return p.AccessToken + "," + p.RefreshToken },
			wantStatus:  http.StatusInternalServerError,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pair := tc.pair(t)
			api := newFakeAPI(t, map[string]http.HandlerFunc{
				routeLogout:  answer(pair, tc.first, tc.second),
				routeRefresh: refreshTo(pair.RefreshToken, newPair),
			})
			store := storeWith(pair)
			err := api.client(store).Logout(t.Context())
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Logout: %v", err)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want an *Error", err)
				}
				if got, want := e.Status, tc.wantStatus; got != want {
					t.Fatalf("Status = %d, want %d", got, want)
				}
			}
			if got, want := api.bearers(routeLogout), tc.wantBearers(pair); got != want {
				t.Fatalf("DELETE /api/logout bearers = %q, want %q", got, want)
			}
			if got, want := api.count(routeRefresh), 0; got != want {
				t.Fatalf("POST /api/refresh requests = %d, want %d (Logout never refreshes)", got, want)
			}
			if got, want := store.Load(), (TokenPair{}); got != want {
				t.Fatalf("stored pair = %+v, want it cleared", got)
			}
		})
	}

	t.Run("OKNothingStored", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{routeLogout: ok})
		if err := api.client(nil).Logout(t.Context()); err != nil {
			t.Fatalf("Logout: %v", err)
		}
		if got, want := api.total(), 0; got != want {
			t.Fatalf("requests = %d, want %d", got, want)
		}
	})

	// A refresh in flight when Logout runs must not save its pair after
	// Logout cleared the store. The refresh is held in the server until
	// Logout's DELETE has been answered and its body closed, then released.
	t.Run("OKWaitsForRefreshInFlight", func(t *testing.T) {
		t.Parallel()
		pair := tesseraPair(t)
		refreshIn, release := make(chan struct{}), make(chan struct{})
		api := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: userData(newPair.AccessToken),
			routeRefresh: func(w http.ResponseWriter, r *http.Request) {
				close(refreshIn)
				if !await(release) {
					writeError(w, http.StatusInternalServerError, CodeInternal, "never released")
					return
				}
				refreshTo(pair.RefreshToken, newPair)(w, r)
			},
			routeLogout: answer(pair, ok, ok),
		})
		logoutRead := make(chan struct{})
		hc := &http.Client{Transport: &notifyClose{next: api.srv.Client().Transport, path: "/api/logout", closed: logoutRead}}
		store := storeWith(pair)
		c := api.client(store, WithHTTPClient(hc))

		callErr := make(chan error, 1)
		go func() { _, err := c.UserDataV2(t.Context()); callErr <- err }()
		if !await(refreshIn) {
			t.Fatal("the refresh never reached the server")
		}
		logoutErr := make(chan error, 1)
		go func() { logoutErr <- c.Logout(context.Background()) }()
		if !await(logoutRead) {
			t.Fatal("Logout's DELETE never completed")
		}
		close(release)
		if err := <-callErr; err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if err := <-logoutErr; err != nil {
			t.Fatalf("Logout: %v", err)
		}
		if got, want := store.Load(), (TokenPair{}); got != want {
			t.Fatalf("stored pair = %+v, want it cleared (the refresh saved after Logout)", got)
		}
	})
}

// notifyClose is a RoundTripper that closes closed once the body of the
// first answer to a request for path has been closed by the client.
type notifyClose struct {
	next   http.RoundTripper
	path   string
	closed chan struct{}
	once   sync.Once
}

func (n *notifyClose) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := n.next.RoundTrip(r)
	if err != nil || r.URL.Path != n.path {
		return resp, err
	}
	resp.Body = &closeNotifier{ReadCloser: resp.Body, done: func() { n.once.Do(func() { close(n.closed) }) }}
	return resp, nil
}

type closeNotifier struct {
	io.ReadCloser
	done func()
}

func (c *closeNotifier) Close() error {
	err := c.ReadCloser.Close()
	c.done()
	return err
}

// TestClientRetriesUnavailable: an idempotent call answered 503 is retried
// after the answer's Retry-After, a few times; others are not.
func TestClientRetriesUnavailable(t *testing.T) {
	t.Parallel()
	// unavailable answers 503 (Retry-After 1 s) n times, then 200.
	unavailable := func(n int) http.HandlerFunc {
		var mu sync.Mutex
		seen := 0
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen++
			down := seen <= n
			mu.Unlock()
			if down {
				w.Header().Set("Retry-After", "1")
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "Database unavailable")
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": 1, "username": "alice", "msg": "ok"})
		}
	}
	t.Run("OKGetRetried", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{routeData: unavailable(2)})
		start := time.Now()
		got, err := api.client(storeWith(oldPair)).UserDataV2(t.Context())
		if err != nil || got.Username != "alice" {
			t.Fatalf("UserDataV2 = %+v, %v", got, err)
		}
		if got, want := api.count(routeData), 3; got != want {
			t.Fatalf("requests = %d, want %d", got, want)
		}
		if waited := time.Since(start); waited < 2*time.Second {
			t.Fatalf("answered after %v: Retry-After 1 s was not honoured", waited)
		}
	})
	t.Run("ErrGivesUp", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{routeData: unavailable(100)})
		_, err := api.client(storeWith(oldPair)).UserDataV2(t.Context())
		var e *Error
		if !errors.As(err, &e) || e.Status != 503 || e.RetryAfter != time.Second || SessionOver(err) {
			t.Fatalf("err = %v, want the 503 with its Retry-After", err)
		}
		if got, want := api.count(routeData), 4; got != want {
			t.Fatalf("requests = %d, want %d (one and three retries)", got, want)
		}
	})
	t.Run("OKContextEndsTheWait", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{routeData: unavailable(100)})
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := api.client(storeWith(oldPair)).UserDataV2(ctx); err == nil {
			t.Fatal("no error")
		}
		if waited := time.Since(start); waited > time.Second {
			t.Fatalf("returned after %v, want soon after the context ended", waited)
		}
	})
	t.Run("ErrPostNotRetried", func(t *testing.T) {
		t.Parallel()
		api := newFakeAPI(t, map[string]http.HandlerFunc{"POST /api/password": unavailable(1)})
		err := api.client(storeWith(oldPair)).ChangePassword(t.Context(), "a", "bcdefg")
		var e *Error
		if !errors.As(err, &e) || e.Status != 503 {
			t.Fatalf("err = %v, want the 503", err)
		}
		if got, want := api.count("POST /api/password"), 1; got != want {
			t.Fatalf("requests = %d, want %d", got, want)
		}
	})
}

// timedPair is a pair of JWTs (as makeJWT makes them) whose access token
// was issued at iat and expires at exp, tagged so that pairs differ.
func timedPair(t *testing.T, tag string, iat, exp time.Time) TokenPair {
	t.Helper()
	claims := func(typ string) map[string]any {
		return map[string]any{"sub": "7", "sid": "s1", "type": typ, "jti": typ + "-" + tag, "iat": iat.Unix(), "exp": exp.Unix()}
	}
	return TokenPair{AccessToken: makeJWT(t, claims("access")), RefreshToken: makeJWT(t, claims("refresh"))}
}

// TestClientRenewsBeforeExpiry: a call about to be made with an access
// token whose exp (read from the token) is near or past renews the tokens
// first, so the server never answers 401 token_expired; still one refresh
// for many calls and for the holders of a shared lock. The 401 path stays
// the fallback.
func TestClientRenewsBeforeExpiry(t *testing.T) {
	t.Parallel()
	// api serves the data only to the access token valid (any other is
	// answered 401 token_expired, which these tests must never see) and
	// refreshes from's refresh token to to.
	api := func(t *testing.T, valid string, from, to TokenPair) *fakeAPI {
		return newFakeAPI(t, map[string]http.HandlerFunc{
			routeData:    userData(valid),
			routeRefresh: refreshTo(from.RefreshToken, to),
		})
	}
	now := time.Now()
	// due expires in 20s of a 15-minute life: within the margin (30s).
	due := timedPair(t, "due", now.Add(-880*time.Second), now.Add(20*time.Second))
	fresh := timedPair(t, "fresh", now, now.Add(15*time.Minute))

	t.Run("OKRenewsAheadOfTheCall", func(t *testing.T) {
		t.Parallel()
		a := api(t, fresh.AccessToken, due, fresh)
		var rc refreshCounter
		store := storeWith(due)
		if _, err := a.client(store, rc.option()).UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if got, want := a.bearers(routeData), fresh.AccessToken; got != want {
			t.Fatalf("the data was asked for with %q, want only the renewed token (no 401 first)", got)
		}
		if got, want := a.count(routeRefresh), 1; got != want {
			t.Fatalf("refreshes = %d, want %d", got, want)
		}
		if n, _ := rc.get(); n != 1 || store.Load() != fresh {
			t.Fatalf("OnRefresh calls %d, stored %+v; want 1 and the new pair", n, store.Load())
		}
	})

	t.Run("OKExpiredRenewedAheadToo", func(t *testing.T) {
		t.Parallel()
		expired := timedPair(t, "expired", now.Add(-16*time.Minute), now.Add(-time.Minute))
		a := api(t, fresh.AccessToken, expired, fresh)
		if _, err := a.client(storeWith(expired)).UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if got, want := a.bearers(routeData), fresh.AccessToken; got != want {
			t.Fatalf("the data was asked for with %q, want only the renewed token", got)
		}
	})

	t.Run("OKNotDueNotRenewed", func(t *testing.T) {
		t.Parallel()
		a := api(t, fresh.AccessToken, fresh, due)
		for range 3 {
			if _, err := a.client(storeWith(fresh)).UserDataV2(t.Context()); err != nil {
				t.Fatalf("UserDataV2: %v", err)
			}
		}
		if got := a.count(routeRefresh); got != 0 {
			t.Fatalf("refreshes = %d for a token far from its expiry", got)
		}
	})

	t.Run("OKShortLivedMarginIsAFifth", func(t *testing.T) {
		t.Parallel()
		// A 3-second token (the browser tests') is due in its last 0.6s.
		c := NewClient("http://unused.test", nil)
		iat := time.Unix(1_800_000_000, 0)
		tok := timedPair(t, "short", iat, iat.Add(3*time.Second)).AccessToken
		for _, tc := range []struct {
			at   time.Duration
			want bool
		}{{0, false}, {2300 * time.Millisecond, false}, {2500 * time.Millisecond, true}, {4 * time.Second, true}} {
			if got := c.renewDue(tok, iat.Add(tc.at)); got != tc.want {
				t.Errorf("renewDue %v after iat = %v, want %v", tc.at, got, tc.want)
			}
		}
		for _, opaque := range []string{"access-1", makeJWT(t, map[string]any{"sub": "7"}), ""} {
			if c.renewDue(opaque, iat) {
				t.Errorf("renewDue(%q) = true for a token without exp", opaque)
			}
		}
	})

	t.Run("OKFiftyCallsShareOneRefresh", func(t *testing.T) {
		t.Parallel()
		a := api(t, fresh.AccessToken, due, fresh)
		c := a.client(storeWith(due))
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Go(func() {
				_, err := c.UserDataV2(t.Context())
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("UserDataV2: %v", err)
			}
		}
		if got, want := a.count(routeRefresh), 1; got != want {
			t.Fatalf("refreshes = %d, want %d", got, want)
		}
		if got, want := a.count(routeData), 50; got != want {
			t.Fatalf("data requests = %d, want %d (none refused)", got, want)
		}
	})

	// Two clients of one store (two tabs) behind one shared lock: the
	// second finds the tokens renewed by the first and adopts them.
	t.Run("OKOneRefreshAcrossSharedLock", func(t *testing.T) {
		t.Parallel()
		a := api(t, fresh.AccessToken, due, fresh)
		store := storeWith(due)
		var mu sync.Mutex
		lock := WithSharedLock(func(ctx context.Context, fn func()) error {
			mu.Lock()
			defer mu.Unlock()
			fn()
			return nil
		})
		tabs := []*Client{a.client(store, lock), a.client(store, lock)}
		var wg sync.WaitGroup
		for _, c := range tabs {
			wg.Go(func() {
				if _, err := c.UserDataV2(t.Context()); err != nil {
					t.Errorf("UserDataV2: %v", err)
				}
			})
		}
		wg.Wait()
		if got, want := a.count(routeRefresh), 1; got != want {
			t.Fatalf("refreshes = %d, want %d", got, want)
		}
		if got, want := a.bearers(routeData), fresh.AccessToken+","+fresh.AccessToken; got != want {
			t.Fatalf("data asked for with %q, want the renewed token twice", got)
		}
	})

	// This machine's clock is an hour ahead of the server's: every token
	// looks expired on arrival. One refresh teaches the client the skew
	// (from the new token's iat); the next calls renew nothing.
	t.Run("OKLearnsClockSkew", func(t *testing.T) {
		t.Parallel()
		server := now.Add(-time.Hour)
		old := timedPair(t, "old", server.Add(-10*time.Minute), server.Add(5*time.Minute))
		renewed := timedPair(t, "renewed", server, server.Add(15*time.Minute))
		a := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: func(w http.ResponseWriter, r *http.Request) {
				if b := bearer(r); b != old.AccessToken && b != renewed.AccessToken {
					writeExpired(w)
					return
				}
				writeJSON(w, http.StatusOK, alice)
			},
			routeRefresh: refreshTo(old.RefreshToken, renewed),
		})
		c := a.client(storeWith(old))
		for range 3 {
			if _, err := c.UserDataV2(t.Context()); err != nil {
				t.Fatalf("UserDataV2: %v", err)
			}
		}
		if got, want := a.count(routeRefresh), 1; got != want {
			t.Fatalf("refreshes = %d, want %d: the skew was not learned", got, want)
		}
	})

	// The refresh ahead of the call fails for a passing reason (a 503):
	// the token, still good, is sent all the same, and kept.
	t.Run("OKTransientFailureSendsTheToken", func(t *testing.T) {
		t.Parallel()
		a := newFakeAPI(t, map[string]http.HandlerFunc{
			routeData: userData(due.AccessToken),
			routeRefresh: func(w http.ResponseWriter, r *http.Request) {
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "Database unavailable")
			},
		})
		store := storeWith(due)
		if _, err := a.client(store).UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if a.count(routeRefresh) != 1 || a.count(routeData) != 1 || store.Load() != due {
			t.Fatalf("refreshes %d, data %d, stored %+v; want 1, 1 and the pair kept", a.count(routeRefresh), a.count(routeData), store.Load())
		}
	})

	// The refresh ahead of the call is refused: signed out, and the call
	// is not made.
	t.Run("ErrRefusedSignsOut", func(t *testing.T) {
		t.Parallel()
		a := api(t, fresh.AccessToken, fresh, fresh) // refuses due's refresh token
		store := storeWith(due)
		_, err := a.client(store).UserDataV2(t.Context())
		if !errors.Is(err, ErrSignedOut) || !SessionOver(err) {
			t.Fatalf("err = %v, want ErrSignedOut", err)
		}
		if a.count(routeData) != 0 || store.Load() != (TokenPair{}) {
			t.Fatalf("data requests %d, stored %+v; want none and the store cleared", a.count(routeData), store.Load())
		}
	})

	// The server refuses a token the client thought good (its clock is
	// behind): the 401 refresh-and-retry still works.
	t.Run("OKFallbackOn401", func(t *testing.T) {
		t.Parallel()
		notDue := timedPair(t, "looks-good", now, now.Add(15*time.Minute))
		a := api(t, fresh.AccessToken, notDue, fresh)
		if _, err := a.client(storeWith(notDue)).UserDataV2(t.Context()); err != nil {
			t.Fatalf("UserDataV2: %v", err)
		}
		if got, want := a.bearers(routeData), notDue.AccessToken+","+fresh.AccessToken; got != want {
			t.Fatalf("data asked for with %q, want the refused token then the renewed one", got)
		}
	})
}

// TestClientLogoutExpired: Logout does not send a token whose exp has
// passed (the server would only refuse it, and a browser logs the 401):
// an expired access token is left for the refresh token, which ends the
// session; with both expired, nothing is sent. The store is cleared.
func TestClientLogoutExpired(t *testing.T) {
	t.Parallel()
	now := time.Now()
	live := timedPair(t, "live", now, now.Add(time.Hour))
	gone := timedPair(t, "gone", now.Add(-2*time.Hour), now.Add(-time.Hour))
	for _, tc := range []struct {
		name    string
		pair    TokenPair
		bearers string
	}{
		{"OKAccessExpired", TokenPair{AccessToken: gone.AccessToken, RefreshToken: live.RefreshToken}, live.RefreshToken},
		{"OKBothExpired", gone, ""},
		{"OKNoneExpired", live, live.AccessToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, map[string]http.HandlerFunc{
				routeLogout: func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, http.StatusOK, Message{Msg: "Access token successfully revoked"})
				},
			})
			store := storeWith(tc.pair)
			if err := api.client(store).Logout(t.Context()); err != nil {
				t.Fatalf("Logout: %v", err)
			}
			if got := api.bearers(routeLogout); got != tc.bearers {
				t.Fatalf("DELETE /api/logout bearers = %q, want %q", got, tc.bearers)
			}
			if got := store.Load(); got != (TokenPair{}) {
				t.Fatalf("stored pair = %+v, want it cleared", got)
			}
		})
	}
}

// TestAsError: AsError finds an *Error as errors.As does, through %w
// wrapping, joined errors and several %w.
func TestAsError(t *testing.T) {
	t.Parallel()
	e := &Error{Status: 401, Code: CodeTokenRevoked}
	for _, tc := range []struct {
		name string
		err  error
		want *Error
	}{
		{"OKItself", e, e},
		{"OKWrapped", fmt.Errorf("GET /x: %w", e), e},
		{"OKTwice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", e)), e},
		{"OKJoined", errors.Join(errors.New("x"), e), e},
		{"OKSecondOfTwo", fmt.Errorf("refresh: %w: %w", ErrSignedOut, e), e},
		{"ErrNone", fmt.Errorf("x: %w", ErrSignedOut), nil},
		{"ErrNil", nil, nil},
	} {
		if got := AsError(tc.err); got != tc.want {
			t.Errorf("%s: AsError = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestReadLimited: readLimited reads a body whole, whatever the sizes of
// the reader's reads, up to its limit and not past it; drain reads at most
// maxDrain bytes of what is left.
func TestReadLimited(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("tessera ", 300) // 2400 bytes: past the first buffer
	for _, tc := range []struct {
		name  string
		r     io.Reader
		limit int64
		want  string
		err   string
	}{
		{"OKWhole", strings.NewReader(body), 1 << 20, body, ""},
		{"OKByteByByte", iotest.OneByteReader(strings.NewReader(body)), 1 << 20, body, ""},
		{"OKAtLimit", strings.NewReader(body), int64(len(body)), body, ""},
		{"OKEmpty", strings.NewReader(""), 10, "", ""},
		{"OKDataWithEOF", iotest.DataErrReader(strings.NewReader(body)), 1 << 20, body, ""},
		{"ErrPastLimit", strings.NewReader(body), int64(len(body)) - 1, "", "body exceeds 2399 bytes"},
		{"ErrRead", iotest.TimeoutReader(strings.NewReader(body)), 1 << 20, "", "read answer: timeout"},
	} {
		got, err := readLimited(tc.r, tc.limit)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
		case tc.err == "" && (err != nil || string(got) != tc.want):
			t.Errorf("%s: got %d bytes, %v; want %d bytes", tc.name, len(got), err, len(tc.want))
		}
	}

	r := strings.NewReader(strings.Repeat("x", 3*maxDrain))
	drain(r)
	if left := r.Len(); left < maxDrain || left > 2*maxDrain {
		t.Errorf("drain left %d bytes of %d, want about %d", left, 3*maxDrain, 2*maxDrain)
	}
	r = strings.NewReader(body)
	drain(r)
	if r.Len() != 0 {
		t.Errorf("drain left %d bytes of a short body", r.Len())
	}
}
