package api

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
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
	// allocation (see logRequests), and id the request's id, in the
	// header's value and in the context.
	tail [4]slog.Attr
	id   [1]string
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

// Route names of answers that no API route matched, in logs and metrics.
const (
	RouteApp       = "app"       // the browser app: every path outside /api
	RouteUnmatched = "unmatched" // a path under /api that no route matched
	RoutePreflight = "preflight" // a CORS preflight (OPTIONS) under /api
)

// routeOf is the route that answered r, once served: the pattern of the
// route table ("GET /api/user-data"), RouteUnmatched, RoutePreflight or
// RouteApp. A metric labelled with it has a bounded set of values, unlike
// the path.
func routeOf(r *http.Request) string {
	switch r.Pattern {
	case catchAll, catchAllSlash:
		return RouteUnmatched
	case "":
		switch {
		case !isAPIPath(r.URL.Path):
			return RouteApp
		case r.Method == http.MethodOptions:
			return RoutePreflight
		}
		return RouteUnmatched // refused before the mux (guardPath)
	}
	return r.Pattern
}

// isAPIPath reports whether path is the API's (under /api).
func isAPIPath(path string) bool {
	return path == catchAll || strings.HasPrefix(path, catchAllSlash)
}

// logRequests gives each request its id (sent back as X-Request-Id, and in
// every log line about it), then logs one line per request and counts it
// in Metrics. It logs the route and the path only: the query may hold a
// token (?jwt=) and never reaches a log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		id := s.requestID(r)
		rec.id[0] = id
		w.Header()["X-Request-Id"] = rec.id[:] // canonical already
		// The mux sets the pattern it matched on the request it is given:
		// this one.
		inner := r.WithContext(context.WithValue(r.Context(), requestIDKey{}, rec))
		next.ServeHTTP(rec, inner)
		if rec.status == 0 {
			rec.status = http.StatusOK // nothing written: net/http answers 200
		}
		route := routeOf(inner)
		s.metrics().Request(route, rec.status, time.Since(start))
		// r's context, not inner's: the line names its request id itself.
		ctx, level, h := r.Context(), levelFor(rec.status), s.baseLogger().Handler()
		if !h.Enabled(ctx, level) {
			return
		}
		// What Logger.LogAttrs does, but for the caller's program counter:
		// the line has no use for its source (a handler with AddSource
		// shows none), and finding it would cost more than the rest.
		end := time.Now()
		rec.tail = [4]slog.Attr{
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", end.Sub(start)),
			slog.String("remote", r.RemoteAddr),
			slog.String("request_id", id),
		}
		line := slog.NewRecord(end, level, "request", 0)
		// A record holds five attributes without an allocation: the last
		// four of the eight go in a group without a key, which every
		// handler inlines (see slog.Handler), so the line is the same.
		line.AddAttrs(
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Attr{Value: slog.GroupValue(rec.tail[:]...)},
		)
		_ = h.Handle(ctx, line)
	})
}

// requestIDKey is the context key of a request's id.
type requestIDKey struct{}

// RequestID returns the id of the request whose context ctx is (or
// derives from); "" outside a request.
func RequestID(ctx context.Context) string {
	if rec, ok := ctx.Value(requestIDKey{}).(*statusRecorder); ok {
		return rec.id[0]
	}
	return ""
}

// requestID is r's id: the X-Request-Id a trusted proxy sent (1 to 128
// letters, digits and "-_.:" only), or else a new random one: 32 hex
// digits.
func (s *Server) requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(s.TrustedProxies) > 0 && validRequestID(id) && s.fromTrustedProxy(r) {
		return id
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

func validRequestID(id string) bool {
	if len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// withRequestID is a log handler that adds the request id of the context
// to every line logged about a request.
type withRequestID struct{ slog.Handler }

func (h withRequestID) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestID(ctx); id != "" {
		rec = rec.Clone()
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h withRequestID) WithAttrs(attrs []slog.Attr) slog.Handler {
	return withRequestID{h.Handler.WithAttrs(attrs)}
}

func (h withRequestID) WithGroup(name string) slog.Handler {
	return withRequestID{h.Handler.WithGroup(name)}
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
			// Programs in the page may read these: the id to report a
			// problem with, and when to come back after a 429 or 503.
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
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
