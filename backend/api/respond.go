package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
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
	shared.CodeMissingToken:        http.StatusUnauthorized,
	shared.CodeBadAuthHeader:       http.StatusUnprocessableEntity,
	shared.CodeMalformedToken:      http.StatusUnprocessableEntity,
	shared.CodeBadSignature:        http.StatusUnprocessableEntity,
	shared.CodeAlgNotAllowed:       http.StatusUnprocessableEntity,
	shared.CodeTokenExpired:        http.StatusUnauthorized,
	shared.CodeTokenNotYetValid:    http.StatusUnprocessableEntity,
	shared.CodeMissingClaim:        http.StatusUnprocessableEntity,
	shared.CodeAccessTokenNeeded:   http.StatusUnprocessableEntity,
	shared.CodeRefreshTokenNeeded:  http.StatusUnprocessableEntity,
	shared.CodeTokenRevoked:        http.StatusUnauthorized,
	shared.CodeUserNotFound:        http.StatusUnauthorized,
	shared.CodeMissingCredentials:  http.StatusBadRequest,
	shared.CodePasswordTooShort:    http.StatusBadRequest,
	shared.CodePasswordTooLong:     http.StatusBadRequest,
	shared.CodeUsernameTooShort:    http.StatusBadRequest,
	shared.CodeUsernameTooLong:     http.StatusBadRequest,
	shared.CodeUsernameInvalid:     http.StatusBadRequest,
	shared.CodeUsernameTaken:       http.StatusConflict,
	shared.CodeBadCredentials:      http.StatusUnauthorized,
	shared.CodeInvalidJSON:         http.StatusBadRequest,
	shared.CodeBodyTooLarge:        http.StatusRequestEntityTooLarge,
	shared.CodeUnsupportedMedia:    http.StatusUnsupportedMediaType,
	shared.CodeNotFound:            http.StatusNotFound,
	shared.CodeMethodNotAllowed:    http.StatusMethodNotAllowed,
	shared.CodeRangeNotSatisfiable: http.StatusRequestedRangeNotSatisfiable,
	shared.CodeUnavailable:         http.StatusServiceUnavailable,
	shared.CodeInternal:            http.StatusInternalServerError,
	shared.CodeInvalidScope:        http.StatusBadRequest,
	shared.CodeRateLimited:         http.StatusTooManyRequests,
	shared.CodeRegistrationClosed:  http.StatusForbidden,
	shared.CodeInvalidQuery:        http.StatusBadRequest,
}

// answer is the buffer of one JSON answer, reused: with its encoder,
// which keeps no state between values.
type answer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var answers = sync.Pool{New: func() any {
	a := new(answer)
	a.enc = json.NewEncoder(&a.buf)
	// Messages go out as Flask clients see them: no \u003c for "<".
	a.enc.SetEscapeHTML(false)
	return a
}}

// writeJSON writes v as a JSON answer with status.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	a := answers.Get().(*answer)
	defer a.free()
	a.buf.Reset()
	if b, ok := appendAnswer(a.buf.AvailableBuffer(), v); ok {
		a.buf.Write(b)
	} else if err := a.enc.Encode(v); err != nil {
		s.logger().Error("encode answer", "err", err)
		status = http.StatusInternalServerError
		a.buf.Reset()
		a.buf.WriteString(`{"msg":"Internal Server Error","code":"internal"}` + "\n")
	}
	s.send(w, status, a.buf.Bytes())
}

// writeField answers {"key":"value"} with status, as writeJSON answers a
// struct of that one string field, for a plainString value.
func (s *Server) writeField(w http.ResponseWriter, status int, key, value string) {
	a := answers.Get().(*answer)
	defer a.free()
	a.buf.Reset()
	b := appendField(append(a.buf.AvailableBuffer(), '{'), key, value)
	a.buf.Write(append(b, "}\n"...))
	s.send(w, status, a.buf.Bytes())
}

func (a *answer) free() {
	if a.buf.Cap() <= 64<<10 {
		answers.Put(a)
	}
}

// send writes a JSON answer's headers and body.
func (s *Server) send(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	// h.Set's values, in one allocation rather than one each.
	values := &[3]string{"application/json", "nosniff", "no-store"}
	h["Content-Type"] = values[0:1:1]
	h["X-Content-Type-Options"] = values[1:2:2]
	if v := h["Cache-Control"]; len(v) == 0 || v[0] == "" {
		h["Cache-Control"] = values[2:3:3]
	}
	w.WriteHeader(status)
	w.Write(body)
}

// appendAnswer appends v and a newline as the answer's encoder writes
// them, without reflection, for the small answers most requests get
// whose strings need no escaping (plainString); otherwise it reports
// false.
func appendAnswer(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case shared.ErrorBody:
		if !plainString(v.Msg) || !plainString(v.Code) {
			return b, false
		}
		b = appendField(append(b, '{'), "msg", v.Msg)
		if v.Code != "" {
			b = appendField(append(b, ','), "code", v.Code)
		}
	case shared.TokenPair:
		if !plainString(v.AccessToken) || !plainString(v.RefreshToken) {
			return b, false
		}
		b = appendField(append(b, '{'), "access_token", v.AccessToken)
		if v.RefreshToken != "" {
			b = appendField(append(b, ','), "refresh_token", v.RefreshToken)
		}
	case shared.Message:
		if !plainString(v.Msg) {
			return b, false
		}
		b = appendField(append(b, '{'), "msg", v.Msg)
	case shared.UserData:
		if !plainString(v.User) {
			return b, false
		}
		b = appendField(append(b, '{'), "user", v.User)
	case shared.UserDataV2:
		if !plainString(v.Username) {
			return b, false
		}
		b = strconv.AppendInt(append(b, `{"id":`...), v.ID, 10)
		b = appendField(append(b, ','), "username", v.Username)
	default:
		return b, false
	}
	return append(b, "}\n"...), true
}

// appendField appends "key":"value" for a plainString value.
func appendField(b []byte, key, value string) []byte {
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, `":"`...)
	b = append(b, value...)
	return append(b, '"')
}

// plainString reports whether the answer's encoder writes s as it is
// between quotes: printable ASCII but for " and \ (with SetEscapeHTML
// off, <, > and & go out as they are).
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
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
