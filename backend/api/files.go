package api

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"

	"tessera/backend"
	"tessera/internal/deadline"
	"tessera/shared"
)

// maxListedFiles bounds GET /api/files.
const maxListedFiles = 1000

// inlineTypes may be shown in the browser; every other type is sent as an
// attachment in a sandbox, because files are served on the app's origin and
// must never run there.
var inlineTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"image/avif": true, "image/bmp": true, "application/pdf": true,
	"text/plain": true, "text/csv": true,
}

func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func inline(ctype string) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	return inlineTypes[mt] || strings.HasPrefix(mt, "audio/") || strings.HasPrefix(mt, "video/")
}

func (s *Server) handleFile(w http.ResponseWriter, r *http.Request, _ *principal) {
	name := r.PathValue("path")
	// os.Root refuses names that leave the folder, through ".." or through
	// symlinks; fs.ValidPath also refuses absolute and unclean names. Dot
	// files and folders (.env, .git) are never served, as they are never
	// listed.
	if s.Files == nil || !fs.ValidPath(name) || name == "." || strings.ContainsRune(name, 0) || hidden(name) {
		s.writeError(w, r, errNotFound)
		return
	}
	// Only regular files: no directory listings, and no FIFO or device,
	// whose open could block forever. Stat before Open for that reason.
	if info, err := s.Files.Stat(name); err != nil || !info.Mode().IsRegular() {
		s.writeError(w, r, errNotFound)
		return
	}
	f, err := s.Files.Open(name)
	if err != nil {
		s.writeError(w, r, errNotFound)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		s.writeError(w, r, errNotFound)
		return
	}
	ctype := contentType(name)
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	if !inline(ctype) {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
		h.Set("Content-Security-Policy", "sandbox")
	}
	// A large file to a slow client outlasts the write deadline of an API
	// answer: it moves on as long as the download does.
	http.ServeContent(deadline.Extending(&rangeErrors{ResponseWriter: w, s: s, r: r}, s.WriteTimeout), r, name, info.ModTime(), f)
}

// rangeErrors answers a Range the file cannot satisfy (416) as JSON, as
// every other error, where http.ServeContent writes plain text. Its
// Content-Range (bytes */size) stays.
type rangeErrors struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	written bool // the JSON answer is written: ServeContent's text is dropped
}

func (w *rangeErrors) WriteHeader(code int) {
	if code != http.StatusRequestedRangeNotSatisfiable || w.written {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.written = true
	h := w.Header()
	h.Del("Content-Disposition")
	h.Set("Cache-Control", "private, no-store")
	w.s.writeError(w.ResponseWriter, w.r, backend.Errorf(shared.CodeRangeNotSatisfiable, "Requested range not satisfiable"))
}

func (w *rangeErrors) Write(b []byte) (int, error) {
	if w.written {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *rangeErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hidden reports whether a segment of the slash-separated name starts with
// a dot.
func hidden(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

func (s *Server) handleFileList(w http.ResponseWriter, r *http.Request, _ *principal) {
	list := shared.FileList{Files: []shared.FileInfo{}}
	if s.Files != nil {
		fsys := s.Files.FS()
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable entries are left out
			}
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			// Stat through the root follows symlinks only inside it.
			info, err := fs.Stat(fsys, p)
			if err != nil || !info.Mode().IsRegular() {
				return nil
			}
			list.Files = append(list.Files, shared.FileInfo{Name: p, Size: info.Size(), Type: contentType(p)})
			if len(list.Files) >= maxListedFiles {
				return fs.SkipAll
			}
			return nil
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	sort.Slice(list.Files, func(i, j int) bool { return list.Files[i].Name < list.Files[j].Name })
	s.writeJSON(w, http.StatusOK, list)
}
