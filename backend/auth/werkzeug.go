package auth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// Werkzeug's password hashes, what a Flask app stores with
// werkzeug.security.generate_password_hash, read "METHOD$SALT$HEX":
//
//   - pbkdf2:HASH:ITERATIONS (werkzeug 0.15 to 2.x's default, with sha256 and
//     150000, 260000, 600000 or 1000000 iterations by version): HEX is
//     hashlib.pbkdf2_hmac(HASH, password, salt, ITERATIONS) in lower-case
//     hex, of the digest's size. Werkzeug 2.x also checks "pbkdf2:HASH"
//     without ITERATIONS, with its default of then, 260000; it never writes
//     that form.
//   - scrypt:N:R:P (werkzeug 3's default, scrypt:32768:8:1): HEX is
//     hashlib.scrypt(password, salt=salt, n=N, r=R, p=P) of 64 bytes.
//     "scrypt" alone means scrypt:32768:8:1.
//
// Password and salt are their UTF-8 bytes; werkzeug compares the hex
// strings, so upper-case hex never matches there and is refused here.
// Werkzeug's single-round methods ("plain", "sha256$...": a salted HMAC,
// gone since werkzeug 3) are refused: they are not password hashes.

// Bounds of the parameters Tessera computes: a hash beyond them is refused
// rather than checked, so that no stored row can make a sign-in burn
// seconds of CPU or gigabytes of memory. They are a few times werkzeug's
// newest defaults (pbkdf2: 1000000 iterations; scrypt: N=32768, r=8, p=1,
// 32 MiB).
const (
	MaxPBKDF2Iterations = 2_000_000
	maxScryptMemory     = 128 << 20 // 128·N·r bytes
	maxScryptWork       = 1 << 20   // N·r·p, 4 times werkzeug's default
	maxSaltBytes        = 1024
	// maxImportedBcryptCost bounds the bcrypt hashes of another app (some
	// Flask apps use Flask-Bcrypt): cost 16 takes seconds.
	maxImportedBcryptCost = 16
	scryptKeyLen          = 64
	// legacyPBKDF2Iterations is what werkzeug 2.0 to 2.2 use for a
	// "pbkdf2:HASH" method without iterations.
	legacyPBKDF2Iterations = 260000
)

// pbkdf2Hashes are the hashlib names pbkdf2 may use here.
var pbkdf2Hashes = map[string]struct {
	new  func() hash.Hash
	size int
}{
	"sha1":   {sha1.New, sha1.Size},
	"sha224": {sha256.New224, sha256.Size224},
	"sha256": {sha256.New, sha256.Size},
	"sha384": {sha512.New384, sha512.Size384},
	"sha512": {sha512.New, sha512.Size},
}

// werkzeugMethod is the METHOD part of a werkzeug hash, parsed.
type werkzeugMethod struct {
	kdf        string // "pbkdf2" or "scrypt"
	hashName   string // pbkdf2's
	iterations int    // pbkdf2's
	n, r, p    int    // scrypt's
}

// String is the method in the form generate_password_hash writes.
func (m *werkzeugMethod) String() string {
	if m.kdf == "pbkdf2" {
		return fmt.Sprintf("pbkdf2:%s:%d", m.hashName, m.iterations)
	}
	return fmt.Sprintf("scrypt:%d:%d:%d", m.n, m.r, m.p)
}

// keyLen is the length of the derived key, in bytes.
func (m *werkzeugMethod) keyLen() int {
	if m.kdf == "pbkdf2" {
		return pbkdf2Hashes[m.hashName].size
	}
	return scryptKeyLen
}

// derive computes the key of password and salt.
func (m *werkzeugMethod) derive(password, salt string) ([]byte, error) {
	if m.kdf == "pbkdf2" {
		return pbkdf2.Key(pbkdf2Hashes[m.hashName].new, password, []byte(salt), m.iterations, m.keyLen())
	}
	return scrypt.Key([]byte(password), []byte(salt), m.n, m.r, m.p, scryptKeyLen)
}

