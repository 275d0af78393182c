package ui

import (
	"errors"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// Messages of the change-password page.
const (
	msgPasswordsMissing = "Enter your current password and a new password."
	msgPasswordChanged  = "Password changed. Your other sessions were signed out."
)

// validatePasswordChange checks the fields of the change-password form the
// way the server checks its body, in the same order, and returns the
// message to show, or "" when they may be sent. The current password is
// only checked for presence: the server compares it.
func validatePasswordChange(current, next string) string {
	switch {
	case current == "" || next == "":
		return msgPasswordsMissing
	case utf8.RuneCountInString(next) < minPasswordLen:
		return msgPasswordShort
	case len(next) > maxPasswordLen:
		return msgPasswordLong
	}
	return ""
}

// passwordPage (/password) changes the user's password. The server then
// ends every other session of the user; this one goes on.
type passwordPage struct {
	app.Compo

	username string // for password managers (a hidden field)
	current  string
	next     string
	ready    bool // the wasm app is running: the form may be submitted
	busy     bool // a request is in flight
	errMsg   string
	notice   string
	mctx     app.Context
}

func (c *passwordPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Change password · Tessera")
}

func (c *passwordPage) OnMount(ctx app.Context) {
	if !requireSignIn(ctx, PathPassword) {
		return
	}
	c.mctx = ctx
	c.notice = takeNotice()
	c.ready = true
	// The username lets password managers update the right entry; the
	// call also finds out early when the session is over.
	ctx.Async(func() {
		u, err := api().UserDataV2(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				if sessionEnded(err) && !c.busy {
					c.ready = false
					endSession(ctx, endedMessage(err))
				}
				return // otherwise the form works without it
			}
			c.username = u.Username
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

	return page("password", &navBar{Current: "password"},
		app.Section().
			Class("card card-narrow").
			Aria("labelledby", "page-title").
			Body(
				app.H1().ID("page-title").Text("Change password"),
				app.P().Class("lead").Text("Every other device and browser signed in to your account will be signed out; this one stays signed in."),
				messages(c.notice, c.errMsg),
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
								Text("At least 5 characters."),
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
	ctx := c.mctx
	current, next := c.current, c.next
	ctx.Async(func() {
		err := api().ChangePassword(ctx, current, next)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				if msg, refused := passwordRefused(err); refused {
					c.errMsg = msg
					return
				}
				if msg, ended := handleAPIError(ctx, err); !ended {
					c.errMsg = msg
				}
				return
			}
			c.current, c.next, c.errMsg = "", "", ""
			clearInputs("current-password", "new-password")
			c.notice = msgPasswordChanged
		})
	})
}

// passwordRefused reports whether err is the server refusing the form (a
// wrong current password, a new one too short or too long) rather than the
// session, and returns the server's message. A wrong password is a 401,
// which must not be taken for the end of the session.
func passwordRefused(err error) (string, bool) {
	var e *shared.Error
	if !errors.As(err, &e) {
		return "", false
	}
	switch e.Code {
	case shared.CodeBadCredentials, shared.CodePasswordTooShort, shared.CodePasswordTooLong,
		shared.CodeMissingCredentials:
		return errorMessage(err), true
	}
	return "", false
}

// clearInputs empties the page's inputs ids. go-app leaves an input as it
// is when its Value becomes "" (an empty value attribute is dropped, not
// set), so the element itself is emptied.
func clearInputs(ids ...string) {
	if !app.IsClient {
		return
	}
	for _, id := range ids {
		if e := app.Window().GetElementByID(id); e.Truthy() {
			e.Set("value", "")
		}
	}
}
