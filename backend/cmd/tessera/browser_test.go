package main

// Browser end-to-end tests: the real server (SQLite, real clock) and the
// go-app PWA it embeds, driven in headless Chromium with chromedp. They
// need Chromium and a built web/app.wasm (make wasm); without either they
// skip, except under CI=true where they fail.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tessera/internal/testlog"
	"tessera/shared"
	"tessera/web"
)

const (
	// browserTimeout bounds the whole browser test, browser start included.
	browserTimeout = 90 * time.Second
	// tabTimeout bounds each subtest's tab. The first load compiles the
	// ~13 MB app.wasm, which takes a few seconds.
	tabTimeout = 60 * time.Second
	// accessTTL is the server's access token lifetime in the browser tests:
	// short, because the browser's clock is real and the test must outlive it.
	accessTTL = 3 * time.Second
)

// requireBrowser returns the Chromium to drive. It skips the test when
// Chromium or the embedded app.wasm is missing, or fails it under CI=true.
func requireBrowser(t *testing.T) string {
	t.Helper()
	if !web.New().HasWasm() {
		skipOrFail(t, "browser tests need the app: run make wasm first")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	skipOrFail(t, "browser tests need Chromium: apt-get install -y chromium")
	return ""
}

func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// warnOnly passes on the records of level Warn and above. It is enabled for
// every level, so that the countingHandler in front of it sees the request
// lines (Info).
type warnOnly struct{ slog.Handler }

func (h warnOnly) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// mustRunRealClockMain is mustRunMain on SQLite with the real clock: the
// browser app runs on the browser's real clock, so the server's tokens and
// store must use real time too (no Now hook). The server's warnings and
// errors are logged at the end of the test.
func mustRunRealClockMain(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	s, _ := runRealClockMain(t, env)
	return s
}

// runRealClockMain is mustRunRealClockMain that also returns the buffer of
// the server's warnings and errors (text lines), for tests that look for
// one.
func runRealClockMain(t *testing.T, env map[string]string) (*testServer, *testlog.Buffer) {
	t.Helper()
	vars := map[string]string{
		"ADDR":        "127.0.0.1:0",
		"DATA_DIR":    t.TempDir(),
		"BCRYPT_COST": "4",

		"BCRYPT_COST_UNSAFE": "1",
	}
	maps.Copy(vars, env)
	warnings := &testlog.Buffer{}
	log := &countingHandler{
		Handler: warnOnly{slog.NewTextHandler(warnings, nil)},
		paths:   map[string]int{},
	}
	// Registered before runMain's cleanup, so it runs after the server
	// closed and sees everything it logged.
	t.Cleanup(func() {
		if s := warnings.String(); s != "" {
			t.Logf("server warnings and errors:\n%s", s)
		}
	})
	m := runMain(t, vars, log, nil)
	return &testServer{Main: m, log: log, url: "http://" + m.Addr()}, warnings
}

// writePNG writes a w×h PNG of coloured tiles to path.
func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	palette := []color.RGBA{{15, 118, 110, 255}, {244, 246, 248, 255}, {217, 119, 6, 255}, {30, 64, 175, 255}}
	for y := range h {
		for x := range w {
			img.Set(x, y, palette[(x/8+y/8)%len(palette)])
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// screenshotDir is testdata/screenshots at the root of the module
// (git-ignored), created if needed.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "testdata", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tab is one browser tab in a browser context of its own (its own
// localStorage, cookies and service workers), bound by tabTimeout.
type tab struct {
	t     *testing.T
	ctx   context.Context
	shots string // screenshot folder

	mu      sync.Mutex
	console []string
}

// newTab opens a tab in a new browser context of browserCtx's browser. It
// records the page's console messages and logs them when the test ends,
// with a screenshot when the test failed.
func newTab(t *testing.T, browserCtx context.Context, shots string) *tab {
	t.Helper()
	return openTab(t, browserCtx, shots, chromedp.WithNewBrowserContext())
}

// openTab opens a tab made by chromedp.NewContext(parent, opts...): given
// the context of another tab and no option, a second tab of that tab's
// browser context (same localStorage, same Web Locks). See newTab.
func openTab(t *testing.T, parent context.Context, shots string, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	ctx, cancelTab := chromedp.NewContext(parent, opts...)
	ctx, cancelTimeout := context.WithTimeout(ctx, tabTimeout)
	tb := &tab{t: t, ctx: ctx, shots: shots}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		cancelTimeout()
		cancelTab()
		t.Fatalf("open a tab: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			line := string(m.Type) + ": " + m.Text
			if m.URL != "" {
				line += " (" + m.URL + ":" + strconv.FormatInt(m.Line+1, 10) + ")"
			}
			tb.mu.Lock()
			tb.console = append(tb.console, line)
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() && ctx.Err() == nil {
			if b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				name := "failed-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + ".png"
				if err := os.WriteFile(filepath.Join(shots, name), b, 0o644); err == nil {
					t.Logf("screenshot of the failure: %s", filepath.Join(shots, name))
				}
			}
		}
		cancelTimeout()
		cancelTab()
		<-done
		tb.mu.Lock()
		defer tb.mu.Unlock()
		if len(tb.console) > 0 {
			t.Logf("browser console:\n  %s", strings.Join(tb.console, "\n  "))
		}
	})
	return tb
}

// do runs steps, failing the test with what on error.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// run runs a, failing the test with what on error.
func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	return run(tb, "evaluate "+expr, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// waitApp waits until the app is running on the page whose root is
// #page-<name>: go-app's wasm loader is gone and, on the sign-in and
// register pages, the submit button is enabled (it is disabled in the
// prerendered HTML and until the app has mounted the page). It returns
// performance.now() at that moment: milliseconds since navigation start.
func (tb *tab) waitApp(name string) float64 {
	tb.t.Helper()
	expr := `(() => {
		if (document.getElementById('app-wasm-loader')) return 0;
		const root = document.getElementById('page-` + name + `');
		if (!root) return 0;
		const submit = root.querySelector('#submit');
		if (submit && submit.disabled) return 0;
		return performance.now();
	})()`
	return run(tb, "wait for the app on #page-"+name, chromedp.Poll[float64](expr,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second)))
}

// waitText waits until the element sel exists with the text want and
// returns its text; after the timeout it returns what it last saw.
func (tb *tab) waitText(sel, want string) string {
	tb.t.Helper()
	expr := `(() => {
		const e = document.querySelector(` + strconv.Quote(sel) + `);
		return e && e.textContent.trim() === ` + strconv.Quote(want) + `;
	})()`
	// A timeout is reported by the caller, which compares the text.
	_, _ = chromedp.Run(tb.ctx, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	return eval[string](tb, `(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); return e ? e.textContent.trim() : '<no `+sel+`>'; })()`)
}

// path is location.pathname + search + hash.
func (tb *tab) path() string {
	tb.t.Helper()
	return eval[string](tb, `location.pathname + location.search + location.hash`)
}

// screenshot saves a full-page PNG as name.png in the screenshot folder.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	// Move the mouse off the page's controls: a control left under it
	// by the last click would show its hover style.
	tb.do("move the mouse away", chromedp.MouseEvent(chromedp.MouseMoved, 0, 0))
	b := run(tb, "screenshot "+name, chromedp.FullScreenshot(100))
	p := filepath.Join(tb.shots, name+".png")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot: %s", p)
}

// storedTokens reads the app's token pair from localStorage.
func (tb *tab) storedTokens() (shared.TokenPair, bool) {
	tb.t.Helper()
	raw := eval[string](tb, `localStorage.getItem('tessera.tokens') ?? ''`)
	if raw == "" {
		return shared.TokenPair{}, false
	}
	var p shared.TokenPair
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		tb.t.Fatalf("localStorage tessera.tokens = %q: %v", raw, err)
	}
	return p, true
}

