// Package backend holds Tessera's domain: users, token claims, the service
// interfaces the HTTP layer consumes and the error type that carries a stable
// code through every layer. Adapters live in sub-packages named after what
// they wrap: store (bun), auth (JWT and bcrypt), api (net/http).
package backend

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// User is a registered account. Name is NFC-normalized and unique.
type User struct {
	ID        int64
	Name      string
	Password  string // bcrypt hash
	CreatedAt time.Time
	// TokensValidAfter, when set, revokes the user's tokens that carry no
	// session (made by a Flask-JWT-Extended app) issued at or before it: set by
	// a password change and by a global logout.
	TokensValidAfter time.Time
}

// Error is an error the API can show to a client: Code is one of the
// shared.Code* names, Msg the text clients see. The api package maps codes to
// HTTP statuses in one table.
type Error struct {
	Code string
	Msg  string
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Msg) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or "" when
// err carries none (an unexpected, internal error).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrNotFound is returned (wrapped) by stores when a row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) by stores when a unique key is taken.
var ErrConflict = errors.New("conflict")

// Claims is the claim set of a Tessera token, which is also the claim set
// Flask-JWT-Extended 4.x issues, so either side accepts the other's tokens.
type Claims struct {
	Fresh     any    `json:"fresh"`
	IssuedAt  int64  `json:"iat"`
	JTI       string `json:"jti"`
	Type      string `json:"type"`
	Subject   string `json:"sub"`
	NotBefore int64  `json:"nbf"`
	ExpiresAt int64  `json:"exp"`
	// SessionID is Tessera's "sid" claim, the session the token belongs to.
	// Flask-JWT-Extended ignores it; tokens without it (made by a
	// Flask app) are revoked one by one through the blocklist.
	SessionID string `json:"sid,omitempty"`
}

// TokenSpec says which token to issue.
type TokenSpec struct {
	Subject   string
	Type      string    // AccessToken or RefreshToken
	SessionID string    // the "sid" claim; empty for none
	JTI       string    // empty: a new UUIDv4
	NotAfter  time.Time // when set, exp is at most this
}

// Token types, the "type" claim.
const (
	AccessToken  = "access"
	RefreshToken = "refresh"
)

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts a user. When the name is taken it returns an error
	// wrapping ErrConflict; the unique index decides, so concurrent callers
	// with one name get exactly one success.
	CreateUser(ctx context.Context, name, passwordHash string) (*User, error)
	// UserByName returns the user or an error wrapping ErrNotFound.
	UserByName(ctx context.Context, name string) (*User, error)
	// SetPassword replaces the user's password hash and revokes, as of now,
	// the user's tokens that carry no session (see User.TokensValidAfter).
	// An unknown user is an error wrapping ErrNotFound.
	SetPassword(ctx context.Context, userID int64, hash string) error
	// RevokeTokensWithoutSession revokes, as of now, the user's tokens that
	// carry no session (see User.TokensValidAfter).
	RevokeTokensWithoutSession(ctx context.Context, userID int64) error
}

// Blocklist keeps revoked token ids until the tokens expire.
type Blocklist interface {
	// RevokeToken records jti as revoked until expiresAt and reports whether
	// this call revoked it (false: it was revoked already, which is not an
	// error).
	RevokeToken(ctx context.Context, jti, typ string, expiresAt time.Time) (bool, error)
	// IsTokenRevoked reports whether jti was revoked.
	IsTokenRevoked(ctx context.Context, jti string) (bool, error)
}

// Session is one sign-in: every token issued for it carries its ID (the
// "sid" claim). A session ends when it is revoked (logout, reuse of a
// retired refresh token, password change) or when ExpiresAt (its absolute
// lifetime) passes.
type Session struct {
	ID        string
	UserID    int64
	CreatedAt time.Time
	RenewedAt time.Time // last refresh, or creation
	ExpiresAt time.Time // absolute end, whatever the refreshes
	UserAgent string
	RevokedAt time.Time // zero while the session is alive
	Reason    string    // why it was revoked
	// RefreshJTI is the jti of the session's current refresh token.
	// PrevJTI, retired at PrevRetiredAt, is the one it replaced.
	RefreshJTI    string
	PrevJTI       string
	PrevRetiredAt time.Time
}

// Active reports whether s is neither revoked nor past its lifetime at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
}

// Reasons a session ends.
const (
	ReasonLogout         = "logout"
	ReasonLogoutOthers   = "logout_others"
	ReasonLogoutGlobal   = "logout_global"
	ReasonEnded          = "ended_by_user"
	ReasonReuse          = "refresh_token_reuse"
	ReasonPasswordChange = "password_changed"
)

// RotateOutcome is what RotateRefresh did.
type RotateOutcome int

// The outcomes of presenting a refresh token to its session.
const (
	// Rotated: the presented token was current; the new jti is current now.
	Rotated RotateOutcome = iota + 1
	// Grace: the presented token was retired most recently, within the grace
	// window; the caller gets a token with the current jti.
	Grace
	// Reused: a retired token outside the grace window; the session is revoked.
	Reused
	// Ended: the session was already revoked or past its lifetime.
	Ended
)

// SessionSet picks some of a user's sessions. The zero SessionSet is all
// of them; Only picks one; Except all but one (all when Except is empty too,
// as for a caller whose token carries no session).
type SessionSet struct {
	Only   string
	Except string
}

// SessionStore keeps sessions. Times ("now") are the store's clock.
type SessionStore interface {
	// CreateSession inserts s (ID set by the caller). When passwordHash is
	// not empty, it does so only while the user's password hash still is
	// passwordHash, in one transaction with a lock on the user's row, so a
	// sign-in that checked the old password cannot outlive a password change
	// that happened meanwhile; otherwise it returns an error wrapping
	// ErrConflict.
	CreateSession(ctx context.Context, s *Session, passwordHash string) error
	// SessionByID returns a session or an error wrapping ErrNotFound.
	SessionByID(ctx context.Context, id string) (*Session, error)
	// ListSessions returns the user's active sessions, newest first.
	ListSessions(ctx context.Context, userID int64) ([]Session, error)
	// RevokeSessions ends the user's active sessions in set for reason and
	// returns how many ended.
	RevokeSessions(ctx context.Context, userID int64, set SessionSet, reason string) (int64, error)
	// RotateRefresh presents the refresh token jti to session id, serialized
	// with every other rotation of that session, and returns the outcome and
	// the session as it is afterwards. On Rotated, newJTI is current. A
	// retired token counts as Grace only within grace of its retirement.
	RotateRefresh(ctx context.Context, id, jti, newJTI string, grace time.Duration) (RotateOutcome, *Session, error)
	// PurgeSessions deletes the sessions that ended (revoked, past their
	// lifetime, or unused for maxIdle) and returns how many.
	PurgeSessions(ctx context.Context, maxIdle time.Duration) (int64, error)
}
