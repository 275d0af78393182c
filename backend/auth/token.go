package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
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

// jwtClaims is a token's payload as Verify reads it; golang-jwt only
// decodes it (Verify validates the claims itself, as PyJWT does). The JSON
// field order is Flask-JWT-Extended's.
type jwtClaims struct {
	Fresh     any       `json:"fresh"`
	IssuedAt  timeClaim `json:"iat"`
	JTI       *string   `json:"jti,omitempty"`
	Type      *string   `json:"type,omitempty"`
	Subject   any       `json:"sub,omitempty"`
	NotBefore timeClaim `json:"nbf"`
	ExpiresAt timeClaim `json:"exp"`
	SessionID any       `json:"sid,omitempty"`
}

// The jwt.Claims methods are unused: Verify parses with
// jwt.WithoutClaimsValidation.
func (c *jwtClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (c *jwtClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (c *jwtClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c *jwtClaims) GetIssuer() (string, error)                   { return "", nil }
func (c *jwtClaims) GetSubject() (string, error)                  { return "", nil }
func (c *jwtClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// timeClaim is an exp, nbf or iat claim as PyJWT 2.6 reads it. PyJWT takes
// any JSON number (an integer literal exactly, whatever its size; one with
// a fraction or an exponent as a float64, which must be finite), compares
// iat as it is, and nbf and exp cut to an integer (Python's int(), toward
// zero). Decoding one never fails, so that a claim of the wrong type is
// reported by Verify, after the signature, with PyJWT's message.
type timeClaim struct {
	// kind is the first byte of the JSON value: 0 when the claim is
	// absent, '0' for a number Verify accepts, else '"', 't', 'f', 'n',
	// '{', '[', or 'x' for a number too large for a float64 (PyJWT fails
	// on it with an OverflowError).
	kind byte
	// For a number: its value cut toward zero, rounded down, and rounded
	// up to an integer (equal for an integer literal), saturated to the
	// int64 range, which keeps every comparison with a Unix time right.
	trunc, floor, ceil int64
}

func (c *timeClaim) UnmarshalJSON(b []byte) error {
	*c = timeClaim{kind: 'x'}
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"', 't', 'f', 'n', '{', '[':
		c.kind = b[0]
		return nil
	}
	// A JSON number, which encoding/json has checked: -?digits, then
	// perhaps a fraction and an exponent.
	if !bytes.ContainsAny(b, ".eE") {
		neg := b[0] == '-'
		if neg {
			b = b[1:]
		}
		var n uint64
		for _, d := range b {
			if d < '0' || d > '9' {
				return nil // not JSON: kind 'x'
			}
			if n > (math.MaxUint64-9)/10 {
				n = math.MaxUint64 // saturated: far beyond any Unix time
				continue
			}
			n = n*10 + uint64(d-'0')
		}
		var v int64
		switch {
		case !neg && n > math.MaxInt64:
			v = math.MaxInt64
		case !neg:
			v = int64(n)
		case n > 1<<63:
			v = math.MinInt64
		default:
			v = int64(-n)
		}
		*c = timeClaim{kind: '0', trunc: v, floor: v, ceil: v}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil // kind 'x'
	}
	*c = timeClaim{kind: '0', trunc: saturate(math.Trunc(f)), floor: saturate(math.Floor(f)), ceil: saturate(math.Ceil(f))}
	return nil
}

// saturate converts an integral float to int64, saturating at its ends.
func saturate(f float64) int64 {
	switch {
	case f >= math.MaxInt64: // float64(MaxInt64) is 2^63
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// check gives PyJWT's error for a claim that is present but not a JSON
// number PyJWT can turn into an integer. PyJWT 2.6 refuses a string that
// int() cannot read with msg, but takes a string of digits (or crashes
// comparing it, for iat), takes a bool as 0 or 1, and crashes on null, an
// object, an array or a number too large for a float: Tessera refuses all
// of these with msg, so that exp, nbf and iat are always JSON numbers.
func (c timeClaim) check(msg string) error {
	if c.kind != '0' {
		return backend.Errorf(shared.CodeMalformedToken, "%s", msg)
	}
	return nil
}

// maxExp caps a token's ExpiresAt at 9999-12-31T23:59:59Z, so that it
// stays a time every database stores (a token valid until then is valid
// for good).
const maxExp = 253402300799

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

// Verify checks a token's encoding, algorithm (HS256 only), signature,
// exp (required), then as PyJWT 2.6 does iat, nbf and exp, and sub (whose
// absence Flask-JWT-Extended reports before an expired exp), and returns
// its claims. Its errors are *backend.Error with the messages
// Flask-JWT-Extended gives.
func (t *Tokens) Verify(token string) (backend.Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Not enough segments")
	}
	var jc jwtClaims
	parser := jwt.NewParser(
		jwt.WithoutClaimsValidation(),
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
	default:
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid token")
	}
	expired, err := t.checkTimes(&jc)
	if err != nil {
		return backend.Claims{}, err
	}
	// Flask-JWT-Extended answers PyJWT's ExpiredSignatureError by decoding
	// the token again without the exp check, to attach its claims to the
	// error: that decoding's "Missing claim: sub" wins.
	if jc.Subject == nil {
		return backend.Claims{}, backend.Errorf(shared.CodeMissingClaim, "Missing claim: sub")
	}
	if expired {
		return backend.Claims{}, backend.Errorf(shared.CodeTokenExpired, "Token has expired")
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
		IssuedAt:  jc.IssuedAt.floor, // 0 when absent
		NotBefore: jc.NotBefore.floor,
		ExpiresAt: min(jc.ExpiresAt.floor, maxExp),
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
	return c, nil
}

// checkTimes checks the time claims as PyJWT 2.6's _validate_claims does
// with no leeway (Flask-JWT-Extended's default JWT_DECODE_LEEWAY): first
// the required claims (Tessera requires exp; PyJWT counts a null as
// missing), then iat, nbf and exp, each when present, in that order. An
// exp in the past is not an error here but expired, which Verify reports
// after the sub check, as Flask-JWT-Extended does.
func (t *Tokens) checkTimes(jc *jwtClaims) (expired bool, err error) {
	if k := jc.ExpiresAt.kind; k == 0 || k == 'n' {
		return false, backend.Errorf(shared.CodeMissingClaim, "Missing claim: exp")
	}
	now := t.Now().Unix()
	if jc.IssuedAt.kind != 0 {
		if err := jc.IssuedAt.check("Issued At claim (iat) must be an integer."); err != nil {
			return false, err
		}
		// PyJWT compares iat itself, not cut to an integer: iat > now, for
		// an integer now, is ceil(iat) > now.
		if jc.IssuedAt.ceil > now {
			return false, backend.Errorf(shared.CodeTokenNotYetValid, "The token is not yet valid (iat)")
		}
	}
	if jc.NotBefore.kind != 0 {
		if err := jc.NotBefore.check("Not Before claim (nbf) must be an integer."); err != nil {
			return false, err
		}
		if jc.NotBefore.trunc > now {
			return false, backend.Errorf(shared.CodeTokenNotYetValid, "The token is not yet valid (nbf)")
		}
	}
	if err := jc.ExpiresAt.check("Expiration Time claim (exp) must be an integer."); err != nil {
		return false, err
	}
	return jc.ExpiresAt.trunc <= now, nil
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
