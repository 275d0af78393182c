package shared

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrSignedOut reports that there is no session to use: no token is stored,
// or the refresh token was refused (see SessionOver) and the store was
// cleared.
// Client methods return it wrapped; test with errors.Is. When it comes from
// a refused refresh, the server's *Error is wrapped too (errors.As).
var ErrSignedOut = errors.New("shared: signed out")

// Error is a non-2xx answer of the API. Status is the HTTP status code; Code
// and Msg come from the {"msg", "code"} error body. When the body is not
// that JSON, Code is empty and Msg is the status text (http.StatusText).
type Error struct {
	Status int
	Code   string
	Msg    string
	// RetryAfter is the answer's Retry-After (429, 503), or 0.
	RetryAfter time.Duration
}

// Error returns "<status> <status text>: <msg> (<code>)", leaving out the
// parts that are empty or repeat the status text.
func (e *Error) Error() string {
	s := fmt.Sprintf("%d", e.Status)
	if t := http.StatusText(e.Status); t != "" {
		s += " " + t
	}
	if e.Msg != "" && e.Msg != http.StatusText(e.Status) {
		s += ": " + e.Msg
	}
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	return s
}

// ErrorCode returns the Code of the first *Error in err's chain, or "" when
// there is none (a network error, ErrSignedOut without a server answer, ...).
func ErrorCode(err error) string {
	if e := AsError(err); e != nil {
		return e.Code
	}
	return ""
}

// tokenCodes are the codes of answers that refuse the token itself: the
// session behind it cannot be used any more.
var tokenCodes = map[string]bool{
	CodeMissingToken: true, CodeBadAuthHeader: true, CodeMalformedToken: true,
	CodeBadSignature: true, CodeAlgNotAllowed: true, CodeTokenExpired: true,
	CodeTokenNotYetValid: true, CodeMissingClaim: true, CodeAccessTokenNeeded: true,
	CodeRefreshTokenNeeded: true, CodeTokenRevoked: true, CodeUserNotFound: true,
}

// SessionOver reports whether err, the outcome of a call made with the
// stored tokens, means the session cannot go on: there are no tokens
// (ErrSignedOut), or the server refused the token, by a token error code
// or by a 401 (other than a wrong password, CodeBadCredentials). A 422
// without a code, as a Flask-JWT-Extended server sends for a token it
// cannot decode, counts as a refused token too. Network errors and other
// answers do not end the session.
func SessionOver(err error) bool {
	if errors.Is(err, ErrSignedOut) {
		return true
	}
	e := AsError(err)
	if e == nil {
		return false
	}
	switch {
	case tokenCodes[e.Code]:
		return true
	case e.Status == http.StatusUnauthorized:
		return e.Code != CodeBadCredentials
	case e.Code == "":
		return e.Status == http.StatusUnprocessableEntity
	}
	return false
}
