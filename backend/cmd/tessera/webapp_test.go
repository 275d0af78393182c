package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"tessera/web"
)

// getApp sends GET path to h and returns the answer and its body.
func getApp(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	resp := w.Result()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// cspDirectives parses a Content-Security-Policy into its directives.
func cspDirectives(t *testing.T, policy string) map[string][]string {
	t.Helper()
	d := map[string][]string{}
	for part := range strings.SplitSeq(policy, ";") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		if _, dup := d[fields[0]]; dup {
			t.Errorf("directive %s twice in %q", fields[0], policy)
		}
		d[fields[0]] = fields[1:]
	}
	return d
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestAppHeaders: every answer of the app handler, page, go-app file,
// /web/ asset or not-found, carries the security headers; HSTS only when
// the public URL is https.
func TestAppHeaders(t *testing.T) {
	t.Parallel()
	paths := []string{
		"/", "/signin", "/register", "/files",
		"/app.js", "/wasm_exec.js", "/app-worker.js", "/manifest.webmanifest", "/app.css",
		"/web/app.css", "/web/icon.svg", "/web/icon-192.png",
		"/no-such-page", "/web/no-such-file", "/robots.txt",
	}
	for _, tt := range []struct {
		name      string
		publicURL string
		hsts      bool
	}{
		{"NoPublicURL", "", false},
		{"HTTPPublicURL", "http://tessera.test:8080", false},
		{"HTTPSPublicURL", "https://auth.example.com", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var o appOptions
			if tt.publicURL != "" {
				o.PublicURL = mustParseURL(t, tt.publicURL)
			}
			h := appHandler(web.New(), o)
			for _, path := range paths {
				resp, _ := getApp(t, h, path)
				if resp.StatusCode >= 500 {
					t.Errorf("GET %s: %d", path, resp.StatusCode)
				}
				for name, want := range map[string]string{
					"Content-Security-Policy":      contentSecurityPolicy,
					"Permissions-Policy":           permissionsPolicy,
					"Cross-Origin-Opener-Policy":   "same-origin",
					"Cross-Origin-Resource-Policy": "same-origin",
					"X-Content-Type-Options":       "nosniff",
					"Referrer-Policy":              "no-referrer",
					"X-Frame-Options":              "DENY",
				} {
					if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
						t.Errorf("GET %s: %s = %q, want %q", path, name, got, want)
					}
				}
				hsts := resp.Header.Get("Strict-Transport-Security")
				if tt.hsts && hsts != "max-age=63072000; includeSubDomains" {
					t.Errorf("GET %s: Strict-Transport-Security = %q with an https public URL", path, hsts)
				}
				if !tt.hsts && hsts != "" {
					t.Errorf("GET %s: Strict-Transport-Security = %q without an https public URL", path, hsts)
				}
			}
		})
	}
}

// TestContentSecurityPolicy checks the policy itself: what the app needs,
// and none of the escape hatches.
func TestContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	d := cspDirectives(t, contentSecurityPolicy)
	for name, want := range map[string]string{
		"default-src":     "'self'",
		"script-src":      "'self' 'wasm-unsafe-eval'",
		"style-src":       "'self'",
		"img-src":         "'self' blob:",
		"connect-src":     "'self'",
		"worker-src":      "'self'",
		"manifest-src":    "'self'",
		"object-src":      "'none'",
		"base-uri":        "'none'",
		"form-action":     "'self'",
		"frame-ancestors": "'none'",
	} {
		if got := strings.Join(d[name], " "); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for name, sources := range d {
		for _, s := range sources {
			switch s {
			case "'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:":
				t.Errorf("%s allows %s", name, s)
			}
		}
	}
	for _, feature := range []string{"camera", "microphone", "geolocation", "payment", "usb", "browsing-topics", "interest-cohort"} {
		if !strings.Contains(", "+permissionsPolicy+",", ", "+feature+"=(),") {
			t.Errorf("Permissions-Policy does not deny %s: %s", feature, permissionsPolicy)
		}
	}
}

