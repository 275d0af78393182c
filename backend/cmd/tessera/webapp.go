package main

import (
	"net/http"
	"net/url"
	"strings"

	"tessera/app/ui"
	"tessera/web"
)

// appOptions is what the app's pages need from the configuration.
type appOptions struct {
	// PublicURL is the URL users reach the server at; nil when unknown.
	PublicURL *url.URL
	// RegistrationClosed hides the app's sign-up.
	RegistrationClosed bool
}

// appHandler serves the browser app next to the API: /web/ from the assets
// embedded at build time (app.wasm precompressed), and the app's pages and
// go-app's own files (app.js, app-worker.js, manifest) from the go-app
// handler, whose Version is the hash of the embedded app.wasm.
func appHandler(assets *web.Assets, o appOptions) http.Handler {
	ui.Register()
	pages := ui.NewHandler(assets.Version(), assets.WasmSize())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/web/"):
			assets.ServeHTTP(w, r)
		case p == "/robots.txt", p == "/sitemap.xml", p == "/ads.txt":
			// go-app would fetch these back from this server over HTTP.
			http.NotFound(w, r)
		default:
			pages.ServeHTTP(w, r)
		}
	})
}
