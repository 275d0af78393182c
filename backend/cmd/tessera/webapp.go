package main

import (
	"net/http"
	"net/url"
	"slices"
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

// contentSecurityPolicy is the Content-Security-Policy of everything the
// app handler serves. It is what the go-app PWA needs and no more:
//
//   - default-src 'self': nothing from another origin, whatever the kind.
//   - script-src 'self' 'wasm-unsafe-eval': /wasm_exec.js and /app.js, and
//     compiling /web/app.wasm (WebAssembly.instantiateStreaming needs
//     'wasm-unsafe-eval'). go-app's pages have no inline script (tested by
//     ui's TestPagesNeedNoInlineCode), so no hash or nonce, and nothing
//     evaluates strings: no 'unsafe-eval', no 'unsafe-inline'.
//   - style-src 'self': go-app's /app.css and /web/app.css; the pages have
//     no <style> and no style attribute (the app sets styles only through
//     CSSOM, which the policy does not restrict).
//   - img-src 'self' blob:: the icons, and the files page's images, which
//     are fetched with the access token and shown from blob: URLs. No
//     data: — nothing of the app uses a data: URL.
//   - connect-src 'self': the API, app.wasm, and the service worker's
//     cache of the app's files.
//   - worker-src 'self', manifest-src 'self': go-app's service worker
//     (/app-worker.js) and /manifest.webmanifest.
//   - object-src 'none', frame-src 'none', media-src 'none': no plugins,
//     frames, audio or video.
//   - base-uri 'none': no <base> may redirect the app's relative URLs.
//   - form-action 'self': the sign-in, register and password forms post
//     to the app only (they post natively only when the app is not
//     running).
//   - frame-ancestors 'none': no other site may frame the app
//     (clickjacking), as X-Frame-Options: DENY says to older browsers.
//
// Not there: require-trusted-types-for 'script', which go-app's /app.js
// breaks (it registers its service worker from a plain string), and
// upgrade-insecure-requests, which every URL of the app, relative, makes
// moot.
var contentSecurityPolicy = strings.Join([]string{
	"default-src 'self'",
	"script-src 'self' 'wasm-unsafe-eval'",
	"style-src 'self'",
	"img-src 'self' blob:",
	"connect-src 'self'",
	"worker-src 'self'",
	"manifest-src 'self'",
	"object-src 'none'",
	"frame-src 'none'",
	"media-src 'none'",
	"base-uri 'none'",
	"form-action 'self'",
	"frame-ancestors 'none'",
}, "; ")

// permissionsPolicy denies the app, and anything it could embed, the
// powerful features it has no use for, and opts out of interest-based
// advertising (browsing-topics, and interest-cohort, the FLoC trial's name
// that Chromium still knows). Only names that Chromium knows are listed:
// it warns of an unknown one in the console ("Error with
// Permissions-Policy header: Unrecognized feature"), which fails the
// browser tests. So bluetooth is left out: Chromium knows it only where it
// supports Web Bluetooth, and its Linux builds warn of it.
var permissionsPolicy = strings.Join([]string{
	"accelerometer=()",
	"autoplay=()",
	"browsing-topics=()",
	"camera=()",
	"display-capture=()",
	"encrypted-media=()",
	"geolocation=()",
	"gyroscope=()",
	"hid=()",
	"idle-detection=()",
	"interest-cohort=()",
	"local-fonts=()",
	"magnetometer=()",
	"microphone=()",
	"midi=()",
	"payment=()",
	"picture-in-picture=()",
	"screen-wake-lock=()",
	"serial=()",
	"usb=()",
	"xr-spatial-tracking=()",
}, ", ")

// appHeaders returns the security headers of every answer of the app
// handler: pages, go-app's files (its service worker runs under the
// policy of /app-worker.js), /web/ assets and not-found answers alike.
func appHeaders(o appOptions) http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Permissions-Policy", permissionsPolicy)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if o.PublicURL != nil && o.PublicURL.Scheme == "https" {
		// Only a server known to be reached over https may tell browsers
		// to never use http again; two years, the preload list's minimum.
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return h
}

// appPublicURL is the app Handler's PublicURL: PublicURL without query or
// fragment, or "" when it is unknown.
func appPublicURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.Path, "/")}
	return v.String()
}

// appHandler serves the browser app next to the API: /web/ from the assets
// embedded at build time (app.wasm precompressed), and the app's pages and
// go-app's own files (app.js, app-worker.js, manifest) from the go-app
// handler, whose Version is the hash of the embedded app.wasm. Every
// answer carries appHeaders.
func appHandler(assets *web.Assets, o appOptions) http.Handler {
	ui.Register()
	pages := ui.NewHandler(ui.HandlerOptions{
		Version:   assets.Version(),
		WasmSize:  assets.WasmSize(),
		PublicURL: appPublicURL(o.PublicURL),
		Settings:  ui.Settings{RegistrationClosed: o.RegistrationClosed},
	})
	headers := appHeaders(o)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range headers {
			h[k] = slices.Clone(v)
		}
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
