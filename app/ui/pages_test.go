package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// load renders the page at path as the server's prerender does (env nil:
// no calls), after set has set its view's fields, and returns its HTML.
func load[V pageView](t *testing.T, path string, set func(v V)) string {
	t.Helper()
	p := newPage(nil, path)
	if set != nil {
		set(p.view.(V))
	}
	e := app.NewTestEngine()
	if err := e.Load(p); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	e.ConsumeAll()
	return app.HTMLString(p)
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

// TestLayout: every page has a skip link to the main region, a heading
// that takes the focus, no image without a text alternative, and the
// signed-in pages their navigation with the current page marked.
func TestLayout(t *testing.T) {
	t.Parallel()
	for _, path := range append(pagePaths, "/nowhere") {
		html := load[pageView](t, path, nil)
		mustHaveElem(t, html, "a", `href="#main"`, `class="skip-link"`)
		mustHaveElem(t, html, "main", `id="main"`, `tabindex="-1"`)
		mustHaveElem(t, html, "h1", `id="page-title"`, `tabindex="-1"`)
		mustHaveElem(t, html, "a", `href="/"`, `class="brand"`)
		mustNotContain(t, html, "<img", `disabled="false"`, "Not yet renewed", "User ID")
		if n := strings.Count(html, "<h1"); n != 1 {
			t.Errorf("GET %s: %d h1", path, n)
		}
	}
	html := load[*filesPage](t, PathFiles, nil)
	mustHaveElem(t, html, "nav", `aria-label="Main"`)
	mustHaveElem(t, html, "a", `href="/files"`, `aria-current="page"`)
	mustHaveElem(t, html, "button", `id="signout"`, `type="button"`)
	mustNotContain(t, load[*authPage](t, PathSignIn, nil), "<nav")
}

func TestSignInPage(t *testing.T) {
	t.Parallel()
	html := load[*authPage](t, PathSignIn, nil)
	mustContain(t, html,
		`id="page-signin"`,
		`>Sign in</h1>`,
		`<label for="username">Username</label>`,
		`<label for="password">Password</label>`,
		// Forgot your password: the answer, without the app.
		`<summary>Forgot your password?</summary>`,
		`<code>tessera user set-password</code>`,
		`New to Tessera? <a href="/register">Create an account</a>`,
	)
	// Autofocus on the username; the browser remembers the password.
	mustHaveElem(t, html, "input", `id="username"`, `type="text"`, `autocomplete="username"`, `autofocus`, `required`, `autocapitalize="none"`, `spellcheck="false"`)
	mustHaveElem(t, html, "input", `id="password"`, `type="password"`, `autocomplete="current-password"`, `required`)
	mustHaveElem(t, html, "button", `id="password-toggle"`, `aria-controls="password"`, `aria-label="Show password"`)
	// A real form whose native submit posts (never a password in a URL),
	// and whose button waits for the app.
	mustHaveElem(t, html, "form", `id="auth-form"`, `method="post"`, `action="/signin"`, `novalidate`)
	mustHaveElem(t, html, "button", `id="submit"`, `type="submit"`, `disabled`)
	// Returning users are not shown the rules of a new account.
	mustNotContain(t, html, usernameHint(), passwordHint(), "-hint", "strength", `id="error"`, `id="notice"`, `id="signout"`)
}

func TestRegisterPage(t *testing.T) {
	t.Parallel()
	html := load[*authPage](t, PathRegister, nil)
	mustContain(t, html, `id="page-register"`, `>Create your account</h1>`, `<a href="/signin">Sign in</a>`,
		`>`+usernameHint()+`</p>`, `>`+passwordHint()+`</p>`)
	mustHaveElem(t, html, "input", `id="password"`, `autocomplete="new-password"`, `aria-describedby="password-hint"`)
	mustHaveElem(t, html, "input", `id="username"`, `aria-describedby="username-hint"`)
	mustHaveElem(t, html, "div", `id="password-strength"`, `aria-live="polite"`)
	// "Create account" once: the button (the heading and links say
	// otherwise).
	body := html[strings.Index(html, "<h1"):]
	if n := strings.Count(body, "Create account"); n != 1 {
		t.Errorf("the register page says Create account %d times", n)
	}
}

// In HTML that go-app writes (the prerender, HTMLString), an attribute
// whose value is "true" is bare: aria-invalid="true" is written
// aria-invalid. (The browser's DOM, where the app sets them, has the
// value.)

// TestAuthValidation: the form's fields are checked before anything is
// sent; each problem shows under its field, which alone is marked invalid
// and points at it, and the first gets the focus. Signing in only needs
// both fields; creating an account applies the server's rules.
func TestAuthValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, path, username, password string
		userErr, passErr               string
	}{
		{"signin nothing", PathSignIn, "", "", "Enter your username.", "Enter your password."},
		{"signin no password", PathSignIn, "alice", "", "", "Enter your password."},
		{"signin short password", PathSignIn, "al", "1234", "send", "send"}, // the server judges
		{"register nothing", PathRegister, "", "", "Choose a username.", "Choose a password."},
		{"register short password", PathRegister, "alice", "1234", "", "Your password needs at least 5 characters."},
		{"register long password", PathRegister, "alice", strings.Repeat("é", 37), "", "That password is too long: at most 72 bytes (accented letters and emoji count for 2 to 4)."},
		{"register short username", PathRegister, "al", "secret", "Your username needs at least 3 characters.", ""},
		{"register long username", PathRegister, strings.Repeat("u", 65), "secret", "Your username can have at most 64 characters.", ""},
		{"register space", PathRegister, " alice", "secret", "A username cannot begin or end with a space, or hold control characters.", ""},
		{"register NUL", PathRegister, "ali\x00ce", "secret", "A username cannot begin or end with a space, or hold control characters.", ""},
		{"register unicode ok", PathRegister, "éèà", "12345", "send", "send"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAPI{}
			env := fakeEnv(t, f, "")
			e, m, c := mountView[*authPage](t, env, tt.path)
			c.username, c.password = tt.username, tt.password
			c.notice = "old notice"
			c.onSubmit(app.Context{}, app.Event{Value: app.Null()})
			c.ctx.Update() // as after an event
			e.ConsumeAll()
			sent := len(f.callList()) > 0
			if tt.userErr == "send" {
				if !sent || len(c.errs.first("username", "password")) != 0 {
					t.Fatalf("valid: sent %v, errors %v", sent, c.errs)
				}
				return
			}
			if sent {
				t.Fatalf("sent %v", f.callList())
			}
			if c.errs["username"] != tt.userErr || c.errs["password"] != tt.passErr || c.notice != "" {
				t.Fatalf("errors %q, notice %q; want %q and %q", c.errs, c.notice, tt.userErr, tt.passErr)
			}
			html := app.HTMLString(m)
			for id, want := range map[string]string{"username": tt.userErr, "password": tt.passErr} {
				if want == "" {
					if hasElem(html, "input", `id="`+id+`"`, `aria-invalid`) {
						t.Errorf("%s is marked invalid", id)
					}
					continue
				}
				mustHaveElem(t, html, "p", `id="`+id+`-error"`, `class="field-error"`)
				mustContain(t, html, `>`+want+`</p>`)
				mustHaveElem(t, html, "input", `id="`+id+`"`, `aria-invalid`)
				if !strings.Contains(html, `aria-describedby="`+id+`-error`) {
					t.Errorf("%s does not point at its error", id)
				}
			}
			mustNotContain(t, html, `id="error"`)
		})
	}
}

