package ui

import (
	"context"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// appPage is the one go-app component of the app: it shows a page, its
// view (the sign-in page, the account page, ...). One component type for
// every page, rather than one each: every component type links a dozen
// methods of go-app's into app.wasm (see TestWasmSize in tessera/app).
type appPage struct {
	app.Compo

	view pageView
	s    *pageState // the view's
}

// pageView is a page of the app, shown by an appPage, which holds its
// pageState too. A view may also have an init method, called from OnInit
// (to take what the user typed into the prerendered page), and a dismount
// method, called from OnDismount.
type pageView interface {
	// title is the document's title.
	title() string
	// mount starts the page in the browser (OnMount); it calls
	// pageState.mount or mountSignedIn.
	mount(ctx app.Context)
	// render is the whole page, made with pageState.page.
	render() app.UI
}

// CompoID makes go-app replace the component, rather than update it in
// place, when the page changes: an update would carry one page's state to
// the next.
func (p *appPage) CompoID() string { return p.s.name }

func (p *appPage) OnInit() {
	if v, ok := p.view.(interface{ init() }); ok {
		v.init()
	}
}

// OnPreRender takes the settings of the server's Handler (the browser's
// come from the Env).
func (p *appPage) OnPreRender(ctx app.Context) {
	p.s.settings = prerenderSettings(ctx, p.s.settings)
	ctx.Page().SetTitle("%s", p.view.title())
}

func (p *appPage) OnNav(ctx app.Context) { ctx.Page().SetTitle("%s", p.view.title()) }

func (p *appPage) OnMount(ctx app.Context) { p.view.mount(ctx) }

func (p *appPage) OnDismount() {
	for _, stop := range p.s.stops {
		stop()
	}
	p.s.stops = nil
	if v, ok := p.view.(interface{ dismount() }); ok {
		v.dismount()
	}
}

func (p *appPage) OnAppUpdate(ctx app.Context) {
	p.s.updateAvailable = updateAvailable(ctx)
}

// updateAvailable reports whether a newer version of the app than the
// page's is installed. go-app's app.js takes a worker activated under a
// controlled page for an update; Chromium may give the first worker the page
// that installed it, which is no update: only a page that loaded through a
// worker can be outdated by another.
func updateAvailable(ctx app.Context) bool {
	return ctx.AppUpdateAvailable() && loadedThroughWorker()
}

func (p *appPage) OnAppInstallChange(ctx app.Context) {
	p.s.installable = ctx.IsAppInstallable() && !ctx.IsAppleBrowser()
}

func (p *appPage) Render() app.UI { return p.view.render() }

// pageState is the state every page embeds: the Env, the page's own
// context, its messages and whether it is loading, how a failed call is
// handled, and the state of the top bar. Its fields are used on the UI
// goroutine only.
type pageState struct {
	env *Env

	// name names the page: its root is #page-<name>. signedIn pages need
	// a session and show the signed-in navigation.
	name     string
	signedIn bool

	// settings are the server's: from env in the browser, from the
	// prerendering Handler on the server (see prerenderSettings).
	settings Settings

	// ctx is the page's context, from OnMount. Answers to calls are
	// dispatched through it: an element's context would drop them if a
	// re-render replaced the element.
	ctx        app.Context
	loading    bool   // a load is in flight
	errMsg     string // the page's error (#error)
	notice     string // the page's message (#notice)
	noticeKind string // noticeInfo or noticeSuccess
	ended      bool   // the session ended: late answers are ignored

	// retry is what "Try again" does after a failure: the page's load.
	// Without one, the offline banner's button checks that Tessera
	// answers again.
	retry func()

	// The top bar's.
	updateAvailable bool // a newer version is installed: the update banner
	installable     bool // the install button
	offline         bool // the offline banner
	signingOut      bool
	stops           []func() // the watches to stop when the page goes
}

// newPageState returns the state of a new page named name using env (nil
// on the server), with env's settings.
func newPageState(env *Env, name string, signedIn bool) pageState {
	return pageState{env: env, name: name, signedIn: signedIn, settings: env.pageSettings()}
}

// mount starts the page in the browser; call it from the view's mount. It
// keeps ctx, shows the notice carried to this page, if any, starts the top
// bar and moves the focus: back where it was on the prerendered page (the
// first page of the tab, with the user's typing), else to the element
// field (the form's first field to fill) when not "", else to the page's
// heading unless this is the first page of the tab, which the browser
// focuses as it loads.
func (s *pageState) mount(ctx app.Context, field string) {
	s.ctx = ctx
	s.notice, s.noticeKind = s.env.flash.takeNotice()
	s.env.current = s
	s.updateAvailable = updateAvailable(ctx)
	s.installable = ctx.IsAppInstallable() && !ctx.IsAppleBrowser()
	s.offline = !s.env.online()
	s.stops = append(s.stops, s.env.watchOnline(func(online bool) {
		s.dispatch(func(app.Context) { s.offline = !online })
	}))
	if s.signedIn {
		// When another tab signs out (the tokens are removed), this tab
		// shows the sign-in page too.
		s.stops = append(s.stops, watchTokensRemoved(TokensKey, SigningOutKey, func(signedOut bool) {
			s.dispatch(func(ctx app.Context) { s.otherTabEnded(ctx, signedOut) })
		}))
	}
	first := s.env.shown == 0
	s.env.shown++
	focus, start, end := s.env.takeFocus()
	switch {
	case focus != "":
		s.later(func() { restoreFocus(focus, start, end) })
	case field != "":
		s.focusLater(field)
	case !first:
		s.focusLater("page-title")
	}
}

// mountSignedIn is mount for a page that needs a session. Without stored
// tokens it shows the sign-in page instead, to come back to path
// afterwards, and reports false.
func (s *pageState) mountSignedIn(ctx app.Context, path, field string) bool {
	if !s.env.client.SignedIn() {
		s.env.flash.setReturnTo(path)
		s.env.flash.setNotice(msgSignInFirst, noticeInfo)
		redirect(ctx, PathSignIn)
		return false
	}
	s.mount(ctx, field)
	return true
}

// dispatch runs fn on the UI goroutine, then renders the page again:
// ctx.Dispatch of the page's context.
func (s *pageState) dispatch(fn func(app.Context)) { s.ctx.Dispatch(fn) }

// later runs fn after the next render: ctx.Defer.
func (s *pageState) later(fn func()) { s.ctx.Defer(func(app.Context) { fn() }) }

// focusLater moves the focus to the element id after the next render.
func (s *pageState) focusLater(id string) { s.later(func() { focusElement(id) }) }

// load fetches what the page shows: call runs on a goroutine, then the
// function it returns, show, runs on the UI goroutine to show the result;
// a failure goes to s.fail instead. One load runs at a time, and none once
// the session ended. The page must be mounted.
func (s *pageState) load(call func(context.Context) (show func(), err error)) {
	if s.loading || s.ended {
		return
	}
	s.loading, s.errMsg = true, ""
	ctx := s.ctx
	ctx.Async(func() {
		show, err := call(ctx)
		s.dispatch(func(ctx app.Context) {
			s.loading = false
			if err != nil {
				s.fail(ctx, err)
				return
			}
			s.env.setOnline(true)
			show()
		})
	})
}

// fail handles err, the failure of a call the page made: when the session
// is over it ends it (see failMessage), otherwise the page shows the error.
func (s *pageState) fail(ctx app.Context, err error) {
	s.errMsg = s.failMessage(ctx, err)
}

// failMessage is the one error path of the pages; it returns what to tell
// the user about err, as the page's error. When err means the session is
// over (shared.SessionOver), it forgets the tokens and shows the sign-in
// page with the reason, once: it then returns "", as it does for every
// failure after that. When Tessera could not be reached, the offline
// banner says so, and it returns "".
func (s *pageState) failMessage(ctx app.Context, err error) string {
	switch {
	case s.ended:
		return ""
	case shared.SessionOver(err):
		s.ended = true
		s.env.endSession(ctx, endedMessage(err))
		return ""
	case unreachable(err):
		s.env.setOnline(false)
		return ""
	}
	s.env.setOnline(true) // it answered
	_, msg := explain(err, "")
	return msg
}

// tryAgain is the offline banner's "Try again": the page's retry, or a
// check that Tessera answers again.
func (s *pageState) tryAgain() {
	if s.retry != nil {
		s.retry()
		return
	}
	ctx, env := s.ctx, s.env
	ctx.Async(func() {
		err := env.client.Health(ctx)
		s.dispatch(func(app.Context) { env.setOnline(!unreachable(err)) })
	})
}

// offlineNote is what a page that could not load says in its card while
// Tessera cannot be reached (the banner says why): nothing once loaded.
func (s *pageState) offlineNote(loaded bool) app.UI {
	if loaded || !s.offline || s.loading {
		return nil
	}
	return text("p", "empty", "This will show when Tessera can be reached again.")
}

// retryButton is the "Try again" button (#retry) shown while the page has
// an error and is not loading; it calls the page's retry.
func (s *pageState) retryButton() app.UI {
	if s.errMsg == "" || s.loading || s.retry == nil {
		return nil
	}
	return button("retry", "button", "Try again", false).
		OnClick(func(app.Context, app.Event) { s.retry() })
}
