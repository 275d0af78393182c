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
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
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
//
// It watches the page for what must not happen on a normal journey, and
// fails the test with it when the test ends (see check): a
// Content-Security-Policy violation (a securitypolicyviolation event), a
// console message of type error or assert (the browser's own, such as
// "... violates the following Content Security Policy directive" or
// "Failed to load resource", or the page's), an uncaught exception or
// promise rejection, a Go panic of the wasm app (which Go prints with
// console.log) and the browser's warning about the Permissions-Policy
// header (see consoleError). A test that provokes one on purpose
// says so with expect, for a reason; the only one expected everywhere is an
// API call that found the short-lived access token expired (expiredToken).
type tab struct {
	t     *testing.T
	ctx   context.Context
	shots string // screenshot folder

	mu         sync.Mutex
	console    []string                  // every console message, for the log
	problems   []chromedp.ConsoleMessage // the error-level ones
	violations []cspViolation
	requests   map[network.RequestID]apiRequest
	failures   map[network.RequestID]*apiFailure // API answers of status 400 and above
	expected   []*expectation
	reading    int // bodies of failures being read
}

// cspViolation is a securitypolicyviolation event of the page.
type cspViolation struct {
	Directive   string `json:"directive"` // effectiveDirective
	Blocked     string `json:"blocked"`   // blockedURI: a URL, "inline", "eval", ...
	Source      string `json:"source"`
	Line        int    `json:"line"`
	Sample      string `json:"sample"`
	Disposition string `json:"disposition"`
	Document    string `json:"document"`
}

func (v cspViolation) String() string {
	s := "Content-Security-Policy violation (" + v.Disposition + "): " + v.Directive + " refused " + v.Blocked
	if v.Sample != "" {
		s += " " + strconv.Quote(v.Sample)
	}
	if v.Source != "" {
		s += " at " + v.Source + ":" + strconv.Itoa(v.Line)
	}
	return s + " on " + v.Document
}

// apiFailure is an answer of the API of status 400 or more to the page.
type apiFailure struct {
	Method, URL string
	Status      int
	// Code is the error body's code; "" when unknown: the browser dropped
	// the body (see networkEvent).
	Code string
	// TokenExpired tells that the request carried an access token that
	// had expired when the answer came.
	TokenExpired bool
	matched      bool // a console message was found to be about it
}

func (f *apiFailure) String() string {
	s := f.Method + " " + f.URL + " answered " + strconv.Itoa(f.Status) + " "
	if f.Code != "" {
		s += f.Code
	} else {
		s += "(code unknown)"
	}
	if f.TokenExpired {
		s += ", to an expired access token"
	}
	return s
}

// problem is one thing the browser reported that fails the test unless
// expected: a console message (with the API answer it is about, if any) or
// a CSP violation.
type problem struct {
	console   *chromedp.ConsoleMessage
	api       *apiFailure
	violation *cspViolation
}

func (p problem) String() string {
	switch {
	case p.violation != nil:
		return p.violation.String()
	case p.api != nil:
		return string(p.console.Type) + ": " + p.console.Text + " (" + p.api.String() + ")"
	}
	s := string(p.console.Type) + ": " + p.console.Text
	if p.console.URL != "" {
		s += " (" + p.console.URL + ":" + strconv.FormatInt(p.console.Line+1, 10) + ")"
	}
	if p.console.Source != "" {
		s += " [" + p.console.Source + "]"
	}
	return s
}

// expectation lets the problems it matches pass, for its reason.
type expectation struct {
	reason  string
	match   func(problem) bool
	must    bool // the test fails unless a problem matched
	matched []string
}

// expect lets the problems that match pass, for reason; with must, one of
// them must happen. Keep match narrow: what the test provokes, no more.
func (tb *tab) expect(reason string, must bool, match func(problem) bool) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.expected = append(tb.expected, &expectation{reason: reason, match: match, must: must})
}

// expectAPIError expects the browser's "Failed to load resource" error for
// an answer of the API that the test provokes: status and error code to
// method path.
func (tb *tab) expectAPIError(reason, method, path string, status int, code string) {
	tb.expect(reason, true, apiError(method, path, status, code))
}

// apiError matches the console error about an answer of the API: status
// and code to method path, or status and an unknown code (see
// apiFailure.Code); an empty method or path matches any.
func apiError(method, path string, status int, code string) func(problem) bool {
	return func(p problem) bool {
		if p.api == nil || p.api.Status != status || (p.api.Code != code && p.api.Code != "") || (method != "" && p.api.Method != method) {
			return false
		}
		u, err := url.Parse(p.api.URL)
		return err == nil && (path == "" || u.Path == path)
	}
}