// TestAuthServerErrors: the server's refusals are told by code, under the
// field concerned (a taken name) or above the form (a wrong password).
func TestAuthServerErrors(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	env := fakeEnv(t, f, "")
	e, m, c := mountView[*authPage](t, env, PathSignIn)
	c.failed(c.ctx, &shared.Error{Status: 401, Code: shared.CodeBadCredentials, Msg: "Incorrect password or username"})
	c.ctx.Update()
	e.ConsumeAll()
	html := app.HTMLString(m)
	mustHaveElem(t, html, "p", `id="error"`, `role="alert"`, `class="message message-error"`)
	mustContain(t, html, `>The username or password is not right. Check them and try again.</p>`)
	mustNotContain(t, html, `aria-invalid`, "Incorrect password or username")

	e, m, r := mountView[*authPage](t, env, PathRegister)
	r.failed(r.ctx, &shared.Error{Status: 409, Code: shared.CodeUsernameTaken, Msg: shared.MsgUsernameTaken})
	r.ctx.Update()
	e.ConsumeAll()
	html = app.HTMLString(m)
	mustHaveElem(t, html, "p", `id="username-error"`, `class="field-error"`)
	mustContain(t, html, `>That username is taken. Please choose another one.</p>`)
	mustHaveElem(t, html, "input", `id="username"`, `aria-invalid`, `aria-describedby="username-error username-hint"`)
	mustNotContain(t, html, `id="error"`, `id="password-error"`)
}

