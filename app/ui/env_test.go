package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// fakeAPI is the part of the server the pages use. It takes the access
// token "access"; any other is answered as revoked.
type fakeAPI struct {
	mu                 sync.Mutex
	sessions           []shared.SessionInfo
	password           string
	registrationClosed bool     // POST /api/register is refused
	calls              []string // "METHOD /path?query"
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

// mountPage loads c in a new test engine, runs start with the page's
// context and everything it set off, and returns the engine and the
// wrapper to render.
func mountPage(t *testing.T, c app.Composer, start func(ctx app.Context)) (app.TestEngine, *mounted) {
	t.Helper()
	m := &mounted{Composer: c, start: start}
	e := app.NewTestEngine()
	if err := e.Load(m); err != nil {
		t.Fatalf("load %T: %v", c, err)
	}
	e.ConsumeAll()
	return e, m
}

func TestFlash(t *testing.T) {
	t.Parallel()
	var f flash
	f.setNotice("hello")
	if got := f.takeNotice(); got != "hello" {
		t.Errorf("takeNotice = %q", got)
	}
	if got := f.takeNotice(); got != "" {
		t.Errorf("second takeNotice = %q, want empty", got)
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
	c := &filesPage{pageState: pageState{env: env}}
	mountPage(t, c, func(ctx app.Context) {
		if c.mountSignedIn(ctx, PathFiles) {
			t.Error("mountSignedIn = true without tokens")
		}
	})
	if got := env.flash.takeNotice(); got != msgSignInFirst {
		t.Errorf("notice for the sign-in page = %q, want %q", got, msgSignInFirst)
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
	for _, tt := range []struct {
		name  string
		page  func(ps pageState) (app.Composer, *pageState, func())
		calls string
	}{
		{"account", func(ps pageState) (app.Composer, *pageState, func()) {
			c := &accountPage{pageState: ps}
			return c, &c.pageState, c.load
		}, "GET /api/user-data-v2"},
		{"files", func(ps pageState) (app.Composer, *pageState, func()) {
			c := &filesPage{pageState: ps}
			return c, &c.pageState, c.load
		}, "GET /api/files"},
		{"sessions", func(ps pageState) (app.Composer, *pageState, func()) {
			c := &sessionsPage{pageState: ps}
			return c, &c.pageState, c.load
		}, "GET /api/sessions"},
		{"password", func(ps pageState) (app.Composer, *pageState, func()) {
			c := &passwordPage{pageState: ps, ready: true, current: "old-secret", next: "new-secret"}
			return c, &c.pageState, func() { c.onSubmit(app.Context{}, app.Event{Value: app.Null()}) }
		}, "POST /api/password"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAPI{password: "old-secret"}
			env := fakeEnv(t, f, "revoked")
			c, ps, call := tt.page(pageState{env: env})
			e, _ := mountPage(t, c, func(ctx app.Context) {
				ps.mount(ctx)
				call()
			})
			e.ConsumeAll()
			if env.client.SignedIn() {
				t.Error("the tokens of the ended session are kept")
			}
			if got := env.flash.takeNotice(); got != msgEndedElsewhere {
				t.Errorf("notice for the sign-in page = %q, want %q", got, msgEndedElsewhere)
			}
			if !ps.ended || ps.errMsg != "" {
				t.Errorf("ended %v, error %q; want ended without an error", ps.ended, ps.errMsg)
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
	c := &accountPage{pageState: pageState{env: env}}
	revoked := fmt.Errorf("GET /api/user-data-v2: %w", &shared.Error{Status: 401, Code: shared.CodeTokenRevoked, Msg: "Token has been revoked"})
	expired := fmt.Errorf("refresh: %w", shared.ErrSignedOut)
	mountPage(t, c, func(ctx app.Context) {
		// Errors that leave the session be are shown.
		c.fail(ctx, fmt.Errorf("GET /api/files: %w", &shared.Error{Status: 500, Code: shared.CodeInternal, Msg: "Internal error"}))
		if c.errMsg != "Internal error" {
			t.Errorf("error %q, want the server's message", c.errMsg)
		}
		// A wrong password (the password page) is a 401 too.
		c.fail(ctx, &shared.Error{Status: 401, Code: shared.CodeBadCredentials, Msg: "Incorrect password"})
		if c.errMsg != "Incorrect password" || c.ended || !env.client.SignedIn() {
			t.Errorf("wrong password: error %q, ended %v, signed in %v", c.errMsg, c.ended, env.client.SignedIn())
		}
		if msg := c.failMessage(ctx, errors.New("fetch failed")); msg != msgNetwork {
			t.Errorf("failMessage(network) = %q", msg)
		}

		c.fail(ctx, revoked)
		if !c.ended || c.errMsg != "" || env.client.SignedIn() {
			t.Errorf("revoked: ended %v, error %q, signed in %v", c.ended, c.errMsg, env.client.SignedIn())
		}
		if got := env.flash.takeNotice(); got != msgEndedElsewhere {
			t.Errorf("notice %q, want %q", got, msgEndedElsewhere)
		}
		// Late answers change nothing: no second notice, no error.
		c.fail(ctx, expired)
		if got := env.flash.takeNotice(); got != "" {
			t.Errorf("the session ended twice: notice %q", got)
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
		{"refresh revoked", fmt.Errorf("GET /api/user-data-v2: refresh: %w: %w", shared.ErrSignedOut, fmt.Errorf("POST /api/refresh: %w", revoked)), msgEndedElsewhere},
		// A still valid access token of an ended session.
		{"access revoked", fmt.Errorf("GET /api/user-data-v2: %w", revoked), msgEndedElsewhere},
		{"refresh expired", fmt.Errorf("refresh: %w: %w", shared.ErrSignedOut, expired), msgSessionEnded},
		{"no refresh token", fmt.Errorf("refresh: no refresh token: %w", shared.ErrSignedOut), msgSessionEnded},
	}
	for _, tt := range tests {
		if got := endedMessage(tt.err); got != tt.want {
			t.Errorf("%s: endedMessage = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&shared.Error{Status: http.StatusConflict, Code: shared.CodeUsernameTaken, Msg: "The username is already in use"}, "The username is already in use"},
		{fmt.Errorf("POST /api/login: %w", &shared.Error{Status: 401, Msg: "Incorrect password or username"}), "Incorrect password or username"},
		{&shared.Error{Status: http.StatusBadGateway}, "Bad Gateway"},
		{errors.New("net/http: fetch() failed: Failed to fetch"), msgNetwork},
	}
	for _, tt := range tests {
		if got := errorMessage(tt.err); got != tt.want {
			t.Errorf("errorMessage(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
