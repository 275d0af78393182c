package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// homePage (/) sends the user to their account when signed in, else to
// the sign-in page. Until the app runs, the prerendered page welcomes the
// user with links to sign in and to create an account, which work without
// it.
type homePage struct {
	pageState
}

func (c *homePage) title() string { return "Tessera" }

func (c *homePage) mount(ctx app.Context) {
	if c.env.client.SignedIn() {
		redirect(ctx, PathAccount)
		return
	}
	redirect(ctx, PathSignIn)
}

func (c *homePage) render() app.UI {
	var register app.UI
	if !c.settings.RegistrationClosed {
		register = link(PathRegister, "Create an account", "class", "button")
	}
	return c.page("card-narrow", "Welcome to Tessera",
		text("p", "lead", "Sign in to reach your account and your files."),
		el("div", "class", "actions").Body(
			link(PathSignIn, "Sign in", "class", "button button-primary"),
			register,
		),
	)
}

// notFoundPage is every path that is not a page of the app: it says so
// and leads to the start page. The server answers it with status 404.
type notFoundPage struct {
	pageState
}

func (c *notFoundPage) title() string { return "Page not found · Tessera" }

func (c *notFoundPage) mount(ctx app.Context) { c.pageState.mount(ctx, "") }

func (c *notFoundPage) render() app.UI {
	return c.page("card-narrow", "Page not found",
		text("p", "lead", "There is no page at this address. It may have moved, or the link may be mistyped."),
		el("div", "class", "actions").Body(
			link(PathHome, "Go to the start page", "id", "go-home", "class", "button button-primary"),
		),
	)
}
