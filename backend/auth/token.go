package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"tessera/backend"
	"tessera/shared"
)

// MinSecretLen is the shortest HS256 key Tessera accepts, in bytes.
const MinSecretLen = 32

// Tokens issues and verifies tokens. Its fields are set at wiring and not
// changed afterwards; it is safe for concurrent use.
type Tokens struct {
	secret     []byte
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// NewTokens returns a Tokens signing with secret, which must be at least
// MinSecretLen bytes.
func NewTokens(secret []byte, accessTTL, refreshTTL time.Duration) (*Tokens, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("JWT secret is %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	return &Tokens{secret: secret, AccessTTL: accessTTL, RefreshTTL: refreshTTL, Now: time.Now}, nil
}

// jwtClaims adapts backend.Claims to golang-jwt's validator. The JSON field
// order is Flask-JWT-Extended's.
type jwtClaims struct {
	Fresh     any              `json:"fresh"`
	IssuedAt  *jwt.NumericDate `json:"iat,omitempty"`
	JTI       *string          `json:"jti,omitempty"`
	Type      *string          `json:"type,omitempty"`
	Subject   any              `json:"sub,omitempty"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
	ExpiresAt *jwt.NumericDate `json:"exp,omitempty"`
	SessionID any              `json:"sid,omitempty"`
}

func (c *jwtClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *jwtClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *jwtClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore, nil }
func (c *jwtClaims) GetIssuer() (string, error)                   { return "", nil }
func (c *jwtClaims) GetSubject() (string, error)                  { return "", nil }
func (c *jwtClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// Issue returns a signed token as spec says, and its claims. Its lifetime
// is the TTL of its type, cut at spec.NotAfter when that comes first.
func (t *Tokens) Issue(spec backend.TokenSpec) (string, backend.Claims, error) {
	ttl := t.AccessTTL
	if spec.Type == backend.RefreshToken {
		ttl = t.RefreshTTL
	}
	now := t.Now().Unix()
	exp := now + int64(ttl/time.Second)
	if !spec.NotAfter.IsZero() && spec.NotAfter.Unix() < exp {
		exp = spec.NotAfter.Unix()
	}
	jti := spec.JTI
	if jti == "" {
		jti = uuid.NewString()
	}
	c := backend.Claims{
		Fresh:     false,
		IssuedAt:  now,
		JTI:       jti,
		Type:      spec.Type,
		Subject:   spec.Subject,
		NotBefore: now,
		ExpiresAt: exp,
		SessionID: spec.SessionID,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, signedClaims(c)).SignedString(t.secret)
	if err != nil {
		return "", backend.Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, c, nil
}

// signedClaims is backend.Claims (whose fields are in Flask-JWT-Extended's
// order) as golang-jwt signs it; the validation methods are unused.
type signedClaims backend.Claims

func (signedClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (signedClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (signedClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (signedClaims) GetIssuer() (string, error)                   { return "", nil }
func (signedClaims) GetSubject() (string, error)                  { return "", nil }
func (signedClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

var errAlg = errors.New("alg not allowed")

// Verify checks a token's encoding, algorithm (HS256 only), signature, exp
// (required), nbf and sub, in that order, and returns its claims. Its errors
// are *backend.Error with the messages Flask-JWT-Extended gives.
func (t *Tokens) Verify(token string) (backend.Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Not enough segments")
	}
	var jc jwtClaims
	parser := jwt.NewParser(
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.Now),
		jwt.WithJSONNumber(),
	)
	_, err := parser.ParseWithClaims(token, &jc, func(tok *jwt.Token) (any, error) {
		if tok.Method == nil || tok.Method.Alg() != jwt.SigningMethodHS256.Alg() {
			return nil, errAlg
		}
		return t.secret, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenUnverifiable):
		// A broken segment or an algorithm other than HS256 (errAlg from the
		// key function, or none the library knows). Only now look closer,
		// for PyJWT's message in PyJWT's order: the good path decodes each
		// segment once.
		if err := checkSegments(parts); err != nil {
			return backend.Claims{}, err
		}
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid payload string: %s", "claims are not a JSON object of the expected types")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return backend.Claims{}, backend.Errorf(shared.CodeBadSignature, "Signature verification failed")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return backend.Claims{}, backend.Errorf(shared.CodeMissingClaim, "Missing claim: exp")
	case errors.Is(err, jwt.ErrTokenExpired):
		return backend.Claims{}, backend.Errorf(shared.CodeTokenExpired, "Token has expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return backend.Claims{}, backend.Errorf(shared.CodeTokenNotYetValid, "The token is not yet valid (nbf)")
	default:
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid token")
	}
	if jc.Subject == nil {
		return backend.Claims{}, backend.Errorf(shared.CodeMissingClaim, "Missing claim: sub")
	}
	sub, ok := jc.Subject.(string)
	if !ok {
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Subject must be a string")
	}
	if jc.JTI == nil || *jc.JTI == "" {
		return backend.Claims{}, backend.Errorf(shared.CodeMissingClaim, "Missing claim: jti")
	}
	c := backend.Claims{
		Fresh:     jc.Fresh,
		JTI:       *jc.JTI,
		Type:      backend.AccessToken, // Flask-JWT-Extended's default for a token without "type"
		Subject:   sub,
		ExpiresAt: jc.ExpiresAt.Unix(),
	}
	if jc.Type != nil {
		c.Type = *jc.Type
	}
	if jc.SessionID != nil {
		sid, ok := jc.SessionID.(string)
		if !ok || sid == "" {
			return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid claim: sid")
		}
		c.SessionID = sid
	}
	// Claims are looked up in the database: a NUL byte is never a name or id.
	for name, v := range map[string]string{"sub": c.Subject, "jti": c.JTI, "sid": c.SessionID} {
		if strings.ContainsRune(v, 0) {
			return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid claim: %s", name)
		}
	}
	if jc.IssuedAt != nil {
		c.IssuedAt = jc.IssuedAt.Unix()
	}
	if jc.NotBefore != nil {
		c.NotBefore = jc.NotBefore.Unix()
	}
	return c, nil
}

// checkSegments gives PyJWT's messages for a token golang-jwt found
// malformed: segments that are not base64url, a header that is not a JSON
// object, or an algorithm other than HS256 (PyJWT checks it before the
// signature); nil when none of these applies.
func checkSegments(parts []string) error {
	enc := base64.RawURLEncoding
	hdr, err := enc.DecodeString(strings.TrimRight(parts[0], "="))
	if err != nil {
		return backend.Errorf(shared.CodeMalformedToken, "Invalid header padding")
	}
	var h map[string]any
	if err := json.Unmarshal(hdr, &h); err != nil {
		return backend.Errorf(shared.CodeMalformedToken, "Invalid header string: must be a json object")
	}
	if _, err := enc.DecodeString(strings.TrimRight(parts[1], "=")); err != nil {
		return backend.Errorf(shared.CodeMalformedToken, "Invalid payload padding")
	}
	if _, err := enc.DecodeString(strings.TrimRight(parts[2], "=")); err != nil {
		return backend.Errorf(shared.CodeMalformedToken, "Invalid crypto padding")
	}
	if alg, _ := h["alg"].(string); alg != jwt.SigningMethodHS256.Alg() {
		return backend.Errorf(shared.CodeAlgNotAllowed, "The specified alg value is not allowed")
	}
	return nil
}
