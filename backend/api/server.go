// Package api is Tessera's JSON API over net/http: the routes of the
// contract, token checks, CORS, request logs. It uses the store and the
// token and password services through the small interfaces below.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"time"

	"tessera/backend"
	"tessera/shared"
)

// Store is what the API needs from the database.
type Store interface {
	backend.UserStore
	backend.Blocklist
	backend.SessionStore
	backend.ThrottleStore
	backend.EventStore
	Ping(ctx context.Context) error
}

// TokenService issues and verifies tokens (see auth.Tokens).
type TokenService interface {
	Issue(spec backend.TokenSpec) (string, backend.Claims, error)
	Verify(token string) (backend.Claims, error)
}

// PasswordHasher hashes and checks passwords (see auth.Hasher). Check with
// an empty hash must take as long as with a real one.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Check(hash, password string) bool
	// NeedsRehash reports whether a hash that matched should be replaced
	// by a new Hash of the password (another cost, another scheme).
	NeedsRehash(hash string) bool
}

// Server serves the API. Fill its fields, then call Handler. Fields must not
// change while it serves.
type Server struct {
	Store     Store
	Tokens    TokenService
	Passwords PasswordHasher
	// Files is the root of /api/files; nil serves no files.
	Files *os.Root
	// CORSOrigins lists the origins allowed to call the API from a browser;
	// "*" allows any.
	CORSOrigins []string
	// App serves every path outside /api (the browser app); nil answers 404.
	App    http.Handler
	Logger *slog.Logger
	// Metrics counts requests, sign-ins, refreshes and throttled requests;
	// nil counts nothing.
	Metrics Metrics
	// Version is the build's version, in GET /api/healthz's answer.
	Version string

	// Sessions: Rotation retires each refresh token when it is used;
	// ReuseGrace is how long the most recently retired one still renews its
	// session; SessionMaxAge is a session's absolute lifetime; RefreshTTL,
	// the refresh tokens' lifetime, is also the longest a session may go
	// unused.
	Rotation      bool
	ReuseGrace    time.Duration
	SessionMaxAge time.Duration
	RefreshTTL    time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// Limits throttle password guessing and floods; the zero Limits
	// throttles nothing.
	Limits Limits
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// read (see clientAddr); none: the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// RegistrationClosed refuses POST /api/register with 403.
	RegistrationClosed bool
	// LegacyTokens accepts tokens without a session ("sid"), made by a
	// Flask-JWT-Extended app with the same secret.
	LegacyTokens bool
	// SessionsPerUser bounds a user's live sessions: a sign-in past it ends
	// the least recently used. 0: no bound.
	SessionsPerUser int
	// WriteTimeout bounds the writing of an answer; a file download's
	// deadline moves on while it makes progress. 0: no bound.
	WriteTimeout time.Duration
	// Unavailable reports whether an error of the store means the database
	// cannot be reached (see store.IsUnavailable): such requests get 503
	// with Retry-After instead of 500. nil: never.
	Unavailable func(error) bool
}

// maxBodyBytes bounds every request body.
const maxBodyBytes = 64 << 10

// Handler returns the whole HTTP handler: request logs, panic recovery,
// CORS, the API under /api and the app elsewhere.
func (s *Server) Handler() http.Handler {
	api := s.cors(s.routes())
	app := s.App
	if app == nil {
		app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errNotFound) })
	}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.WriteTimeout > 0 {
			// Per request, rather than http.Server.WriteTimeout, so that
			// downloads can move it on (deadline.Extending).
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.WriteTimeout))
		}
		if isAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		app.ServeHTTP(w, r)
	})
	return s.logRequests(s.recoverPanics(h))
}

// route is one entry of the API's route table: a pattern of
// http.ServeMux and its handler. A protected route's handler is built by
// with, which names the token it takes; the others are public.
type route struct {
	pattern string
	handler http.Handler
}

// routeTable lists every route of the API.
func (s *Server) routeTable() []route {
	return []route{
		{"POST /api/register", http.HandlerFunc(s.handleRegister)},
		{"POST /api/login", http.HandlerFunc(s.handleLogin)},
		{"GET /api/healthz", http.HandlerFunc(s.handleHealth)},
		{"GET /api/openapi.json", http.HandlerFunc(s.handleOpenAPI)},
		{"POST /api/refresh", s.with(refreshToken, s.handleRefresh)},
		{"DELETE /api/logout", s.withEnded(anyToken, s.handleLogout, s.handleLogoutEnded)},
		{"GET /api/user-data", s.with(accessToken, s.handleUserData)},
		{"GET /api/user-data-v2", s.with(accessToken, s.handleUserDataV2)},
		{"POST /api/password", s.with(accessToken, s.handlePassword)},
		{"GET /api/files", s.with(accessToken, s.handleFileList)},
		{"GET /api/files/{path...}", s.with(accessToken, s.handleFile)},
		{"GET /api/sessions", s.with(accessToken, s.handleSessionList)},
		{"DELETE /api/sessions/{id}", s.with(accessToken, s.handleSessionEnd)},
		{"GET /api/account", s.with(accessToken, s.handleAccount)},
		{"GET /api/events", s.with(accessToken, s.handleEvents)},
		{"POST /api/events/seen", s.with(accessToken, s.handleEventsSeen)},
	}
}

// routes is the mux of the route table, with a catch-all that answers
// unknown routes and wrong methods as JSON.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, rt.handler)
	}
	mux.HandleFunc(catchAll, s.noRoute(mux))
	mux.HandleFunc(catchAllSlash, s.noRoute(mux))
	return s.guardPath(mux)
}

// The API's root, whose unmatched paths noRoute answers.
const (
	catchAll      = "/api"
	catchAllSlash = "/api/"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.logger().ErrorContext(ctx, "health check", "err", err)
		s.writeError(w, r, errUnavailable)
		return
	}
	s.writeJSON(w, http.StatusOK, shared.Health{Status: "ok", Version: s.Version})
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// logger is the Logger, whose lines about a request name its id. It is
// called only to log.
func (s *Server) logger() *slog.Logger {
	return slog.New(withRequestID{s.baseLogger().Handler()})
}

// baseLogger is the Logger as it was given (or slog's default).
func (s *Server) baseLogger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
