package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// page is the whole page s shows, around its content: a skip link, the
// top bar (brand, install button, navigation of the signed-in pages, and
// the update and offline banners) and the main region, which holds a card
// of class whose heading is h1 (#page-title). The root has id
// "page-<name>" for tests and styling.
func (s *pageState) page(class, h1 string, content ...app.UI) app.UI {
	var nav, install, update, offline app.UI
	if s.signedIn {
		nav = s.navBar()
	}
	if s.installable {
		install = button("install", "button button-small button-install", "Install Tessera", false).
			OnClick(s.install)
	}
	if s.updateAvailable {
		update = el("div", "id", "update-banner", "class", "banner", "role", "status").Body(
			text("span", "", "A new version of Tessera is available."),
			button("", "button button-small", "Reload", false).
				OnClick(func(ctx app.Context, _ app.Event) { ctx.Reload() }),
		)
	}
	if s.offline {
		offline = el("div", "id", "offline-banner", "class", "banner banner-offline", "role", "status").Body(
			text("span", "", msgOffline),
			button("offline-retry", "button button-small", "Try again", false).
				OnClick(func(app.Context, app.Event) { s.tryAgain() }),
		)
	}
	return el("div", "id", "page-"+s.name, "class", "page").Body(
		// Moves the focus to the main region's heading, as a link to
		// #main does without the app.
		link("#main", "Skip to content", "class", "skip-link").OnClick(skipToContent),
		el("header", "class", "topbar").Body(
			el("div", "class", "topbar-row").Body(
				// The mark is the link's background (app.css): the name
				// says it all.
				link(PathHome, "Tessera", "class", "brand"),
				nav,
				install, // last: its coming does not move the others
			),
			// The banners' place is always there, so that one showing up
			// does not replace the page after it (and lose its focus).
			el("div", "class", "banners").Body(update, offline),
		),
		el("main", "id", "main", "class", "content", "tabindex", "-1").Body(
			el("section", "class", "card "+class, "aria-labelledby", "page-title").Body(append([]app.UI{
				el("h1", "id", "page-title", "tabindex", "-1").Text(h1),
			}, content...)...),
		),
	)
}

// skipToContent is the skip link's click: the focus goes to the page's
// heading, without a #main in the URL (go-app would push it).
func skipToContent(ctx app.Context, e app.Event) {
	e.PreventDefault()
	e.Call("stopPropagation") // go-app's own handler of links would navigate
	focusElement("page-title")
}

// navBar is the navigation of the signed-in pages: Account, Files,
// Sessions, Activity (the page's own link with aria-current="page") and a
// Sign out button (#signout).
func (s *pageState) navBar() app.UI {
	label := "Sign out"
	if s.signingOut {
		label = "Signing out…"
	}
	items := []app.UI{}
	for _, l := range [...][3]string{
		{PathAccount, "Account", "account"}, {PathFiles, "Files", "files"},
		{PathSessions, "Sessions", "sessions"}, {PathActivity, "Activity", "activity"},
	} {
		current := ""
		if s.name == l[2] {
			current = "page"
		}
		items = append(items, el("li").Body(link(l[0], l[1], "aria-current", current)))
	}
	return el("nav", "aria-label", "Main").Body(
		el("ul", "class", "nav-links").Body(append(items,
			el("li").Body(button("signout", "button button-quiet", label, s.signingOut).OnClick(s.signOut)))...),
	)
}

// otherTabEnded shows the sign-in page after another tab removed the
// tokens, unless they are back already (a new sign-in there): "You signed
// out in another tab" when that tab signed out, else the session ended
// (revoked from elsewhere, or expired: that tab found out first).
func (s *pageState) otherTabEnded(ctx app.Context, signedOut bool) {
	if s.signingOut || s.env.client.SignedIn() {
		return
	}
	msg := msgSessionEnded
	if signedOut {
		msg = msgOtherTabOut
	}
	s.env.endSession(ctx, msg)
}

// signOut revokes both tokens on the server (the client clears the store
// whatever happens) and shows the sign-in page.
func (s *pageState) signOut(app.Context, app.Event) {
	if s.signingOut {
		return
	}
	s.signingOut = true
	ctx, env := s.ctx, s.env
	ctx.Async(func() {
		// The mark tells the other tabs, which see the tokens go, that
		// this is a sign-out.
		env.tokens.SetSigningOut(true)
		defer env.tokens.SetSigningOut(false)
		err := env.client.Logout(ctx) // which clears the tokens, whatever happens
		s.dispatch(func(ctx app.Context) {
			s.signingOut = false
			msg := msgSignedOut
			if err != nil && !shared.SessionOver(err) {
				msg = msgSignedOutLocal
			}
			env.flash.setNotice(msg, noticeSuccess)
			redirect(ctx, PathSignIn)
		})
	})
}

// install shows the browser's prompt to install the app (its
// beforeinstallprompt event, which go-app keeps for later).
func (s *pageState) install(ctx app.Context, _ app.Event) {
	ctx.ShowAppInstallPrompt()
	s.installable = false
}

// Kinds of notice.
const (
	noticeInfo    = "notice"  // something to know: "Please sign in to continue."
	noticeSuccess = "success" // something done: "Password changed."
)

// messages is the block of the page's notice and error (#notice, #error).
// It is always rendered, empty or not, so that showing a message does not
// shift (and so replace) the elements after it, such as a form with the
// focus.
func (s *pageState) messages() app.UI {
	var notice, failure app.UI
	if s.notice != "" {
		kind := s.noticeKind
		if kind == "" {
			kind = noticeInfo
		}
		notice = el("p", "id", "notice", "class", "message message-"+kind, "role", "status").Text(s.notice)
	}
	if s.errMsg != "" {
		failure = el("p", "id", "error", "class", "message message-error", "role", "alert").Text(s.errMsg)
	}
	return el("div", "class", "messages").Body(notice, failure)
}
