package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// authMode selects what authPage does.
type authMode int

const (
	modeSignIn   authMode = iota // /signin
	modeRegister                 // /register
)

// authPage is the sign-in page (/signin) and the create-account page
// (/register): a username and password form.
type authPage struct {
	app.Compo
	pageState

	// Mode is modeSignIn or modeRegister.
	Mode authMode

	username string
	password string
	ready    bool // the wasm app is running: the form may be submitted
	busy     bool // a request is in flight
}

func (c *authPage) name() string {
	if c.Mode == modeRegister {
		return "register"
	}
	return "signin"
}

// CompoID makes go-app replace the page, rather than update it in place,
// when going from sign-in to create-account or back: the two routes share
// this type, and an update would carry the typed fields and messages over.
func (c *authPage) CompoID() string {
	return c.name()
}

// msgRegistrationClosed is what /register says when registration is
// closed: from the start (the server's Settings), or found out by a submit
// (the API's 403 registration_closed).
const msgRegistrationClosed = "Registration is closed. Ask the administrator for an account."

// closed reports whether the page is /register with registration closed:
// it then shows msgRegistrationClosed and a link to sign in, no form.
func (c *authPage) closed() bool {
	return c.Mode == modeRegister && c.settings.RegistrationClosed
}

func (c *authPage) title() string {
	switch {
	case c.closed():
		return "Registration closed · Tessera"
	case c.Mode == modeRegister:
		return "Create account · Tessera"
	}
	return "Sign in · Tessera"
}

// OnPreRender takes the settings of the server's Handler (the browser's
// come from the Env).
func (c *authPage) OnPreRender(ctx app.Context) {
	c.settings = prerenderSettings(ctx, c.settings)
	ctx.Page().SetTitle("%s", c.title())
}

func (c *authPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("%s", c.title())
}

func (c *authPage) OnMount(ctx app.Context) {
	if c.env.client.SignedIn() {
		redirect(ctx, c.env.flash.takeReturnTo(PathAccount))
		return
	}
	c.mount(ctx)
	c.ready = true
}

func (c *authPage) Render() app.UI {
	if c.closed() {
		return c.renderClosed()
	}
	heading, intro, action, busyLabel := "Sign in", "Welcome back. Sign in to reach your account and files.", "Sign in", "Signing in…"
	passwordAutocomplete := "current-password"
	if c.Mode == modeRegister {
		heading, intro, action, busyLabel = "Create account", "Choose a username and a password.", "Create account", "Creating account…"
		passwordAutocomplete = "new-password"
	}
	label := action
	if c.busy {
		label = busyLabel
	}

	// Inputs point at the message that explains what is wrong with them.
	username := app.Input().
		ID("username").
		Name("username").
		Type("text").
		Attr("autocomplete", "username").
		Attr("autocapitalize", "none").
		Spellcheck(false).
		Required(true).
		Value(c.username).
		OnInput(c.ValueTo(&c.username))
	password := app.Input().
		ID("password").
		Name("password").
		Type("password").
		Attr("autocomplete", passwordAutocomplete).
		Required(true).
		Value(c.password).
		OnInput(c.ValueTo(&c.password))
	if c.errMsg != "" {
		username = username.Aria("invalid", "true").Aria("describedby", "error")
		password = password.Aria("invalid", "true").Aria("describedby", "error")
	} else {
		username = username.Aria("describedby", "username-hint")
		password = password.Aria("describedby", "password-hint")
	}

	return page(c.name(), signedOutHeader(c.name(), c.settings),
		app.Section().
			Class("card card-narrow").
			Aria("labelledby", "page-title").
			Body(
				app.H1().ID("page-title").Text(heading),
				app.P().Class("lead").Text(intro),
				c.messages(),
				// method=post: if the app is not running (script blocked,
				// wasm still loading) a native submit must not put the
				// password in the URL. novalidate: our messages, which
				// match the server's, replace the browser's.
				app.Form().
					ID("auth-form").
					Method("post").
					Action(c.path()).
					NoValidate(true).
					OnSubmit(c.onSubmit).
					Body(
						app.Div().Class("field").Body(
							app.Label().For("username").Text("Username"),
							username,
							app.Small().ID("username-hint").Class("hint").
								Text(usernameHint()),
						),
						app.Div().Class("field").Body(
							app.Label().For("password").Text("Password"),
							password,
							app.Small().ID("password-hint").Class("hint").
								Text(passwordHint()),
						),
						disable(app.Button().
							ID("submit").
							Type("submit").
							Class("button button-primary").
							Aria("busy", boolString(c.busy)).
							Text(label), c.busy || !c.ready),
					),
				c.switchLink(),
			),
	)
}

