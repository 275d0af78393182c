package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// fakeAPI is the part of the server the pages use. It takes the access
// token "access"; any other is answered as revoked.
type fakeAPI struct {
	mu                 sync.Mutex
	sessions           []shared.SessionInfo
	password           string
	registrationClosed bool // POST /api/register is refused
	account            *shared.Account
	events             []shared.EventInfo // newest first; ids decrease
	seen               int                // POST /api/events/seen
	calls              []string           // "METHOD /path?query"
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		call += "?" + r.URL.RawQuery
	}
	f.calls = append(f.calls, call)
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if call == "POST /api/login" {
		reply(200, shared.TokenPair{AccessToken: "access", RefreshToken: "refresh"})
		return
	}
	if call == "GET /api/healthz" {
		reply(200, map[string]string{"status": "ok"})
		return
	}
	if call == "POST /api/register" {
		if f.registrationClosed {
			reply(403, shared.ErrorBody{Msg: "Registration is closed", Code: shared.CodeRegistrationClosed})
			return
		}
		reply(201, shared.Message{Msg: "User created"})
		return
	}
	if r.Header.Get("Authorization") != "Bearer access" {
		reply(401, shared.ErrorBody{Msg: "Token has been revoked", Code: shared.CodeTokenRevoked})
		return
	}
	switch {
	case call == "GET /api/user-data-v2":
		reply(200, shared.UserDataV2{ID: 1, Username: "alice"})
	case call == "GET /api/account":
		a := shared.Account{ID: 1, Username: "alice", SignedInAt: time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)}
		if f.account != nil {
			a = *f.account
		}
		reply(200, a)
	case r.Method == "GET" && r.URL.Path == "/api/events":
		// Keyset pages, as the server: ?limit= events with an id below
		// ?before=.
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit < 1 {
			limit = 50
		}
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		out := shared.EventList{Events: []shared.EventInfo{}}
		for _, e := range f.events {
			if before != 0 && e.ID >= before {
				continue
			}
			if len(out.Events) == limit {
				out.Next = strconv.FormatInt(out.Events[limit-1].ID, 10)
				break
			}
			out.Events = append(out.Events, e)
		}
		reply(200, out)
	case call == "POST /api/events/seen":
		f.seen++
		reply(200, shared.Message{Msg: "Events seen"})
	case call == "GET /api/files":
		reply(200, shared.FileList{})
	case call == "GET /api/sessions":
		reply(200, shared.SessionList{Sessions: f.sessions})
	case call == "DELETE /api/logout?scope=others":
		var kept []shared.SessionInfo
		for _, s := range f.sessions {
			if s.Current {
				kept = append(kept, s)
			}
		}
		f.sessions = kept
		reply(200, shared.Message{Msg: "Access token successfully revoked"})
	case r.Method == "DELETE" && strings.HasPrefix(r.URL.Path, "/api/sessions/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/sessions/")
		for i, s := range f.sessions {
			if s.ID == id && !s.Current {
				f.sessions = append(f.sessions[:i], f.sessions[i+1:]...)
				reply(200, shared.Message{Msg: "Session ended"})
				return
			}
		}
		reply(404, shared.ErrorBody{Msg: "Not Found", Code: shared.CodeNotFound})
	case call == "POST /api/password":
		var body shared.PasswordChange
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.CurrentPassword != f.password {
			reply(401, shared.ErrorBody{Msg: "Incorrect password", Code: shared.CodeBadCredentials})
			return
		}
		f.password = body.NewPassword
		// Every session ends; the caller's is replaced by a new one.
		reply(200, shared.PasswordChanged{Msg: "Password changed", AccessToken: "access", RefreshToken: "refresh"})
	default:
		reply(404, shared.ErrorBody{Msg: "Not Found", Code: shared.CodeNotFound})
	}
}

func (f *fakeAPI) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// fakeEnv returns an Env whose client calls f, with its tokens in memory
// and the access token access stored ("access" is the one f takes; ""
// stores none: signed out).
func fakeEnv(t *testing.T, f *fakeAPI, access string) *Env {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	env := newEnv(srv.URL, newTokenStore(TokensKey, newMemArea()))
	if access != "" {
		env.tokens.Save(shared.TokenPair{AccessToken: access, RefreshToken: "refresh"})
	}
	return env
}