// apiCall sends method path to the server with token as bearer and returns
// the status and the decoded error body.
func apiCall(t *testing.T, base, method, path, token string) (int, shared.ErrorBody) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body shared.ErrorBody
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, body
}

// navTiming is the part of the PerformanceNavigationTiming entry logged.
type navTiming struct {
	ResponseEnd      float64 `json:"responseEnd"`
	DOMContentLoaded float64 `json:"domContentLoaded"`
	Load             float64 `json:"load"`
}

// imageInfo describes an <img> of the page.
type imageInfo struct {
	Src    string `json:"src"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// swRegistration describes navigator.serviceWorker.getRegistration().
type swRegistration struct {
	Scope  string `json:"scope"`
	Script string `json:"script"`
	State  string `json:"state"`
}

// jwtExpiry returns the exp claim of a JWT (not verified: the test only
// needs to know when the server will call it expired).
func jwtExpiry(t *testing.T, token string) time.Time {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == 0 {
		t.Fatalf("token payload %s: no exp (%v)", payload, err)
	}
	return time.Unix(claims.Exp, 0)
}

// startBrowser starts a headless Chromium with a profile of its own (a new
// user-data-dir) and returns its browser context; the browser is bound by
// browserTimeout and stopped when the test ends. Its output is logged when
// the test fails.
func startBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	t.Cleanup(cancel)
	chromeOut := &testlog.Buffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
		chromedp.CombinedOutput(chromeOut),
	)
	// Registered after t.TempDir, so it runs before the profile is removed:
	// it waits for Chromium to exit.
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts Chromium
		t.Fatalf("start Chromium: %v\n%s", err, chromeOut.String())
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		var lines []string
		for l := range strings.Lines(chromeOut.String()) {
			if !strings.Contains(l, "dbus/") { // no D-Bus in a container: noise
				lines = append(lines, l)
			}
		}
		t.Logf("Chromium output:\n%s", strings.Join(lines, ""))
	})
	return browserCtx
}

// TestBrowser drives the app in headless Chromium against the real server.
func TestBrowser(t *testing.T) {
	t.Parallel()
	exe := requireBrowser(t)
	s := mustRunRealClockMain(t, map[string]string{"ACCESS_TOKEN_TTL": accessTTL.String()})
	const pngW, pngH = 96, 64
	writePNG(t, filepath.Join(s.Config.FilesDir, "mosaic.png"), pngW, pngH)
	if err := os.WriteFile(filepath.Join(s.Config.FilesDir, "notes.txt"), []byte("tessera\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shots := screenshotDir(t)

	browserCtx := startBrowser(t, exe)

	// OKJourney: register, see the account, see an image of the files page,
	// outlive the access token, reload (silent refresh), sign out.
	//
	// The session is renewed last, just before signing out: with a 3s access
	// token, only a freshly renewed one is still unexpired when the test
	// checks that signing out revoked it (the server reports an expired
	// token as expired, not as revoked).
	t.Run("OKJourney", func(t *testing.T) {
		tb := newTab(t, browserCtx, shots)
		const user, password = "mosaic-maker", "terracotta tiles"

		// Register; the app signs in and shows the account.
		start := time.Now()
		tb.do("open /register", chromedp.Navigate(s.url+"/register"))
		loaded := time.Since(start)
		tb.do("wait for the prerendered page", chromedp.WaitVisible(chromedp.CSS("#page-register")))
		prerendered := time.Since(start)
		ready := tb.waitApp("register")
		wall := time.Since(start)
		nav := eval[navTiming](tb, `(() => {
			const e = performance.getEntriesByType('navigation')[0];
			return {responseEnd: e.responseEnd, domContentLoaded: e.domContentLoadedEventEnd, load: e.loadEventEnd};
		})()`)
		wasm := eval[float64](tb, `(() => {
			const e = performance.getEntriesByType('resource').find(r => r.name.endsWith('/web/app.wasm'));
			return e ? e.responseEnd : -1;
		})()`)
		t.Logf("time to first render: %.2fs (navigation start to the app running on /register: wasm loader gone, #submit enabled; performance.now())", ready/1000)
		t.Logf("  Go wall clock: Navigate returned (load event) after %.2fs, prerendered #page-register visible after %.2fs, app running after %.2fs",
			loaded.Seconds(), prerendered.Seconds(), wall.Seconds())
		t.Logf("  navigation timing: HTML response end %.0fms, DOMContentLoaded %.0fms, load %.0fms; app.wasm downloaded at %.0fms",
			nav.ResponseEnd, nav.DOMContentLoaded, nav.Load, wasm)

		tb.do("fill the register form",
			chromedp.SendKeys(chromedp.CSS("#username"), user),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
		)
		tb.screenshot("register")
		tb.do("submit", chromedp.Click(chromedp.CSS("#submit")))
		if got := tb.waitText("#account-username", user); got != user {
			t.Fatalf("#account-username = %q, want %q (path %s)", got, user, tb.path())
		}
		if got := tb.path(); got != "/account" {
			t.Errorf("after registering the path is %q, want /account", got)
		}
		welcome := "Welcome to Tessera, " + user + ". Your account is ready."
		if got := tb.waitText("#notice", welcome); got != welcome {
			t.Errorf("#notice = %q, want %q", got, welcome)
		}
		if id := eval[string](tb, `document.querySelector('#account-id')?.textContent ?? ''`); id == "" {
			t.Errorf("#account-id is empty")
		}
		tb.screenshot("account")
		first, ok := tb.storedTokens()
		if !ok || first.AccessToken == "" || first.RefreshToken == "" {
			t.Fatalf("localStorage tessera.tokens = %+v after registering, want both tokens", first)
		}

		// Files: the image is fetched with the Authorization header and
		// shown from a blob URL.
		tb.do("open Files from the navigation", chromedp.Click(chromedp.CSS(`a[href="/files"]`)))
		img := run(tb, "wait for the image in #files-list", chromedp.Poll[imageInfo](`(() => {
			const img = document.querySelector('#files-list img');
			return img && img.complete ? {src: img.getAttribute('src'), width: img.naturalWidth, height: img.naturalHeight} : null;
		})()`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
		if !strings.HasPrefix(img.Src, "blob:") {
			t.Errorf("the <img> in #files-list has src %q, want a blob: URL", img.Src)
		}
		if img.Width != pngW || img.Height != pngH {
			t.Errorf("the <img> is %d×%d, want the %d×%d PNG", img.Width, img.Height, pngW, pngH)
		}
		if got := tb.path(); got != "/files" {
			t.Errorf("path = %q, want /files", got)
		}
		tb.screenshot("files")

		// Back to the account; outlive the access token (the browser's
		// clock is real) and reload: the app renews the session silently.
		tb.do("open Account from the navigation", chromedp.Click(chromedp.CSS(`a[href="/account"]`)))
		if got := tb.waitText("#account-username", user); got != user {
			t.Fatalf("back on the account page #account-username = %q, want %q (path %s)", got, user, tb.path())
		}
		refreshes := s.log.count("/api/refresh")
		time.Sleep(time.Until(jwtExpiry(t, first.AccessToken)) + time.Second)
		tb.do("reload /account", chromedp.Reload())
		if got := tb.waitText("#account-username", user); got != user {
			t.Fatalf("after the access token expired and a reload, #account-username = %q, want %q (path %s)", got, user, tb.path())
		}
		deadline := time.Now().Add(2 * time.Second)
		for s.log.count("/api/refresh") == refreshes && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := s.log.count("/api/refresh") - refreshes; got < 1 {
			t.Errorf("the server saw %d refreshes after the access token expired, want at least 1", got)
		} else {
			t.Logf("the server saw %d refresh(es) on the reload after expiry", got)
		}
		if got := eval[string](tb, `document.querySelector('#renewed-at')?.textContent ?? ''`); got == "" || strings.HasPrefix(got, "Not yet renewed") {
			t.Errorf("#renewed-at = %q after a silent refresh, want its time", got)
		}
		tb.screenshot("account-renewed")

		// Sign out: both tokens are revoked on the server and forgotten.
		old, ok := tb.storedTokens()
		if !ok || old.AccessToken == "" || old.RefreshToken == "" {
			t.Fatalf("localStorage tessera.tokens = %+v before signing out, want both tokens", old)
		}
		if old.AccessToken == first.AccessToken {
			t.Errorf("the stored access token was not renewed by the refresh")
		}
		// No token in the address bar or in any history entry.
		hist := run(tb, "read the history", chromedp.NavigationEntries())
		urls := []string{eval[string](tb, `location.href`)}
		for _, e := range hist.Entries {
			urls = append(urls, e.URL)
		}
		for _, u := range urls {
			for _, tok := range []string{first.AccessToken, first.RefreshToken, old.AccessToken, old.RefreshToken} {
				if strings.Contains(u, tok) {
					t.Errorf("a token is in the URL %s", u)
				}
			}
			if pu, err := url.Parse(u); err != nil || pu.RawQuery != "" || pu.Fragment != "" {
				t.Errorf("URL %s has a query or a fragment", u)
			}
		}
		t.Logf("history: %q", urls[1:])

		tb.do("sign out", chromedp.Click(chromedp.CSS("#signout")))
		tb.waitApp("signin")
		signedOut := time.Now()
		t.Logf("signed out %.1fs before the renewed access token expires", jwtExpiry(t, old.AccessToken).Sub(signedOut).Seconds())
		if status, body := apiCall(t, s.url, "GET", "/api/user-data", old.AccessToken); status != 401 || body.Msg != "Token has been revoked" {
			if exp := jwtExpiry(t, old.AccessToken); !signedOut.Before(exp) {
				t.Errorf("the access token expired (%s) before the test could check that signing out revoked it: GET /api/user-data = %d %+v",
					exp.Format(time.TimeOnly), status, body)
			} else {
				t.Errorf("GET /api/user-data with the signed-out access token = %d %+v, want 401 Token has been revoked", status, body)
			}
		}
		if status, body := apiCall(t, s.url, "POST", "/api/refresh", old.RefreshToken); status != 401 || body.Msg != "Token has been revoked" {
			t.Errorf("POST /api/refresh with the signed-out refresh token = %d %+v, want 401 Token has been revoked", status, body)
		}
		if got := tb.path(); got != "/signin" {
			t.Errorf("after signing out the path is %q, want /signin", got)
		}
		if got := tb.waitText("#notice", "You have signed out."); got != "You have signed out." {
			t.Errorf("#notice = %q, want %q", got, "You have signed out.")
		}
		if left := eval[[]string](tb, `Object.keys(localStorage)`); len(left) != 0 {
			t.Errorf("localStorage keys after signing out: %q, want none", left)
		}
		tb.screenshot("signin-signed-out")
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		const user = "wrong-password-user"
		c := shared.NewClient(s.url, nil)
		if err := c.Register(t.Context(), shared.Credentials{Username: user, Password: "the right one"}); err != nil {
			t.Fatal(err)
		}
		tb := newTab(t, browserCtx, shots)
		tb.do("open /signin", chromedp.Navigate(s.url+"/signin"))
		tb.waitApp("signin")
		tb.do("fill the sign-in form",
			chromedp.SendKeys(chromedp.CSS("#username"), user),
			chromedp.SendKeys(chromedp.CSS("#password"), "the wrong one"),
			chromedp.Click(chromedp.CSS("#submit")),
		)
		const want = "Incorrect password or username"
		if got := tb.waitText("#error", want); got != want {
			t.Errorf("#error = %q, want %q", got, want)
		}
		if got := tb.path(); got != "/signin" {
			t.Errorf("path = %q, want /signin", got)
		}
		if _, ok := tb.storedTokens(); ok {
			t.Errorf("tokens stored after a failed sign-in")
		}
		tb.screenshot("signin-error")
	})

	t.Run("OKInstallable", func(t *testing.T) {
		tb := newTab(t, browserCtx, shots)
		tb.do("open /signin", chromedp.Navigate(s.url+"/signin"))
		tb.waitApp("signin")

		// go-app registers its service worker (app-worker.js).
		var reg swRegistration
		deadline := time.Now().Add(20 * time.Second)
		for {
			reg = eval[swRegistration](tb, `navigator.serviceWorker.getRegistration().then(r => {
				if (!r) return {scope: '', script: '', state: ''};
				const w = r.active || r.waiting || r.installing;
				return {scope: r.scope, script: w ? w.scriptURL : '', state: w ? w.state : ''};
			})`)
			if reg.Scope != "" || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if reg.Scope == "" {
			t.Fatal("no service worker registration after 20s")
		}
		t.Logf("service worker: scope %s, script %s, state %s", reg.Scope, reg.Script, reg.State)

		// The manifest names the app and has the install icons.
		href := eval[string](tb, `document.querySelector('link[rel="manifest"]')?.href ?? ''`)
		if href == "" {
			t.Fatal(`no <link rel="manifest">`)
		}
		resp, err := http.Get(href)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var manifest struct {
			Name  string `json:"name"`
			Icons []struct {
				Src   string `json:"src"`
				Sizes string `json:"sizes"`
				Type  string `json:"type"`
			} `json:"icons"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&manifest); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d, %v", href, resp.StatusCode, err)
		}
		if manifest.Name != "Tessera" {
			t.Errorf("manifest name = %q, want Tessera", manifest.Name)
		}
		sizes := map[string]bool{}
		for _, icon := range manifest.Icons {
			for sz := range strings.FieldsSeq(icon.Sizes) {
				sizes[sz] = true
			}
			u, err := url.Parse(href)
			if err != nil {
				t.Fatal(err)
			}
			iu, err := u.Parse(icon.Src)
			if err != nil {
				t.Errorf("icon src %q: %v", icon.Src, err)
				continue
			}
			r, err := http.Get(iu.String())
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Errorf("GET icon %s = %d", iu, r.StatusCode)
			}
		}
		for _, want := range []string{"192x192", "512x512"} {
			if !sizes[want] {
				t.Errorf("manifest icons %+v lack the size %s", manifest.Icons, want)
			}
		}
	})
}
