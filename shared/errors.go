package shared

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrSignedOut reports that there is no session to use: no token is stored,
// or the refresh token was refused (401 or 422) and the store was cleared.
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
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
