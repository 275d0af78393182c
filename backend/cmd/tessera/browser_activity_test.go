package main

// Browser test of the security activity: the account page's warning and
// the activity page, after a wrong password and a sign-in from another
// browser profile and a stolen refresh token replayed. Same conventions as
// browser_test.go (Chromium, a built web/app.wasm, the real clock).

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tessera/shared"
)

// phoneAgent is the user agent of the second profile: another browser
// family and system, so its sign-in comes from a new device.
const phoneAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

// activityItem is an item of #activity-list as the test reads it.
type activityItem struct {
	Kind  string `json:"kind"`  // data-kind
	Alert bool   `json:"alert"` // set apart (.event-alert)
	Flag  string `json:"flag"`  // its label
	What  string `json:"what"`
	Meta  string `json:"meta"`
	Mine  bool   `json:"mine"`  // "This device"
	Links string `json:"links"` // the hrefs of its way out
}

// activityItems reads #activity-list.
func (tb *tab) activityItems() []activityItem {
	tb.t.Helper()
	return eval[[]activityItem](tb, `[...document.querySelectorAll('#activity-list > li')].map(li => ({
		kind: li.dataset.kind,
		alert: li.classList.contains('event-alert'),
		flag: li.querySelector('.event-flag')?.textContent ?? '',
		what: li.querySelector('.event-what')?.firstChild?.textContent ?? '',
		meta: li.querySelector('.event-meta')?.textContent ?? '',
		mine: li.querySelector('.badge')?.textContent === 'This device',
		links: [...li.querySelectorAll('.event-action a')].map(a => a.getAttribute('href')).join(' '),
	}))`)
}

// checkSizes checks the page at each screen size: axe-core, the touch
// targets, nothing wider than the screen; and photographs it as
// name-<size>.png. The viewport gets its size back after.
func (tb *tab) checkSizes(axeJS, name string) {
	tb.t.Helper()
	for _, size := range screenSizes {
		tb.size = size
		tb.setViewport(size)
		tb.axe(axeJS, name)
		tb.touchTargets(name)
		if wide := eval[[]string](tb, `[...document.querySelectorAll('body *')]
			.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
			.map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className)`); len(wide) > 0 {
			tb.t.Errorf("%s (%s): wider than the screen: %q", name, size.name, wide)
		}
		tb.screenshot(name + "-" + size.name)
	}
	tb.size = screenSizes[0]
	tb.resize()
}

