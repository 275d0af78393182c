package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

func sessionInfo(id, ua string, current bool, renewed time.Time) shared.SessionInfo {
	return shared.SessionInfo{
		ID: id, UserAgent: ua, Current: current,
		CreatedAt: renewed.Add(-time.Hour), RenewedAt: renewed, ExpiresAt: renewed.Add(24 * time.Hour),
	}
}

const (
	uaChromeLinux  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	uaFirefoxWin   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
	uaSafariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

func TestSessionsPageRendersSessions(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 7, 8, 9, 0, 0, time.UTC)
	c := &sessionsPage{loaded: true, sessions: sortSessions([]shared.SessionInfo{
		sessionInfo("s-old", uaFirefoxWin, false, now.Add(-48*time.Hour)),
		sessionInfo("s-me", uaChromeLinux, true, now.Add(-time.Hour)),
		sessionInfo("s-phone", uaSafariIPhone, false, now),
	})}
	html := load(t, c)
	mustContain(t, html,
		`id="page-sessions"`,
		`<h1 id="page-title">Sessions</h1>`,
		`Chrome on Linux`, `Firefox on Windows`, `Safari on iPhone`,
		`>This device</span>`,
		`datetime="`+now.Local().Format(time.RFC3339)+`"`,
		`>`+now.Local().Format("2 Jan 2006, 15:04")+`</time>`,
	)
	mustHaveElem(t, html, "ul", `id="sessions-list"`)
	mustHaveElem(t, html, "a", `href="/sessions"`, `aria-current="page"`)
	// The current session first, then the most recently renewed.
	me, phone, old := strings.Index(html, `data-session-id="s-me"`), strings.Index(html, `data-session-id="s-phone"`), strings.Index(html, `data-session-id="s-old"`)
	if me < 0 || phone < me || old < phone {
		t.Errorf("order of the sessions: me %d, phone %d, old %d", me, phone, old)
	}
	mustHaveElem(t, html, "li", `class="session session-current"`, `data-session-id="s-me"`)
	mustHaveElem(t, html, "li", `class="session"`, `data-session-id="s-old"`)
	// An End button for the others only.
	mustHaveElem(t, html, "button", `id="end-s-phone"`, `data-session-id="s-phone"`)
	mustHaveElem(t, html, "button", `id="end-s-old"`)
	mustNotContain(t, html, `id="end-s-me"`, `disabled="false"`)
	if n := strings.Count(html, ">End session</button>"); n != 2 {
		t.Errorf("%d End session buttons, want 2", n)
	}
	mustHaveElem(t, html, "button", `id="signout-others"`)
	if hasElem(html, "button", `id="signout-others"`, "disabled") {
		t.Error("#signout-others is disabled while there are other sessions")
	}

	// Alone: nothing else to sign out of.
	html = load(t, &sessionsPage{loaded: true, sessions: []shared.SessionInfo{sessionInfo("s-me", uaChromeLinux, true, now)}})
	mustHaveElem(t, html, "button", `id="signout-others"`, "disabled")
	mustContain(t, html, `No other device or browser is signed in.`)
	mustNotContain(t, html, `End session`)
}

