package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// event is an EventInfo of kind with detail, at at, from the browser ua
// at ip, of session sid.
func event(id int64, kind string, detail map[string]any, ua, ip, sid string, at time.Time) shared.EventInfo {
	return shared.EventInfo{
		ID: id, Kind: kind, Detail: detail, At: at,
		UserAgent: ua, Device: shared.DeviceName(ua), IP: ip, SessionID: sid,
	}
}

func TestEventWords(t *testing.T) {
	t.Parallel()
	cur := &shared.EventInfo{SessionID: "s-me", Current: true}
	for _, tt := range []struct {
		kind              string
		detail            map[string]any
		what, more, alert string
	}{
		{shared.EventSignedIn, map[string]any{"new_device": false}, "Signed in", "", ""},
		{shared.EventSignedIn, nil, "Signed in", "", ""},
		{shared.EventSignedIn, map[string]any{"new_device": true}, "Signed in", "First sign-in from this browser at this address.", "New device"},
		{shared.EventSignInFailed, nil, "Sign-in failed: wrong password", "", ""},
		{shared.EventThrottled, map[string]any{"reason": "backoff", "retry_after": 8.0}, "Sign-ins paused: too many wrong passwords",
			"That address had to wait 8 seconds before trying again.", "Password guessing"},
		{shared.EventThrottled, map[string]any{"reason": "backoff", "retry_after": 1.0}, "Sign-ins paused: too many wrong passwords",
			"That address had to wait 1 second before trying again.", "Password guessing"},
		{shared.EventThrottled, map[string]any{"reason": "backoff", "retry_after": 900.0}, "Sign-ins paused: too many wrong passwords",
			"That address had to wait 15 minutes before trying again.", "Password guessing"},
		{shared.EventThrottled, map[string]any{"reason": "backoff"}, "Sign-ins paused: too many wrong passwords",
			"That address had to wait before trying again.", "Password guessing"},
		{shared.EventThrottled, map[string]any{"reason": "account_budget", "retry_after": 3600.0}, "Sign-ins limited: too many wrong passwords",
			"For now, only places that signed in to your account before can sign in.", "Password guessing"},
		{shared.EventReuseDetected, nil, "Stolen sign-in blocked: session ended",
			"An old copy of a sign-in was used again, as happens when someone steals it. Tessera ended that session, so the copy is useless.", "Security alert"},
		{shared.EventGraceUsed, nil, "Session renewed twice at once", "Two tabs at the same moment, or an answer lost on the way: allowed once.", ""},
		{shared.EventSignedOut, map[string]any{"scope": "session"}, "Signed out", "", ""},
		{shared.EventSignedOut, map[string]any{"scope": "others"}, "Signed out everywhere else", "", ""},
		{shared.EventSignedOut, map[string]any{"scope": "global"}, "Signed out everywhere", "", ""},
		{shared.EventSessionEnded, map[string]any{"by": "user", "from": "s-other"}, "Session ended", "From another of your sessions.", ""},
		{shared.EventSessionEnded, map[string]any{"by": "user", "from": "s-me"}, "Session ended", "From this device.", ""},
		{shared.EventSessionEnded, map[string]any{"by": "operator", "sessions": 3.0}, "Sessions ended by the administrator", "", ""},
		{shared.EventPasswordChange, map[string]any{"by": "user"}, "Password changed", "Your other sessions were signed out.", ""},
		{shared.EventPasswordChange, map[string]any{"by": "operator"}, "Password changed by the administrator", "Every session was signed out.", ""},
		{shared.EventRegistered, nil, "Account created", "", ""},
		{"something_new", nil, "Other activity: something new", "", ""},
	} {
		e := shared.EventInfo{Kind: tt.kind, Detail: tt.detail}
		what, more, alert := eventWords(&e, cur)
		if what != tt.what || more != tt.more || alert != tt.alert {
			t.Errorf("eventWords(%s %v) = %q, %q, %q; want %q, %q, %q", tt.kind, tt.detail, what, more, alert, tt.what, tt.more, tt.alert)
		}
	}
	// Without this session's event, an ended session is another's.
	e := shared.EventInfo{Kind: shared.EventSessionEnded, Detail: map[string]any{"by": "user", "from": ""}}
	if _, more, _ := eventWords(&e, nil); more != "From another of your sessions." {
		t.Errorf("a session ended from an unknown one: %q", more)
	}
}

