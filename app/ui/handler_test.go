package ui

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewHandler(t *testing.T) {
	t.Parallel()
	h := NewHandler("build-1234", 5_000_000)
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
	if NewHandler("v", 0).WasmContentLength != "" {
		t.Error("WasmContentLength set without a size")
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
	h := NewHandler("build-1234", 0)

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
	if code, _ := get(t, h, "/no-such-page"); code != http.StatusNotFound {
		t.Errorf("unknown page: %d, want 404", code)
	}
}
