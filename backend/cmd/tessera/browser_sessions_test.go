package main

// Browser tests of sessions: two tabs of one profile renewing the session
// together, and one profile signing another out. Same conventions as
// browser_test.go (Chromium, a built web/app.wasm, the real clock).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tessera/internal/testlog"
	"tessera/shared"
)

// reuseWarning is the server's warning when a retired refresh token comes
// back, which ends the session (backend/api/tokens.go).
const reuseWarning = "retired refresh token presented again"

// refreshGate is a reverse proxy in front of the server that can hold the
// first POST /api/refresh until the test opens it: armed, it makes sure
// that the second tab asks for the refresh lock while the first one holds
// it (the Web Lock of the tabs), rather than the test depending on who
// loads faster.
type refreshGate struct {
	url string

	mu       sync.Mutex
	armed    bool          // the next refresh is held
	release  chan struct{} // closed by open
	held     bool          // a refresh was held
	timedOut bool          // ... and released by the timeout, not by open
}

// gateTimeout bounds how long the gate holds a refresh.
const gateTimeout = 10 * time.Second

func newRefreshGate(t *testing.T, target string) *refreshGate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	g := &refreshGate{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/refresh" {
			g.hold(r.Context())
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

// arm makes the gate hold the next refresh until open.
func (g *refreshGate) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed, g.release, g.held, g.timedOut = true, make(chan struct{}), false, false
}

