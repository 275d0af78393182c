// Package auth issues and verifies Tessera's tokens (HS256 JWTs with
// Flask-JWT-Extended's claim set) and hashes passwords with bcrypt.
package auth

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes and checks passwords with bcrypt at a fixed cost.
type Hasher struct {
	cost  int
	dummy []byte // a hash of the configured cost, compared against for unknown users
}

// NewHasher returns a Hasher for cost (bcrypt.MinCost..bcrypt.MaxCost).
func NewHasher(cost int) (*Hasher, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("tessera-dummy-password"), cost)
	if err != nil {
		return nil, fmt.Errorf("make dummy hash: %w", err)
	}
	return &Hasher{cost: cost, dummy: dummy}, nil
}

// Hash returns the bcrypt hash of password. Passwords over 72 bytes are an
// error (bcrypt would ignore the rest).
func (h *Hasher) Hash(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(b), nil
}

// Check reports whether password matches hash. An empty hash (an unknown
// user) is compared against a dummy hash of the same cost, so that the
// answer takes as long as for a known user.
func (h *Hasher) Check(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
