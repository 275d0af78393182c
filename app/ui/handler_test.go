package ui

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestNewHandler(t *testing.T) {
	t.Parallel()
	h := NewHandler(HandlerOptions{Version: "build-1234", WasmSize: 5_000_000})
	if h.Name != "Tessera" || h.ShortName != "Tessera" || h.Title == "" || h.Description == "" {
		t.Errorf("names: %q %q %q %q", h.Name, h.ShortName, h.Title, h.Description)
	}
	if h.Icon.Default != "/web/icon-192.png" || h.Icon.Large != "/web/icon-512.png" ||
		h.Icon.Maskable != "/web/icon-maskable.png" || h.Icon.SVG != "/web/icon.svg" {
		t.Errorf("icons: %+v", h.Icon)
	}
	if h.Version != "build-1234" {
		t.Errorf("Version = %q", h.Version)
	}
	if h.WasmContentLength != "5000000" {
		t.Errorf("WasmContentLength = %q", h.WasmContentLength)
	}
	if h.ThemeColor != ThemeColor || h.BackgroundColor != BackgroundColor {
		t.Errorf("colours: %q %q", h.ThemeColor, h.BackgroundColor)
	}
	if len(h.Styles) != 1 || h.Styles[0] != "/web/app.css" {
		t.Errorf("Styles = %v", h.Styles)
	}
	if h.Resources != nil {
		t.Error("Resources set; the server serves /web/ itself")
	}
	if NewHandler(HandlerOptions{Version: "v"}).WasmContentLength != "" {
		t.Error("WasmContentLength set without a size")
	}
	if h.Domain != "" || h.Image != "" {
		t.Errorf("Domain = %q, Image = %q: the handler writes og:url and og:image itself", h.Domain, h.Image)
	}
	// The service worker is ours (worker.js, a template of go-app's), and
	// keeps every page and the brand mark.
	if !strings.Contains(h.ServiceWorkerTemplate, "{{.ResourcesToCache}}") {
		t.Error("ServiceWorkerTemplate does not take go-app's list of resources to cache")
	}
	for _, want := range append([]string{"/web/icon.svg"}, pagePaths[1:]...) {
		if !slices.Contains(h.CacheableResources, want) {
			t.Errorf("CacheableResources %q lack %s", h.CacheableResources, want)
		}
	}
	if len(h.RawHeaders) != 1 || h.RawHeaders[0] != `<meta name="tessera-registration" content="open">` {
		t.Errorf("RawHeaders = %q", h.RawHeaders)
	}
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body)
}

