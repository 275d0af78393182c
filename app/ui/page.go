package ui

import (
	"context"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// pageState is the state every page embeds: the Env, the page's own
// context, its messages and whether it is loading, and how a failed call
// is handled. Its fields are used on the UI goroutine only.
type pageState struct {
	env *Env

	// settings are the server's: from env in the browser, from the
	// prerendering Handler on the server (see prerenderSettings).
	settings Settings

	// ctx is the page's context, from OnMount. Answers to calls are
	// dispatched through it: an element's context would drop them if a
	// re-render replaced the element.
	ctx     app.Context
	loading bool   // a load is in flight
	errMsg  string // the page's error (#error)
	notice  string // the page's information message (#notice)
	ended   bool   // the session ended: late answers are ignored
}

// newPageState returns the state of a new page using env (nil on the
// server), with env's settings.
func newPageState(env *Env) pageState {
	return pageState{env: env, settings: env.pageSettings()}
}

// mount starts the page in the browser; call it from OnMount. It keeps
// ctx and shows the notice carried to this page, if any.
func (s *pageState) mount(ctx app.Context) {
	s.ctx = ctx
	s.notice = s.env.flash.takeNotice()
}

// mountSignedIn is mount for a page that needs a session. Without stored
// tokens it shows the sign-in page instead, to come back to path
// afterwards, and reports false.
func (s *pageState) mountSignedIn(ctx app.Context, path string) bool {
	if !s.env.client.SignedIn() {
		s.env.flash.setReturnTo(path)
		s.env.flash.setNotice(msgSignInFirst)
		redirect(ctx, PathSignIn)
		return false
	}
	s.mount(ctx)
	return true
}

// loadPage fetches what the page shows: call runs on a goroutine, then show
// gets its result on the UI goroutine; a failure goes to s.fail. One load
// runs at a time, and none once the session ended. The page must be
// mounted.
func loadPage[T any](s *pageState, call func(context.Context) (T, error), show func(v T)) {
	if s.loading || s.ended {
		return
	}
	s.loading, s.errMsg = true, ""
	ctx := s.ctx
	ctx.Async(func() {
		v, err := call(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			s.loading = false
			if err != nil {
				s.fail(ctx, err)
				return
			}
			show(v)
		})
	})
}

// fail handles err, the failure of a call the page made: when the session
// is over it ends it (see failMessage), otherwise the page shows the error.
func (s *pageState) fail(ctx app.Context, err error) {
	s.errMsg = s.failMessage(ctx, err)
}

// failMessage is the one error path of the pages; it returns what to tell
// the user about err. When err means the session is over
// (shared.SessionOver), it forgets the tokens and shows the sign-in page
// with the reason, once: it then returns "", as it does for every failure
// after that.
func (s *pageState) failMessage(ctx app.Context, err error) string {
	switch {
	case s.ended:
		return ""
	case shared.SessionOver(err):
		s.ended = true
		s.env.endSession(ctx, endedMessage(err))
		return ""
	}
	return errorMessage(err)
}

// messages is the block of the page's notice and error. It is always
// rendered, empty or not, so that showing a message does not shift (and
// so replace) the elements after it, such as a form with the focus.
func (s *pageState) messages() app.UI {
	return app.Div().
		Class("messages").
		Body(
			noticeView(s.notice),
			errorView(s.errMsg),
		)
}

// retryButton is the "Try again" button (#retry) shown while the page has
// an error and is not loading; it calls reload, the page's load.
func (s *pageState) retryButton(reload func()) app.UI {
	return app.If(s.errMsg != "" && !s.loading, func() app.UI {
		return app.Button().
			ID("retry").
			Type("button").
			Class("button").
			Text("Try again").
			OnClick(func(app.Context, app.Event) { reload() })
	})
}

// navBar is the top bar of a signed-in page named current.
func (s *pageState) navBar(current string) app.UI {
	return &navBar{Current: current, env: s.env}
}