// mounted wraps a page so that the test engine, which does not call
// OnMount outside the browser, hands over a Context of the page: start
// gets it in place of OnMount.
type mounted struct {
	app.Composer
	start func(ctx app.Context)
}

func (m *mounted) OnPreRender(ctx app.Context) { m.start(ctx) }

// OnInit is the page's: go-app calls it in the browser and on the server.
func (m *mounted) OnInit() {
	if i, ok := m.Composer.(app.Initializer); ok {
		i.OnInit()
	}
}

// mountPage loads p in a new test engine, runs start with the page's
// context and everything it set off, and returns the engine and the
// wrapper to render.
func mountPage(t *testing.T, p *appPage, start func(ctx app.Context)) (app.TestEngine, *mounted) {
	t.Helper()
	m := &mounted{Composer: p, start: start}
	e := app.NewTestEngine()
	if err := e.Load(m); err != nil {
		t.Fatalf("load %T: %v", p.view, err)
	}
	e.ConsumeAll()
	return e, m
}

// mountView mounts the page at path with env (see mountPage), as the
// browser does (its mount), and returns the engine, the wrapper and the
// view.
func mountView[V pageView](t *testing.T, env *Env, path string) (app.TestEngine, *mounted, V) {
	t.Helper()
	p := newPage(env, path)
	v := p.view.(V)
	e, m := mountPage(t, p, v.mount)
	return e, m, v
}

func TestFlash(t *testing.T) {
	t.Parallel()
	var f flash
	f.setNotice("hello", noticeSuccess)
	if msg, kind := f.takeNotice(); msg != "hello" || kind != noticeSuccess {
		t.Errorf("takeNotice = %q, %q", msg, kind)
	}
	if msg, _ := f.takeNotice(); msg != "" {
		t.Errorf("second takeNotice = %q, want empty", msg)
	}
	f.setReturnTo(PathFiles)
	if got := f.takeReturnTo(PathAccount); got != PathFiles {
		t.Errorf("takeReturnTo = %q", got)
	}
	if got := f.takeReturnTo(PathAccount); got != PathAccount {
		t.Errorf("second takeReturnTo = %q", got)
	}
	f.setReturnTo("https://evil.example/")
	if got := f.takeReturnTo(PathAccount); got != PathAccount {
		t.Errorf("takeReturnTo of a foreign URL = %q", got)
	}
}

func TestSignedOutPageSendsToSignIn(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	env := fakeEnv(t, f, "")
	mountView[*filesPage](t, env, PathFiles)
	if msg, kind := env.flash.takeNotice(); msg != msgSignInFirst || kind != noticeInfo {
		t.Errorf("notice for the sign-in page = %q (%s), want %q", msg, kind, msgSignInFirst)
	}
	if got := env.flash.takeReturnTo(PathAccount); got != PathFiles {
		t.Errorf("return to %q after signing in, want %q", got, PathFiles)
	}
	if calls := f.callList(); len(calls) != 0 {
		t.Errorf("a signed-out page called the API: %v", calls)
	}
}

// TestPagesEndRevokedSession: every page that calls the API with a
// revoked token ends the session, once, and sends the user to sign in
// with the reason.
func TestPagesEndRevokedSession(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ path, calls string }{
		{PathAccount, "GET /api/account"},
		{PathFiles, "GET /api/files"},
		{PathSessions, "GET /api/sessions"},
		{PathPassword, "GET /api/user-data-v2"},
		{PathActivity, "POST /api/events/seen"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			f := &fakeAPI{password: "old-secret"}
			env := fakeEnv(t, f, "revoked")
			p := newPage(env, tt.path)
			e, _ := mountPage(t, p, p.view.mount)
			e.ConsumeAll()
			if env.client.SignedIn() {
				t.Error("the tokens of the ended session are kept")
			}
			if msg, _ := env.flash.takeNotice(); msg != msgEndedElsewhere {
				t.Errorf("notice for the sign-in page = %q, want %q", msg, msgEndedElsewhere)
			}
			if !p.s.ended || p.s.errMsg != "" {
				t.Errorf("ended %v, error %q; want ended without an error", p.s.ended, p.s.errMsg)
			}
			if got := strings.Join(f.callList(), ", "); got != tt.calls {
				t.Errorf("calls %s, want %s", got, tt.calls)
			}
		})
	}
}