// expiredToken matches the browser's console error for an API call that
// found the access token expired: 401 token_expired, or 401 with an
// unknown code to a request whose token had expired, to any route that
// takes the access token (not /api/refresh, whose expiry ends the
// session).
func expiredToken(p problem) bool {
	if p.api == nil || p.api.Status != http.StatusUnauthorized {
		return false
	}
	if u, err := url.Parse(p.api.URL); err != nil || u.Path == "/api/refresh" {
		return false
	}
	return p.api.Code == shared.CodeTokenExpired || (p.api.Code == "" && p.api.TokenExpired)
}

// cspBinding is the function that the page calls with each
// securitypolicyviolation event (chromedp.ExposeFunc), and cspListener the
// script, run in every document of the tab before the page's own, that
// calls it. Scripts that DevTools adds are not subject to the page's
// policy.
const (
	cspBinding  = "tesseraReportViolation"
	cspListener = `addEventListener('securitypolicyviolation', (e) => {
		window.` + cspBinding + `({
			directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
			line: e.lineNumber, sample: e.sample, disposition: e.disposition, document: e.documentURI,
		});
	}, true);`
)

// newTab opens a tab in a new browser context of browserCtx's browser. See
// openTab.
func newTab(t *testing.T, browserCtx context.Context, shots string) *tab {
	t.Helper()
	return openTab(t, browserCtx, shots, chromedp.WithNewBrowserContext())
}

// openTab opens a tab made by chromedp.NewContext(parent, opts...): given
// the context of another tab and no option, a second tab of that tab's
// browser context (same localStorage, same Web Locks). It watches the
// tab (see tab) and, when the test ends, fails it with what it saw, logs
// the console and takes a screenshot if the test failed.
func openTab(t *testing.T, parent context.Context, shots string, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	ctx, cancelTab := chromedp.NewContext(parent, opts...)
	ctx, cancelTimeout := context.WithTimeout(ctx, tabTimeout)
	tb := &tab{
		t: t, ctx: ctx, shots: shots,
		requests: map[network.RequestID]apiRequest{},
		failures: map[network.RequestID]*apiFailure{},
	}
	tb.expect("the access token lives "+accessTTL.String()+" in these tests: a call that finds it expired is answered 401 token_expired, and shared.Client refreshes the tokens and calls again",
		false, expiredToken)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		cancelTimeout()
		cancelTab()
		t.Fatalf("open a tab: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.ExposeFunc(cspBinding, func(_ context.Context, v cspViolation) (chromedp.Void, error) {
			tb.mu.Lock()
			tb.violations = append(tb.violations, v)
			tb.mu.Unlock()
			return chromedp.Void{}, nil
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
			return err
		}),
	); err != nil {
		cancelTimeout()
		cancelTab()
		t.Fatalf("watch the tab for CSP violations: %v", err)
	}
	if err := chromedp.Listen(ctx, tb.networkEvent); err != nil {
		cancelTimeout()
		cancelTab()
		t.Fatalf("watch the tab's requests: %v", err)
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
			if consoleError(m) {
				tb.problems = append(tb.problems, m)
			}
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		tb.check()
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

// consoleError reports whether m fails a test: a console message of type
// error or assert, an uncaught exception, a Go panic or fatal error of the
// wasm app, which Go writes to the console with console.log, and the
// browser's warning about the server's Permissions-Policy header (an
// unknown feature, a syntax error).
func consoleError(m chromedp.ConsoleMessage) bool {
	switch m.Type {
	case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
		return true
	case chromedp.ConsoleLog:
		return strings.HasPrefix(m.Text, "panic: ") || strings.HasPrefix(m.Text, "fatal error: ")
	case chromedp.ConsoleWarning:
		return strings.HasPrefix(m.Text, "Error with Permissions-Policy header")
	}
	return false
}

// networkEvent records the API's answers of status 400 and above to the
// page: whether the request's access token had expired when the answer
// came, and the error code of the body once loaded, when the browser keeps
// it (it drops the body of a request that the app's fetch cancelled after
// reading it, as Go's wasm transport does on Body.Close). It runs in the
// tab's message loop (chromedp.Listen), so it reads bodies on goroutines.
func (tb *tab) networkEvent(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if r := ev.Request; r != nil && strings.Contains(r.URL, "/api/") {
			auth := headerValue(r.Headers, "Authorization") // fetch sends it as "authorization"
			tb.requests[ev.RequestID] = apiRequest{method: r.Method, expiry: bearerExpiry(auth)}
		}
	case *network.EventResponseReceived:
		req, ok := tb.requests[ev.RequestID]
		if !ok || ev.Response == nil || ev.Response.Status < 400 {
			return
		}
		// Now: the event comes within milliseconds of the answer, on the
		// same clock as the server's.
		at := time.Now()
		tb.failures[ev.RequestID] = &apiFailure{
			Method: req.method, URL: ev.Response.URL, Status: int(ev.Response.Status),
			TokenExpired: !req.expiry.IsZero() && !at.Before(req.expiry),
		}
	case *network.EventLoadingFinished:
		f := tb.failures[ev.RequestID]
		if f == nil {
			return
		}
		tb.reading++
		go func() {
			res, err := chromedp.Call(tb.ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: ev.RequestID})
			var body shared.ErrorBody
			ok := err == nil && json.Unmarshal(res.Body, &body) == nil
			tb.mu.Lock()
			defer tb.mu.Unlock()
			if ok {
				f.Code = body.Code
			}
			tb.reading--
		}()
	}
}

