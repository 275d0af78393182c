package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// load mounts c in a test engine, as the server's prerender does, and
// returns its HTML.
func load(t *testing.T, c app.Composer) string {
	t.Helper()
	e := app.NewTestEngine()
	if err := e.Load(c); err != nil {
		t.Fatalf("load %T: %v", c, err)
	}
	e.ConsumeAll()
	return app.HTMLString(c)
}

func mustContain(t *testing.T, html string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(html, p) {
			t.Errorf("HTML lacks %s\n%s", p, html)
		}
	}
}

func mustNotContain(t *testing.T, html string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(html, p) {
			t.Errorf("HTML has %s\n%s", p, html)
		}
	}
}

// hasElem reports whether html has a <tag> start tag carrying all attrs
// (each `name="value"` or a bare `name`), in any order.
func hasElem(html, tag string, attrs ...string) bool {
	for _, seg := range strings.Split(html, "<")[1:] {
		end := strings.IndexByte(seg, '>')
		if end < 0 {
			continue
		}
		start := seg[:end]
		if start != tag && !strings.HasPrefix(start, tag+" ") {
			continue
		}
		ok := true
		for _, a := range attrs {
			if !strings.Contains(start+" ", " "+a+" ") && !strings.Contains(start+" ", " "+a+">") {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func mustHaveElem(t *testing.T, html, tag string, attrs ...string) {
	t.Helper()
	if !hasElem(html, tag, attrs...) {
		t.Errorf("HTML lacks <%s %s>\n%s", tag, strings.Join(attrs, " "), html)
	}
}

// Paths from a page component to parts of the sign-in page:
// component → div#page-signin → main (2) → section (0) → children
// (messages 2, form 3). Literals have no spare capacity, so the parallel
// tests' append(path, ...) copy them rather than share an array.
var (
	pathMessages = []int{0, 2, 0, 2}
	pathForm     = []int{0, 2, 0, 3}
)

func TestSignInPageRendersAccessibleForm(t *testing.T) {
	t.Parallel()
	c := &authPage{Mode: modeSignIn}
	html := load(t, c)

	mustContain(t, html,
		`id="page-signin"`,
		`<h1 id="page-title">Sign in</h1>`,
		`<label for="username">Username</label>`,
		`<label for="password">Password</label>`,
		`id="username"`, `type="text"`,
		`id="password"`, `type="password"`, `autocomplete="current-password"`,
		`<a href="/register">Create an account</a>`,
		`aria-current="page"`,
	)
	mustNotContain(t, html, `id="error"`, `id="notice"`, `id="signout"`)

	// A real form: submitting it is handled by onsubmit; the native
	// fallback posts (never a password in a URL).
	if err := app.Match(app.Form().
		ID("auth-form").
		Method("post").
		Action(PathSignIn).
		NoValidate(true).
		OnSubmit(c.onSubmit),
		c, pathForm...); err != nil {
		t.Error(err)
	}
	// The submit button is the form's last child; before the app runs
	// (prerender) it is disabled.
	if err := app.Match(app.Button().
		ID("submit").
		Type("submit").
		Class("button button-primary").
		Disabled(true).
		Aria("busy", "false").
		Text("Sign in"),
		c, append(pathForm, 2)...); err != nil {
		t.Error(err)
	}
	if err := app.Match(app.Text("Sign in"), c, append(pathForm, 2, 0)...); err != nil {
		t.Error(err)
	}
}

func TestRegisterPage(t *testing.T) {
	t.Parallel()
	html := load(t, &authPage{Mode: modeRegister})
	mustContain(t, html,
		`id="page-register"`,
		`<h1 id="page-title">Create account</h1>`,
		`autocomplete="new-password"`,
		`id="submit"`,
		`<a href="/signin">Sign in</a>`,
	)
}

func TestSubmitButtonWhileInFlight(t *testing.T) {
	t.Parallel()
	for mode, want := range map[authMode]string{modeSignIn: "Signing in…", modeRegister: "Creating account…"} {
		c := &authPage{Mode: mode, ready: true, busy: true}
		load(t, c)
		if err := app.Match(app.Text(want), c, append(pathForm, 2, 0)...); err != nil {
			t.Errorf("mode %d: %v", mode, err)
		}
		html := app.HTMLString(c)
		mustHaveElem(t, html, "button", `id="submit"`, `aria-busy`, `disabled`)
	}
}

func TestSignInFormShowsValidationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ username, password, want string }{
		{"", "", shared.MsgMissingCredentials},
		{"alice", "1234", shared.MsgPasswordTooShort},
		{"al", "secret", shared.MsgUsernameTooShort},
		{"alice", strings.Repeat("x", 73), shared.MsgPasswordTooLong},
		{strings.Repeat("u", 65), "secret", shared.MsgUsernameTooLong},
		{" alice", "secret", shared.MsgUsernameInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			c := &authPage{Mode: modeSignIn, ready: true, username: tt.username, password: tt.password}
			c.notice = "old notice"
			// A zero Context: any use of it (Async, a request) would
			// panic, so this also checks that nothing is sent.
			c.onSubmit(app.Context{}, app.Event{Value: app.Null()})
			if c.errMsg != tt.want {
				t.Fatalf("errMsg = %q, want %q", c.errMsg, tt.want)
			}
			if c.busy {
				t.Error("busy after a validation error")
			}
			if c.notice != "" {
				t.Error("notice kept after submitting")
			}

			html := load(t, c)
			if err := app.Match(app.P().
				ID("error").
				Class("message message-error").
				Role("alert"),
				c, append(pathMessages, 0)...); err != nil {
				t.Error(err)
			}
			if err := app.Match(app.Text(tt.want), c, append(pathMessages, 0, 0)...); err != nil {
				t.Error(err)
			}
			mustContain(t, html, `aria-describedby="error"`, `aria-invalid`)
		})
	}
}

func TestServerErrorMessageIsShown(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("POST /api/login: %w", &shared.Error{Status: 401, Code: shared.CodeBadCredentials, Msg: "Incorrect password or username"})
	c := &authPage{Mode: modeSignIn, ready: true}
	c.errMsg = errorMessage(err)
	html := load(t, c)
	mustHaveElem(t, html, "p", `id="error"`, `role="alert"`)
	mustContain(t, html, `>Incorrect password or username</p>`)
}

func TestNoticeOnSignIn(t *testing.T) {
	t.Parallel()
	c := &authPage{Mode: modeSignIn}
	c.notice = msgSessionEnded
	html := load(t, c)
	mustHaveElem(t, html, "p", `id="notice"`, `role="status"`)
	mustContain(t, html, `>Your session has ended. Please sign in again.</p>`)
}

func TestAccountPage(t *testing.T) {
	t.Parallel()
	renewed := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &accountPage{user: &shared.UserDataV2{ID: 42, Username: "alice"}, renewedAt: renewed}
	html := load(t, c)
	mustContain(t, html,
		`id="page-account"`,
		`<dd id="account-username">alice</dd>`,
		`<dd id="account-id">42</dd>`,
		`id="renewed-at"`,
		`datetime="`+renewed.Local().Format(time.RFC3339)+`"`,
		`id="signout"`, `Sign out`,
		`<a href="/files">Files</a>`,
	)
	mustHaveElem(t, html, "a", `href="/account"`, `aria-current="page"`)

	// Not renewed yet, and the loading state.
	html = load(t, &accountPage{user: &shared.UserDataV2{ID: 1, Username: "bob"}})
	mustContain(t, html, `Not yet renewed in this session`)
	c = &accountPage{}
	c.loading = true
	html = load(t, c)
	mustContain(t, html, `Loading your account…`)
	mustNotContain(t, html, `id="account-username"`)
}

func TestFilesPage(t *testing.T) {
	t.Parallel()
	c := &filesPage{
		loaded: true,
		files: []*fileEntry{
			{info: shared.FileInfo{Name: "cat.png", Size: 2048, Type: "image/png"}, image: true, url: "blob:http://example.test/1"},
			{info: shared.FileInfo{Name: "dog.jpg", Size: 10, Type: "image/jpeg"}, image: true, loading: true},
			{info: shared.FileInfo{Name: "notes/report.pdf", Size: 3 << 20, Type: "application/pdf"}},
			{info: shared.FileInfo{Name: "data.csv", Size: 5, Type: "text/csv"}, url: "blob:http://example.test/2"},
		},
	}
	html := load(t, c)
	mustContain(t, html,
		`id="page-files"`,
		`Loading preview…`,
		`2.0 KB · image/png`,
		`3.0 MB · application/pdf`,
		`aria-label="Download notes/report.pdf"`,
	)
	mustHaveElem(t, html, "a", `href="/files"`, `aria-current="page"`)
	mustHaveElem(t, html, "ul", `id="files-list"`)
	mustHaveElem(t, html, "img", `src="blob:http://example.test/1"`, `alt="cat.png"`)
	mustHaveElem(t, html, "a", `href="blob:http://example.test/2"`, `download="data.csv"`)
	// Buttons that are not disabled carry no disabled attribute (in HTML
	// disabled="false" still disables).
	mustNotContain(t, html, `disabled="false"`)
	// The image is inside #files-list: section → ul (index 3 after h1,
	// messages) → li → div.preview → img.
	if err := app.Match(app.Img().Src("blob:http://example.test/1").Alt("cat.png"), c, 0, 2, 0, 2, 0, 0, 0); err != nil {
		t.Error(err)
	}
	// No token or API path in any URL of the page.
	mustNotContain(t, html, "/api/", "token")

	html = load(t, &filesPage{loaded: true})
	mustContain(t, html, `There are no files yet.`, `id="files-list"`)
}

func TestUpdateBanner(t *testing.T) {
	t.Parallel()
	html := load(t, &updateBanner{})
	mustNotContain(t, html, `update-banner`)
	html = load(t, &updateBanner{available: true})
	mustContain(t, html, `id="update-banner"`, `A new version is available.`, `>Reload</button>`)
}

func TestFileHelpers(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"image/png":                "image/png",
		"image/jpeg; charset=x":    "image/jpeg",
		"IMAGE/WEBP":               "image/webp",
		"image/svg+xml":            "",
		"text/html":                "",
		"application/octet-stream": "",
		"":                         "",
	} {
		if got := inlineImageType(in); got != want {
			t.Errorf("inlineImageType(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"a.txt": "a.txt", "dir/b.pdf": "b.pdf", "/": "file"} {
		if got := downloadName(in); got != want {
			t.Errorf("downloadName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KB", 20 << 20: "20 MB"} {
		if got := humanSize(in); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestRegistrationClosed: with registration closed no page links to
// /register, and /register says so, with a way to sign in and no form.
func TestRegistrationClosed(t *testing.T) {
	t.Parallel()
	closed := Settings{RegistrationClosed: true}
	html := load(t, &authPage{pageState: pageState{settings: closed}, Mode: modeSignIn})
	mustContain(t, html, `id="auth-form"`, `New to Tessera? Ask the administrator for an account.`)
	mustNotContain(t, html, `href="/register"`, `Create account`, `Create an account`)

	html = load(t, &authPage{pageState: pageState{settings: closed}, Mode: modeRegister})
	mustContain(t, html,
		`id="page-register"`,
		`<h1 id="page-title">Create account</h1>`,
		`>Registration is closed. Ask the administrator for an account.</p>`,
	)
	mustHaveElem(t, html, "p", `id="registration-closed"`, `role="status"`)
	mustHaveElem(t, html, "a", `href="/signin"`, `class="button button-primary"`)
	mustNotContain(t, html, `<form`, `id="username"`, `id="submit"`, `href="/register"`)

	html = load(t, &homePage{settings: closed})
	mustNotContain(t, html, `href="/register"`)
	html = load(t, &homePage{})
	mustContain(t, html, `<a href="/register">Create account</a>`)
}

// TestRegisterRefusedAsClosed: registration closed after the page was
// served; the API's 403 registration_closed turns the page into the closed
// one, and the tab's other pages follow.
func TestRegisterRefusedAsClosed(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{registrationClosed: true}
	env := fakeEnv(t, f, "")
	c := &authPage{pageState: newPageState(env), Mode: modeRegister}
	e, m := mountPage(t, c, func(ctx app.Context) {
		c.mount(ctx)
		c.ready = true
	})
	mustContain(t, app.HTMLString(m), `id="auth-form"`)
	c.username, c.password = "alice", "a good secret"
	c.onSubmit(app.Context{}, app.Event{Value: app.Null()})
	e.ConsumeAll()
	if calls := f.callList(); len(calls) != 1 || calls[0] != "POST /api/register" {
		t.Fatalf("calls = %v, want one POST /api/register", calls)
	}
	if c.busy || c.errMsg != "" || c.password != "" {
		t.Errorf("busy %v, error %q, password kept %v", c.busy, c.errMsg, c.password != "")
	}
	html := app.HTMLString(m)
	mustContain(t, html, `>Registration is closed. Ask the administrator for an account.</p>`)
	mustNotContain(t, html, `<form`, `href="/register"`)
	if !env.settings.RegistrationClosed {
		t.Error("the tab's other pages still offer registration")
	}
	mustNotContain(t, load(t, &authPage{pageState: newPageState(env), Mode: modeSignIn}), `href="/register"`)
}
