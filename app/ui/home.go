package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// homePage (/) sends the user to their account when signed in, else to
// the sign-in page.
type homePage struct {
	app.Compo

	env      *Env
	settings Settings // see pageState.settings
}

func (c *homePage) OnPreRender(ctx app.Context) {
	c.settings = prerenderSettings(ctx, c.settings)
}

func (c *homePage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Tessera")
}

func (c *homePage) OnMount(ctx app.Context) {
	if c.env.client.SignedIn() {
		redirect(ctx, PathAccount)
		return
	}
	redirect(ctx, PathSignIn)
}

func (c *homePage) Render() app.UI {
	return page("home", signedOutHeader("home", c.settings),
		app.P().Class("loading").Role("status").Text("Loading…"),
	)
}