// TestAppRegistration: the pages of a server with registration closed
// carry the setting in their head for the wasm app, and their prerender
// has no link to sign up; /register says registration is closed. Servers
// with registration open and closed run side by side (the tests run in
// parallel with the others of the package).
func TestAppRegistration(t *testing.T) {
	t.Parallel()
	open := appHandler(web.New(), appOptions{PublicURL: mustParseURL(t, "https://auth.example.com")})
	closed := appHandler(web.New(), appOptions{RegistrationClosed: true})
	for _, path := range []string{"/", "/signin", "/register"} {
		resp, body := getApp(t, closed, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if !strings.Contains(body, `<meta name="tessera-registration" content="closed">`) {
			t.Errorf("GET %s with registration closed lacks the meta tag:\n%s", path, body)
		}
		for _, bad := range []string{`href="/register"`, "Create an account", "Create account</a>"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s with registration closed has %s:\n%s", path, bad, body)
			}
		}

		_, body = getApp(t, open, path)
		if !strings.Contains(body, `<meta name="tessera-registration" content="open">`) {
			t.Errorf("GET %s with registration open lacks the meta tag:\n%s", path, body)
		}
		// The start page and the sign-in page lead to /register, which
		// has the form.
		if want := `href="/register"`; path == "/register" && !strings.Contains(body, `id="auth-form"`) ||
			path != "/register" && (!strings.Contains(body, want) || !strings.Contains(body, "Create an account</a>")) {
			t.Errorf("GET %s with registration open: no way to create an account:\n%s", path, body)
		}
	}
	_, body := getApp(t, closed, "/register")
	for _, want := range []string{
		`>Registration is closed. Ask the administrator for an account.</p>`,
		`href="/signin"`,
		`<title>Registration closed · Tessera</title>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /register with registration closed lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<form") {
		t.Errorf("GET /register with registration closed has a form:\n%s", body)
	}
	_, body = getApp(t, open, "/signin")
	if !strings.Contains(body, `<meta property="og:url" content="https://auth.example.com/signin">`) ||
		!strings.Contains(body, `<meta property="og:image" content="https://auth.example.com/web/icon-512.png">`) {
		t.Errorf("GET /signin: og:url and og:image are not made from PUBLIC_URL:\n%s", body)
	}
	// Without PUBLIC_URL, no og:url nor og:image (not "https://").
	_, body = getApp(t, closed, "/signin")
	if strings.Contains(body, "og:url") || strings.Contains(body, "og:image") || strings.Contains(body, `"https://"`) {
		t.Errorf("GET /signin without PUBLIC_URL has og:url or og:image:\n%s", body)
	}
	// An http PUBLIC_URL keeps its scheme.
	plain := appHandler(web.New(), appOptions{PublicURL: mustParseURL(t, "http://tessera.lan:8080/")})
	if _, body := getApp(t, plain, "/files"); !strings.Contains(body, `<meta property="og:url" content="http://tessera.lan:8080/files">`) {
		t.Errorf("GET /files with an http PUBLIC_URL: og:url:\n%s", body)
	}
}

// TestAppNotFound: a path that is no page gets the app's page that says
// so, with status 404 and a way home; the API keeps its JSON 404.
func TestAppNotFound(t *testing.T) {
	t.Parallel()
	h := appHandler(web.New(), appOptions{})
	for _, path := range []string{"/no-such-page", "/account/", "/files/secret.txt"} {
		resp, body := getApp(t, h, path)
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want 404 text/html", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, want := range []string{`id="page-notfound"`, `>Page not found</h1>`, `href="/"`, `href="/web/app.css"`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %s:\n%s", path, want, body)
			}
		}
		if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
			t.Errorf("GET %s: Content-Length %s for %d bytes", path, got, len(body))
		}
	}
}