// open lets the held refresh go on, or the next one pass, until arm.
func (g *refreshGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

func (g *refreshGate) hold(ctx context.Context) {
	g.mu.Lock()
	if !g.armed {
		g.mu.Unlock()
		return
	}
	g.armed, g.held = false, true
	release := g.release
	g.mu.Unlock()
	select {
	case <-release:
	case <-ctx.Done():
	case <-time.After(gateTimeout):
		g.mu.Lock()
		g.timedOut = true
		g.mu.Unlock()
	}
}

// result tells whether a refresh was held and whether the timeout
// released it.
func (g *refreshGate) result() (held, timedOut bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held, g.timedOut
}

// signIn signs in with the form of base/signin and waits for the account.
func (tb *tab) signIn(base, user, password string) {
	tb.t.Helper()
	tb.do("open /signin", chromedp.Navigate(base+"/signin"))
	tb.waitApp("signin")
	tb.do("sign in",
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	if got := tb.waitText("#account-username", user); got != user {
		tb.t.Fatalf("after signing in #account-username = %q, want %q (path %s)", got, user, tb.path())
	}
}

// waitCount waits until sel matches n elements and returns how many it
// matches then (after 15s, whatever it last saw).
func (tb *tab) waitCount(sel string, n int) int {
	tb.t.Helper()
	expr := `document.querySelectorAll(` + strconv.Quote(sel) + `).length`
	_, _ = chromedp.Run(tb.ctx, chromedp.Poll[bool](expr+` === `+strconv.Itoa(n),
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	return eval[int](tb, expr)
}

// waitPath waits until location.pathname is want and returns the path.
func (tb *tab) waitPath(want string) string {
	tb.t.Helper()
	_, _ = chromedp.Run(tb.ctx, chromedp.Poll[bool](`location.pathname === `+strconv.Quote(want),
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	return tb.path()
}

// listSessions is GET /api/sessions with access as bearer.
func listSessions(t *testing.T, base, access string) (int, shared.SessionList) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/sessions", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list shared.SessionList
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			t.Fatalf("GET /api/sessions: %v", err)
		}
	}
	return resp.StatusCode, list
}

// waitCountAbove polls the server's count of requests to path until it
// exceeds from (at most 2s), then waits a little for stragglers, and
// returns how many came after from.
func waitCountAbove(s *testServer, path string, from int) int {
	deadline := time.Now().Add(2 * time.Second)
	for s.log.count(path) <= from && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return s.log.count(path) - from
}

// TestBrowserSessions drives the app's session handling in headless
// Chromium against the real server.
func TestBrowserSessions(t *testing.T) {
	t.Parallel()
	exe := requireBrowser(t)
	shots := screenshotDir(t)
	browserCtx := startBrowser(t, exe)

	// Each subtest has a server of its own, whose request counts and
	// warnings are its own, so that they run side by side in one browser
	// (each in browser contexts of its own).
	start := func(t *testing.T) (*testServer, *testlog.Buffer) {
		t.Helper()
		return runRealClockMain(t, map[string]string{"ACCESS_TOKEN_TTL": accessTTL.String()})
	}
	register := func(t *testing.T, s *testServer, user, password string) {
		t.Helper()
		if err := shared.NewClient(s.url, nil).Register(t.Context(), shared.Credentials{Username: user, Password: password}); err != nil {
			t.Fatal(err)
		}
	}

	// OKTabsShareOneRefresh: two tabs of one profile (one localStorage, one
	// set of Web Locks) outlive the access token and reload together. Both
	// need a refresh before their call; one makes it, the other waits for
	// the lock and adopts the new tokens. Spending the refresh token twice
	// would make the server see a retired token again: within the grace
	// window a second refresh, after it the end of the session. Neither
	// tab's call is refused: the tokens are renewed before (the console
	// check fails the test on any 401).
	t.Run("OKTabsShareOneRefresh", func(t *testing.T) {
		t.Parallel()
		s, warnings := start(t)
		const user, password = "two-tabs", "one shared lock"
		register(t, s, user, password)
		gate := newRefreshGate(t, s.url)

		tab1 := newTab(t, browserCtx, shots)
		start := time.Now()
		tab1.signIn(gate.url, user, password)
		tab2 := openTab(t, tab1.ctx, shots) // same browser context
		tab2.do("open /account in the second tab", chromedp.Navigate(gate.url+"/account"))
		if got := tab2.waitText("#account-username", user); got != user {
			t.Fatalf("the second tab is not signed in: #account-username = %q (path %s)", got, tab2.path())
		}
		t.Logf("signed in, second tab open: %.1fs", time.Since(start).Seconds())

		for round := 1; round <= 2; round++ {
			before, ok := tab1.storedTokens()
			if !ok {
				t.Fatalf("round %d: no tokens in localStorage", round)
			}
			if other, _ := tab2.storedTokens(); other != before {
				t.Fatalf("round %d: the tabs do not share localStorage", round)
			}
			time.Sleep(time.Until(jwtExpiry(t, before.AccessToken)) + time.Second)

			refreshes, calls := s.log.count("/api/refresh"), s.log.count("/api/account")
			gate.arm()
			reloadStart := time.Now()
			errs := make(chan error, 2)
			for _, tb := range []*tab{tab1, tab2} {
				go func() { errs <- chromedp.Do(tb.ctx, chromedp.Reload()) }()
			}
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatalf("round %d: reload: %v", round, err)
				}
			}
			// One tab holds the lock (its refresh held at the gate), the
			// other waits for it; then the refresh may go.
			_, raceErr := chromedp.Run(tab1.ctx, chromedp.Poll[bool](`navigator.locks.query().then(s =>
				s.held.filter(l => l.name === 'tessera-refresh').length === 1 &&
				s.pending.filter(l => l.name === 'tessera-refresh').length >= 1)`,
				chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(gateTimeout/2)))
			gate.open()
			for i, tb := range []*tab{tab1, tab2} {
				if got := tb.waitText("#account-username", user); got != user {
					t.Fatalf("round %d: after the access token expired and both tabs reloaded, tab %d shows #account-username = %q (path %s)",
						round, i+1, got, tb.path())
				}
			}
			elapsed := time.Since(reloadStart)

			got := waitCountAbove(s, "/api/refresh", refreshes)
			held, timedOut := gate.result()
			t.Logf("round %d: both tabs show the user %.1fs after the reloads; %d refresh(es), %d GET /api/account",
				round, elapsed.Seconds(), got, s.log.count("/api/account")-calls)
			if got != 1 {
				t.Errorf("round %d: the server saw %d refreshes, want 1: the tabs did not share the refresh", round, got)
			}
			if !held || timedOut || raceErr != nil {
				t.Errorf("round %d: the race did not happen (refresh held %v, released by timeout %v, a tab waiting for the lock: %v): both tabs should have needed the refresh",
					round, held, timedOut, raceErr)
			}
			if strings.Contains(warnings.String(), reuseWarning) {
				t.Fatalf("round %d: the server saw a retired refresh token again:\n%s", round, warnings.String())
			}

			after, ok := tab1.storedTokens()
			if !ok || after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken {
				t.Fatalf("round %d: the tokens were not renewed (rotated): %v", round, ok)
			}
			if other, _ := tab2.storedTokens(); other != after {
				t.Errorf("round %d: the tabs hold different tokens after the refresh", round)
			}
			status, list := listSessions(t, s.url, after.AccessToken)
			if status != http.StatusOK || len(list.Sessions) != 1 || !list.Sessions[0].Current {
				t.Fatalf("round %d: GET /api/sessions with the renewed token = %d %+v, want the one live session", round, status, list)
			}
		}

		// Change the password from the account page: a wrong current
		// password is refused (the server's 401 does not end the session),
		// the right one works and this session goes on.
		tab1.expectAPIError("the test submits a wrong current password", "POST", "/api/password", http.StatusUnauthorized, shared.CodeBadCredentials)
		tab1.do("open Change password from the account page", chromedp.Click(chromedp.CSS("#change-password-link")))
		tab1.waitApp("password")
		tab1.do("submit a wrong current password",
			chromedp.SendKeys(chromedp.CSS("#current-password"), "not the password"),
			chromedp.SendKeys(chromedp.CSS("#new-password"), "a new password"),
			chromedp.Click(chromedp.CSS("#change-password")),
		)
		const wrong = "That is not your current password."
		if got := tab1.waitText("#current-password-error", wrong); got != wrong {
			t.Errorf("#current-password-error = %q, want %q", got, wrong)
		}
		if got := tab1.path(); got != "/password" {
			t.Fatalf("after a wrong current password the path is %s, want /password", got)
		}
		// Empty the field as a user would, with an input event the app sees.
		eval[bool](tab1, `(() => {
			const e = document.querySelector('#current-password');
			e.value = '';
			e.dispatchEvent(new Event('input', {bubbles: true}));
			return true;
		})()`)
		tab1.do("submit the right one",
			chromedp.SendKeys(chromedp.CSS("#current-password"), password),
			chromedp.Click(chromedp.CSS("#change-password")),
		)
		const changed = "Password changed. Your other sessions were signed out."
		if got := tab1.waitText("#notice.message-success", changed); got != changed {
			t.Errorf("#notice = %q, want %q", got, changed)
		}
		if left := eval[string](tab1, `document.querySelector('#current-password').value + document.querySelector('#new-password').value`); left != "" {
			t.Error("the password fields were not emptied after the change")
		}
		tab1.screenshot("password-changed")
		if _, err := shared.NewClient(s.url, nil).Login(t.Context(), shared.Credentials{Username: user, Password: "a new password"}); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
		tab1.do("back to the account", chromedp.Click(chromedp.CSS(`a[href="/account"]`)))
		if got := tab1.waitText("#account-username", user); got != user {
			t.Fatalf("after changing the password #account-username = %q (path %s)", got, tab1.path())
		}

		// Signing out in one tab signs the other out too (storage event).
		tab1.do("sign out in the first tab", chromedp.Click(chromedp.CSS("#signout")))
		tab1.waitApp("signin")
		if got := tab2.waitPath("/signin"); got != "/signin" {
			t.Fatalf("after signing out in the first tab, the second tab is at %s, want /signin", got)
		}
		const other = "You signed out in another tab."
		if got := tab2.waitText("#notice", other); got != other {
			t.Errorf("second tab #notice = %q, want %q", got, other)
		}
	})

	// OKSignOutOthers: two profiles (two browsers) and a Go program are
	// signed in as one user. Profile A ends the Go program's session, then
	// signs out everywhere else: profile B, on its next page, is sent to
	// sign in with the reason, and its other tab follows.
	t.Run("OKSignOutOthers", func(t *testing.T) {
		t.Parallel()
		s, _ := start(t)
		const user, password = "far-and-wide", "sign out the rest"
		register(t, s, user, password)
		program := shared.NewClient(s.url, nil)
		if _, err := program.Login(t.Context(), shared.Credentials{Username: user, Password: password}); err != nil {
			t.Fatal(err)
		}
		own, err := program.Sessions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var programID string
		for _, sess := range own.Sessions {
			if sess.Current {
				programID = sess.ID
			}
		}
		if programID == "" {
			t.Fatalf("the Go client's session is not in %+v", own)
		}

		profileB := startBrowser(t, exe)
		a := newTab(t, browserCtx, shots)
		b := newTab(t, profileB, shots)
		a.signIn(s.url, user, password)
		b.signIn(s.url, user, password)
		// A second tab of profile B, left on its account page.
		b2 := openTab(t, b.ctx, shots)
		b2.do("open /account in profile B's second tab", chromedp.Navigate(s.url+"/account"))
		if got := b2.waitText("#account-username", user); got != user {
			t.Fatalf("profile B's second tab: #account-username = %q (path %s)", got, b2.path())
		}

		a.do("open Sessions from the navigation", chromedp.Click(chromedp.CSS(`a[href="/sessions"]`)))
		if n := a.waitCount("#sessions-list .session", 3); n != 3 {
			t.Fatalf("#sessions-list has %d sessions, want 3 (two browsers, one program)", n)
		}
		if got := a.path(); got != "/sessions" {
			t.Errorf("path = %q, want /sessions", got)
		}
		current := eval[string](a, `document.querySelector('#sessions-list .session-current .session-device')?.textContent ?? ''`)
		if badge := eval[string](a, `document.querySelector('#sessions-list .session-current .badge')?.textContent ?? ''`); badge != "This device" {
			t.Errorf("the current session's badge = %q, want This device", badge)
		}
		if !strings.Contains(current, "Chrome on Linux") {
			t.Errorf("the current session is shown as %q, want … Chrome on Linux", current)
		}
		if n := eval[int](a, `document.querySelectorAll('#sessions-list button[id^="end-"]').length`); n != 2 {
			t.Errorf("%d End session buttons, want 2 (not the current session)", n)
		}
		endProgram := `[id="end-` + programID + `"]`
		if got := eval[string](a, `document.querySelector('`+endProgram+`')?.closest('.session')?.querySelector('.session-device')?.textContent ?? ''`); got != "Go program" {
			t.Errorf("the Go client's session is shown as %q, want Go program", got)
		}
		a.screenshot("sessions")

		// End the Go program's session.
		a.do("end the Go client's session", chromedp.Click(chromedp.CSS(endProgram)))
		const endedOne = "Session ended. That device has been signed out."
		if got := a.waitText("#notice", endedOne); got != endedOne {
			t.Errorf("#notice = %q, want %q", got, endedOne)
		}
		if n := a.waitCount("#sessions-list .session", 2); n != 2 {
			t.Errorf("after ending one, #sessions-list has %d sessions, want 2", n)
		}
		var apiErr *shared.Error
		if _, err := program.UserDataV2(t.Context()); !errors.As(err, &apiErr) || apiErr.Code != shared.CodeTokenRevoked {
			t.Errorf("the Go client after its session was ended: %v, want token_revoked", err)
		}

		// Sign out everywhere else: profile B's session ends.
		a.do("sign out everywhere else", chromedp.Click(chromedp.CSS("#signout-others")))
		const signedOut = "Signed out of 1 other session."
		if got := a.waitText("#notice", signedOut); got != signedOut {
			t.Errorf("#notice = %q, want %q", got, signedOut)
		}
		if n := a.waitCount("#sessions-list .session", 1); n != 1 {
			t.Errorf("after signing out elsewhere, #sessions-list has %d sessions, want 1", n)
		}
		if disabled := eval[bool](a, `document.querySelector('#signout-others').disabled`); !disabled {
			t.Error("#signout-others is enabled with no other session")
		}
		a.screenshot("sessions-signed-out-others")

		// Profile B's next call finds its session revoked: its access
		// token, or its refresh token when the access token had expired.
		b.expect("profile A signed profile B out: B's next call is refused with 401 token_revoked", true, func(p problem) bool {
			return apiError("GET", "/api/account", http.StatusUnauthorized, shared.CodeTokenRevoked)(p) ||
				apiError("POST", "/api/refresh", http.StatusUnauthorized, shared.CodeTokenRevoked)(p)
		})
		b.do("open /account in profile B", chromedp.Navigate(s.url+"/account"))
		if got := b.waitPath("/signin"); got != "/signin" {
			t.Fatalf("profile B is at %s after its session was ended, want /signin", got)
		}
		const elsewhere = "Your session was ended from another device or tab. Please sign in again."
		if got := b.waitText("#notice", elsewhere); got != elsewhere {
			t.Errorf("profile B #notice = %q, want %q", got, elsewhere)
		}
		if _, ok := b.storedTokens(); ok {
			t.Error("profile B still stores tokens")
		}
		b.screenshot("signin-ended-elsewhere")
		// Its other tab follows: the tokens went, but not by a sign-out there.
		if got := b2.waitPath("/signin"); got != "/signin" {
			t.Errorf("profile B's second tab is at %s, want /signin", got)
		} else if got := b2.waitText("#notice", "Your session has ended. Please sign in again."); got != "Your session has ended. Please sign in again." {
			t.Errorf("profile B's second tab #notice = %q, want Your session has ended. Please sign in again.", got)
		}

		// Profile A is still signed in.
		tokens, ok := a.storedTokens()
		if !ok {
			t.Fatal("profile A lost its tokens")
		}
		a.do("open Account", chromedp.Click(chromedp.CSS(`a[href="/account"]`)))
		if got := a.waitText("#account-username", user); got != user {
			t.Errorf("profile A: #account-username = %q, want %q", got, user)
		}
		if latest, _ := a.storedTokens(); latest.AccessToken != "" {
			tokens = latest
		}
		if status, list := listSessions(t, s.url, tokens.AccessToken); status == http.StatusOK && len(list.Sessions) != 1 {
			t.Errorf("the user has %d sessions, want 1: %+v", len(list.Sessions), list)
		}
	})
}