func TestEventMeta(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	when := at.Local().Format(dateTime)
	for _, tt := range []struct {
		e    shared.EventInfo
		want string
	}{
		{event(1, shared.EventSignedIn, nil, uaFirefoxWin, "203.0.113.7", "", at), when + " · Firefox on Windows · 203.0.113.7"},
		{event(1, shared.EventSignedIn, nil, uaSafariIPhone, "2001:db8::1", "", at), when + " · Safari on iPhone · 2001:db8::1"},
		{shared.EventInfo{At: at, UserAgent: uaChromeLinux, IP: "192.0.2.1"}, when + " · Chrome on Linux · 192.0.2.1"},
		{event(1, shared.EventSignedIn, nil, "", "192.0.2.1", "", at), when + " · Unknown device · 192.0.2.1"},
		// The administrator's changes come from no browser.
		{event(1, shared.EventPasswordChange, nil, "", "", "", at), when},
	} {
		if got := eventMeta(&tt.e); got != tt.want {
			t.Errorf("eventMeta(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestFromThisDevice(t *testing.T) {
	t.Parallel()
	cur := &shared.EventInfo{UserAgent: uaChromeLinux, IP: "203.0.113.7", SessionID: "s-me", Current: true}
	for _, tt := range []struct {
		e    shared.EventInfo
		cur  *shared.EventInfo
		want bool
	}{
		{shared.EventInfo{Current: true}, nil, true},
		{shared.EventInfo{UserAgent: uaChromeLinux, IP: "203.0.113.7"}, cur, true},
		{shared.EventInfo{UserAgent: uaChromeLinux, IP: "203.0.113.7", SessionID: "s-old"}, cur, true},
		{shared.EventInfo{UserAgent: uaChromeLinux, IP: "192.0.2.1"}, cur, false},
		{shared.EventInfo{UserAgent: uaFirefoxWin, IP: "203.0.113.7"}, cur, false},
		{shared.EventInfo{UserAgent: uaChromeLinux, IP: "203.0.113.7"}, nil, false},
		{shared.EventInfo{}, &shared.EventInfo{Current: true}, false},
	} {
		if got := fromThisDevice(&tt.e, tt.cur); got != tt.want {
			t.Errorf("fromThisDevice(%+v, %+v) = %v, want %v", tt.e, tt.cur, got, tt.want)
		}
	}
}

// item returns the <li> of html that contains part, or "".
func item(html, part string) string {
	for _, li := range strings.Split(html, "<li ")[1:] {
		if strings.Contains(li, part) {
			return li
		}
	}
	return ""
}

func TestActivityList(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	const hostile = `Evil/1.0 <script>alert("x")</script>`
	events := []shared.EventInfo{
		event(9, shared.EventReuseDetected, nil, "Go-http-client/1.1", "198.51.100.4", "s-go", at),
		event(8, shared.EventSignedIn, map[string]any{"new_device": true}, uaSafariIPhone, "198.51.100.4", "s-phone", at),
		event(7, shared.EventSignInFailed, nil, hostile, "2001:db8:1:2::9", "", at),
		event(6, shared.EventSessionEnded, map[string]any{"by": "user", "from": "s-me"}, uaChromeLinux, "203.0.113.7", "s-old", at),
		event(5, shared.EventSignedIn, map[string]any{"new_device": true}, uaChromeLinux, "203.0.113.7", "s-me", at),
		event(4, shared.EventSignInFailed, nil, uaChromeLinux, "203.0.113.7", "", at),
		event(3, shared.EventSignInFailed, nil, uaChromeLinux, "192.0.2.1", "", at),
		event(2, shared.EventPasswordChange, map[string]any{"by": "operator"}, "", "", "", at),
		event(1, shared.EventRegistered, nil, uaFirefoxWin, "203.0.113.7", "", at),
	}
	events[4].Current = true
	html := load(t, PathActivity, func(c *activityPage) { c.loaded, c.events = true, events })
	mustHaveElem(t, html, "ol", `id="activity-list"`)
	mustHaveElem(t, html, "li", `id="event-9"`, `tabindex="-1"`, `data-kind="refresh_reuse_detected"`)
	if n := strings.Count(html, "<li "); n != len(events) {
		t.Fatalf("%d items, want %d:\n%s", n, len(events), html)
	}
	when := at.Local().Format(dateTime)

	// A detected reuse and another device's first sign-in are set apart,
	// in words, with the way out.
	for _, part := range []string{`data-kind="refresh_reuse_detected"`, "Safari on iPhone"} {
		li := item(html, part)
		if !strings.Contains(li, `class="event event-alert"`) || !strings.Contains(li, notYouHTML) || strings.Contains(li, "This device") {
			t.Errorf("the item of %s is not an alert with the way out:\n%s", part, li)
		}
	}
	mustContain(t, html,
		`<p class="event-flag">Security alert</p>`, `Stolen sign-in blocked: session ended`,
		`<p class="event-flag">New device</p>`, `>`+when+` · Safari on iPhone · 198.51.100.4</p>`,
		`href="/sessions">Sign out everywhere else</a>`, `href="/password">Change your password</a>`,
	)
	if n := strings.Count(html, "event-alert"); n != 2 {
		t.Errorf("%d alerts, want 2", n)
	}

	// What the client sent is text.
	mustNotContain(t, html, "<script")
	mustContain(t, item(html, "2001:db8:1:2::9"), "&lt;script&gt;")

	// This session's sign-in, new but from this device: no alert. The
	// same browser at the same address is this device too; another
	// address is not.
	for _, li := range strings.Split(html, "<li ")[1:] {
		switch {
		case strings.Contains(li, "First sign-in") && strings.Contains(li, "Chrome on Linux"):
			if strings.Contains(li, "event-alert") || !strings.Contains(li, `>This device</span>`) {
				t.Errorf("this session's sign-in:\n%s", li)
			}
		case strings.Contains(li, "Sign-in failed") && strings.Contains(li, "203.0.113.7"):
			if !strings.Contains(li, "This device") {
				t.Errorf("a failed sign-in from this browser and address is not marked as this device:\n%s", li)
			}
		case strings.Contains(li, "192.0.2.1"), strings.Contains(li, "Firefox on Windows"):
			if strings.Contains(li, "This device") {
				t.Errorf("another address or browser is marked as this device:\n%s", li)
			}
		}
	}
	mustContain(t, item(html, "Session ended"), `<p class="event-more">From this device.</p>`)
	// The administrator's change comes from no browser.
	mustContain(t, item(html, "by the administrator"), `<p class="event-meta">`+when+`</p>`)
	// No session id is shown.
	mustNotContain(t, html, "s-me", "s-go")
	// The page after this one: Load more.
	html = load(t, PathActivity, func(c *activityPage) { c.loaded, c.events, c.next = true, events, "1" })
	mustHaveElem(t, html, "button", `id="load-more"`, `type="button"`)
}

// TestActivityPage: opening the page marks the activity seen, then
// lists its first page; Load more adds the next, until there is none.
func TestActivityPage(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	f := &fakeAPI{}
	for id := int64(activityPageSize + 5); id > 0; id-- {
		f.events = append(f.events, event(id, shared.EventSignedIn, nil, uaChromeLinux, "192.0.2.1", "s-"+strconv.FormatInt(id, 10), at))
	}
	f.events[len(f.events)-1].Kind = shared.EventRegistered
	env := fakeEnv(t, f, "access")
	e, m, c := mountView[*activityPage](t, env, PathActivity)
	e.ConsumeAll()
	if len(c.events) != activityPageSize || c.next != "6" || c.errMsg != "" {
		t.Fatalf("first page: %d events, next %q, error %q", len(c.events), c.next, c.errMsg)
	}
	html := app.HTMLString(m)
	mustContain(t, html, `id="page-activity"`, `>Security activity</h1>`)
	mustHaveElem(t, html, "ol", `id="activity-list"`, `class="events"`)
	mustHaveElem(t, html, "a", `href="/activity"`, `aria-current="page"`)
	mustHaveElem(t, html, "button", `id="load-more"`, `aria-busy="false"`)
	mustNotContain(t, html, "Account created")

	c.loadMore(app.Context{}, app.Event{})
	e.ConsumeAll()
	if len(c.events) != activityPageSize+5 || c.next != "" || c.events[len(c.events)-1].Kind != shared.EventRegistered {
		t.Fatalf("after Load more: %d events, next %q", len(c.events), c.next)
	}
	html = app.HTMLString(m)
	mustContain(t, html, "Account created")
	mustNotContain(t, html, `id="load-more"`)
	want := []string{
		"POST /api/events/seen",
		"GET /api/events?limit=" + strconv.Itoa(activityPageSize),
		"GET /api/events?before=6&limit=" + strconv.Itoa(activityPageSize),
	}
	if got := f.callList(); strings.Join(got, "\n") != strings.Join(want, "\n") || f.seen != 1 {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Nothing yet.
	env = fakeEnv(t, &fakeAPI{}, "access")
	e, m, _ = mountView[*activityPage](t, env, PathActivity)
	e.ConsumeAll()
	mustContain(t, app.HTMLString(m), `<p class="empty">Nothing has happened on your account yet.</p>`)

	html = load(t, PathActivity, func(c *activityPage) { c.loading = true })
	mustContain(t, html, `Loading your activity…`)
	mustNotContain(t, html, `id="activity-list"`, `id="load-more"`)
}

func TestAccountAlerts(t *testing.T) {
	t.Parallel()
	began := time.Date(2026, 7, 8, 9, 10, 0, 0, time.UTC)
	for n, want := range map[int]string{0: "", 1: "1 security alert since", 3: "3 security alerts since"} {
		html := load(t, PathAccount, func(c *accountPage) {
			c.account = &shared.Account{ID: 1, Username: "alice", SignedInAt: began, Alerts: n}
		})
		mustHaveElem(t, html, "a", `id="activity-link"`, `href="/activity"`)
		if want == "" {
			mustNotContain(t, html, "alerts-banner")
			continue
		}
		mustHaveElem(t, html, "div", `id="alerts-banner"`, `role="alert"`)
		mustHaveElem(t, html, "a", `id="alerts-link"`, `href="/activity"`)
		mustContain(t, html, want)
	}
}