func TestFailEndsSessionOnce(t *testing.T) {
	t.Parallel()
	env := fakeEnv(t, &fakeAPI{}, "access")
	p := newPage(env, PathAccount)
	c := p.s
	revoked := fmt.Errorf("GET /api/account: %w", &shared.Error{Status: 401, Code: shared.CodeTokenRevoked, Msg: "Token has been revoked"})
	expired := fmt.Errorf("refresh: %w", shared.ErrSignedOut)
	mountPage(t, p, func(ctx app.Context) {
		c.mount(ctx, "")
		// Errors that leave the session be are shown, in words of ours.
		c.fail(ctx, fmt.Errorf("GET /api/files: %w", &shared.Error{Status: 500, Code: shared.CodeInternal, Msg: "Internal error"}))
		if c.errMsg != "Something went wrong on Tessera's side. Please try again in a moment." {
			t.Errorf("error %q", c.errMsg)
		}
		// A wrong password (the password page) is a 401 too.
		c.fail(ctx, &shared.Error{Status: 401, Code: shared.CodeBadCredentials, Msg: "Incorrect password"})
		if c.ended || !env.client.SignedIn() {
			t.Errorf("wrong password: ended %v, signed in %v", c.ended, env.client.SignedIn())
		}
		// Tessera out of reach: the offline banner, no error of the page.
		if msg := c.failMessage(ctx, errors.New("fetch failed")); msg != "" || env.online() {
			t.Errorf("failMessage(network) = %q, online %v; want the offline banner instead", msg, env.online())
		}

		c.fail(ctx, revoked)
		if !c.ended || c.errMsg != "" || env.client.SignedIn() {
			t.Errorf("revoked: ended %v, error %q, signed in %v", c.ended, c.errMsg, env.client.SignedIn())
		}
		if msg, _ := env.flash.takeNotice(); msg != msgEndedElsewhere {
			t.Errorf("notice %q, want %q", msg, msgEndedElsewhere)
		}
		// Late answers change nothing: no second notice, no error.
		c.fail(ctx, expired)
		if msg, _ := env.flash.takeNotice(); msg != "" {
			t.Errorf("the session ended twice: notice %q", msg)
		}
		if msg := c.failMessage(ctx, errors.New("fetch failed")); msg != "" || c.errMsg != "" {
			t.Errorf("after the end: message %q, error %q", msg, c.errMsg)
		}
	})
}