// TestTypedTextKept: what the user typed into the prerendered form before
// the app started is in the app's first render.
func TestTypedTextKept(t *testing.T) {
	t.Parallel()
	env := fakeEnv(t, &fakeAPI{}, "")
	env.typed = typedState{values: map[string]string{"username": "alice", "password": "half a pass"}, focus: "password", start: 4, end: 4}
	e, m, c := mountView[*authPage](t, env, PathSignIn)
	e.ConsumeAll()
	if c.username != "alice" || c.password != "half a pass" {
		t.Errorf("fields %q, %q", c.username, c.password)
	}
	mustHaveElem(t, app.HTMLString(m), "input", `id="username"`, `value="alice"`)
	if id, _, _ := env.takeFocus(); id != "" {
		t.Error("the focus to restore was not taken by the page")
	}
	// Only the first page finds them.
	if _, ok := env.takeTyped("username"); ok {
		t.Error("typed text kept for another page")
	}
}

func TestShowPassword(t *testing.T) {
	t.Parallel()
	env := fakeEnv(t, &fakeAPI{}, "")
	e, m, c := mountView[*authPage](t, env, PathSignIn)
	c.toggle(app.Context{}, app.Event{})
	c.ctx.Update() // as after an event
	e.ConsumeAll()
	html := app.HTMLString(m)
	mustHaveElem(t, html, "input", `id="password"`, `type="text"`)
	mustHaveElem(t, html, "button", `id="password-toggle"`, `aria-label="Hide password"`)
}

func TestSubmitButtonWhileInFlight(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{PathSignIn: "Signing in…", PathRegister: "Creating your account…"} {
		html := load(t, path, func(c *authPage) { c.ready, c.busy = true, true })
		mustContain(t, html, ">"+want+"</button>")
		mustHaveElem(t, html, "button", `id="submit"`, `aria-busy`, `disabled`)
	}
	html := load(t, PathSignIn, func(c *authPage) { c.ready = true })
	mustHaveElem(t, html, "button", `id="submit"`, `aria-busy="false"`)
	if hasElem(html, "button", `id="submit"`, "disabled") {
		t.Error("the ready form's button is disabled")
	}
}

func TestNotices(t *testing.T) {
	t.Parallel()
	html := load(t, PathSignIn, func(c *authPage) { c.notice = msgSessionEnded })
	mustHaveElem(t, html, "p", `id="notice"`, `role="status"`, `class="message message-notice"`)
	mustContain(t, html, `>Your session has ended. Please sign in again.</p>`)
	html = load(t, PathSignIn, func(c *authPage) { c.notice, c.noticeKind = msgSignedOut, noticeSuccess })
	mustHaveElem(t, html, "p", `id="notice"`, `role="status"`, `class="message message-success"`)
}

func TestAccountPage(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	began := time.Date(2026, 7, 8, 9, 10, 0, 0, time.UTC)
	last := time.Date(2026, 7, 1, 18, 30, 0, 0, time.UTC)
	html := load(t, PathAccount, func(c *accountPage) {
		c.account = &shared.Account{ID: 42, Username: "alice", CreatedAt: &created, SignedInAt: began, LastSignIn: &last}
	})
	mustContain(t, html,
		`id="page-account"`,
		`<dt>Signed in as</dt>`, `<dd id="account-username">alice</dd>`,
		`<dt>Member since</dt>`, `<dd id="member-since">`+created.Local().Format("2 January 2006")+`</dd>`,
		`<dt>This session began</dt>`, `<dd id="signed-in-at">`+began.Local().Format(dateTime)+`</dd>`,
		`<dt>Previous sign-in</dt>`, `<dd id="last-sign-in">`+last.Local().Format(dateTime)+`</dd>`,
		`id="change-password-link"`, `id="sessions-link"`,
	)
	mustNotContain(t, html, ">42<", "User ID", "renewed")

	// An account from a Flask app has no date of creation; a first
	// sign-in has no previous one.
	html = load(t, PathAccount, func(c *accountPage) {
		c.account = &shared.Account{ID: 1, Username: "bob", SignedInAt: began}
	})
	mustHaveElem(t, html, "dd", `id="member-since"`, `class="muted"`)
	mustHaveElem(t, html, "dd", `id="last-sign-in"`, `class="muted"`)
	mustContain(t, html, `>Before this Tessera kept the date</dd>`, `>None: this is your first</dd>`)

	html = load(t, PathAccount, func(c *accountPage) { c.loading = true })
	mustContain(t, html, `Loading your account…`)
	mustNotContain(t, html, `id="account-username"`)
}

