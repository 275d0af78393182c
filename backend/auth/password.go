// Package auth issues and verifies Tessera's tokens (HS256 JWTs with
// Flask-JWT-Extended's claim set) and hashes passwords with bcrypt; it also
// checks the werkzeug hashes of passwords imported from a Flask app.
package auth

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes passwords with bcrypt at a fixed cost and checks them
// against stored hashes: bcrypt, and werkzeug's pbkdf2 and scrypt (see
// werkzeug.go). It is safe for concurrent use.
type Hasher struct {
	cost int
	// dummy is a hash that an unknown user's password is compared with, of
	// the kind and parameters most stored hashes have (SetDummy), so that a
	// sign-in with an unknown name takes as long as one with a known name.
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

// SetDummy makes the dummy hash one of params, the kind and parameters
// most stored hashes have: a bcrypt prefix such as "$2a$10$" (the cost
// counts), or a werkzeug method such as "pbkdf2:sha256:260000" or
// "scrypt:32768:8:1" (see HashParams). Unknown or out-of-bounds params are
// an error and leave the dummy as it was; params the dummy has already
// cost nothing.
func (h *Hasher) SetDummy(params string) error {
	if strings.HasPrefix(params, "$2") {
		cost, err := bcryptParamsCost(params)
		if err != nil {
			return err
		}
		return h.SetDummyCost(cost)
	}
	m, err := parseWerkzeugMethod(params)
	if err != nil {
		return fmt.Errorf("dummy hash: %w", err)
	}
	if cur := h.dummy.Load(); cur != nil && HashParams(string(*cur)) == m.String() {
		return nil
	}
	dummy, err := werkzeugHashOf(m.String(), newSalt(), "tessera-dummy-password")
	if err != nil {
		return fmt.Errorf("make dummy hash: %w", err)
	}
	b := []byte(dummy)
	h.dummy.Store(&b)
	return nil
}

// bcryptParamsCost reads the cost of a bcrypt prefix "$2a$CC$".
func bcryptParamsCost(params string) (int, error) {
	parts := strings.Split(params, "$")
	if len(parts) < 4 || parts[0] != "" || len(parts[2]) != 2 {
		return 0, fmt.Errorf("dummy hash: %.20q is not a bcrypt prefix such as $2a$10$", params)
	}
	cost, err := strconv.Atoi(parts[2])
	if err != nil {
		return 0, fmt.Errorf("dummy hash: %.20q is not a bcrypt prefix such as $2a$10$", params)
	}
	return cost, nil
}

// HashParams returns the kind and parameters of a stored hash, the part
// that decides how long checking it takes: "$2a$10$" for bcrypt,
// the method ("pbkdf2:sha256:260000", "scrypt:32768:8:1") for werkzeug;
// "" for anything else. The store computes the same in SQL.
func HashParams(hash string) string {
	switch {
	case strings.HasPrefix(hash, "$2") && len(hash) >= 7 && hash[6] == '$':
		return hash[:7]
	case isWerkzeug(hash):
		if method, _, ok := strings.Cut(hash, "$"); ok {
			return method
		}
	}
	return ""
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

// Check reports whether password matches hash: a bcrypt hash, or a
// werkzeug pbkdf2 or scrypt hash (a Flask app's, imported) within the
// bounds of werkzeug.go. An empty hash (an unknown user) is compared
// against the dummy hash, so that the answer takes as long as for a known
// user.
func (h *Hasher) Check(hash, password string) bool {
	if hash == "" {
		check(string(*h.dummy.Load()), password)
		return false
	}
	return check(hash, password)
}

// check compares password with a bcrypt or werkzeug hash in constant time.
func check(hash, password string) bool {
	if isWerkzeug(hash) {
		return checkWerkzeug(hash, password)
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NeedsRehash reports whether hash, which a password just matched, should
// be replaced by a new Hash of that password: it is not bcrypt (a werkzeug
// hash imported from a Flask app), or of another cost than the configured
// one. Hash fails for a password over 72 bytes, which bcrypt cannot take:
// such a password keeps its werkzeug hash.
func (h *Hasher) NeedsRehash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	return err != nil || cost != h.cost
}
