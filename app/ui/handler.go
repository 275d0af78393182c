package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
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

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Version identifies the build (for example the VCS revision or a
	// hash of web/static/app.wasm); the service worker reports an update
	// when it changes, so it must be stable for a given build and not
	// change at each start. An empty Version makes go-app derive one from
	// the start time (development only).
	Version string

	// WasmSize is the uncompressed byte size of web/static/app.wasm, used
	// by the loader to show progress. Pass it when app.wasm is served
	// precompressed (the Content-Length header is then the compressed
	// size); 0 leaves go-app's default (the Content-Length header).
	WasmSize int

	// Domain is the host, and path if any, that users reach the app at,
	// such as "auth.example.com": go-app makes the absolute URLs of the
	// pages' metadata (og:url, og:image) from it, always with https.
	// Empty when unknown.
	Domain string

	// Settings are the server's settings that change what the pages show.
	Settings Settings
}

// Handler serves the app's pages (prerendered), /app.js, /wasm_exec.js,
// /app-worker.js, /manifest.webmanifest and go-app's /app.css: a go-app
// handler, whose fields describe the app, that prerenders the pages with
// its Settings.
type Handler struct {
	*app.Handler

	settings Settings
}

// NewHandler returns the handler of the app's pages and go-app's files.
//
// Resources is left to go-app's default (files under ./web served at /web/
// when the handler itself receives /web/ requests); the tessera server is
// expected to serve /web/ itself, in front of this handler.
func NewHandler(o HandlerOptions) *Handler {
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
		Styles:     []string{"/web/app.css"},
		Domain:     o.Domain,
		RawHeaders: o.Settings.headTags(),
		Version:    pagesVersion(o),
	}
	if o.WasmSize > 0 {
		h.WasmContentLength = strconv.Itoa(o.WasmSize)
	}
	if o.Domain != "" {
		// The image of a link to the app in social networks (og:image).
		h.Image = h.Icon.Large
	}
	return &Handler{Handler: h, settings: o.Settings}
}

// pagesVersion is the Version of the go-app handler: o.Version, marked
// with the options that change the pages. go-app answers a page's
// revalidation with 304 Not Modified when its ETag, the Version, matches,
// and the service worker keeps "/" under it: a server restarted with the
// same build but, say, registration closed must serve its pages anew.
func pagesVersion(o HandlerOptions) string {
	if o.Version == "" || (o.Domain == "" && o.Settings == Settings{}) {
		return o.Version
	}
	sum := sha256.Sum256([]byte(o.Domain + "\n" + o.Settings.registrationValue()))
	return o.Version + "-" + hex.EncodeToString(sum[:4])
}

// ServeHTTP serves r with go-app's handler.
//
// go-app prerenders a page with the components of the routes, which are
// the same for every handler of the process (app.Route is global), and
// gives them nothing of the request but its URL (ctx.Page().URL()). So the
// handler's Settings travel in that URL, as the query parameter
// settingsParam, which the signed-out pages read in OnPreRender; a value
// the request carried is replaced. The parameter never reaches the
// browser: go-app writes only the path of the URL into the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u := *r.URL
	q := u.Query()
	q.Set(settingsParam, h.settings.registrationValue())
	u.RawQuery = q.Encode()
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = &u
	h.Handler.ServeHTTP(w, r2)
}
