package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// msgPasswordChanged is the success of the change-password page.
const msgPasswordChanged = "Password changed. Your other sessions were signed out."

// passwordPage (/password) changes the user's password. The server then
// ends every other session of the user; this one goes on.
type passwordPage struct {
	pageState

	username string // for password managers (a hidden field)
	current  string
	next     string
	show     bool // the new password is shown
	showOld  bool // the current password is shown
	errs     errorsOf
	ready    bool // the wasm app is running: the form may be submitted
	busy     bool // a request is in flight
}

func (c *passwordPage) title() string { return "Change password · Tessera" }

// init takes what the user typed into the prerendered form.
func (c *passwordPage) init() {
	if v, ok := c.env.takeTyped("current-password"); ok {
		c.current = v
	}
	if v, ok := c.env.takeTyped("new-password"); ok {
		c.next = v
	}
}

func (c *passwordPage) mount(ctx app.Context) {
	if !c.mountSignedIn(ctx, PathPassword, "current-password") {
		return
	}
	c.ready = true
	// The username lets password managers update the right entry; the
	// call also finds out early when the session is over (unless a change
	// is in flight: its answer will tell). The form works without the
	// username, so other errors are not shown.
	client := c.env.client
	ctx.Async(func() {
		u, err := client.UserDataV2(ctx)
		c.dispatch(func(ctx app.Context) {
			switch {
			case err == nil:
				c.username = u.Username
			case shared.SessionOver(err) && !c.busy:
				c.ready = false
				c.fail(ctx, err)
			}
		})
	})
}

func (c *passwordPage) render() app.UI {
	current := field{
		id: "current-password", label: "Current password", password: true,
		autocomplete: "current-password", value: c.current, err: c.errs["current-password"],
		autofocus: true, onInput: bind(&c.current),
		toggle: func(app.Context, app.Event) { c.showOld = !c.showOld }, shown: c.showOld,
	}
	next := field{
		id: "new-password", label: "New password", password: true,
		autocomplete: "new-password", value: c.next, err: c.errs["new-password"],
		hint: passwordHint(), onInput: bind(&c.next),
		toggle: func(app.Context, app.Event) { c.show = !c.show }, shown: c.show,
		extra: strengthView("new-password", c.next, c.username),
	}
	return c.page("card-narrow", "Change password",
		text("p", "lead", "Every other device and browser signed in to your account will be signed out; this one stays signed in."),
		c.messages(),
		// method=post, novalidate: as the sign-in form.
		el("form", "id", "password-form", "method", "post", "action", PathPassword, "novalidate", "true").
			OnSubmit(c.onSubmit).
			Body(
				// For password managers: whose password this is.
				void("input", "type", "text", "name", "username", "autocomplete", "username",
					"value", c.username, "readonly", "true", "hidden", "true"),
				current.render(),
				next.render(),
				submitButton("change-password", "Change password", "Changing password…", c.busy, c.ready),
			),
		el("p", "class", "switch").Body(link(PathAccount, "Back to your account")),
	)
}

// validate records what is wrong with each field and reports whether the
// form may be sent. The current password is only checked for presence:
// the server compares it.
func (c *passwordPage) validate() bool {
	c.errs = errorsOf{"new-password": passwordProblem(c.next, formPassword)}
	if c.current == "" {
		c.errs["current-password"] = "Enter your current password."
	}
	return c.errs.first("current-password", "new-password") == ""
}

// focusFirstError moves the focus to the first field with an error.
func (c *passwordPage) focusFirstError(ctx app.Context) {
	if id := c.errs.first("current-password", "new-password"); id != "" {
		c.focusLater(id)
	}
}

func (c *passwordPage) onSubmit(_ app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy || !c.ready {
		return
	}
	c.notice, c.errMsg = "", ""
	if !c.validate() {
		c.focusFirstError(c.ctx)
		return
	}
	c.busy = true
	ctx, client := c.ctx, c.env.client
	current, next := c.current, c.next
	ctx.Async(func() {
		err := client.ChangePassword(ctx, current, next)
		c.dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				// A wrong current password is a 401 that
				// shared.SessionOver does not take for the end of
				// the session: it goes under its field.
				if shared.ErrorCode(err) == shared.CodeBadCredentials || shared.ErrorCode(err) == shared.CodePasswordTooShort || shared.ErrorCode(err) == shared.CodePasswordTooLong {
					id, msg := explain(err, formPassword)
					c.errs = errorsOf{id: msg}
					c.focusFirstError(ctx)
					return
				}
				c.fail(ctx, err)
				return
			}
			c.current, c.next, c.errs = "", "", nil
			c.show, c.showOld = false, false
			clearInputs("current-password", "new-password")
			c.notice, c.noticeKind = msgPasswordChanged, noticeSuccess
			c.env.setOnline(true)
		})
	})
}