func TestHandlerServesManifestAndPages(t *testing.T) {
	Register()
	h := NewHandler(HandlerOptions{Version: "build-1234"})

	code, body := get(t, h, "/manifest.webmanifest")
	if code != http.StatusOK {
		t.Fatalf("manifest: %d", code)
	}
	var m struct {
		Name       string `json:"name"`
		ShortName  string `json:"short_name"`
		ThemeColor string `json:"theme_color"`
		Icons      []struct {
			Src, Purpose, Sizes string
		} `json:"icons"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if m.Name != "Tessera" || m.ShortName != "Tessera" || m.ThemeColor != ThemeColor {
		t.Errorf("manifest: %s", body)
	}
	srcs := map[string]bool{}
	for _, i := range m.Icons {
		srcs[i.Src] = true
		if strings.Contains(i.Src, "://") {
			t.Errorf("external icon %s", i.Src)
		}
	}
	for _, want := range []string{"/web/icon-192.png", "/web/icon-512.png", "/web/icon-maskable.png"} {
		if !srcs[want] {
			t.Errorf("manifest lacks icon %s: %s", want, body)
		}
	}

	if code, body := get(t, h, "/app.js"); code != http.StatusOK || !strings.Contains(body, "build-1234") {
		t.Errorf("app.js: %d, version missing", code)
	}

	// Every route is prerendered, so deep links and reloads work.
	for path, id := range map[string]string{
		PathHome:     "page-home",
		PathSignIn:   "page-signin",
		PathRegister: "page-register",
		PathAccount:  "page-account",
		PathFiles:    "page-files",
		PathSessions: "page-sessions",
		PathPassword: "page-password",
		PathActivity: "page-activity",
	} {
		code, body := get(t, h, path)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d", path, code)
			continue
		}
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("GET %s lacks #%s", path, id)
		}
		if !strings.Contains(body, `href="/web/app.css"`) {
			t.Errorf("GET %s lacks the stylesheet", path)
		}
	}
	if _, body := get(t, h, PathSignIn); !strings.Contains(body, "<title>Sign in · Tessera</title>") {
		t.Error("sign-in page title not set in the prerender")
	}
	// Any other path: the not-found page, with status 404 and a way home.
	for _, path := range []string{"/no-such-page", "/files/x", "/favicon.ico"} {
		code, body := get(t, h, path)
		if code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
		mustContain(t, body, `id="page-notfound"`, `<title>Page not found · Tessera</title>`, `>Page not found</h1>`, `href="/"`, `href="/web/app.css"`)
	}
}

// TestHandlerFinishesPages: no cover over the page while the app loads
// (a thin bar, no spinning logo, no "wasm loader icon"), and og:url and
// og:image made from the public URL, or left out.
func TestHandlerFinishesPages(t *testing.T) {
	t.Parallel()
	Register()
	_, body := get(t, NewHandler(HandlerOptions{Version: "v1"}), PathSignIn)
	mustContain(t, body, loaderHTML)
	mustNotContain(t, body, "goapp-app-info", "goapp-spin", "wasm loader icon", "<aside", `property="og:url"`, `property="og:image"`, `https://"`)
	for publicURL, want := range map[string][]string{
		"https://auth.example.com":    {`<meta property="og:url" content="https://auth.example.com/signin">`, `<meta property="og:image" content="https://auth.example.com/web/icon-512.png">`},
		"http://tessera.test:8080/a/": {`<meta property="og:url" content="http://tessera.test:8080/a/signin">`, `<meta property="og:image" content="http://tessera.test:8080/a/web/icon-512.png">`},
		`https://x.test/"><script>q/`: {`content="https://x.test/&#34;&gt;&lt;script&gt;q/signin"`},
	} {
		_, body := get(t, NewHandler(HandlerOptions{Version: "v1", PublicURL: publicURL}), PathSignIn)
		mustContain(t, body, want...)
		if n := strings.Count(body, `property="og:url"`); n != 1 {
			t.Errorf("%d og:url with %s", n, publicURL)
		}
	}
}

// TestServiceWorker: /app-worker.js is worker.js with the build's version
// and the files to keep: every page, the app's files and icons, never the
// API.
func TestServiceWorker(t *testing.T) {
	t.Parallel()
	Register()
	code, body := get(t, NewHandler(HandlerOptions{Version: "build-7"}), "/app-worker.js")
	if code != http.StatusOK {
		t.Fatalf("GET /app-worker.js: %d", code)
	}
	mustContain(t, body, `const cacheName = "app-" + "build-7";`, `url.pathname.startsWith("/api/")`)
	_, list, _ := strings.Cut(body, "const resourcesToCache = ")
	list, _, _ = strings.Cut(list, ";")
	var cached []string
	if err := json.Unmarshal([]byte(list), &cached); err != nil {
		t.Fatalf("resourcesToCache %s: %v", list, err)
	}
	for _, want := range append([]string{"/app.js", "/app.css", "/wasm_exec.js", "/manifest.webmanifest", "/web/app.wasm", "/web/app.css", "/web/icon.svg", "/web/icon-192.png"}, pagePaths...) {
		if !slices.Contains(cached, want) {
			t.Errorf("the worker does not keep %s: %q", want, cached)
		}
	}
	for _, c := range cached {
		if strings.HasPrefix(c, "/api") || strings.Contains(c, "://") {
			t.Errorf("the worker keeps %s", c)
		}
	}
}

func TestPagesVersion(t *testing.T) {
	t.Parallel()
	open := pagesVersion(HandlerOptions{Version: "abc"})
	closed := pagesVersion(HandlerOptions{Version: "abc", Settings: Settings{RegistrationClosed: true}})
	domain := pagesVersion(HandlerOptions{Version: "abc", PublicURL: "https://auth.example.com"})
	if open != "abc" {
		t.Errorf("version with default options = %q, want the build's", open)
	}
	if closed == open || domain == open || closed == domain || !strings.HasPrefix(closed, "abc-") {
		t.Errorf("versions %q %q %q: the options that change the pages must change it", open, closed, domain)
	}
	if again := pagesVersion(HandlerOptions{Version: "abc", Settings: Settings{RegistrationClosed: true}}); again != closed {
		t.Errorf("version not stable: %q then %q", closed, again)
	}
	if v := pagesVersion(HandlerOptions{Settings: Settings{RegistrationClosed: true}}); v != "" {
		t.Errorf("version %q without a build version; go-app makes one", v)
	}
}

// TestHandlerSettings: the prerendered pages and the page's head follow the
// Settings of the handler that serves them, though go-app's routes are the
// same for the whole process: handlers with other settings run side by
// side.
func TestHandlerSettings(t *testing.T) {
	t.Parallel()
	Register()
	open := NewHandler(HandlerOptions{Version: "v1", PublicURL: "https://auth.example.com"})
	closed := NewHandler(HandlerOptions{Version: "v1", Settings: Settings{RegistrationClosed: true}})
	for range 3 { // interleaved, and in parallel with the other tests
		_, signin := get(t, open, PathSignIn)
		mustContain(t, signin,
			`<meta name="tessera-registration" content="open">`,
			`<a href="/register">Create an account</a>`,
		)
		mustHaveElem(t, signin, "meta", `property="og:url"`, `content="https://auth.example.com/signin"`)
		mustHaveElem(t, signin, "meta", `property="og:image"`, `content="https://auth.example.com/web/icon-512.png"`)
		_, register := get(t, open, PathRegister)
		mustContain(t, register, `id="auth-form"`, `<title>Create account · Tessera</title>`, `<a href="/signin">Sign in</a>`)
		mustNotContain(t, register, `registration-closed`)

		for _, path := range []string{PathHome, PathSignIn, PathRegister} {
			// A parameter of the request cannot reopen registration.
			for _, q := range []string{"", "?tessera-registration=open"} {
				code, body := get(t, closed, path+q)
				if code != http.StatusOK {
					t.Fatalf("GET %s%s: %d", path, q, code)
				}
				mustContain(t, body, `<meta name="tessera-registration" content="closed">`)
				mustNotContain(t, body, `href="/register"`, `Create an account`, `tessera-registration=`)
			}
		}
		_, signin = get(t, closed, PathSignIn)
		mustContain(t, signin, `New to Tessera? Ask the administrator for an account.`, `id="auth-form"`)
		_, register = get(t, closed, PathRegister)
		mustContain(t, register,
			`<title>Registration closed · Tessera</title>`,
			`>Registration is closed. Ask the administrator for an account.</p>`,
			`>Sign in</a>`,
		)
		mustHaveElem(t, register, "p", `id="registration-closed"`)
		mustHaveElem(t, register, "a", `href="/signin"`, `class="button button-primary"`)
		mustNotContain(t, register, `<form`, `id="username"`, `id="password"`, `id="submit"`)
	}
}

// TestPagesNeedNoInlineCode: the prerendered pages have no inline script,
// style element, style attribute or event handler attribute, so that they
// run under a Content-Security-Policy without 'unsafe-inline' (the tessera
// server's). Should a go-app upgrade add one, this fails before the
// browser refuses it.
func TestPagesNeedNoInlineCode(t *testing.T) {
	t.Parallel()
	Register()
	for _, s := range []Settings{{}, {RegistrationClosed: true}} {
		h := NewHandler(HandlerOptions{Version: "v1", Settings: s})
		for _, path := range []string{PathHome, PathSignIn, PathRegister, PathAccount, PathFiles, PathSessions, PathPassword, PathActivity} {
			_, body := get(t, h, path)
			scripts := strings.Split(body, "<script")[1:]
			if len(scripts) == 0 {
				t.Errorf("GET %s: no <script>", path)
			}
			for _, s := range scripts {
				start, rest, _ := strings.Cut(s, ">")
				if !strings.Contains(start, " src=") || !strings.HasPrefix(rest, "</script>") {
					t.Errorf("GET %s has an inline <script%.80s", path, s)
				}
			}
			lower := strings.ToLower(body)
			for _, bad := range []string{"<style", " style=", "javascript:", " onclick=", " onload=", " onerror=", " onsubmit=", " oninput="} {
				if strings.Contains(lower, bad) {
					t.Errorf("GET %s has %q:\n%s", path, bad, body)
				}
			}
		}
	}
}
