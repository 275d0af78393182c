// Package web holds the browser app's static files, embedded in the server
// binary: the folder static/ only, which holds the icons and stylesheet and
// the build outputs app.wasm, app.wasm.br and app.wasm.gz when `make wasm`
// made them before the server was built.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"tessera/internal/deadline"
)

//go:embed static
var files embed.FS

// Assets serves /web/ from the embedded files, and app.wasm precompressed.
type Assets struct {
	fsys    fs.FS
	wasm    map[string][]byte // "", "br", "gzip" → body
	version string
}

// New returns the embedded assets.
func New() *Assets {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // "static" is a valid name: cannot happen
	}
	return newAssets(static)
}

func newAssets(fsys fs.FS) *Assets {
	a := &Assets{fsys: fsys, wasm: map[string][]byte{}}
	for enc, name := range map[string]string{"": "app.wasm", "br": "app.wasm.br", "gzip": "app.wasm.gz"} {
		if b, err := fs.ReadFile(fsys, name); err == nil {
			a.wasm[enc] = b
		}
	}
	if raw, ok := a.wasm[""]; ok {
		sum := sha256.Sum256(raw)
		a.version = hex.EncodeToString(sum[:8])
	}
	return a
}

// HasWasm reports whether app.wasm was built into the binary.
func (a *Assets) HasWasm() bool { return a.wasm[""] != nil }

// Version identifies the build of app.wasm (a hash of it), so browsers see
// an update exactly when a new app is deployed. Empty without app.wasm.
func (a *Assets) Version() string { return a.version }

// WasmSize is the uncompressed size of app.wasm, for the loader's progress.
func (a *Assets) WasmSize() int { return len(a.wasm[""]) }

// ServeHTTP serves GET and HEAD /web/NAME. Directories, dotfiles and
// missing names are 404.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/web/")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name == "app.wasm" {
		a.serveWasm(w, r)
		return
	}
	if !fs.ValidPath(name) || strings.HasPrefix(path.Base(name), ".") || strings.HasPrefix(name, "app.wasm") {
		http.NotFound(w, r)
		return
	}
	if info, err := fs.Stat(a.fsys, name); err != nil || info.IsDir() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(deadline.Extending(w, downloadIdle), r, a.fsys, name)
}

// serveWasm sends app.wasm brotli- or gzip-compressed when the browser
// accepts it, with its exact Content-Length.
func (a *Assets) serveWasm(w http.ResponseWriter, r *http.Request) {
	raw := a.wasm[""]
	if raw == nil {
		http.Error(w, "app.wasm is not built: run make run (or make wasm) first", http.StatusNotFound)
		return
	}
	enc := pickEncoding(r.Header.Get("Accept-Encoding"), a.wasm["br"] != nil, a.wasm["gzip"] != nil)
	body := a.wasm[enc]
	h := w.Header()
	h.Set("Content-Type", "application/wasm")
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", strconv.Quote(a.version+enc))
	h.Set("X-Content-Type-Options", "nosniff")
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	if match := r.Header.Get("If-None-Match"); match != "" && match == h.Get("ETag") {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	// Megabytes to a slow phone outlast any fixed write deadline: it moves
	// on as long as the download does.
	deadline.Extending(w, downloadIdle).Write(body)
}

// downloadIdle is how long a download may make no progress before the
// server gives up on its client.
const downloadIdle = 30 * time.Second

// pickEncoding chooses br over gzip over identity from an Accept-Encoding
// value, honouring q=0.
func pickEncoding(accept string, haveBr, haveGzip bool) string {
	q := map[string]bool{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		refused := false
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f == 0 {
					refused = true
				}
			}
		}
		q[name] = !refused
	}
	switch {
	case haveBr && q["br"]:
		return "br"
	case haveGzip && (q["gzip"] || q["x-gzip"]):
		return "gzip"
	}
	return ""
}
