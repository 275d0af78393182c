// Package ui is Tessera's browser app: its pages, routes, the go-app
// handler that serves them, and a browser token store.
//
// The package compiles for the host too (the server imports it for
// NewHandler and Register) and imports nothing from the server side.
// Browser-only code runs in OnMount and event handlers, which go-app only
// calls in the browser; the few direct JavaScript calls live in
// js_wasm.go with host stubs in js_other.go.
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

// Paths returns every path the app routes. The server must send these
// (GET) to the handler returned by NewHandler so that deep links and
// reloads are prerendered instead of answered with 404.
func Paths() []string {
	return []string{PathHome, PathSignIn, PathRegister, PathAccount, PathFiles, PathSessions, PathPassword}
}

// Register registers the app's routes with go-app. Call it once, before
// app.RunWhenOnBrowser in the wasm binary and before serving NewHandler on
// the server: both sides must know the same routes. Calling it again only
// re-registers the same routes.
func Register() {
	app.Route(PathHome, func() app.Composer { return &homePage{} })
	app.Route(PathSignIn, func() app.Composer { return &authPage{Mode: modeSignIn} })
	app.Route(PathRegister, func() app.Composer { return &authPage{Mode: modeRegister} })
	app.Route(PathAccount, func() app.Composer { return &accountPage{} })
	app.Route(PathFiles, func() app.Composer { return &filesPage{} })
	app.Route(PathSessions, func() app.Composer { return &sessionsPage{} })
	app.Route(PathPassword, func() app.Composer { return &passwordPage{} })
}
