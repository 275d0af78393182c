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
	html := load(t, PathSessions, func(c *sessionsPage) {
		c.loaded, c.sessions = true, sortSessions([]shared.SessionInfo{
			sessionInfo("s-old", uaFirefoxWin, false, now.Add(-48*time.Hour)),
			sessionInfo("s-me", uaChromeLinux, true, now.Add(-time.Hour)),
			sessionInfo("s-phone", uaSafariIPhone, false, now),
		})
	})
	mustContain(t, html,
		`id="page-sessions"`,
		`>Sessions</h1>`,
		`Chrome on Linux`, `Firefox on Windows`, `Safari on iPhone`,
		`>This device</span>`,
		`Signed in `+now.Add(-time.Hour).Local().Format(dateTime)+` · last active `+now.Local().Format(dateTime),
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
	html = load(t, PathSessions, func(c *sessionsPage) {
		c.loaded, c.sessions = true, []shared.SessionInfo{sessionInfo("s-me", uaChromeLinux, true, now)}
	})
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
	e, m, c := mountView[*sessionsPage](t, env, PathSessions)
	e.ConsumeAll()
	if len(c.sessions) != 4 || c.errMsg != "" {
		t.Fatalf("after loading: %d sessions, error %q", len(c.sessions), c.errMsg)
	}

	// End one.
	c.endOne("s-2")
	e.ConsumeAll()
	if c.notice != msgSessionEndedOne || c.noticeKind != noticeSuccess || c.errMsg != "" {
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
	e, m, c := mountView[*passwordPage](t, env, PathPassword)
	e.ConsumeAll()
	if c.username != "alice" {
		t.Errorf("username for password managers = %q", c.username)
	}
	html := app.HTMLString(m)
	mustContain(t, html,
		`id="page-password"`,
		`<label for="current-password">Current password</label>`,
		`<label for="new-password">New password</label>`,
	)
	mustHaveElem(t, html, "input", `id="current-password"`, `autocomplete="current-password"`, `autofocus`)
	mustHaveElem(t, html, "input", `id="new-password"`, `autocomplete="new-password"`, `aria-describedby="new-password-hint"`)
	mustHaveElem(t, html, "input", `autocomplete="username"`, `value="alice"`, `hidden`)
	mustHaveElem(t, html, "form", `id="password-form"`, `method="post"`, `novalidate`)
	mustHaveElem(t, html, "button", `id="change-password"`, `type="submit"`)
	mustHaveElem(t, html, "button", `id="current-password-toggle"`, `aria-controls="current-password"`, `aria-label="Show current password"`)
	mustHaveElem(t, html, "button", `id="new-password-toggle"`, `aria-controls="new-password"`, `aria-label="Show new password"`)
	mustNotContain(t, html, `disabled="false"`)
	calls := len(f.callList())

	submit := func(current, next string) {
		c.current, c.next = current, next
		c.onSubmit(app.Context{}, app.Event{Value: app.Null()})
		c.ctx.Update() // as after an event
		e.ConsumeAll()
	}

	// Checked before sending, like the server; each under its field.
	for _, tt := range []struct{ current, next, currentErr, nextErr string }{
		{"", "new-secret", "Enter your current password.", ""},
		{"old-secret", "", "", "Choose a password."},
		{"", "", "Enter your current password.", "Choose a password."},
		{"old-secret", "1234", "", "Your password needs at least 5 characters."},
		{"old-secret", strings.Repeat("é", 37), "", "That password is too long: at most 72 bytes (accented letters and emoji count for 2 to 4)."},
	} {
		submit(tt.current, tt.next)
		if c.errs["current-password"] != tt.currentErr || c.errs["new-password"] != tt.nextErr {
			t.Errorf("(%q, %q): errors %q", tt.current, tt.next, c.errs)
		}
	}
	if got := f.callList()[calls:]; len(got) != 0 {
		t.Fatalf("invalid forms were sent: %v", got)
	}

	// A wrong current password is a 401 that must not end the session:
	// it shows under its field.
	submit("wrong", "new-secret")
	if c.errs["current-password"] != "That is not your current password." || c.errMsg != "" {
		t.Errorf("wrong password: errors %q, error %q", c.errs, c.errMsg)
	}
	if !env.client.SignedIn() {
		t.Fatal("a wrong current password signed the user out")
	}
	html = app.HTMLString(m)
	mustHaveElem(t, html, "input", `id="current-password"`, `aria-invalid`, `aria-describedby="current-password-error"`)
	if hasElem(html, "input", `id="new-password"`, `aria-invalid`) {
		t.Error("the new password is marked invalid")
	}

	submit("old-secret", "new-secret")
	if c.errMsg != "" || c.notice != msgPasswordChanged || c.noticeKind != noticeSuccess || len(c.errs.first("current-password", "new-password")) != 0 {
		t.Errorf("success: error %q, notice %q (%s), errors %q", c.errMsg, c.notice, c.noticeKind, c.errs)
	}
	if c.current != "" || c.next != "" {
		t.Error("the fields were not cleared after the change")
	}
	if f.password != "new-secret" {
		t.Errorf("the server has the password %q", f.password)
	}
	html = app.HTMLString(m)
	mustHaveElem(t, html, "p", `id="notice"`, `role="status"`, `class="message message-success"`)
	mustContain(t, html, `>Password changed. Your other sessions were signed out.</p>`)
}

func TestSignedOutOthersMessage(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: msgNoOthersEnded, 1: "Signed out of 1 other session.", 3: "Signed out of 3 other sessions."} {
		if got := signedOutOthersMessage(n); got != want {
			t.Errorf("signedOutOthersMessage(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestSortSessions: the current session first, then the most recently
// renewed; sessions renewed at the same time keep the server's order.
func TestSortSessions(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 7, 8, 9, 0, 0, time.UTC)
	in := []shared.SessionInfo{
		sessionInfo("a", uaFirefoxWin, false, now.Add(-time.Hour)),
		sessionInfo("b", uaFirefoxWin, false, now),
		sessionInfo("c", uaFirefoxWin, false, now.Add(-time.Hour)),
		sessionInfo("me", uaChromeLinux, true, now.Add(-48*time.Hour)),
		sessionInfo("d", uaFirefoxWin, false, now),
	}
	var got []string
	for _, s := range sortSessions(in) {
		got = append(got, s.ID)
	}
	if want := "me b d a c"; strings.Join(got, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(got, " "), want)
	}
	if in[0].ID != "a" || in[3].ID != "me" {
		t.Error("sortSessions changed its argument")
	}
}