// apiRequest is what networkEvent keeps of a request to the API.
type apiRequest struct {
	method string
	expiry time.Time // of the bearer token; zero without one
}

// bearerExpiry returns the exp claim of the JWT in an Authorization
// header (not verified), or the zero time.
func bearerExpiry(auth string) time.Time {
	token, ok := strings.CutPrefix(auth, "Bearer ")
	parts := strings.Split(token, ".")
	if !ok || len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}

// failedLoad is the start of the browser's console error for an answer of
// status 400 or more; the status follows.
const failedLoad = "Failed to load resource: the server responded with a status of "

// takeProblems returns what the browser reported so far that no
// expectation lets pass, and forgets it.
func (tb *tab) takeProblems() []problem {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var all []problem
	for i := range tb.problems {
		p := problem{console: &tb.problems[i]}
		if rest, ok := strings.CutPrefix(p.console.Text, failedLoad); ok && p.console.Source == "network" {
			status, _ := strconv.Atoi(strings.Fields(rest + " ")[0])
			for _, f := range tb.failures {
				if !f.matched && f.URL == p.console.URL && f.Status == status {
					f.matched, p.api = true, f
					break
				}
			}
		}
		all = append(all, p)
	}
	for i := range tb.violations {
		all = append(all, problem{violation: &tb.violations[i]})
	}
	tb.problems, tb.violations = nil, nil
	var left []problem
next:
	for _, p := range all {
		for _, e := range tb.expected {
			if e.match(p) {
				e.matched = append(e.matched, p.String())
				continue next
			}
		}
		left = append(left, p)
	}
	return left
}

// settle waits until the console messages and API answers of what the
// page did so far have reached the tab.
func (tb *tab) settle() {
	if tb.ctx.Err() == nil {
		// A round trip: the events the browser sent before its answer are
		// read before it.
		_, _ = chromedp.Run(tb.ctx, chromedp.Evaluate[int]("1"))
		time.Sleep(100 * time.Millisecond)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		tb.mu.Lock()
		n := tb.reading
		tb.mu.Unlock()
		if n == 0 {
			return
		}
	}
}

