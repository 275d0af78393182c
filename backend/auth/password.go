// Package auth issues and verifies Tessera's tokens (HS256 JWTs with
// Flask-JWT-Extended's claim set) and hashes passwords with bcrypt.
package auth

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes passwords with bcrypt at a fixed cost and checks them
// against stored hashes. It is safe for concurrent use.
type Hasher struct {
	cost int
	// dummy is a hash that an unknown user's password is compared with, of
	// the cost most stored hashes have (SetDummyCost), so that a sign-in
	// with an unknown name takes as long as one with a known name.
	dummy atomic.Pointer[[]byte]
}

// NewHasher returns a Hasher for cost (bcrypt.MinCost..bcrypt.MaxCost);
// its dummy hash has that cost too until SetDummyCost.
func NewHasher(cost int) (*Hasher, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	h := &Hasher{cost: cost}
	if err := h.SetDummyCost(cost); err != nil {
		return nil, err
	}
	return h, nil
}

// SetDummyCost makes the dummy hash one of cost, the cost most stored
// hashes have: a hash of another cost takes another time to check, which
// would tell unknown names from known ones. Out-of-range costs are an
// error and leave the dummy as it was.
func (h *Hasher) SetDummyCost(cost int) error {
	if cur := h.dummy.Load(); cur != nil {
		if c, err := bcrypt.Cost(*cur); err == nil && c == cost {
			return nil
		}
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("tessera-dummy-password"), cost)
	if err != nil {
		return fmt.Errorf("make dummy hash: %w", err)
	}
	h.dummy.Store(&dummy)
	return nil
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
// user) is compared against the dummy hash, so that the answer takes as
// long as for a known user.
func (h *Hasher) Check(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(*h.dummy.Load(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NeedsRehash reports whether hash, which a password just matched, should
// be replaced by a new Hash of that password: it is of another cost than
// the configured one.
func (h *Hasher) NeedsRehash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	return err != nil || cost != h.cost
}