func (c *authPage) path() string {
	if c.Mode == modeRegister {
		return PathRegister
	}
	return PathSignIn
}

// renderClosed is /register when registration is closed: the reason
// (#registration-closed) and a link to sign in, no form.
func (c *authPage) renderClosed() app.UI {
	return page(c.name(), signedOutHeader(c.name(), c.settings),
		app.Section().
			Class("card card-narrow").
			Aria("labelledby", "page-title").
			Body(
				app.H1().ID("page-title").Text("Create account"),
				app.P().
					ID("registration-closed").
					Class("message message-notice").
					Role("status").
					Text(msgRegistrationClosed),
				app.A().
					Class("button button-primary").
					Href(PathSignIn).
					Text("Sign in"),
			),
	)
}

func (c *authPage) switchLink() app.UI {
	switch {
	case c.Mode == modeRegister:
		return app.P().Class("switch").Body(
			app.Text("Already have an account? "),
			app.A().Href(PathSignIn).Text("Sign in"),
		)
	case c.settings.RegistrationClosed:
		return app.P().Class("switch").Text("New to Tessera? Ask the administrator for an account.")
	}
	return app.P().Class("switch").Body(
		app.Text("New to Tessera? "),
		app.A().Href(PathRegister).Text("Create an account"),
	)
}

// validate checks the fields with the server's rules and sets the error
// message; it reports whether the form may be sent.
func (c *authPage) validate() bool {
	c.errMsg = ruleMessage(shared.CheckCredentials(c.username, c.password))
	return c.errMsg == ""
}

func (c *authPage) onSubmit(_ app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy || !c.ready {
		return
	}
	c.notice = ""
	if !c.validate() {
		return
	}
	c.busy = true
	ctx, env := c.ctx, c.env
	creds := shared.Credentials{Username: c.username, Password: c.password}
	mode := c.Mode
	ctx.Async(func() {
		var err error
		next, notice := env.flash.takeReturnTo(PathAccount), ""
		if mode == modeRegister {
			err = env.client.Register(ctx, creds)
			if err == nil {
				notice = "Welcome to Tessera, " + creds.Username + ". Your account is ready."
				if _, lerr := env.client.Login(ctx, creds); lerr != nil {
					next, notice = PathSignIn, "Your account has been created. Please sign in."
				}
			}
		} else {
			_, err = env.client.Login(ctx, creds)
		}
		if err == nil && next != PathSignIn {
			env.tokens.SetRenewedAt(time.Time{}) // a new session starts unrenewed
		}
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				env.flash.setReturnTo(next) // keep it for the next attempt
				if mode == modeRegister && shared.ErrorCode(err) == shared.CodeRegistrationClosed {
					// Closed since the page was served: say so as a
					// page served now would, in this tab's other pages
					// too.
					c.settings.RegistrationClosed = true
					env.settings.RegistrationClosed = true
					c.password = ""
					ctx.Page().SetTitle("%s", c.title())
					return
				}
				// Not c.fail: these calls send no token, so no answer
				// of theirs means a session is over.
				c.errMsg = errorMessage(err)
				return
			}
			c.password = ""
			env.flash.setNotice(notice)
			redirect(ctx, next)
		})
	})
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
