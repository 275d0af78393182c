package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"tessera/backend"
	"tessera/shared"
)

// errNotFound answers every missing route, file or session, as Flask
// clients expect it.
var errNotFound = backend.Errorf(shared.CodeNotFound, "Not Found")

// errUnavailable answers a request that needs the database while it cannot
// be reached.
var errUnavailable = &backend.Error{Code: shared.CodeUnavailable, Msg: "Database unavailable", RetryAfter: 2 * time.Second}

// statusOf maps every error code to its HTTP status: the one table.
var statusOf = map[string]int{
	shared.CodeMissingToken:       http.StatusUnauthorized,
	shared.CodeBadAuthHeader:      http.StatusUnprocessableEntity,
	shared.CodeMalformedToken:     http.StatusUnprocessableEntity,
	shared.CodeBadSignature:       http.StatusUnprocessableEntity,
	shared.CodeAlgNotAllowed:      http.StatusUnprocessableEntity,
	shared.CodeTokenExpired:       http.StatusUnauthorized,
	shared.CodeTokenNotYetValid:   http.StatusUnprocessableEntity,
	shared.CodeMissingClaim:       http.StatusUnprocessableEntity,
	shared.CodeAccessTokenNeeded:  http.StatusUnprocessableEntity,
	shared.CodeRefreshTokenNeeded: http.StatusUnprocessableEntity,
	shared.CodeTokenRevoked:       http.StatusUnauthorized,
	shared.CodeUserNotFound:       http.StatusUnauthorized,
	shared.CodeMissingCredentials: http.StatusBadRequest,
	shared.CodePasswordTooShort:   http.StatusBadRequest,
	shared.CodePasswordTooLong:    http.StatusBadRequest,
	shared.CodeUsernameTooShort:   http.StatusBadRequest,
	shared.CodeUsernameTooLong:    http.StatusBadRequest,
	shared.CodeUsernameInvalid:    http.StatusBadRequest,
	shared.CodeUsernameTaken:      http.StatusConflict,
	shared.CodeBadCredentials:     http.StatusUnauthorized,
	shared.CodeInvalidJSON:        http.StatusBadRequest,
	shared.CodeBodyTooLarge:       http.StatusRequestEntityTooLarge,
	shared.CodeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	shared.CodeNotFound:           http.StatusNotFound,
	shared.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	shared.CodeUnavailable:        http.StatusServiceUnavailable,
	shared.CodeInternal:           http.StatusInternalServerError,
	shared.CodeInvalidScope:       http.StatusBadRequest,
	shared.CodeRateLimited:        http.StatusTooManyRequests,
	shared.CodeRegistrationClosed: http.StatusForbidden,
}

// writeJSON writes v as a JSON answer with status.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	// Messages go out as Flask clients see them: no \u003c for "<".
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.logger().Error("encode answer", "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"msg":"Internal Server Error","code":"internal"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError answers err: a *backend.Error with its code's status and message,
// anything else as a logged, generic 500.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *backend.Error
	switch {
	case errors.As(err, &e):
	case s.Unavailable != nil && s.Unavailable(err):
		s.logger().WarnContext(r.Context(), "database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		e = errUnavailable
	default:
		s.logger().ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = backend.Errorf(shared.CodeInternal, "Internal Server Error")
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized {
		// Never "Basic": a browser would pop up a password dialog.
		w.Header().Set("WWW-Authenticate", `Bearer realm="tessera"`)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
	}
	s.writeJSON(w, status, shared.ErrorBody{Msg: e.Msg, Code: e.Code})
}
