package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// Messages of the change-password page.
const (
	msgPasswordsMissing = "Enter your current password and a new password."
	msgPasswordChanged  = "Password changed. Your other sessions were signed out."
)

// passwordPage (/password) changes the user's password. The server then
// ends every other session of the user; this one goes on.
type passwordPage struct {
	app.Compo
	pageState

	username string // for password managers (a hidden field)
	current  string
	next     string
	ready    bool // the wasm app is running: the form may be submitted
	busy     bool // a request is in flight
}

func (c *passwordPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Change password · Tessera")
}

func (c *passwordPage) OnMount(ctx app.Context) {
	if !c.mountSignedIn(ctx, PathPassword) {
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
		ctx.Dispatch(func(ctx app.Context) {
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

func (c *passwordPage) Render() app.UI {
	label := "Change password"
	if c.busy {
		label = "Changing password…"
	}
	current := app.Input().
		ID("current-password").
		Name("current-password").
		Type("password").
		Attr("autocomplete", "current-password").
		Required(true).
		Value(c.current).
		OnInput(c.ValueTo(&c.current))
	next := app.Input().
		ID("new-password").
		Name("new-password").
		Type("password").
		Attr("autocomplete", "new-password").
		Required(true).
		Value(c.next).
		OnInput(c.ValueTo(&c.next))
	if c.errMsg != "" {
		current = current.Aria("invalid", "true").Aria("describedby", "error")
		next = next.Aria("invalid", "true").Aria("describedby", "error")
	} else {
		next = next.Aria("describedby", "new-password-hint")
	}

	return page("password", c.navBar("password"),
		app.Section().
			Class("card card-narrow").
			Aria("labelledby", "page-title").
			Body(
				app.H1().ID("page-title").Text("Change password"),
				app.P().Class("lead").Text("Every other device and browser signed in to your account will be signed out; this one stays signed in."),
				c.messages(),
				// method=post, novalidate: as the sign-in form.
				app.Form().
					ID("password-form").
					Method("post").
					Action(PathPassword).
					NoValidate(true).
					OnSubmit(c.onSubmit).
					Body(
						app.Input().
							Type("text").
							Name("username").
							Attr("autocomplete", "username").
							Value(c.username).
							ReadOnly(true).
							Hidden(true),
						app.Div().Class("field").Body(
							app.Label().For("current-password").Text("Current password"),
							current,
						),
						app.Div().Class("field").Body(
							app.Label().For("new-password").Text("New password"),
							next,
							app.Small().ID("new-password-hint").Class("hint").
								Text(passwordHint()),
						),
						disable(app.Button().
							ID("change-password").
							Type("submit").
							Class("button button-primary").
							Aria("busy", boolString(c.busy)).
							Text(label), c.busy || !c.ready),
					),
				app.P().Class("switch").Body(
					app.A().Href(PathAccount).Text("Back to your account"),
				),
			),
	)
}

func (c *passwordPage) onSubmit(_ app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy || !c.ready {
		return
	}
	c.notice = ""
	if c.errMsg = validatePasswordChange(c.current, c.next); c.errMsg != "" {
		return
	}
	c.busy = true
	ctx, client := c.ctx, c.env.client
	current, next := c.current, c.next
	ctx.Async(func() {
		err := client.ChangePassword(ctx, current, next)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				// A wrong current password is a 401 that
				// shared.SessionOver does not take for the end of
				// the session: fail shows the server's message.
				c.fail(ctx, err)
				return
			}
			c.current, c.next, c.errMsg = "", "", ""
			clearInputs("current-password", "new-password")
			c.notice = msgPasswordChanged
		})
	})
}
