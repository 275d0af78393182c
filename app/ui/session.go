package ui

import (
	"context"
	"errors"
	"net/http"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// User-facing messages: the notices of the sign-in page after a redirect,
// and the error of a request that did not reach the server.
const (
	msgSessionEnded   = "Your session has ended. Please sign in again."
	msgEndedElsewhere = "Your session was ended from another device or tab. Please sign in again."
	msgOtherTabOut    = "You signed out in another tab."
	msgSignedOut      = "You have signed out."
	msgSignedOutLocal = "You have signed out on this device, but Tessera could not be reached to end the session on the server."
	msgSignInFirst    = "Please sign in to continue."
	msgNetwork        = "Tessera could not be reached. Check your connection and try again."
)

// redirect shows the page at path in place of the current one: the
// current history entry is replaced, so Back does not return to a page
// that would redirect again. Where the browser cannot replace it, path is
// pushed (ctx.Navigate).
func redirect(ctx app.Context, path string) {
	if !replaceLocation(path) {
		ctx.Navigate(path)
	}
}

// endSession forgets the tokens and shows the sign-in page with msg.
func (e *Env) endSession(ctx app.Context, msg string) {
	e.tokens.Clear()
	e.flash.setNotice(msg)
	redirect(ctx, PathSignIn)
}

// endedMessage is what the sign-in page tells the user when err (for which
// shared.SessionOver is true) ended the session: the server revoked it
// (signed out from another device or tab, a password change, ...), or it
// ended otherwise (expiry, say).
func endedMessage(err error) string {
	if shared.ErrorCode(err) == shared.CodeTokenRevoked {
		return msgEndedElsewhere
	}
	return msgSessionEnded
}

// errorMessage returns what to tell the user about err: the server's
// message for API errors, a connection hint otherwise.
func errorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *shared.Error
	if errors.As(err, &e) {
		switch {
		case e.Msg != "":
			return e.Msg
		case http.StatusText(e.Status) != "":
			return http.StatusText(e.Status)
		}
		return "Something went wrong. Please try again."
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "The request took too long. Please try again."
	}
	return msgNetwork
}
