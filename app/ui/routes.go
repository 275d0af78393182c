// Package ui is Tessera's browser app: its pages, routes, the go-app
// handler that serves them, and a browser token store.
//
// The package compiles for the host too (the server imports it for
// NewHandler and Register) and imports nothing from the server side.
// Browser-only code runs in OnMount and event handlers, which go-app only
// calls in the browser. Every use of a browser API (storage, history,
// blobs, Web Locks, storage events, the DOM) lives in js_wasm.go, with host
// stubs in js_other.go; the rest of the package is plain Go.
package ui

import (
	"sync"
	"sync/atomic"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Route paths of the app.
const (
	PathHome     = "/"
	PathSignIn   = "/signin"
	PathRegister = "/register"
	PathAccount  = "/account"
	PathFiles    = "/files"
	PathSessions = "/sessions"
	PathPassword = "/password"
	PathActivity = "/activity"
)

// Register registers the app's routes for the server, which only
// prerenders pages. The pages get no Env: they use it only from OnMount and
// event handlers, and go-app calls those in the browser only. The server's
// Settings reach the pages through the Handler (see Handler.ServeHTTP), not
// the routes, which are the same for every handler of the process. The wasm
// binary calls RegisterEnv instead; both sides must know the same routes.
func Register() {
	RegisterEnv(nil)
}

// RegisterEnv registers the app's routes with pages that use env, and the
// settings env read from the page. The wasm binary calls it once, with
// NewEnv(), before app.RunWhenOnBrowser. Calling it again replaces the
// routes.
func RegisterEnv(env *Env) {
	for _, path := range pagePaths {
		app.Route(path, func() app.Composer { return newPage(env, path) })
	}
	// Every other path: go-app tries the routes above first. The route
	// is added once (go-app keeps a list of them), with the Env of the
	// latest call.
	notFoundEnv.Store(env)
	notFoundOnce.Do(func() {
		app.RouteWithRegexp("^/", func() app.Composer { return newPage(notFoundEnv.Load(), "") })
	})
}

// newPage returns the page at path, using env; an unknown path gets the
// not-found page.
func newPage(env *Env, path string) *appPage {
	p := &appPage{}
	s := func(v pageView, s *pageState, name string, signedIn bool) *appPage {
		*s = newPageState(env, name, signedIn)
		p.view, p.s = v, s
		return p
	}
	switch path {
	case PathHome:
		v := &homePage{}
		return s(v, &v.pageState, "home", false)
	case PathSignIn, PathRegister:
		v := &authPage{Mode: modeSignIn}
		name := "signin"
		if path == PathRegister {
			v.Mode, name = modeRegister, "register"
		}
		return s(v, &v.pageState, name, false)
	case PathAccount:
		v := &accountPage{}
		return s(v, &v.pageState, "account", true)
	case PathFiles:
		v := &filesPage{}
		return s(v, &v.pageState, "files", true)
	case PathSessions:
		v := &sessionsPage{}
		return s(v, &v.pageState, "sessions", true)
	case PathPassword:
		v := &passwordPage{}
		return s(v, &v.pageState, "password", true)
	case PathActivity:
		v := &activityPage{}
		return s(v, &v.pageState, "activity", true)
	}
	v := &notFoundPage{}
	return s(v, &v.pageState, "notfound", false)
}

var (
	notFoundOnce sync.Once
	notFoundEnv  atomic.Pointer[Env]
)

// pagePaths are the paths of the app's pages (not the not-found page).
var pagePaths = []string{PathHome, PathSignIn, PathRegister, PathAccount, PathFiles, PathSessions, PathPassword, PathActivity}

// isPage reports whether path is one of the app's pages.
func isPage(path string) bool {
	for _, p := range pagePaths {
		if p == path {
			return true
		}
	}
	return false
}
