// Package backend holds Tessera's domain: users, token claims, the service
// interfaces the HTTP layer consumes and the error type that carries a stable
// code through every layer. Adapters live in sub-packages named after what
// they wrap: store (bun), auth (JWT and bcrypt), api (net/http).
package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
// HTTP statuses in one table. RetryAfter, when set, tells the client when to
// try again (throttling, an outage).
type Error struct {
	Code       string
	Msg        string
	RetryAfter time.Duration
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
	// SetPassword changes the user's password as c says, in one
	// transaction: the new hash, the user's tokens that carry no session
	// revoked as of now (see User.TokensValidAfter), every active session
	// of the user ended for c.Reason, and c.Next, when set, started. It
	// returns how many sessions ended. An unknown user is an error wrapping
	// ErrNotFound; a hash that is no longer c.Previous (when set), one
	// wrapping ErrConflict, with nothing changed.
	SetPassword(ctx context.Context, userID int64, c PasswordChange) (int64, error)
	// RevokeTokensWithoutSession revokes, as of now, the user's tokens that
	// carry no session (see User.TokensValidAfter).
	RevokeTokensWithoutSession(ctx context.Context, userID int64) error
	// Rehash replaces the user's password hash with newHash only while it
	// still is oldHash (a new hash of the same password, at another cost:
	// no token is revoked). It reports whether it did.
	Rehash(ctx context.Context, userID int64, oldHash, newHash string) (bool, error)
	// ListUsers returns every user, by id.
	ListUsers(ctx context.Context) ([]User, error)
	// DeleteUser deletes the user named name, with its sessions, and
	// returns it; an unknown name is an error wrapping ErrNotFound.
	DeleteUser(ctx context.Context, name string) (*User, error)
}

// ThrottleStore keeps the counters of the API's limits in the database,
// shared by every server on it. Keys name what is counted; times are the
// store's clock.
type ThrottleStore interface {
	// TakeToken takes cost from the token bucket key of rate r (it holds
	// at most r.N and gains r.N every r.Per; a new bucket is full) and
	// returns 0; when the bucket holds less than cost it takes nothing and
	// returns how long until it holds enough. A cost of 0 only looks
	// whether one token is there; a negative cost gives tokens back (up to
	// r.N).
	TakeToken(ctx context.Context, key string, r Rate, cost float64) (time.Duration, error)
	// AddFailure counts a failure of key, unless key is backed off: then it
	// counts nothing and returns how long it still is (wait). Otherwise it
	// returns the backoff that the failure starts (started): none for the
	// first free failures, then base, doubling with each further failure,
	// up to max. Failures are forgotten a day after the last one. Callers
	// count an attempt before they check it, so that attempts made at once
	// cannot all slip in before the first is counted, and clear the
	// failures when it succeeds.
	AddFailure(ctx context.Context, key string, free int, base, max time.Duration) (wait, started time.Duration, err error)
	// ClearFailures forgets the failures of key.
	ClearFailures(ctx context.Context, key string) error
	// KnownIP reports whether the user signed in from ip before (see
	// RememberIP).
	KnownIP(ctx context.Context, userID int64, ip string) (bool, error)
	// RememberIP records that the user signed in from ip.
	RememberIP(ctx context.Context, userID int64, ip string) error
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
	// PrevJTI, retired at PrevRetiredAt, is the one it replaced; PrevGraced
	// is when it was presented again within the grace window (zero: not
	// yet), which it may be once.
	RefreshJTI    string
	PrevJTI       string
	PrevRetiredAt time.Time
	PrevGraced    time.Time
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
	ReasonLimit          = "session_limit"
	ReasonOperator       = "ended_by_operator"
)

// RotateOutcome is what RotateRefresh did.
type RotateOutcome int

// The outcomes of presenting a refresh token to its session.
const (
	// Rotated: the presented token was current; the new jti is current now.
	Rotated RotateOutcome = iota + 1
	// Grace: the presented token was retired most recently, within the grace
	// window, and is presented again for the first time; the caller gets a
	// token with the current jti.
	Grace
	// Reused: a retired token outside the grace window, or presented again
	// after its grace; the session is revoked.
	Reused
	// Ended: the session was already revoked or past its lifetime.
	Ended
)

// PasswordChange is a change of a user's password (UserStore.SetPassword).
type PasswordChange struct {
	Hash     string   // the new hash
	Previous string   // when set, the change is made only while this is the hash
	Reason   string   // why the user's sessions end (Reason*)
	Next     *Session // when set, a session started with the change
}

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
	// ErrConflict. When keep > 0, the user's active sessions beyond the
	// keep-1 most recently renewed end (ReasonLimit) in the same
	// transaction, so that with s the user has at most keep.
	CreateSession(ctx context.Context, s *Session, passwordHash string, keep int) error
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

// Rate is a budget of N events per Per, refilled evenly (a token bucket
// that holds at most N). The zero Rate is no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// Limited reports whether r limits anything.
func (r Rate) Limited() bool { return r.N > 0 && r.Per > 0 }

// String is r as "N/DURATION", the form ParseRate reads.
func (r Rate) String() string {
	if !r.Limited() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// ParseRate reads "N/DURATION" (for example "20/10m") or "off".
func ParseRate(s string) (Rate, error) {
	if s == "off" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count < 1 {
		return Rate{}, fmt.Errorf("%q is not N/DURATION such as 20/10m, or off", s)
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("%q is not N/DURATION such as 20/10m, or off", s)
	}
	return Rate{N: count, Per: d}, nil
}