func TestSessionsPageEndsSessions(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	f := &fakeAPI{sessions: []shared.SessionInfo{
		sessionInfo("s-me", uaChromeLinux, true, now),
		sessionInfo("s-2", uaFirefoxWin, false, now),
		sessionInfo("s-3", uaSafariIPhone, false, now),
		sessionInfo("s-4", "", false, now),
	}}
	env := fakeEnv(t, f, "access")
	c := &sessionsPage{pageState: pageState{env: env}}
	e, m := mountPage(t, c, func(ctx app.Context) {
		c.mount(ctx)
		c.load()
	})
	if len(c.sessions) != 4 || c.errMsg != "" {
		t.Fatalf("after loading: %d sessions, error %q", len(c.sessions), c.errMsg)
	}

	// End one.
	c.endOne("s-2")
	e.ConsumeAll()
	if c.notice != msgSessionEndedOne || c.errMsg != "" {
		t.Errorf("after ending s-2: notice %q, error %q", c.notice, c.errMsg)
	}
	if len(c.sessions) != 3 {
		t.Errorf("after ending s-2: %d sessions listed, want 3", len(c.sessions))
	}
	// One that is gone already: no error, the list is reloaded.
	c.endOne("s-gone")
	e.ConsumeAll()
	if c.notice != msgSessionGone || c.errMsg != "" {
		t.Errorf("after ending a gone session: notice %q, error %q", c.notice, c.errMsg)
	}

	// Everywhere else: two others were listed.
	c.endOthers(app.Context{}, app.Event{})
	e.ConsumeAll()
	if want := "Signed out of 2 other sessions."; c.notice != want {
		t.Errorf("notice = %q, want %q", c.notice, want)
	}
	if len(c.sessions) != 1 || !c.sessions[0].Current {
		t.Errorf("after signing out elsewhere the list is %+v, want this session only", c.sessions)
	}
	html := app.HTMLString(m)
	mustContain(t, html, `Signed out of 2 other sessions.`)
	mustHaveElem(t, html, "button", `id="signout-others"`, "disabled")

	want := []string{
		"GET /api/sessions",
		"DELETE /api/sessions/s-2", "GET /api/sessions",
		"DELETE /api/sessions/s-gone", "GET /api/sessions",
		"DELETE /api/logout?scope=others", "GET /api/sessions",
	}
	if got := f.callList(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPasswordPageShowsErrorsAndSuccess(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{password: "old-secret"}
	env := fakeEnv(t, f, "access")
	c := &passwordPage{pageState: pageState{env: env}}
	e, m := mountPage(t, c, func(ctx app.Context) {
		c.mount(ctx)
		c.ready = true
	})
	html := app.HTMLString(m)
	mustContain(t, html,
		`id="page-password"`,
		`<label for="current-password">Current password</label>`,
		`<label for="new-password">New password</label>`,
		`autocomplete="current-password"`, `autocomplete="new-password"`,
	)
	mustHaveElem(t, html, "form", `id="password-form"`, `method="post"`, `novalidate`)
	mustHaveElem(t, html, "button", `id="change-password"`, `type="submit"`)
	mustNotContain(t, html, `disabled="false"`)

	submit := func(current, next string) {
		c.current, c.next = current, next
		c.onSubmit(app.Context{}, app.Event{Value: app.Null()})
		e.ConsumeAll()
	}

	// Checked before sending, like the server.
	for _, tt := range []struct{ current, next, want string }{
		{"", "new-secret", msgPasswordsMissing},
		{"old-secret", "", msgPasswordsMissing},
		{"old-secret", "1234", shared.MsgPasswordTooShort},
		{"old-secret", strings.Repeat("é", 37), shared.MsgPasswordTooLong},
	} {
		submit(tt.current, tt.next)
		if c.errMsg != tt.want {
			t.Errorf("(%q, %q): error %q, want %q", tt.current, tt.next, c.errMsg, tt.want)
		}
	}
	if calls := f.callList(); len(calls) != 0 {
		t.Fatalf("invalid forms were sent: %v", calls)
	}

	// A wrong current password is a 401 that must not end the session.
	submit("wrong", "new-secret")
	if c.errMsg != "Incorrect password" {
		t.Errorf("wrong password: error %q, want the server's Incorrect password", c.errMsg)
	}
	if !env.client.SignedIn() {
		t.Fatal("a wrong current password signed the user out")
	}
	html = app.HTMLString(m)
	mustHaveElem(t, html, "p", `id="error"`, `role="alert"`)
	mustContain(t, html, `aria-invalid`, `aria-describedby="error"`)

	submit("old-secret", "new-secret")
	if c.errMsg != "" || c.notice != msgPasswordChanged {
		t.Errorf("success: error %q, notice %q", c.errMsg, c.notice)
	}
	if c.current != "" || c.next != "" {
		t.Error("the fields were not cleared after the change")
	}
	if f.password != "new-secret" {
		t.Errorf("the server has the password %q", f.password)
	}
	html = app.HTMLString(m)
	mustHaveElem(t, html, "p", `id="notice"`, `role="status"`)
	mustContain(t, html, `>Password changed. Your other sessions were signed out.</p>`)
}

func TestDeviceName(t *testing.T) {
	t.Parallel()
	for ua, want := range map[string]string{
		uaChromeLinux:  "Chrome on Linux",
		uaFirefoxWin:   "Firefox on Windows",
		uaSafariIPhone: "Safari on iPhone",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/141.0.0.0 Safari/537.36":                 "Headless Chrome on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0": "Edge on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15":            "Safari on macOS",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36":         "Chrome on Android",
		"Go-http-client/1.1":     "Go program",
		"curl/8.5.0":             "curl",
		"":                       "Unknown device",
		"SomeBot/1.0":            "SomeBot/1.0",
		strings.Repeat("x", 100): strings.Repeat("x", 59) + "…",
	} {
		if got := deviceName(ua); got != want {
			t.Errorf("deviceName(%q) = %q, want %q", ua, got, want)
		}
	}
	for n, want := range map[int]string{0: msgNoOthersEnded, 1: "Signed out of 1 other session.", 3: "Signed out of 3 other sessions."} {
		if got := signedOutOthersMessage(n); got != want {
			t.Errorf("signedOutOthersMessage(%d) = %q, want %q", n, got, want)
		}
	}
}