// TestAccountPageLoads: the account page asks GET /api/account.
func TestAccountPageLoads(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f := &fakeAPI{account: &shared.Account{ID: 3, Username: "carol", CreatedAt: &created, SignedInAt: created}}
	env := fakeEnv(t, f, "access")
	e, m, _ := mountView[*accountPage](t, env, PathAccount)
	e.ConsumeAll()
	mustContain(t, app.HTMLString(m), `<dd id="account-username">carol</dd>`)
	if got := strings.Join(f.callList(), ","); got != "GET /api/account" {
		t.Errorf("calls %s", got)
	}
}

func TestFilesPage(t *testing.T) {
	t.Parallel()
	html := load(t, PathFiles, func(c *filesPage) {
		c.loaded = true
		c.files = []*fileEntry{
			{info: shared.FileInfo{Name: "cat.png", Size: 2048, Type: "image/png"}, image: true, url: "blob:http://example.test/1"},
			{info: shared.FileInfo{Name: "dog.jpg", Size: 10, Type: "image/jpeg"}, image: true, loading: true},
			{info: shared.FileInfo{Name: "notes/report.pdf", Size: 3 << 20, Type: "application/pdf"}},
			{info: shared.FileInfo{Name: "data.csv", Size: 5, Type: "text/csv"}, loading: true, save: true},
		}
	})
	mustContain(t, html,
		`id="page-files"`,
		`Loading preview…`,
		`PNG image · 2.0 KB`,
		`JPEG image · 10 bytes`,
		`PDF document · 3.0 MB`,
		`CSV table · 5 bytes`,
	)
	mustHaveElem(t, html, "ul", `id="files-list"`)
	// An image: its button opens it larger; the image is shown from its
	// blob URL, named by the button.
	mustHaveElem(t, html, "button", `id="view-0"`, `aria-label="View cat.png larger"`)
	mustHaveElem(t, html, "img", `src="blob:http://example.test/1"`, `role="presentation"`)
	mustHaveElem(t, html, "button", `id="view-1"`, "disabled")
	// One Download button per file, whatever its kind.
	if n := strings.Count(html, `class="button button-small file-download"`); n != 4 {
		t.Errorf("%d Download buttons, want 4", n)
	}
	mustHaveElem(t, html, "button", `aria-label="Download notes/report.pdf"`)
	mustHaveElem(t, html, "button", `aria-label="Downloading… data.csv"`, "disabled")
	// No token or API path in any URL of the page.
	mustNotContain(t, html, "/api/", "token", `id="viewer"`)

	html = load(t, PathFiles, func(c *filesPage) { c.loaded = true })
	mustContain(t, html, `There are no files yet.`)
	mustNotContain(t, html, `id="files-list"`)

	// The larger view: a modal dialog, named by the file.
	html = load(t, PathFiles, func(c *filesPage) {
		c.loaded, c.viewing = true, 1
		c.files = []*fileEntry{{info: shared.FileInfo{Name: "cat.png", Size: 2048, Type: "image/png"}, image: true, url: "blob:x/1"}}
	})
	mustHaveElem(t, html, "dialog", `id="viewer"`, `aria-labelledby="viewer-title"`)
	mustContain(t, html, `<h2 id="viewer-title">cat.png</h2>`, `id="viewer-close"`, `id="viewer-download"`)
	mustHaveElem(t, html, "img", `src="blob:x/1"`, `alt="cat.png"`)
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
	for in, want := range map[int64]string{0: "0 bytes", 1: "1 byte", 1023: "1023 bytes", 1536: "1.5 KB", 20 << 20: "20 MB"} {
		if got := humanSize(in); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct{ typ, name, want string }{
		{"image/png", "a.png", "PNG image"},
		{"application/pdf", "a.pdf", "PDF document"},
		{"text/plain; charset=utf-8", "a.txt", "Text file"},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx", "Word document"},
		{"image/x-portable-pixmap", "a.ppm", "Image"},
		{"application/octet-stream", "backup.tar.zst", "ZST file"},
		{"", "song.Mp3", "MP3 file"},
		{"", "notes.café", "CAFé file"},
		{"application/octet-stream", "README", "File"},
		{"", "strange.averylongextension", "File"},
	} {
		if got := fileKind(tt.typ, tt.name); got != tt.want {
			t.Errorf("fileKind(%q, %q) = %q, want %q", tt.typ, tt.name, got, tt.want)
		}
	}
}

func TestPasswordStrength(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pw, user string
		want     int
	}{
		{"1234", "", 0},
		{"password1", "", 1},
		{"aaaaaaaaaaaa", "", 1},
		{"abcdefgh", "", 1},
		{"alice2024", "alice", 1},
		{"kx7!q", "", 2},
		{"terracotta", "", 2},
		{"Terracotta tiles", "", 4},
		{"correct horse battery staple", "", 4},
	} {
		if got := passwordStrength(tt.pw, tt.user); got != tt.want {
			t.Errorf("passwordStrength(%q) = %d (%s), want %d", tt.pw, got, strengthLabels[got], tt.want)
		}
	}
	html := load(t, PathRegister, func(c *authPage) { c.password = "correct horse battery staple" })
	mustContain(t, html, `class="strength strength-4"`, `Strength: Strong`)
}