// positive reads a whole number of decimal digits, at least 1.
func positive(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// parseWerkzeugMethod parses and bounds a werkzeug METHOD.
func parseWerkzeugMethod(method string) (*werkzeugMethod, error) {
	kdf, args, _ := strings.Cut(method, ":")
	var parts []string
	if args != "" || strings.Contains(method, ":") {
		parts = strings.Split(args, ":")
	}
	switch kdf {
	case "pbkdf2":
		if len(parts) < 1 || len(parts) > 2 {
			return nil, fmt.Errorf("werkzeug method %.40q: want pbkdf2:HASH:ITERATIONS", method)
		}
		m := &werkzeugMethod{kdf: kdf, hashName: parts[0], iterations: legacyPBKDF2Iterations}
		if _, ok := pbkdf2Hashes[m.hashName]; !ok {
			return nil, fmt.Errorf("werkzeug method %.40q: pbkdf2 with %.20q is not supported (sha1, sha224, sha256, sha384, sha512 are)", method, m.hashName)
		}
		if len(parts) == 2 {
			var ok bool
			if m.iterations, ok = positive(parts[1]); !ok {
				return nil, fmt.Errorf("werkzeug method %.40q: the iterations are not a whole number above 0", method)
			}
		}
		if m.iterations > MaxPBKDF2Iterations {
			return nil, fmt.Errorf("werkzeug method %.40q: over %d iterations", method, MaxPBKDF2Iterations)
		}
		return m, nil
	case "scrypt":
		m := &werkzeugMethod{kdf: kdf, n: 1 << 15, r: 8, p: 1}
		switch len(parts) {
		case 0:
		case 3:
			var okN, okR, okP bool
			m.n, okN = positive(parts[0])
			m.r, okR = positive(parts[1])
			m.p, okP = positive(parts[2])
			if !okN || !okR || !okP {
				return nil, fmt.Errorf("werkzeug method %.40q: N, r and p must be whole numbers above 0", method)
			}
		default:
			return nil, fmt.Errorf("werkzeug method %.40q: want scrypt:N:R:P", method)
		}
		if m.n < 2 || m.n&(m.n-1) != 0 {
			return nil, fmt.Errorf("werkzeug method %.40q: N must be a power of 2 above 1", method)
		}
		// Each bound keeps the products below from overflowing.
		if m.n > maxScryptWork || m.r > maxScryptWork || m.p > maxScryptWork ||
			128*m.n*m.r > maxScryptMemory || m.n*m.r*m.p > maxScryptWork {
			return nil, fmt.Errorf("werkzeug method %.40q: over the bounds (128·N·r at most %d MiB, N·r·p at most %d)", method, maxScryptMemory>>20, maxScryptWork)
		}
		return m, nil
	}
	return nil, fmt.Errorf("werkzeug method %.40q is not supported (pbkdf2 and scrypt are)", method)
}

// werkzeugHash is a werkzeug password hash, parsed.
type werkzeugHash struct {
	method *werkzeugMethod
	salt   string
	hex    string // lower-case hex of method.keyLen() bytes
}

// isWerkzeug reports whether hash looks like a werkzeug hash of a kind
// Tessera knows (it may still be malformed).
func isWerkzeug(hash string) bool {
	return strings.HasPrefix(hash, "pbkdf2:") || strings.HasPrefix(hash, "scrypt:") || strings.HasPrefix(hash, "scrypt$")
}

// parseWerkzeug parses and bounds a werkzeug hash.
func parseWerkzeug(hash string) (*werkzeugHash, error) {
	method, rest, ok := strings.Cut(hash, "$")
	salt, digest, ok2 := strings.Cut(rest, "$")
	if !ok || !ok2 {
		return nil, errors.New("not a werkzeug hash: want METHOD$SALT$HEX")
	}
	m, err := parseWerkzeugMethod(method)
	if err != nil {
		return nil, err
	}
	switch {
	case salt == "":
		return nil, fmt.Errorf("werkzeug hash of %s: no salt", m)
	case len(salt) > maxSaltBytes:
		return nil, fmt.Errorf("werkzeug hash of %s: a salt over %d bytes", m, maxSaltBytes)
	case len(digest) != 2*m.keyLen() || strings.Trim(digest, "0123456789abcdef") != "":
		return nil, fmt.Errorf("werkzeug hash of %s: the key is not %d lower-case hex digits", m, 2*m.keyLen())
	}
	return &werkzeugHash{method: m, salt: salt, hex: digest}, nil
}

// checkWerkzeug reports whether password matches the werkzeug hash; a
// malformed or out-of-bounds hash matches nothing.
func checkWerkzeug(hash, password string) bool {
	w, err := parseWerkzeug(hash)
	if err != nil {
		return false
	}
	key, err := w.method.derive(password, w.salt)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(key)), []byte(w.hex)) == 1
}

// werkzeugHashOf returns the werkzeug hash of password with method and
// salt, as generate_password_hash writes it.
func werkzeugHashOf(method, salt, password string) (string, error) {
	m, err := parseWerkzeugMethod(method)
	if err != nil {
		return "", err
	}
	if salt == "" || strings.Contains(salt, "$") {
		return "", errors.New("the salt must be non-empty and hold no $")
	}
	key, err := m.derive(password, salt)
	if err != nil {
		return "", fmt.Errorf("werkzeug hash: %w", err)
	}
	return m.String() + "$" + salt + "$" + hex.EncodeToString(key), nil
}

// newSalt returns a random salt of 16 letters and digits, like werkzeug
// 2's.
func newSalt() string { return rand.Text()[:16] }

// ValidateHash returns nil when Check can verify passwords against hash: a
// bcrypt hash (of cost 16 at most), or a werkzeug pbkdf2 or scrypt hash
// within the bounds;
// otherwise an error saying why not, which does not show the hash's salt
// or key.
func ValidateHash(hash string) error {
	if isWerkzeug(hash) {
		_, err := parseWerkzeug(hash)
		return err
	}
	if strings.HasPrefix(hash, "$2") {
		cost, err := bcrypt.Cost([]byte(hash))
		switch {
		case err != nil:
			return fmt.Errorf("not a valid bcrypt hash: %w", err)
		case cost > maxImportedBcryptCost:
			return fmt.Errorf("a bcrypt hash of cost %d, over %d", cost, maxImportedBcryptCost)
		}
		return nil
	}
	method, _, ok := strings.Cut(hash, "$")
	switch {
	case hash == "":
		return errors.New("no password hash")
	case !ok:
		return errors.New("not a password hash of a known kind (bcrypt, werkzeug pbkdf2 or scrypt)")
	case method == "plain":
		return errors.New("a plain-text password (werkzeug's \"plain\" method), not a hash")
	case method == "" || len(method) > 40 || strings.ContainsFunc(method, func(r rune) bool { return r < ' ' || r > '~' }):
		return errors.New("not a password hash of a known kind (bcrypt, werkzeug pbkdf2 or scrypt)")
	case method == "pbkdf2":
		return errors.New(`werkzeug method "pbkdf2" without its hash: its iterations depend on the werkzeug version`)
	default:
		return fmt.Errorf("werkzeug method %q is not supported (pbkdf2 and scrypt are; werkzeug's single-round ones are not password hashes)", method)
	}
}
