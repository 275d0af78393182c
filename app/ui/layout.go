package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// page wraps a page's content: the update banner, the top bar nav (the
// signed-in navigation, or signedOutHeader) and the main region. The root
// has id "page-<name>" for tests and styling.
func page(name string, nav app.UI, content ...app.UI) app.HTMLDiv {
	return app.Div().
		ID("page-"+name).
		Class("page").
		Body(
			&updateBanner{},
			nav,
			app.Main().
				ID("main").
				Class("content").
				Body(content...),
		)
}

// brand is the app's name and mark, linking to the start page.
func brand() app.UI {
	return app.A().
		Class("brand").
		Href(PathHome).
		Body(
			app.Img().
				Class("brand-mark").
				Src("/web/icon.svg").
				Aria("hidden", "true"). // decorative: the name follows
				Width(28).
				Height(28),
			app.Span().Text("Tessera"),
		)
}

// signedOutHeader is the top bar of the pages shown when signed out, on
// the page named current: Sign in, and Create account unless registration
// is closed.
func signedOutHeader(current string, s Settings) app.UI {
	return app.Header().
		Class("topbar").
		Body(
			brand(),
			app.Nav().
				Aria("label", "Account").
				Body(
					app.Ul().
						Class("nav-links").
						Body(
							app.Li().Body(navLink(PathSignIn, "Sign in", current == "signin")),
							app.If(!s.RegistrationClosed, func() app.UI {
								return app.Li().Body(navLink(PathRegister, "Create account", current == "register"))
							}),
						),
				),
		)
}

// navLink is a link of a top bar; the current page's link carries
// aria-current="page".
func navLink(path, label string, current bool) app.UI {
	a := app.A().Href(path).Text(label)
	if current {
		a = a.Aria("current", "page")
	}
	return a
}

// navBar is the top bar of the signed-in pages: Account, Files, Sessions
// and a Sign out button (#signout). While it is shown it watches
// localStorage: when another tab signs out (the tokens are removed), this
// tab shows the sign-in page too.
type navBar struct {
	app.Compo

	// Current is the name of the page showing the bar ("account", "files",
	// "sessions"; another name highlights no link).
	Current string

	env        *Env
	signingOut bool
	ctx        app.Context // the bar's context, from OnMount
	stopWatch  func()
}

func (n *navBar) OnMount(ctx app.Context) {
	n.ctx = ctx
	n.stopWatch = watchTokensRemoved(TokensKey, SigningOutKey, func(signedOut bool) {
		ctx.Dispatch(func(ctx app.Context) { n.otherTabEnded(ctx, signedOut) })
	})
}

func (n *navBar) OnDismount() {
	if n.stopWatch != nil {
		n.stopWatch()
		n.stopWatch = nil
	}
}

// otherTabEnded shows the sign-in page after another tab removed the
// tokens, unless they are back already (a new sign-in there): "You signed
// out in another tab" when that tab signed out, else the session ended
// (revoked from elsewhere, or expired: that tab found out first).
func (n *navBar) otherTabEnded(ctx app.Context, signedOut bool) {
	if n.signingOut || n.env.client.SignedIn() {
		return
	}
	msg := msgSessionEnded
	if signedOut {
		msg = msgOtherTabOut
	}
	n.env.endSession(ctx, msg)
}

func (n *navBar) Render() app.UI {
	label := "Sign out"
	if n.signingOut {
		label = "Signing out…"
	}
	return app.Header().
		Class("topbar").
		Body(
			brand(),
			app.Nav().
				Aria("label", "Main").
				Body(
					app.Ul().
						Class("nav-links").
						Body(
							app.Li().Body(navLink(PathAccount, "Account", n.Current == "account")),
							app.Li().Body(navLink(PathFiles, "Files", n.Current == "files")),
							app.Li().Body(navLink(PathSessions, "Sessions", n.Current == "sessions")),
							app.Li().Body(
								disable(app.Button().
									ID("signout").
									Type("button").
									Class("button button-quiet").
									Text(label).
									OnClick(n.signOut), n.signingOut),
							),
						),
				),
		)
}

// signOut revokes both tokens on the server (the client clears the store
// whatever happens) and shows the sign-in page.
func (n *navBar) signOut(app.Context, app.Event) {
	if n.signingOut {
		return
	}
	n.signingOut = true
	ctx, env := n.ctx, n.env
	ctx.Async(func() {
		// The mark tells the other tabs, which see the tokens go, that
		// this is a sign-out.
		env.tokens.SetSigningOut(true)
		defer env.tokens.SetSigningOut(false)
		err := env.client.Logout(ctx)
		env.tokens.Clear() // Logout clears it too; make sure even if it panicked half-way
		ctx.Dispatch(func(ctx app.Context) {
			n.signingOut = false
			msg := msgSignedOut
			if err != nil && !shared.SessionOver(err) {
				msg = msgSignedOutLocal
			}
			env.flash.setNotice(msg)
			redirect(ctx, PathSignIn)
		})
	})
}

// updateBanner shows "A new version is available — Reload" (#update-banner)
// once go-app's service worker has installed a newer version of the app.
type updateBanner struct {
	app.Compo

	available bool
}

func (b *updateBanner) OnMount(ctx app.Context) {
	b.available = ctx.AppUpdateAvailable()
}

func (b *updateBanner) OnAppUpdate(ctx app.Context) {
	b.available = ctx.AppUpdateAvailable()
}

func (b *updateBanner) Render() app.UI {
	return app.Div().
		Class("update-slot").
		Body(
			app.If(b.available, func() app.UI {
				return app.Div().
					ID("update-banner").
					Class("banner").
					Role("status").
					Body(
						app.Span().Text("A new version is available."),
						app.Button().
							Type("button").
							Class("button button-small").
							Text("Reload").
							OnClick(b.reload),
					)
			}),
		)
}

func (b *updateBanner) reload(ctx app.Context, e app.Event) {
	ctx.Reload()
}

// disable sets the disabled attribute of b when off. go-app writes
// Disabled(false) as disabled="false" in prerendered HTML, which disables
// the button there, so the attribute is only set when it is true.
func disable(b app.HTMLButton, off bool) app.HTMLButton {
	if off {
		return b.Disabled(true)
	}
	return b
}

// noticeView is the page's information message (#notice), if any.
func noticeView(msg string) app.UI {
	return app.If(msg != "", func() app.UI {
		return app.P().
			ID("notice").
			Class("message message-notice").
			Role("status").
			Text(msg)
	})
}

// errorView is the page's error message (#error), if any.
func errorView(msg string) app.UI {
	return app.If(msg != "", func() app.UI {
		return app.P().
			ID("error").
			Class("message message-error").
			Role("alert").
			Text(msg)
	})
}