// TestRegistrationClosed: with registration closed no page links to
// /register, and /register says so, with a way to sign in and no form.
func TestRegistrationClosed(t *testing.T) {
	t.Parallel()
	closed := func(s *pageState) { s.settings.RegistrationClosed = true }
	html := load(t, PathSignIn, func(c *authPage) { closed(&c.pageState) })
	mustContain(t, html, `id="auth-form"`, `New to Tessera? Ask the administrator for an account.`)
	mustNotContain(t, html, `href="/register"`, `Create account`, `Create an account`)

	html = load(t, PathRegister, func(c *authPage) { closed(&c.pageState) })
	mustContain(t, html, `id="page-register"`, `>Create account</h1>`, `>Registration is closed. Ask the administrator for an account.</p>`)
	mustHaveElem(t, html, "p", `id="registration-closed"`, `role="status"`)
	mustHaveElem(t, html, "a", `href="/signin"`, `class="button button-primary"`)
	mustNotContain(t, html, `<form`, `id="username"`, `id="submit"`, `href="/register"`)

	html = load(t, PathHome, func(c *homePage) { closed(&c.pageState) })
	mustNotContain(t, html, `href="/register"`)
	mustContain(t, html, `href="/signin"`)
	html = load[*homePage](t, PathHome, nil)
	mustContain(t, html, `>Welcome to Tessera</h1>`, `href="/register"`, `>Create an account</a>`, `href="/signin"`)
}

// TestRegisterRefusedAsClosed: registration closed after the page was
// served; the API's 403 registration_closed turns the page into the closed
// one, and the tab's other pages follow.
func TestRegisterRefusedAsClosed(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{registrationClosed: true}
	env := fakeEnv(t, f, "")
	e, m, c := mountView[*authPage](t, env, PathRegister)
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
	_, m, _ = mountView[*authPage](t, env, PathSignIn)
	mustNotContain(t, app.HTMLString(m), `href="/register"`)
}

// TestSignInSucceeds: a sign-in stores the tokens and goes to the account
// with no notice; a new account is welcomed (a success).
func TestSignInSucceeds(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	env := fakeEnv(t, f, "")
	e, _, c := mountView[*authPage](t, env, PathRegister)
	c.username, c.password = "alice", "a good secret"
	c.onSubmit(app.Context{}, app.Event{Value: app.Null()})
	e.ConsumeAll()
	if !env.client.SignedIn() || c.password != "" {
		t.Fatalf("signed in %v, password kept %v", env.client.SignedIn(), c.password != "")
	}
	if msg, kind := env.flash.takeNotice(); msg != "Welcome to Tessera, alice. Your account is ready." || kind != noticeSuccess {
		t.Errorf("notice %q (%s)", msg, kind)
	}
	if got := strings.Join(f.callList(), ","); got != "POST /api/register,POST /api/login" {
		t.Errorf("calls %s", got)
	}
}

func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	html := load[*notFoundPage](t, "/no/such/page", nil)
	mustContain(t, html, `id="page-notfound"`, `>Page not found</h1>`)
	mustHaveElem(t, html, "a", `id="go-home"`, `href="/"`)
}