func TestEndedMessage(t *testing.T) {
	t.Parallel()
	revoked := &shared.Error{Status: 401, Code: shared.CodeTokenRevoked, Msg: "Token has been revoked"}
	expired := &shared.Error{Status: 401, Code: shared.CodeTokenExpired, Msg: "Token has expired"}
	tests := []struct {
		name string
		err  error
		want string
	}{
		// The refresh refused because the session was ended elsewhere.
		{"refresh revoked", fmt.Errorf("GET /api/account: refresh: %w: %w", shared.ErrSignedOut, fmt.Errorf("POST /api/refresh: %w", revoked)), msgEndedElsewhere},
		// A still valid access token of an ended session.
		{"access revoked", fmt.Errorf("GET /api/account: %w", revoked), msgEndedElsewhere},
		{"refresh expired", fmt.Errorf("refresh: %w: %w", shared.ErrSignedOut, expired), msgSessionEnded},
		{"no refresh token", fmt.Errorf("refresh: no refresh token: %w", shared.ErrSignedOut), msgSessionEnded},
	}
	for _, tt := range tests {
		if got := endedMessage(tt.err); got != tt.want {
			t.Errorf("%s: endedMessage = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestExplain: errors are told in words chosen by their code, under the
// field they are about; the API's own message (the Flask app's, kept for
// its clients) is not what the user reads.
func TestExplain(t *testing.T) {
	t.Parallel()
	apiErr := func(status int, code, msg string) error {
		return fmt.Errorf("POST /api/x: %w", &shared.Error{Status: status, Code: code, Msg: msg})
	}
	for _, tt := range []struct {
		err         error
		form        string
		field, want string
	}{
		{apiErr(400, shared.CodePasswordTooShort, shared.MsgPasswordTooShort), formRegister, "password", "Your password needs at least 5 characters."},
		{apiErr(400, shared.CodePasswordTooShort, shared.MsgPasswordTooShort), formPassword, "new-password", "Your password needs at least 5 characters."},
		{apiErr(400, shared.CodePasswordTooLong, shared.MsgPasswordTooLong), formRegister, "password", "That password is too long: at most 72 bytes (accented letters and emoji count for 2 to 4)."},
		{apiErr(400, shared.CodeUsernameTooShort, shared.MsgUsernameTooShort), formRegister, "username", "Your username needs at least 3 characters."},
		{apiErr(400, shared.CodeUsernameTooLong, shared.MsgUsernameTooLong), formRegister, "username", "Your username can have at most 64 characters."},
		{apiErr(400, shared.CodeUsernameInvalid, shared.MsgUsernameInvalid), formRegister, "username", "A username cannot begin or end with a space, or hold control characters."},
		{apiErr(409, shared.CodeUsernameTaken, shared.MsgUsernameTaken), formRegister, "username", "That username is taken. Please choose another one."},
		{apiErr(401, shared.CodeBadCredentials, "Incorrect password or username"), formSignIn, "", "The username or password is not right. Check them and try again."},
		{apiErr(401, shared.CodeBadCredentials, "Incorrect password"), formPassword, "current-password", "That is not your current password."},
		{fmt.Errorf("x: %w", &shared.Error{Status: 429, Code: shared.CodeRateLimited, RetryAfter: 30 * time.Second}), formSignIn, "", "Too many attempts. Please wait 30 seconds, then try again."},
		{apiErr(429, shared.CodeRateLimited, "Too many requests"), formSignIn, "", "Too many attempts. Please wait a moment, then try again."},
		{apiErr(503, shared.CodeUnavailable, "Database unavailable"), "", "", "Tessera is busy or restarting. Please try again in a moment."},
		{apiErr(502, "", "Bad Gateway"), "", "", "Something went wrong on Tessera's side. Please try again in a moment."},
		{apiErr(418, "", "short and stout"), "", "", "Short and stout."},
		{errors.New("fetch failed: TypeError: Failed to fetch"), "", "", "Tessera could not be reached. Check your connection and try again."},
	} {
		field, msg := explain(tt.err, tt.form)
		if field != tt.field || msg != tt.want {
			t.Errorf("explain(%v, %q) = %q, %q; want %q, %q", tt.err, tt.form, field, msg, tt.field, tt.want)
		}
	}
	if !unreachable(errors.New("fetch failed")) || unreachable(apiErr(500, "", "")) || unreachable(shared.ErrSignedOut) || unreachable(nil) {
		t.Error("unreachable: only errors without an answer are")
	}
}

// TestOfflineBanner: a load that gets no answer shows the offline banner,
// not an error; its Try again loads again, and an answer hides it.
func TestOfflineBanner(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	srv := httptest.NewServer(f)
	env := newEnv(srv.URL, newTokenStore(TokensKey, newMemArea()))
	env.tokens.Save(shared.TokenPair{AccessToken: "access", RefreshToken: "refresh"})
	srv.Close() // Tessera is out of reach
	e, m, c := mountView[*accountPage](t, env, PathAccount)
	e.ConsumeAll()
	html := app.HTMLString(m)
	mustHaveElem(t, html, "div", `id="offline-banner"`, `role="status"`)
	mustContain(t, html, msgOffline, `id="offline-retry"`)
	mustNotContain(t, html, `id="error"`)
	if env.online() || c.errMsg != "" {
		t.Errorf("online %v, error %q", env.online(), c.errMsg)
	}

	// Back: Try again loads the page.
	back := httptest.NewServer(f)
	t.Cleanup(back.Close)
	env.client = newEnv(back.URL, env.tokens).client
	c.tryAgain()
	e.ConsumeAll()
	html = app.HTMLString(m)
	mustNotContain(t, html, `id="offline-banner"`)
	mustContain(t, html, `<dd id="account-username">alice</dd>`)
	if !env.online() {
		t.Error("still offline after an answer")
	}
}