// check fails the test with what the browser reported that no expectation
// lets pass, and with the expectations of must that nothing met; it logs
// the problems that were expected, with the reason.
func (tb *tab) check() {
	tb.t.Helper()
	tb.settle()
	left := tb.takeProblems()
	if len(left) > 0 {
		lines := make([]string, len(left))
		for i, p := range left {
			lines[i] = p.String()
		}
		tb.t.Errorf("the browser reported %d problem(s) in this tab:\n  %s", len(left), strings.Join(lines, "\n  "))
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.expected {
		switch {
		case len(e.matched) > 0:
			tb.t.Logf("expected: %s\n  because %s", strings.Join(e.matched, "\n  "), e.reason)
		case e.must:
			tb.t.Errorf("the browser did not report what the test expected: %s", e.reason)
		}
	}
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

// screenSizes are the viewports of screenshotSizes: a laptop's, and a
// phone's (emulated: touch, the page's viewport meta, twice the pixels).
var screenSizes = []struct {
	name          string
	width, height int64
	phone         bool
}{
	{"desktop", 1280, 800, false},
	{"phone", 390, 844, true},
}

// screenshotSizes saves a screenshot of the page as name-desktop.png and
// name-phone.png, then restores the viewport.
func (tb *tab) screenshotSizes(name string) {
	tb.t.Helper()
	for _, size := range screenSizes {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if size.phone {
			opts = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch}
		}
		tb.do("resize the viewport to "+size.name, chromedp.EmulateViewport(size.width, size.height, opts...))
		// Two frames: the layout of the new size is painted.
		eval[bool](tb, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
		tb.screenshot(name + "-" + size.name)
	}
	tb.do("restore the viewport", chromedp.ResetViewport())
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
		tb.expectAPIError("the test signs in with a wrong password", "POST", "/api/login", http.StatusUnauthorized, shared.CodeBadCredentials)
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
		tb.screenshotSizes("signin")

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

		// The worker runs under the policy of /app-worker.js, whose
		// violations this tab does not see: it did cache the app's files,
		// which its policy's connect-src must allow.
		cached := run(tb, "read the service worker's cache", chromedp.Poll[[]string](`caches.keys().then(async (keys) => {
			const c = keys.find(k => k.startsWith('app-'));
			if (!c) return null;
			const reqs = await (await caches.open(c)).keys();
			return reqs.length ? reqs.map(r => new URL(r.url).pathname) : null;
		})`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
		for _, want := range []string{"/", "/app.js", "/wasm_exec.js", "/web/app.wasm", "/web/app.css", "/manifest.webmanifest"} {
			if !slices.Contains(cached, want) {
				t.Errorf("the service worker's cache %q lacks %s", cached, want)
			}
		}
	})

	// OKPolicyEnforced: the pages come with the security headers, Chromium
	// enforces the policy, and the tab's watch catches a violation: the
	// test injects an inline script and a style attribute, which the
	// policy refuses, and expects those, so the check at the end fails the
	// test if they went unseen.
	t.Run("OKPolicyEnforced", func(t *testing.T) {
		tb := newTab(t, browserCtx, shots)
		resp := run(tb, "open /signin", chromedp.NavigateResponse(s.url+"/signin"))
		for name, want := range map[string]string{
			"Content-Security-Policy":    contentSecurityPolicy,
			"Cross-Origin-Opener-Policy": "same-origin",
			"Permissions-Policy":         permissionsPolicy,
		} {
			if got := headerValue(resp.Headers, name); got != want {
				t.Errorf("the page's %s = %q, want %q", name, got, want)
			}
		}
		tb.waitApp("signin")

		tb.expect("the test injects an inline script", true, func(p problem) bool {
			if v := p.violation; v != nil {
				return v.Directive == "script-src-elem" && v.Blocked == "inline" && v.Disposition == "enforce"
			}
			return cspMessage(p, "inline script")
		})
		tb.expect("the test injects a style attribute", true, func(p problem) bool {
			if v := p.violation; v != nil {
				return v.Directive == "style-src-attr" && v.Blocked == "inline" && v.Disposition == "enforce"
			}
			return cspMessage(p, "inline style")
		})
		ran := eval[bool](tb, `(() => {
			window.injectedScriptRan = false;
			const s = document.createElement('script');
			s.textContent = 'window.injectedScriptRan = true';
			document.head.append(s);
			const d = document.createElement('div');
			document.body.append(d);
			d.setAttribute('style', 'outline: 1px solid red');
			d.remove();
			return window.injectedScriptRan;
		})()`)
		if ran {
			t.Error("an inline script ran: the Content-Security-Policy is not enforced")
		}
		tb.waitViolations(2)
	})

	// OKRegistrationClosed: on a server with REGISTRATION=closed no page
	// offers to sign up, neither prerendered nor once the app runs (no
	// flicker: a watch of the document from its first node never sees a
	// sign-up link), and /register says so, with a way to sign in. When
	// registration closed after the page was served, the API's refusal
	// shows the same.
	t.Run("OKRegistrationClosed", func(t *testing.T) {
		closed := mustRunRealClockMain(t, map[string]string{"REGISTRATION": "closed"})
		tb := newTab(t, browserCtx, shots)
		tb.do("watch for sign-up links", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: signUpWatch})
			return err
		}))

		tb.do("open /signin", chromedp.Navigate(closed.url+"/signin"))
		tb.waitApp("signin")
		if got := eval[string](tb, `document.querySelector('meta[name="tessera-registration"]')?.content ?? ''`); got != "closed" {
			t.Errorf(`<meta name="tessera-registration"> = %q, want closed`, got)
		}
		if seen := eval[[]string](tb, `window.signUpSeen`); len(seen) != 0 {
			t.Errorf("the sign-in page showed %q with registration closed", seen)
		}
		const hint = "New to Tessera? Ask the administrator for an account."
		if got := tb.waitText("#main .switch", hint); got != hint {
			t.Errorf("the sign-in page's .switch = %q, want %q", got, hint)
		}
		tb.screenshotSizes("signin-registration-closed")

		tb.do("open /register", chromedp.Navigate(closed.url+"/register"))
		tb.waitApp("register")
		if got := tb.waitText("#registration-closed", msgClosed); got != msgClosed {
			t.Errorf("#registration-closed = %q, want %q", got, msgClosed)
		}
		if seen := eval[[]string](tb, `window.signUpSeen`); len(seen) != 0 {
			t.Errorf("the register page showed %q with registration closed", seen)
		}
		if title := eval[string](tb, `document.title`); title != "Registration closed · Tessera" {
			t.Errorf("title = %q", title)
		}
		tb.screenshotSizes("register-closed")
		tb.do("follow Sign in", chromedp.Click(chromedp.CSS("#main a.button-primary")))
		if got := tb.waitPath("/signin"); got != "/signin" {
			t.Errorf("the register page's Sign in led to %s", got)
		}
		tb.waitApp("signin")

		// A page that still says registration is open (a proxy rewrites the
		// server's tag, as if registration closed after the page loaded).
		proxy := openRegistrationProxy(t, closed.url)
		late := newTab(t, browserCtx, shots)
		late.expectAPIError("registration closed after the page was served: the API refuses the sign-up",
			"POST", "/api/register", http.StatusForbidden, shared.CodeRegistrationClosed)
		late.do("open /register", chromedp.Navigate(proxy+"/register"))
		run(late, "wait for the register form", chromedp.Poll[bool](`(() => {
			const b = document.querySelector('#page-register #submit');
			return !document.getElementById('app-wasm-loader') && !!b && !b.disabled;
		})()`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second)))
		late.do("sign up",
			chromedp.SendKeys(chromedp.CSS("#username"), "too-late"),
			chromedp.SendKeys(chromedp.CSS("#password"), "registration closed"),
			chromedp.Click(chromedp.CSS("#submit")),
		)
		if got := late.waitText("#registration-closed", msgClosed); got != msgClosed {
			t.Errorf("after a refused sign-up #registration-closed = %q, want %q", got, msgClosed)
		}
		if n := eval[int](late, `document.querySelectorAll('#auth-form, a[href="/register"]').length`); n != 0 {
			t.Errorf("after a refused sign-up the page still has %d sign-up form or link(s)", n)
		}
		late.screenshot("register-closed-on-submit")
	})
}