// TestBrowserActivity: profile A creates an account; a program signs in
// many times (older activity, for a second page); someone with a phone
// (profile B) tries a wrong password, then signs in; a client's refresh
// token is stolen and replayed after it was renewed. A's account page
// warns about the stolen token, with a way to the activity page, which
// shows all of it (the phone's sign-in as a new device, the stolen token
// as a security alert, each with the way out, A's own events as this
// device) and a second page on demand; after that the warning is gone.
func TestBrowserActivity(t *testing.T) {
	t.Parallel()
	exe := requireBrowser(t)
	axeJS := requireAxe(t)
	shots := screenshotDir(t)
	browserCtx := startBrowser(t, exe)
	s := browserServer(t, nil)
	const user, password = "watchful-owner", "an eye on every sign-in"
	ctx := t.Context()

	// Profile A creates the account.
	a := newTab(t, browserCtx, shots)
	a.do("open /register", chromedp.Navigate(s.url+"/register"))
	a.waitApp("register")
	a.do("create the account",
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	if got := a.waitText("#account-username", user); got != user {
		t.Fatalf("after creating the account #account-username = %q (path %s)", got, a.path())
	}

	// A program signs in, again and again: the activity outgrows a page.
	program := shared.NewClient(s.url, nil)
	const programSignIns = 15
	for range programSignIns {
		if _, err := program.Login(ctx, shared.Credentials{Username: user, Password: password}); err != nil {
			t.Fatal(err)
		}
	}

	// Profile B, a phone: a wrong password, then the right one.
	b := newTab(t, browserCtx, shots)
	if _, err := chromedp.Call(b.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: phoneAgent}); err != nil {
		t.Fatalf("Emulation.setUserAgentOverride: %v", err)
	}
	b.expectAPIError("the test signs in with a wrong password first", "POST", "/api/login", http.StatusUnauthorized, shared.CodeBadCredentials)
	b.do("open /signin", chromedp.Navigate(s.url+"/signin"))
	b.waitApp("signin")
	b.do("sign in with a wrong password",
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), "a wrong guess"),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	const wrong = "The username or password is not right. Check them and try again."
	if got := b.waitText("#error", wrong); got != wrong {
		t.Fatalf("#error = %q, want %q", got, wrong)
	}
	// Empty the field as a user would, with an input event the app sees.
	eval[bool](b, `(() => {
		const e = document.querySelector('#password');
		e.value = '';
		e.dispatchEvent(new Event('input', {bubbles: true}));
		return true;
	})()`)
	b.do("sign in with the right one",
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	if got := b.waitText("#account-username", user); got != user {
		t.Fatalf("profile B: #account-username = %q (path %s)", got, b.path())
	}

	// A stolen refresh token: its client renews the session twice, then
	// the copy of the first token comes back. The session ends.
	store := shared.NewMemoryTokenStore()
	victim := shared.NewClient(s.url, store)
	if _, err := victim.Login(ctx, shared.Credentials{Username: user, Password: password}); err != nil {
		t.Fatal(err)
	}
	stolen := store.Load().RefreshToken
	for range 2 {
		if _, err := victim.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if status, body := apiCall(t, s.url, "POST", "/api/refresh", stolen); status != http.StatusUnauthorized || body.Code != shared.CodeTokenRevoked {
		t.Fatalf("the stolen refresh token replayed: %d %+v, want 401 token_revoked", status, body)
	}
	if _, err := victim.UserDataV2(ctx); !shared.SessionOver(err) {
		t.Errorf("the robbed session goes on after the reuse: %v", err)
	}

	// A's account page warns, and leads to the activity.
	a.do("reload /account", chromedp.Reload())
	const warning = "1 security alert since you last looked at your activity."
	if got := a.waitText("#alerts-banner strong", warning); got != warning {
		t.Fatalf("#alerts-banner strong = %q, want %q", got, warning)
	}
	if role := eval[string](a, `document.querySelector('#alerts-banner').getAttribute('role')`); role != "alert" {
		t.Errorf("#alerts-banner role = %q, want alert", role)
	}
	if got := eval[string](a, `document.querySelector('#last-sign-in')?.textContent ?? ''`); got == "" || got == "None: this is your first" {
		t.Errorf("the account page's previous sign-in is %q", got)
	}
	a.checkSizes(axeJS, "account-alerts")

	a.do("follow the warning", chromedp.Click(chromedp.CSS("#alerts-link")))
	a.waitApp("activity")
	if n := a.waitCount("#activity-list > li", 20); n != 20 {
		t.Fatalf("#activity-list has %d events, want a page of 20", n)
	}
	if title := eval[string](a, `document.title`); title != "Security activity · Tessera" {
		t.Errorf("title = %q", title)
	}
	if got := a.waitFocus("page-title"); got != "page-title" {
		t.Errorf("on the activity page the focus is on #%s, want the heading", got)
	}
	items := a.activityItems()
	describe := func() string {
		var lines []string
		for _, it := range items {
			lines = append(lines, strings.Join([]string{it.Kind, it.Flag, it.What, it.Meta, strconv.FormatBool(it.Mine), it.Links}, " | "))
		}
		return strings.Join(lines, "\n  ")
	}
	const wayOut = "/sessions /password"
	want := []struct {
		kind, flag, what, device string
		mine                     bool
	}{
		{shared.EventReuseDetected, "Security alert", "Stolen sign-in blocked: session ended", "Go program", false},
		{shared.EventSignedIn, "", "Signed in", "Go program", false},
		{shared.EventSignedIn, "New device", "Signed in", "Safari on iPhone", false},
		{shared.EventSignInFailed, "", "Sign-in failed: wrong password", "Safari on iPhone", false},
	}
	for i, w := range want {
		it := items[i]
		if it.Kind != w.kind || it.Flag != w.flag || it.What != w.what || !strings.Contains(it.Meta, " · "+w.device+" · 127.0.0.1") ||
			it.Mine != w.mine || it.Alert != (w.flag != "") || (it.Links == wayOut) != (w.flag != "") {
			t.Errorf("event %d is %+v, want %+v (and the way out if set apart); the list:\n  %s", i, it, w, describe())
		}
	}
	// The program's first sign-in was from a new device; A's own, the
	// last of the page, from this one.
	if it := items[len(items)-2]; it.Kind != shared.EventSignedIn || it.Flag != "New device" || !strings.Contains(it.Meta, "Go program") {
		t.Errorf("the program's first sign-in is %+v; the list:\n  %s", it, describe())
	}
	if it := items[len(items)-1]; it.Kind != shared.EventSignedIn || !it.Mine || it.Alert || !strings.Contains(it.Meta, "Headless Chrome on Linux") {
		t.Errorf("A's sign-in is %+v; the list:\n  %s", it, describe())
	}
	a.checkSizes(axeJS, "activity")

	// The second page: the account's creation, from this device.
	a.do("load more", chromedp.Click(chromedp.CSS("#load-more")))
	if n := a.waitCount("#activity-list > li", 21); n != 21 {
		t.Fatalf("after Load more, #activity-list has %d events, want 21", n)
	}
	if n := a.waitCount("#load-more", 0); n != 0 {
		t.Error("Load more stays after the last page")
	}
	// The focus goes on to what was added.
	if kind := run(a, "wait for the focus on the new events", chromedp.Poll[string](`document.activeElement?.dataset?.kind ?? ''`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); kind != shared.EventRegistered {
		t.Errorf("after Load more the focus is on %q, want the first event added", eval[string](a, `document.activeElement?.outerHTML.slice(0, 80) ?? ''`))
	}
	items = a.activityItems()
	if it := items[20]; it.Kind != shared.EventRegistered || it.What != "Account created" || !it.Mine || it.Alert {
		t.Errorf("the last event is %+v, want the account created from this device; the list:\n  %s", it, describe())
	}

	// The way out of an alert leads to the sessions page.
	a.do("follow Sign out everywhere else", chromedp.Click(chromedp.CSS(`#activity-list .event-alert .event-action a[href="/sessions"]`)))
	if got := a.waitPath("/sessions"); got != "/sessions" {
		t.Errorf("the way out led to %s, want /sessions", got)
	}
	a.waitApp("sessions")

	// Looked at: the account page no longer warns.
	a.do("open Account from the navigation", chromedp.Click(chromedp.CSS(`nav a[href="/account"]`)))
	if got := a.waitText("#account-username", user); got != user {
		t.Fatalf("#account-username = %q (path %s)", got, a.path())
	}
	if n := eval[int](a, `document.querySelectorAll('#alerts-banner').length`); n != 0 {
		t.Error("the account page still warns after the activity was seen")
	}
	a.screenshot("account-alerts-seen")
}
