package web

import (
	"io/fs"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func TestServeWasm(t *testing.T) {
	t.Parallel()
	raw, br, gz := []byte("\x00asm raw bytes, long enough"), []byte("br-bytes"), []byte("gzip-bytes!")
	a := newAssets(fstest.MapFS{
		"app.wasm":    {Data: raw},
		"app.wasm.br": {Data: br},
		"app.wasm.gz": {Data: gz},
		"app.css":     {Data: []byte("body{}")},
		".hidden":     {Data: []byte("x")},
		"sub/x.png":   {Data: []byte("png")},
	})
	if a.Version() == "" || a.WasmSize() != len(raw) || !a.HasWasm() {
		t.Fatalf("version %q, size %d", a.Version(), a.WasmSize())
	}
	for _, tt := range []struct {
		name, accept, wantEnc string
		want                  []byte
	}{
		{"Brotli", "gzip, deflate, br, zstd", "br", br},
		{"Gzip", "gzip, deflate", "gzip", gz},
		{"BrotliRefused", "br;q=0, gzip", "gzip", gz},
		{"Identity", "", "", raw},
		{"OnlyUnknown", "zstd", "", raw},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/web/app.wasm", nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			h := w.Header()
			if w.Code != 200 || h.Get("Content-Encoding") != tt.wantEnc || w.Body.String() != string(tt.want) {
				t.Fatalf("got %d enc %q body %q", w.Code, h.Get("Content-Encoding"), w.Body)
			}
			if got, want := h.Get("Content-Type"), "application/wasm"; got != want {
				t.Fatalf("Content-Type = %q, want %q", got, want)
			}
			if got, want := h.Get("Content-Length"), strconv.Itoa(len(tt.want)); got != want {
				t.Fatalf("Content-Length = %q, want %q", got, want)
			}
			if h.Get("Vary") != "Accept-Encoding" {
				t.Fatalf("Vary = %q", h.Get("Vary"))
			}
		})
	}
	t.Run("OKNotModified", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/web/app.wasm", nil)
		r.Header.Set("Accept-Encoding", "br")
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		r.Header.Set("If-None-Match", w.Header().Get("ETag"))
		w = httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code != 304 || w.Body.Len() != 0 {
			t.Fatalf("got %d %q", w.Code, w.Body)
		}
	})
	t.Run("OKHead", func(t *testing.T) {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest("HEAD", "/web/app.wasm", nil))
		if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != strconv.Itoa(len(raw)) {
			t.Fatalf("got %d %q %v", w.Code, w.Body, w.Header())
		}
	})
	for _, path := range []string{"/web/.hidden", "/web/sub", "/web/", "/web/app.wasm.br", "/web/missing.css", "/web/../web.go"} {
		t.Run("ErrNotFound"+path, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.URL.Path = path
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			if w.Code != 404 {
				t.Fatalf("%s: %d", path, w.Code)
			}
		})
	}
	t.Run("OKStatic", func(t *testing.T) {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest("GET", "/web/app.css", nil))
		if w.Code != 200 || w.Body.String() != "body{}" || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
			t.Fatalf("got %d %q %v", w.Code, w.Body, w.Header())
		}
	})
	t.Run("ErrNoWasm", func(t *testing.T) {
		empty := newAssets(fstest.MapFS{"app.css": {Data: []byte("x")}})
		w := httptest.NewRecorder()
		empty.ServeHTTP(w, httptest.NewRequest("GET", "/web/app.wasm", nil))
		if empty.HasWasm() || empty.Version() != "" || w.Code != 404 {
			t.Fatalf("got %d, HasWasm %v", w.Code, empty.HasWasm())
		}
	})
}

// TestEmbedsStaticOnly: the binary carries web/static and nothing else of
// this folder, such as its Go sources.
func TestEmbedsStaticOnly(t *testing.T) {
	t.Parallel()
	a := New()
	for path, want := range map[string]int{
		"/web/app.css":        200,
		"/web/icon.svg":       200,
		"/web/web.go":         404,
		"/web/web_test.go":    404,
		"/web/static/app.css": 404,
	} {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if got := w.Code; got != want {
			t.Errorf("GET %s = %d, want %d", path, got, want)
		}
	}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && p != "static" && !strings.HasPrefix(p, "static/") {
			t.Errorf("embedded %s, outside static/", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
