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
	app.Route(PathHome, func() app.Composer { return &homePage{env: env, settings: env.pageSettings()} })
	app.Route(PathSignIn, func() app.Composer { return &authPage{pageState: newPageState(env), Mode: modeSignIn} })
	app.Route(PathRegister, func() app.Composer { return &authPage{pageState: newPageState(env), Mode: modeRegister} })
	app.Route(PathAccount, func() app.Composer { return &accountPage{pageState: newPageState(env)} })
	app.Route(PathFiles, func() app.Composer { return &filesPage{pageState: newPageState(env)} })
	app.Route(PathSessions, func() app.Composer { return &sessionsPage{pageState: newPageState(env)} })
	app.Route(PathPassword, func() app.Composer { return &passwordPage{pageState: newPageState(env)} })
}
