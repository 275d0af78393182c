package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"tessera/shared"
)

// TestFiles serves files to token holders and nothing outside FILES_DIR.
func TestFiles(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		tok := e.login("apple", "mango").AccessToken
		png := []byte("\x89PNG\r\n\x1a\n fake image bytes")
		write := func(name string, b []byte) {
			p := filepath.Join(e.files, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("test.png", png)
		write("notes.txt", []byte("hello, files"))
		write("page.html", []byte("<script>alert(1)</script>"))
		write("logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
		write("blob.unknownext", []byte("??"))
		write("sub/deep.txt", []byte("deep"))
		write(".hidden", []byte("hidden"))
		write(".env", []byte("SECRET=1"))
		write(".git/config", []byte("[SECRET]"))
		write("sub/.htpasswd", []byte("SECRET"))
		secretDir := filepath.Dir(e.files)
		if err := os.WriteFile(filepath.Join(secretDir, "secret.txt"), []byte("TOP SECRET"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(secretDir, "secret.txt"), filepath.Join(e.files, "escape.txt")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(secretDir, filepath.Join(e.files, "escapedir")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("notes.txt", filepath.Join(e.files, "inside.txt")); err != nil {
			t.Fatal(err)
		}
		// A FIFO would block an open forever: it must be refused before.
		if err := syscall.Mkfifo(filepath.Join(e.files, "pipe"), 0o600); err != nil {
			t.Fatal(err)
		}

		t.Run("OKHeader", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/files/test.png", header: bearer(tok)})
			if w.Code != 200 || w.Body.String() != string(png) {
				t.Fatalf("got %d %q", w.Code, w.Body)
			}
			h := w.Header()
			for k, v := range map[string]string{
				"Content-Type":           "image/png",
				"X-Content-Type-Options": "nosniff",
				"Cache-Control":          "private, no-store",
				"Referrer-Policy":        "no-referrer",
				"Content-Disposition":    "",
			} {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
		t.Run("OKQueryToken", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/files/sub/deep.txt?jwt=" + tok})
			if w.Code != 200 || w.Body.String() != "deep" {
				t.Fatalf("got %d %q", w.Code, w.Body)
			}
		})
		t.Run("OKSymlinkInside", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/files/inside.txt", header: bearer(tok)})
			if w.Code != 200 || w.Body.String() != "hello, files" {
				t.Fatalf("got %d %q", w.Code, w.Body)
			}
		})
		t.Run("OKRange", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/files/notes.txt", header: map[string]string{"Authorization": "Bearer " + tok, "Range": "bytes=0-4"}})
			if w.Code != 206 || w.Body.String() != "hello" {
				t.Fatalf("got %d %q", w.Code, w.Body)
			}
		})
		t.Run("OKHead", func(t *testing.T) {
			w := e.do(req{method: "HEAD", path: "/api/files/notes.txt", header: bearer(tok)})
			if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "12" {
				t.Fatalf("got %d %q %v", w.Code, w.Body, w.Header())
			}
		})
		for _, name := range []string{"page.html", "logo.svg", "blob.unknownext"} {
			t.Run("OKAttachment/"+name, func(t *testing.T) {
				w := e.do(req{method: "GET", path: "/api/files/" + name, header: bearer(tok)})
				if w.Code != 200 {
					t.Fatalf("status %d", w.Code)
				}
				if got := w.Header().Get("Content-Disposition"); !strings.HasPrefix(got, "attachment") {
					t.Errorf("Content-Disposition = %q, want attachment", got)
				}
				if got := w.Header().Get("Content-Security-Policy"); got != "sandbox" {
					t.Errorf("Content-Security-Policy = %q, want sandbox", got)
				}
			})
		}
		t.Run("ErrNoToken", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/files/test.png"})
			checkMsg(t, w, 401, "Missing JWT in headers or query_string (Missing Authorization Header; Missing 'jwt' query paramater)", shared.CodeMissingToken)
		})
		t.Run("ErrRefreshToken", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/files/test.png", header: bearer(e.login("apple", "mango").RefreshToken)})
			checkMsg(t, w, 422, "Only non-refresh tokens are allowed", shared.CodeAccessTokenNeeded)
		})
		// Every way out of the folder, and every name that is not a file, is 404.
		for _, path := range []string{
			"/api/files/missing.png",
			"/api/files/",
			"/api/files/sub",
			"/api/files/sub/",
			"/api/files/../secret.txt",
			"/api/files/sub/../../secret.txt",
			"/api/files/..%2fsecret.txt",
			"/api/files/..%2Fsecret.txt",
			"/api/files/%2e%2e/secret.txt",
			"/api/files/%2e%2e%2fsecret.txt",
			"/api/files/..",
			"/api/files//etc/passwd",
			"/api/files/%2fetc%2fpasswd",
			"/api/files/notes.txt%00.png",
			"/api/files/escape.txt",
			"/api/files/escapedir/secret.txt",
			"/api/files/..\\secret.txt",
			"/api/files/./notes.txt",
			"/api/files/pipe",
			// Dot files and dot folders are never served, as never listed.
			"/api/files/.env",
			"/api/files/.hidden",
			"/api/files/.git/config",
			"/api/files/sub/.htpasswd",
			"/api/files/%2eenv",
		} {
			t.Run("ErrNotFound"+path, func(t *testing.T) {
				// Build the URL by hand: NewRequest would resolve dot segments
				// as a browser does, and an attacker's client does not.
				r := httptest.NewRequest("GET", "/", nil)
				u, err := url.Parse(path)
				if err != nil {
					t.Fatal(err)
				}
				r.URL, r.RequestURI = u, path
				r.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				e.handler.ServeHTTP(w, r)
				if strings.Contains(w.Body.String(), "SECRET") {
					t.Fatalf("leaked: %s", w.Body)
				}
				checkMsg(t, w, 404, "Not Found", shared.CodeNotFound)
			})
		}
		t.Run("OKList", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/files", header: bearer(tok)})
			checkJSON(t, w, 200, "")
			var list shared.FileList
			json.Unmarshal(w.Body.Bytes(), &list)
			var names []string
			for _, f := range list.Files {
				names = append(names, f.Name)
				if f.Name == "test.png" && (f.Size != int64(len(png)) || f.Type != "image/png") {
					t.Errorf("test.png = %+v", f)
				}
			}
			if got, want := strings.Join(names, ","), "blob.unknownext,inside.txt,logo.svg,notes.txt,page.html,sub/deep.txt,test.png"; got != want {
				t.Fatalf("files = %s, want %s", got, want)
			}
		})
		t.Run("ErrListNoToken", func(t *testing.T) {
			checkMsg(t, e.do(req{method: "GET", path: "/api/files"}), 401, "Missing JWT in headers or query_string (Missing Authorization Header; Missing 'jwt' query paramater)", shared.CodeMissingToken)
		})
	})
}
