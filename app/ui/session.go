package ui

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// User-facing messages shown on the sign-in page after a redirect.
const (
	msgSessionEnded   = "Your session has ended. Please sign in again."
	msgEndedElsewhere = "Your session was ended from another device or tab. Please sign in again."
	msgOtherTabOut    = "You signed out in another tab."
	msgSignedOut      = "You have signed out."
	msgSignedOutLocal = "You have signed out on this device, but Tessera could not be reached to end the session on the server."
	msgSignInFirst    = "Please sign in to continue."
	msgNetwork        = "Tessera could not be reached. Check your connection and try again."
)

var (
	clientOnce sync.Once
	apiClient  *shared.Client
	tokens     *LocalTokenStore
)

// api returns the app's one API client, created on first use. Its base URL
// is the page's origin (net/http in wasm uses fetch, which needs absolute
// URLs) and its tokens live in localStorage. Each silent refresh is
// recorded for the account page. Refreshes hold a lock shared by the
// app's tabs (sharedLock, the Web Locks API): a tab that finds the tokens
// renewed by another tab adopts them instead of spending the refresh token
// again, which the server would take for a stolen token.
func api() *shared.Client {
	clientOnce.Do(func() {
		tokens = NewLocalTokenStore(TokensKey)
		apiClient = shared.NewClient(origin(), tokens,
			shared.WithOnRefresh(func(shared.TokenPair) {
				tokens.SetRenewedAt(time.Now())
			}),
			shared.WithSharedLock(sharedLock),
		)
	})
	return apiClient
}

// tokenStore returns the store of the app's client.
func tokenStore() *LocalTokenStore {
	api()
	return tokens
}

// origin returns "scheme://host" of the page, or "" outside the browser.
func origin() string {
	u := app.Window().URL()
	if u == nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// flash carries a message and a destination across an in-app navigation
// (for example "Your session has ended" to the sign-in page). It only
// lives in the browser's memory: nothing here reaches a URL or storage.
var flash struct {
	mu       sync.Mutex
	notice   string
	returnTo string
}

func setNotice(msg string) {
	flash.mu.Lock()
	flash.notice = msg
	flash.mu.Unlock()
}

// takeNotice returns the pending notice and forgets it.
func takeNotice() string {
	flash.mu.Lock()
	defer flash.mu.Unlock()
	msg := flash.notice
	flash.notice = ""
	return msg
}

func setReturnTo(path string) {
	flash.mu.Lock()
	flash.returnTo = path
	flash.mu.Unlock()
}

// takeReturnTo returns the page to show after signing in (the protected
// page that sent the user to sign in), or def.
func takeReturnTo(def string) string {
	flash.mu.Lock()
	defer flash.mu.Unlock()
	path := flash.returnTo
	flash.returnTo = ""
	switch path {
	case PathAccount, PathFiles, PathSessions, PathPassword:
		return path
	}
	return def
}

// redirect shows the page at path in place of the current one: the
// current history entry is replaced, so Back does not return to a page
// that would redirect again. go-app only exposes pushing navigation
// (ctx.Navigate), so the URL is replaced with history.replaceState and a
// popstate event makes go-app load the route of the new URL.
func redirect(ctx app.Context, path string) {
	if app.IsClient {
		w := app.Window()
		if ev := w.Get("PopStateEvent"); ev.Truthy() {
			w.Get("history").Call("replaceState", nil, "", path)
			w.Call("dispatchEvent", ev.New("popstate"))
			return
		}
	}
	ctx.Navigate(path)
}

// requireSignIn sends the user to the sign-in page, to come back to path
// afterwards, when no tokens are stored. It reports whether the page may
// go on.
func requireSignIn(ctx app.Context, path string) bool {
	if api().SignedIn() {
		return true
	}
	setReturnTo(path)
	setNotice(msgSignInFirst)
	redirect(ctx, PathSignIn)
	return false
}

// endSession forgets the tokens and shows the sign-in page with msg.
func endSession(ctx app.Context, msg string) {
	tokenStore().Clear()
	setNotice(msg)
	redirect(ctx, PathSignIn)
}

// sessionEnded reports whether err, the answer to a protected call, means
// the session is over: it could not be renewed (shared.ErrSignedOut), the
// server refused the token (401, or a token error code such as a bad
// signature after a key change, which the server answers with 422), or
// the account no longer exists.
func sessionEnded(err error) bool {
	if errors.Is(err, shared.ErrSignedOut) {
		return true
	}
	var e *shared.Error
	if !errors.As(err, &e) {
		return false
	}
	if e.Status == http.StatusUnauthorized {
		return true
	}
	switch e.Code {
	case shared.CodeMissingToken, shared.CodeBadAuthHeader, shared.CodeMalformedToken,
		shared.CodeBadSignature, shared.CodeAlgNotAllowed, shared.CodeTokenExpired,
		shared.CodeTokenNotYetValid, shared.CodeMissingClaim, shared.CodeAccessTokenNeeded,
		shared.CodeRefreshTokenNeeded, shared.CodeTokenRevoked, shared.CodeUserNotFound:
		return true
	}
	return false
}

// endedMessage is what the sign-in page tells the user when err (for which
// sessionEnded is true) ended the session: the server revoked it (signed
// out from another device or tab, a password change, ...), or it ended
// otherwise (expiry, say).
func endedMessage(err error) string {
	if shared.ErrorCode(err) == shared.CodeTokenRevoked {
		return msgEndedElsewhere
	}
	return msgSessionEnded
}

// handleAPIError handles the error of a protected call: when the session
// is over it ends it (redirect to sign-in) and reports ended; otherwise it
// returns the message to show.
func handleAPIError(ctx app.Context, err error) (msg string, ended bool) {
	if sessionEnded(err) {
		endSession(ctx, endedMessage(err))
		return "", true
	}
	return errorMessage(err), false
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
