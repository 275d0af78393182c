package ui

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the service worker
	"encoding/hex"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Colours shared by the handler (manifest, theme-color meta), the icons
// (app/internal/iconsgen) and web/static/app.css.
const (
	ThemeColor      = "#0f766e"
	BackgroundColor = "#f4f6f8"
)

//go:generate go run ../internal/iconsgen -out ../../web/static

// workerJS is the service worker's template (see worker.js).
//
//go:embed worker.js
var workerJS string

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

	// PublicURL is the absolute URL users reach the app at, such as
	// "https://auth.example.com" (a path is kept, a trailing "/" is not):
	// the pages' og:url and og:image are made from it. Empty when
	// unknown: the pages then have neither.
	PublicURL string

	// Settings are the server's settings that change what the pages show.
	Settings Settings
}

// Handler serves the app's pages (prerendered), /app.js, /wasm_exec.js,
// /app-worker.js, /manifest.webmanifest and go-app's /app.css: a go-app
// handler, whose fields describe the app, that prerenders the pages with
// its Settings. Paths that are no page get the not-found page, with
// status 404.
type Handler struct {
	*app.Handler

	settings  Settings
	publicURL string
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
		Styles: []string{"/web/app.css"},
		// The service worker keeps these next to go-app's files, the
		// icons and the styles: the brand mark, and every page (the
		// prerendered pages hold no user data).
		CacheableResources:    append([]string{"/web/icon.svg"}, pagePaths[1:]...),
		ServiceWorkerTemplate: workerJS,
		RawHeaders:            o.Settings.headTags(),
		Version:               pagesVersion(o),
	}
	if o.WasmSize > 0 {
		h.WasmContentLength = strconv.Itoa(o.WasmSize)
	}
	return &Handler{Handler: h, settings: o.Settings, publicURL: strings.TrimRight(o.PublicURL, "/")}
}

// pagesVersion is the Version of the go-app handler: o.Version, marked
// with the options that change the pages. go-app answers a page's
// revalidation with 304 Not Modified when its ETag, the Version, matches,
// and the service worker keeps the pages under it: a server restarted with
// the same build but, say, registration closed must serve its pages anew.
func pagesVersion(o HandlerOptions) string {
	if o.Version == "" || (o.PublicURL == "" && o.Settings == Settings{}) {
		return o.Version
	}
	sum := sha256.Sum256([]byte(o.PublicURL + "\n" + o.Settings.registrationValue()))
	return o.Version + "-" + hex.EncodeToString(sum[:4])
}

// ServeHTTP serves r with go-app's handler, then finishes its pages (see
// finishPage).
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
	rec := &pageRecorder{header: w.Header(), status: http.StatusOK}
	h.Handler.ServeHTTP(rec, r2)
	body := rec.body.Bytes()
	if rec.status == http.StatusOK && strings.HasPrefix(rec.header.Get("Content-Type"), "text/html") {
		body = h.finishPage(body, r.URL.Path)
		rec.header.Set("Content-Length", strconv.Itoa(len(body)))
		if !isPage(r.URL.Path) {
			rec.status = http.StatusNotFound
		}
	}
	w.WriteHeader(rec.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// pageRecorder keeps what go-app's handler answers, for ServeHTTP to
// finish it.
type pageRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (p *pageRecorder) Header() http.Header         { return p.header }
func (p *pageRecorder) WriteHeader(status int)      { p.status = status }
func (p *pageRecorder) Write(b []byte) (int, error) { return p.body.Write(b) }

var (
	// go-app's loader: a full-screen cover with a spinning logo.
	loaderRE = regexp.MustCompile(`(?s)<aside[^>]*id="app-wasm-loader".*?</aside>`)
	// go-app's og:url and og:image, made from its Domain, always https.
	ogURLRE = regexp.MustCompile(`\s*<meta [^>]*property="og:(url|image)"[^>]*>`)
)

// loaderHTML replaces go-app's loader: a thin bar at the top of the page,
// which is usable meanwhile. go-app's app.js needs the three ids: it
// writes the progress into the label, and on a failure the error, giving
// the icon the class goapp-logo (app.css then shows the label).
const loaderHTML = `<div id="app-wasm-loader" class="loader" aria-hidden="true">` +
	`<span id="app-wasm-loader-icon" class="loader-bar"></span>` +
	`<span id="app-wasm-loader-label" class="loader-label">Loading Tessera…</span></div>`

// finishPage makes what go-app wrote of the page at path what the app
// needs: a thin progress bar instead of go-app's loader, and og:url and
// og:image made from the public URL (none without it).
func (h *Handler) finishPage(page []byte, path string) []byte {
	page = loaderRE.ReplaceAllLiteral(page, []byte(loaderHTML))
	og := ""
	if h.publicURL != "" {
		og = `<meta property="og:url" content="` + html.EscapeString(h.publicURL+path) + `">` +
			`<meta property="og:image" content="` + html.EscapeString(h.publicURL+"/web/icon-512.png") + `">`
	}
	done := false
	return ogURLRE.ReplaceAllFunc(page, func([]byte) []byte {
		if done {
			return nil
		}
		done = true
		return []byte(og)
	})
}
