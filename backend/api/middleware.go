package api

import (
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"tessera/backend"
	"tessera/shared"
)

// statusRecorder remembers what a handler answered, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	// tail holds the log line's last attributes in the recorder's
	// allocation (see logRequests).
	tail [2]slog.Attr
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request. It logs the path only: the query
// may hold a token (?jwt=) and never reaches a log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		ctx, level, h := r.Context(), levelFor(rec.status), s.logger().Handler()
		if !h.Enabled(ctx, level) {
			return
		}
		// What Logger.LogAttrs does, but for the caller's program counter:
		// the line has no use for its source (a handler with AddSource
		// shows none), and finding it would cost more than the rest.
		end := time.Now()
		rec.tail = [2]slog.Attr{
			slog.Duration("duration", end.Sub(start)),
			slog.String("remote", r.RemoteAddr),
		}
		line := slog.NewRecord(end, level, "request", 0)
		// A record holds five attributes without an allocation: the last
		// two of the six go in a group without a key, which every handler
		// inlines (see slog.Handler), so the line is the same.
		line.AddAttrs(
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Attr{Value: slog.GroupValue(rec.tail[:]...)},
		)
		_ = h.Handle(ctx, line)
	})
}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// recoverPanics turns a panic into a logged 500, so one bad request never
// takes the process down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger().ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", v)
				s.writeError(w, r, backend.Errorf(shared.CodeInternal, "Internal Server Error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// guardPath answers 404 for API paths that are not clean (dot segments,
// doubled slashes, NUL bytes) instead of letting the mux redirect them.
func (s *Server) guardPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		clean := path.Clean(p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		if clean != p || strings.ContainsRune(p, 0) || strings.Contains(r.URL.RawPath, "%00") {
			s.writeError(w, r, errNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routeMethods are tried to tell a 405 from a 404.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch}

// noRoute is the mux's catch-all under /api: it answers unknown routes with
// JSON 404 and known routes asked with a wrong method with JSON 405, where
// the mux would answer plain text. Matched routes never reach it, so they
// are matched once.
func (s *Server) noRoute(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range routeMethods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != catchAll && pattern != catchAllSlash {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			s.writeError(w, r, errNotFound)
			return
		}
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(append(allow, http.MethodOptions), ", "))
		s.writeError(w, r, backend.Errorf(shared.CodeMethodNotAllowed, "The method is not allowed for the requested URL."))
	}
}

// corsMethods are the methods the API answers to.
const corsMethods = "GET, HEAD, POST, DELETE, OPTIONS"

// cors adds the CORS headers to every answer and answers preflights itself.
// OPTIONS never needs a token.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origin := r.Header.Get("Origin")
		switch {
		case origin == "" && s.originAllowed("*"):
			h.Set("Access-Control-Allow-Origin", "*")
		case origin == "":
			// An allow-list: the answer to a request without Origin names
			// none, and must not be reused by a cache for one with it.
			h.Add("Vary", "Origin")
		case s.originAllowed(origin):
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
		default:
			h.Add("Vary", "Origin")
		}
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Methods", corsMethods)
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" && len(req) <= 1024 {
			h.Set("Access-Control-Allow-Headers", req)
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		h.Set("Access-Control-Max-Age", "600")
		h.Set("Allow", corsMethods)
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.CORSOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}
