// Package shared holds Tessera's wire types (the JSON bodies of the /api
// contract), the typed API error and a Go client for the API. It builds for
// the host and for js/wasm and imports neither the server nor the browser
// framework.
package shared

import "time"

// Credentials is the body of POST /api/register and POST /api/login. The
// server also accepts it wrapped in the envelope of the Flask app's
// front-end, {"body": "<json>"}.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// TokenPair is the body of a successful login (both tokens) and of a
// successful refresh (RefreshToken empty unless the server rotates it).
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// Message is the body of a successful logout and the "msg" part of errors.
type Message struct {
	Msg string `json:"msg"`
}

// ErrorBody is the body of every error answer: Msg is the Flask app's text
// byte for byte, Code a stable snake_case name for programs.
type ErrorBody struct {
	Msg  string `json:"msg"`
	Code string `json:"code,omitempty"`
}

// Health is the body of GET /api/healthz: status "ok" while the database
// answers, and the server's version.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// UserData is the body of GET /api/user-data.
type UserData struct {
	User string `json:"user"`
}

// UserDataV2 is the body of GET /api/user-data-v2.
type UserDataV2 struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// Account is the body of GET /api/account: what the account page shows.
type Account struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	// CreatedAt is when the account was made; absent when unknown (an
	// account brought over from a Flask app).
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// SignedInAt is when the caller's session began.
	SignedInAt time.Time `json:"signed_in_at"`
	// LastSignIn is the sign-in before the latest one (on any device);
	// absent before the second.
	LastSignIn *time.Time `json:"last_sign_in,omitempty"`
	// Alerts counts the events that call for attention (a detected reuse
	// of a refresh token, a throttled guesser) since the user last looked
	// at the security activity (POST /api/events/seen).
	Alerts int `json:"alerts"`
}

// EventInfo is one event of the caller's security activity in GET
// /api/events.
type EventInfo struct {
	ID        int64          `json:"id"`
	Kind      string         `json:"kind"` // see the Event* kinds
	At        time.Time      `json:"at"`
	IP        string         `json:"ip,omitempty"` // the client's address (an IPv6 client: its /64)
	UserAgent string         `json:"user_agent,omitempty"`
	Device    string         `json:"device,omitempty"` // DeviceName of UserAgent
	SessionID string         `json:"session_id,omitempty"`
	Current   bool           `json:"current"` // the caller's own session
	Detail    map[string]any `json:"detail,omitempty"`
}

// EventList is the body of GET /api/events: a page of events, newest
// first; Next, when set, is the ?before= of the next page.
type EventList struct {
	Events []EventInfo `json:"events"`
	Next   string      `json:"next,omitempty"`
}

// Kinds of security events (EventInfo.Kind).
const (
	EventSignedIn       = "signed_in"              // detail: new_device
	EventSignInFailed   = "sign_in_failed"         // a wrong password
	EventThrottled      = "throttled"              // detail: reason, retry_after
	EventReuseDetected  = "refresh_reuse_detected" // the session ended
	EventGraceUsed      = "refresh_grace_used"
	EventSignedOut      = "signed_out"       // detail: scope
	EventSessionEnded   = "session_ended"    // detail: by, from
	EventPasswordChange = "password_changed" // detail: by
	EventRegistered     = "registered"
)

// FileInfo describes one protected file in GET /api/files.
type FileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
}

// FileList is the body of GET /api/files.
type FileList struct {
	Files []FileInfo `json:"files"`
}

// Error codes: the "code" field of error bodies. They are part of the
// contract and never change meaning.
const (
	CodeMissingToken       = "missing_token"
	CodeBadAuthHeader      = "bad_authorization_header"
	CodeMalformedToken     = "malformed_token"
	CodeBadSignature       = "bad_signature"
	CodeAlgNotAllowed      = "alg_not_allowed"
	CodeTokenExpired       = "token_expired"
	CodeTokenNotYetValid   = "token_not_yet_valid"
	CodeMissingClaim       = "missing_claim"
	CodeAccessTokenNeeded  = "access_token_required"
	CodeRefreshTokenNeeded = "refresh_token_required"
	CodeTokenRevoked       = "token_revoked"
	CodeUserNotFound       = "user_not_found"

	CodeMissingCredentials = "missing_credentials"
	CodePasswordTooShort   = "password_too_short"
	CodePasswordTooLong    = "password_too_long"
	CodeUsernameTooShort   = "username_too_short"
	CodeUsernameTooLong    = "username_too_long"
	CodeUsernameInvalid    = "username_invalid"
	CodeUsernameTaken      = "username_taken"
	CodeBadCredentials     = "invalid_credentials"

	CodeInvalidJSON         = "invalid_json"
	CodeBodyTooLarge        = "body_too_large"
	CodeUnsupportedMedia    = "unsupported_media_type"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeRangeNotSatisfiable = "range_not_satisfiable"
	CodeUnavailable         = "unavailable"
	CodeInternal            = "internal"
)

// SessionInfo describes one of the caller's sessions in GET /api/sessions.
type SessionInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	RenewedAt time.Time `json:"renewed_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UserAgent string    `json:"user_agent"`
	Current   bool      `json:"current"`
}

// SessionList is the body of GET /api/sessions.
type SessionList struct {
	Sessions []SessionInfo `json:"sessions"`
}

// PasswordChanged is the answer to POST /api/password: the tokens of the
// session that replaces the caller's (every session of the user ended).
type PasswordChanged struct {
	Msg          string `json:"msg"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// PasswordChange is the body of POST /api/password.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// More error codes.
const (
	// CodeInvalidScope answers DELETE /api/logout with an unknown scope.
	CodeInvalidScope = "invalid_scope"
	// CodeRateLimited answers a request over a limit (429, Retry-After).
	CodeRateLimited = "rate_limited"
	// CodeRegistrationClosed answers POST /api/register on a server whose
	// registration is closed (403).
	CodeRegistrationClosed = "registration_closed"
	// CodeInvalidQuery answers a malformed query parameter (400).
	CodeInvalidQuery = "invalid_query"
)
