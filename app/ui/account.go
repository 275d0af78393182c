package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// accountPage (/account) shows the signed-in user's name and id and when
// the session was last renewed.
type accountPage struct {
	app.Compo
	pageState

	user      *shared.UserDataV2
	renewedAt time.Time
}

func (c *accountPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Account · Tessera")
}

func (c *accountPage) OnMount(ctx app.Context) {
	if c.mountSignedIn(ctx, PathAccount) {
		c.load()
	}
}

// load fetches the user, and the time of the last refresh, which the call
// may have made.
func (c *accountPage) load() {
	loadPage(&c.pageState, c.env.client.UserDataV2, func(u shared.UserDataV2) {
		c.user = &u
		c.renewedAt = c.env.tokens.RenewedAt()
	})
}

func (c *accountPage) Render() app.UI {
	return page("account", c.navBar("account"),
		app.Section().
			Class("card").
			Aria("labelledby", "page-title").
			Body(
				app.H1().ID("page-title").Text("Your account"),
				c.messages(),
				c.retryButton(c.load),
				app.If(c.user == nil && c.loading, func() app.UI {
					return app.P().Class("loading").Role("status").Text("Loading your account…")
				}),
				app.If(c.user != nil, func() app.UI {
					return app.Dl().Class("facts").Body(
						app.Div().Body(
							app.Dt().Text("Username"),
							app.Dd().ID("account-username").Text(c.user.Username),
						),
						app.Div().Body(
							app.Dt().Text("User ID"),
							app.Dd().ID("account-id").Text(strconv.FormatInt(c.user.ID, 10)),
						),
						app.Div().Body(
							app.Dt().Text("Session renewed"),
							app.Dd().ID("renewed-at").Body(renewedView(c.renewedAt)),
						),
					)
				}),
				app.If(c.user != nil, func() app.UI {
					return app.Ul().Class("account-links").Body(
						app.Li().Body(app.A().ID("change-password-link").Href(PathPassword).Text("Change password")),
						app.Li().Body(app.A().ID("sessions-link").Href(PathSessions).Text("See where you are signed in")),
					)
				}),
			),
	)
}

// renewedView says when the session was last renewed silently.
func renewedView(t time.Time) app.UI {
	if t.IsZero() {
		return app.Text("Not yet renewed in this session")
	}
	t = t.Local()
	return app.Time().
		DateTime("%s", t.Format(time.RFC3339)).
		Text(t.Format("2 Jan 2006, 15:04:05"))
}
