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
}

// Blocklist keeps revoked token ids until the tokens expire.
type Blocklist interface {
	// RevokeToken records jti as revoked until expiresAt. Revoking a jti
	// twice is not an error.
	RevokeToken(ctx context.Context, jti, typ string, expiresAt time.Time) error
	// IsTokenRevoked reports whether jti was revoked.
	IsTokenRevoked(ctx context.Context, jti string) (bool, error)
}
