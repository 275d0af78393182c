package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Colours shared by the handler (manifest, theme-color meta), the icons
// (app/internal/iconsgen) and web/static/app.css.
const (
	ThemeColor      = "#0f766e"
	BackgroundColor = "#f4f6f8"
)

//go:generate go run ../internal/iconsgen -out ../../web/static

// NewHandler returns the go-app handler that serves the app's pages
// (prerendered), /app.js, /wasm_exec.js, /app-worker.js,
// /manifest.webmanifest and go-app's /app.css.
//
// version identifies the build (for example the VCS revision or a hash of
// web/static/app.wasm); the service worker reports an update when it
// changes, so it must be stable for a given build and not change at each
// start. An empty version makes go-app derive one from the start time
// (development only).
//
// wasmSize is the uncompressed byte size of web/static/app.wasm, used by
// the loader to show progress. Pass it when app.wasm is served
// precompressed (the Content-Length header is then the compressed size); 0
// leaves go-app's default (the Content-Length header).
//
// Resources is left to go-app's default (files under ./web served at /web/
// when the handler itself receives /web/ requests); the tessera server is
// expected to serve /web/ itself, in front of this handler.
func NewHandler(version string, wasmSize int) *app.Handler {
	h := &app.Handler{
		Name:            "Tessera",
		ShortName:       "Tessera",
		Title:           "Tessera",
		Description:     "Sign in to your Tessera account and reach your protected files.",
		Lang:            "en",
		ThemeColor:      ThemeColor,
		BackgroundColor: BackgroundColor,
		LoadingLabel:    "Loading Tessera… {progress}%",
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			Maskable: "/web/icon-maskable.png",
			// go-app falls back to an icon on raw.githubusercontent.com
			// when SVG is empty; ship our own so nothing is external.
			SVG: "/web/icon.svg",
		},
		Styles:  []string{"/web/app.css"},
		Version: version,
	}
	if wasmSize > 0 {
		h.WasmContentLength = strconv.Itoa(wasmSize)
	}
	return h
}
