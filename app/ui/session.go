package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// User-facing messages: the notices of the sign-in page after a redirect,
// and what the offline banner says.
const (
	msgSessionEnded   = "Your session has ended. Please sign in again."
	msgEndedElsewhere = "Your session was ended from another device or tab. Please sign in again."
	msgOtherTabOut    = "You signed out in another tab."
	msgSignedOut      = "You have signed out."
	msgSignedOutLocal = "You have signed out on this device, but Tessera could not be reached to end the session on the server."
	msgSignInFirst    = "Please sign in to continue."
	msgOffline        = "You are offline: Tessera cannot be reached right now."
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
	e.flash.setNotice(msg, noticeInfo)
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

// unreachable reports whether err means that Tessera could not be reached:
// no answer at all (the network, a timeout), rather than an answer
// refusing the call.
func unreachable(err error) bool {
	return err != nil && shared.AsError(err) == nil && !errors.Is(err, shared.ErrSignedOut) && !errors.Is(err, context.Canceled)
}

// Forms whose fields explain names the password field of.
const (
	formSignIn   = "signin"
	formRegister = "register"
	formPassword = "password"
)

// explanations are what explain says about the API's error codes: the
// field concerned (a new password's is "password", "new-password" on the
// change-password form), and the words, with %d for n when not 0.
var explanations = [...]struct {
	code, field, msg string
	n                int
}{
	{shared.CodeMissingCredentials, "", "Enter your username and password.", 0},
	{shared.CodeUsernameTooShort, "username", "Your username needs at least %d characters.", shared.MinUsernameRunes},
	{shared.CodeUsernameTooLong, "username", "Your username can have at most %d characters.", shared.MaxUsernameRunes},
	{shared.CodeUsernameInvalid, "username", "A username cannot begin or end with a space, or hold control characters.", 0},
	{shared.CodeUsernameTaken, "username", "That username is taken. Please choose another one.", 0},
	{shared.CodePasswordTooShort, "password", "Your password needs at least %d characters.", shared.MinPasswordRunes},
	{shared.CodePasswordTooLong, "password", "That password is too long: at most %d bytes (accented letters and emoji count for 2 to 4).", shared.MaxPasswordBytes},
	{shared.CodeRegistrationClosed, "", msgRegistrationClosed, 0},
	{shared.CodeUnavailable, "", "Tessera is busy or restarting. Please try again in a moment.", 0},
	{shared.CodeNotFound, "", "That is not there any more. Reload the page to see what is.", 0},
}

// explain returns what to tell the user about err, the failure of a call
// made by form (formSignIn, formRegister, formPassword; "" for a page's
// load), and the id of the field it is about ("" for the form or page as a
// whole). The words are chosen by the error's code: the API's own message
// is the Flask app's, kept for its clients, and says less.
func explain(err error, form string) (field, msg string) {
	e := shared.AsError(err)
	if e == nil {
		if errors.Is(err, context.Canceled) {
			return "", "The request was cancelled. Please try again."
		}
		return "", "Tessera could not be reached. Check your connection and try again."
	}
	for _, x := range explanations {
		if x.code != e.Code {
			continue
		}
		if x.n != 0 {
			x.msg = fmt.Sprintf(x.msg, x.n)
		}
		if x.field == "password" && form == formPassword {
			x.field = "new-password"
		}
		return x.field, x.msg
	}
	switch {
	case e.Code == shared.CodeBadCredentials && form == formPassword:
		return "current-password", "That is not your current password."
	case e.Code == shared.CodeBadCredentials:
		return "", "The username or password is not right. Check them and try again."
	case e.Code == shared.CodeRateLimited && e.RetryAfter >= time.Second:
		return "", fmt.Sprintf("Too many attempts. Please wait %d seconds, then try again.", int(e.RetryAfter.Seconds()))
	case e.Code == shared.CodeRateLimited:
		return "", "Too many attempts. Please wait a moment, then try again."
	case e.Status >= 500:
		return "", "Something went wrong on Tessera's side. Please try again in a moment."
	case e.Msg != "" && e.Msg != http.StatusText(e.Status):
		return "", sentence(e.Msg)
	}
	return "", "Tessera refused the request. Reload the page and try again."
}

// sentence makes s a sentence: a capital first letter and a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if c := s[0]; 'a' <= c && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}