// cspMessage reports whether p is Chromium's console error for a CSP
// violation by what, such as "inline script": "Executing inline script
// violates the following Content Security Policy directive ..." (older
// versions said "Refused to execute inline script because it violates
// ...").
func cspMessage(p problem, what string) bool {
	return p.console != nil && p.console.Source == "security" &&
		strings.Contains(p.console.Text, what) && strings.Contains(p.console.Text, "Content Security Policy directive")
}

// msgClosed is what /register says with registration closed.
const msgClosed = "Registration is closed. Ask the administrator for an account."

// signUpWatch records in window.signUpSeen every sign-up link or form
// that is ever part of the document, from its first node on: the
// prerendered page as the parser builds it, then the app's renders.
const signUpWatch = `window.signUpSeen = [];
new MutationObserver((records) => {
	for (const r of records) {
		for (const n of r.addedNodes) {
			if (n.nodeType !== Node.ELEMENT_NODE) continue;
			for (const e of [n, ...n.querySelectorAll('*')]) {
				if (e.matches('a[href="/register"]') || (e.matches('#auth-form') && location.pathname === '/register')) {
					window.signUpSeen.push(location.pathname + ': ' + e.outerHTML.slice(0, 80));
				}
			}
		}
	}
}).observe(document, {childList: true, subtree: true});`

// openRegistrationProxy is a reverse proxy to target that rewrites the
// registration tag of its pages to open; it returns its URL.
func openRegistrationProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ModifyResponse: func(resp *http.Response) error {
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				return nil
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			b = bytes.ReplaceAll(b, []byte(`<meta name="tessera-registration" content="closed">`), []byte(`<meta name="tessera-registration" content="open">`))
			resp.Body = io.NopCloser(bytes.NewReader(b))
			resp.ContentLength = int64(len(b))
			resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

// headerValue returns the value of the header name in h, whatever its case.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// waitViolations waits until the tab has seen n CSP violations (at most
// 5s), for a test that provokes them.
func (tb *tab) waitViolations(n int) {
	tb.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tb.mu.Lock()
		seen := len(tb.violations)
		tb.mu.Unlock()
		if seen >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Errorf("the tab saw %d CSP violation(s) in 5s, want %d", seen, n)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
