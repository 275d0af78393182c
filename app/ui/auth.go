package ui

import (
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
	pageState

	// Mode is modeSignIn or modeRegister.
	Mode authMode

	username     string
	password     string
	showPassword bool
	errs         errorsOf // by field
	ready        bool     // the wasm app is running: the form may be submitted
	busy         bool     // a request is in flight
}

// msgRegistrationClosed is what /register says when registration is
// closed: from the start (the server's Settings), or found out by a submit
// (the API's 403 registration_closed).
const msgRegistrationClosed = "Registration is closed. Ask the administrator for an account."

// msgForgotPassword answers "Forgot your password?": there is no reset by
// email; the administrator sets a new password with the tessera command.
const msgForgotPassword = "Tessera has no reset by email. Ask the administrator of this Tessera to set a new password for you: they can, on the server, with the command "

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

// init takes what the user typed into the prerendered form before the app
// started, so that the app's first render keeps it.
func (c *authPage) init() {
	if v, ok := c.env.takeTyped("username"); ok {
		c.username = v
	}
	if v, ok := c.env.takeTyped("password"); ok {
		c.password = v
	}
}

func (c *authPage) mount(ctx app.Context) {
	if c.env.client.SignedIn() {
		redirect(ctx, c.env.flash.takeReturnTo(PathAccount))
		return
	}
	first := "username"
	if c.username != "" {
		first = "password"
	}
	if c.closed() {
		first = ""
	}
	c.pageState.mount(ctx, first)
	c.ready = true
}

func (c *authPage) render() app.UI {
	if c.closed() {
		return c.page("card-narrow", "Create account",
			el("p", "id", "registration-closed", "class", "message message-notice", "role", "status").Text(msgRegistrationClosed),
			link(PathSignIn, "Sign in", "class", "button button-primary"),
		)
	}
	register := c.Mode == modeRegister
	user := field{
		id: "username", label: "Username", autocomplete: "username",
		value: c.username, err: c.errs["username"], autofocus: true,
		onInput: bind(&c.username),
	}
	pass := field{
		id: "password", label: "Password", password: true, autocomplete: "current-password",
		value: c.password, err: c.errs["password"],
		onInput: bind(&c.password),
		toggle:  c.toggle, shown: c.showPassword,
	}
	heading, intro := "Sign in", "Welcome back. Sign in to reach your account and your files."
	action, busy := "Sign in", "Signing in…"
	after := app.Raw(`<p class="switch">Already have an account? <a href="/signin">Sign in</a></p>`)
	if register {
		heading, intro = "Create your account", "Choose a username and a password. You will be signed in right away."
		action, busy = "Create account", "Creating your account…"
		user.hint = usernameHint()
		pass.autocomplete, pass.hint = "new-password", passwordHint()
		pass.extra = strengthView("password", c.password, c.username)
	} else {
		signUp := `<a href="/register">Create an account</a>`
		if c.settings.RegistrationClosed {
			signUp = `Ask the administrator for an account.`
		}
		after = app.Raw(`<div><details id="forgot" class="forgot"><summary>Forgot your password?</summary><p>` + msgForgotPassword +
			`<code>tessera user set-password</code>.</p></details><p class="switch">New to Tessera? ` + signUp + `</p></div>`)
	}
	return c.page("card-narrow", heading,
		text("p", "lead", intro),
		c.messages(),
		// method=post: if the app is not running (script blocked, wasm
		// still loading) a native submit must not put the password in
		// the URL. novalidate: our messages, under each field, replace
		// the browser's.
		el("form", "id", "auth-form", "method", "post", "action", c.path(), "novalidate", "true").
			OnSubmit(c.onSubmit).
			Body(
				user.render(),
				pass.render(),
				submitButton("submit", action, busy, c.busy, c.ready),
			),
		after,
	)
}

func (c *authPage) path() string {
	if c.Mode == modeRegister {
		return PathRegister
	}
	return PathSignIn
}

// toggle shows or hides the password.
func (c *authPage) toggle(app.Context, app.Event) {
	c.showPassword = !c.showPassword
}

// validate checks the fields and records what is wrong with each; it
// reports whether the form may be sent. Signing in only needs both fields
// (the server judges the rest); creating an account applies the server's
// rules (tessera/shared), with the same limits.
func (c *authPage) validate() bool {
	c.errs = errorsOf{}
	if c.Mode == modeRegister {
		c.errs["username"] = usernameProblem(c.username)
		c.errs["password"] = passwordProblem(c.password, formRegister)
	} else {
		if c.username == "" {
			c.errs["username"] = "Enter your username."
		}
		if c.password == "" {
			c.errs["password"] = "Enter your password."
		}
	}
	return c.errs.first("username", "password") == ""
}

// focusFirstError moves the focus to the first field with an error, after
// the render that shows it.
func (c *authPage) focusFirstError(ctx app.Context, fallback string) {
	id := c.errs.first("username", "password")
	if id == "" {
		id = fallback
	}
	if id != "" {
		c.focusLater(id)
	}
}

func (c *authPage) onSubmit(_ app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy || !c.ready {
		return
	}
	c.notice, c.errMsg = "", ""
	if !c.validate() {
		c.focusFirstError(c.ctx, "")
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
		c.dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				env.flash.setReturnTo(next) // keep it for the next attempt
				c.failed(ctx, err)
				return
			}
			c.password = ""
			env.setOnline(true)
			env.flash.setNotice(notice, noticeSuccess)
			redirect(ctx, next)
		})
	})
}

// failed shows why the sign-in or sign-up failed: under the field it is
// about, which gets the focus, or above the form. These calls send no
// token, so no answer of theirs means that a session is over.
func (c *authPage) failed(ctx app.Context, err error) {
	if unreachable(err) {
		c.env.setOnline(false)
		return
	}
	c.env.setOnline(true)
	if c.Mode == modeRegister && shared.ErrorCode(err) == shared.CodeRegistrationClosed {
		// Closed since the page was served: say so as a page served now
		// would, in this tab's other pages too.
		c.settings.RegistrationClosed = true
		c.env.settings.RegistrationClosed = true
		c.password = ""
		ctx.Page().SetTitle("%s", c.title())
		return
	}
	form := formSignIn
	if c.Mode == modeRegister {
		form = formRegister
	}
	id, msg := explain(err, form)
	c.errs = errorsOf{}
	if id != "" {
		c.errs[id] = msg
	} else {
		c.errMsg = msg
	}
	// A refused sign-in: the password is most likely what to fix.
	c.focusFirstError(ctx, "password")
}
