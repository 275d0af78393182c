package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// signers keeps *signer values keyed with secret for reuse.
	signers *sync.Pool
}

// NewTokens returns a Tokens signing with secret, which must be at least
// MinSecretLen bytes.
func NewTokens(secret []byte, accessTTL, refreshTTL time.Duration) (*Tokens, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("JWT secret is %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	t := &Tokens{secret: secret, AccessTTL: accessTTL, RefreshTTL: refreshTTL, Now: time.Now}
	t.signers = &sync.Pool{New: func() any { return &signer{mac: hmac.New(sha256.New, secret)} }}
	return t, nil
}

// signer is an HMAC-SHA256 of the secret with buffers, reused by Issue and
// Verify: keying an HMAC and growing buffers for every token would cost
// more than computing it.
type signer struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func (t *Tokens) signer() *signer {
	sg := t.signers.Get().(*signer)
	sg.mac.Reset()
	return sg
}

func (t *Tokens) putSigner(sg *signer) {
	if cap(sg.buf) <= 4<<10 {
		t.signers.Put(sg)
	}
}

// hs256Header is the first segment of every token Issue signs, and of
// those PyJWT signs: base64url of {"alg":"HS256","typ":"JWT"}.
const hs256Header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// sigLen is the length of an HS256 signature segment.
const sigLen = 43 // base64.RawURLEncoding.EncodedLen(sha256.Size)

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
	signed, err := t.sign(c)
	if err != nil {
		return "", backend.Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, c, nil
}

// sign returns the token of c as golang-jwt signs it
// (jwt.NewWithClaims with SigningMethodHS256 and c, then SignedString),
// byte for byte: the header is always hs256Header, and claims whose
// strings need no escaping are written without reflection.
func (t *Tokens) sign(c backend.Claims) (string, error) {
	sg := t.signer()
	defer t.putSigner(sg)
	enc := base64.RawURLEncoding
	b := append(sg.buf[:0], hs256Header+"."...)
	var tmp [256]byte
	payload, ok := appendClaims(tmp[:0], c)
	if !ok {
		var err error
		if payload, err = json.Marshal(c); err != nil {
			return "", err
		}
	}
	b = enc.AppendEncode(b, payload)
	sg.mac.Write(b)
	b = append(b, '.')
	b = enc.AppendEncode(b, sg.mac.Sum(sg.sum[:0]))
	sg.buf = b
	return string(b), nil
}

// appendClaims appends c as json.Marshal(c) writes it, when
// Fresh is a bool and no string needs escaping (plainJSON); otherwise it
// reports false.
func appendClaims(b []byte, c backend.Claims) ([]byte, bool) {
	fresh, ok := c.Fresh.(bool)
	if !ok || !plainJSON(c.JTI) || !plainJSON(c.Type) || !plainJSON(c.Subject) || !plainJSON(c.SessionID) {
		return b, false
	}
	b = append(b, `{"fresh":`...)
	b = strconv.AppendBool(b, fresh)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt, 10)
	b = append(b, `,"jti":"`...)
	b = append(b, c.JTI...)
	b = append(b, `","type":"`...)
	b = append(b, c.Type...)
	b = append(b, `","sub":"`...)
	b = append(b, c.Subject...)
	b = append(b, `","nbf":`...)
	b = strconv.AppendInt(b, c.NotBefore, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, c.ExpiresAt, 10)
	if c.SessionID != "" {
		b = append(b, `,"sid":"`...)
		b = append(b, c.SessionID...)
		b = append(b, '"')
	}
	return append(b, '}'), true
}

// plainJSON reports whether encoding/json writes s as it is between quotes
// (with or without HTML escaping): printable ASCII but for ", \, <, > and &.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

var errAlg = errors.New("alg not allowed")

// claimView is a token's payload as Verify checks it, decoded by
// golang-jwt (jwtClaims) or by parseClaims.
type claimView struct {
	fresh         any
	iat, nbf, exp timeClaim
	// jti and typ are present and not null (PyJWT counts a null as absent).
	jti, typ       string
	hasJTI, hasTyp bool
	// sub and sid: kind 0 when absent or null, 's' for a string, 'x' for
	// any other JSON value.
	sub, sid         string
	subKind, sidKind byte
}

// view returns jc as Verify checks it.
func (jc *jwtClaims) view() claimView {
	v := claimView{fresh: jc.Fresh, iat: jc.IssuedAt, nbf: jc.NotBefore, exp: jc.ExpiresAt}
	if jc.JTI != nil {
		v.jti, v.hasJTI = *jc.JTI, true
	}
	if jc.Type != nil {
		v.typ, v.hasTyp = *jc.Type, true
	}
	v.sub, v.subKind = anyKind(jc.Subject)
	v.sid, v.sidKind = anyKind(jc.SessionID)
	return v
}

func anyKind(v any) (string, byte) {
	switch v := v.(type) {
	case nil:
		return "", 0
	case string:
		return v, 's'
	}
	return "", 'x'
}

// Verify checks a token's encoding, algorithm (HS256 only), signature,
// exp (required), then as PyJWT 2.6 does iat, nbf and exp, and sub (whose
// absence Flask-JWT-Extended reports before an expired exp), and returns
// its claims. Its errors are *backend.Error with the messages
// Flask-JWT-Extended gives.
//
// Tokens as Issue and PyJWT write them (the usual header, a correct
// signature, a flat payload) are read without golang-jwt by verifyFast,
// which gives what golang-jwt gives for them; any other goes through
// golang-jwt.
func (t *Tokens) Verify(token string) (backend.Claims, error) {
	if strings.Count(token, ".") != 2 {
		if err := t.pyCheck(token); err != nil {
			return backend.Claims{}, err
		}
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid token")
	}
	v, ok := t.verifyFast(token)
	if !ok {
		jc, err := t.parse(token)
		if err != nil {
			return backend.Claims{}, err
		}
		v = jc.view()
	}
	return t.check(&v)
}

// parse decodes and verifies token with golang-jwt, and gives PyJWT's
// messages for what it refuses.
func (t *Tokens) parse(token string) (*jwtClaims, error) {
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
	if err == nil {
		return &jc, nil
	}
	// A broken segment, an algorithm other than HS256 (errAlg from the key
	// function, or none the library knows), a wrong signature. Only now
	// look closer, for Flask-JWT-Extended's message in its order: the good
	// path decodes each segment once.
	if err := t.pyCheck(token); err != nil {
		return nil, err
	}
	if errors.Is(err, jwt.ErrTokenMalformed) {
		// Read by Python, not by Go (NaN, say): claims of other types.
		return nil, backend.Errorf(shared.CodeMalformedToken, "Invalid payload string: %s", "claims are not a JSON object of the expected types")
	}
	return nil, backend.Errorf(shared.CodeMalformedToken, "Invalid token")
}

// verifyFast verifies a token of three segments whose header is
// hs256Header and whose signature is the canonical encoding of the right
// MAC, and decodes its payload with parseClaims. It reports false for any
// other token, and for payloads parseClaims leaves to encoding/json: those
// go through golang-jwt, which then gives the same answer as before.
func (t *Tokens) verifyFast(token string) (claimView, bool) {
	head, rest, _ := strings.Cut(token, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	if head != hs256Header || len(sig) != sigLen {
		return claimView{}, false
	}
	sg := t.signer()
	defer t.putSigner(sg)
	enc := base64.RawURLEncoding
	sg.buf = append(sg.buf[:0], token[:len(head)+1+len(payload)]...)
	sg.mac.Write(sg.buf)
	var want [sigLen]byte
	enc.Encode(want[:], sg.mac.Sum(sg.sum[:0]))
	diff := byte(0)
	for i := range want {
		diff |= want[i] ^ sig[i]
	}
	if diff != 0 {
		return claimView{}, false
	}
	// Decode after the segment itself, in the same buffer.
	n := len(payload)
	b := append(sg.buf[:0], payload...)
	b = slices.Grow(b, enc.DecodedLen(n))
	m, err := enc.Decode(b[n:n+enc.DecodedLen(n)], b[:n])
	sg.buf = b
	if err != nil {
		return claimView{}, false
	}
	return parseClaims(string(b[n : n+m]))
}

// check runs the checks of Verify on a decoded, verified payload.
func (t *Tokens) check(v *claimView) (backend.Claims, error) {
	expired, err := t.checkTimes(v)
	if err != nil {
		return backend.Claims{}, err
	}
	// Flask-JWT-Extended answers PyJWT's ExpiredSignatureError by decoding
	// the token again without the exp check, to attach its claims to the
	// error: that decoding's "Missing claim: sub" wins.
	if v.subKind == 0 {
		return backend.Claims{}, backend.Errorf(shared.CodeMissingClaim, "Missing claim: sub")
	}
	if expired {
		return backend.Claims{}, backend.Errorf(shared.CodeTokenExpired, "Token has expired")
	}
	if v.subKind != 's' {
		return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Subject must be a string")
	}
	if !v.hasJTI || v.jti == "" {
		return backend.Claims{}, backend.Errorf(shared.CodeMissingClaim, "Missing claim: jti")
	}
	c := backend.Claims{
		Fresh:     v.fresh,
		JTI:       v.jti,
		Type:      backend.AccessToken, // Flask-JWT-Extended's default for a token without "type"
		Subject:   v.sub,
		IssuedAt:  v.iat.floor, // 0 when absent
		NotBefore: v.nbf.floor,
		ExpiresAt: min(v.exp.floor, maxExp),
	}
	if v.hasTyp {
		c.Type = v.typ
	}
	if v.sidKind != 0 {
		if v.sidKind != 's' || v.sid == "" {
			return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid claim: sid")
		}
		c.SessionID = v.sid
	}
	// Claims are looked up in the database: a NUL byte is never a name or id.
	for _, f := range [...]struct{ name, v string }{{"sub", c.Subject}, {"jti", c.JTI}, {"sid", c.SessionID}} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return backend.Claims{}, backend.Errorf(shared.CodeMalformedToken, "Invalid claim: %s", f.name)
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
func (t *Tokens) checkTimes(jc *claimView) (expired bool, err error) {
	if k := jc.exp.kind; k == 0 || k == 'n' {
		return false, backend.Errorf(shared.CodeMissingClaim, "Missing claim: exp")
	}
	now := t.Now().Unix()
	if jc.iat.kind != 0 {
		if err := jc.iat.check("Issued At claim (iat) must be an integer."); err != nil {
			return false, err
		}
		// PyJWT compares iat itself, not cut to an integer: iat > now, for
		// an integer now, is ceil(iat) > now.
		if jc.iat.ceil > now {
			return false, backend.Errorf(shared.CodeTokenNotYetValid, "The token is not yet valid (iat)")
		}
	}
	if jc.nbf.kind != 0 {
		if err := jc.nbf.check("Not Before claim (nbf) must be an integer."); err != nil {
			return false, err
		}
		if jc.nbf.trunc > now {
			return false, backend.Errorf(shared.CodeTokenNotYetValid, "The token is not yet valid (nbf)")
		}
	}
	if err := jc.exp.check("Expiration Time claim (exp) must be an integer."); err != nil {
		return false, err
	}
	return jc.exp.trunc <= now, nil
}

// parseClaims decodes a payload as golang-jwt does (encoding/json with
// UseNumber into jwtClaims), without reflection, for the payloads Issue and
// Flask-JWT-Extended write: one flat JSON object, nothing after it but
// white space, each claim at most once and spelled exactly, iat, nbf and
// exp integers, fresh a bool, jti, type, sub and sid strings, other members
// strings, numbers, bools or null, and every string printable ASCII without
// escapes. For any other payload it reports false, and the caller leaves it
// to encoding/json.
func parseClaims(s string) (v claimView, ok bool) {
	i := skipSpace(s, 0)
	if i == len(s) || s[i] != '{' {
		return v, false
	}
	i = skipSpace(s, i+1)
	var seen uint8
	if i < len(s) && s[i] == '}' {
		return v, skipSpace(s, i+1) == len(s)
	}
	for {
		key, j, ok := plainString(s, i)
		if !ok {
			return v, false
		}
		i = skipSpace(s, j)
		if i == len(s) || s[i] != ':' {
			return v, false
		}
		i = skipSpace(s, i+1)
		bit := claimBit(key)
		if bit == 0 {
			// encoding/json matches names without regard to case.
			if foldsToClaim(key) {
				return v, false
			}
			if i, ok = skipScalar(s, i); !ok {
				return v, false
			}
		} else {
			if seen&bit != 0 {
				return v, false // the last one would win: left to encoding/json
			}
			seen |= bit
			switch key {
			case "fresh":
				switch {
				case strings.HasPrefix(s[i:], "true"):
					v.fresh, i = true, i+4
				case strings.HasPrefix(s[i:], "false"):
					v.fresh, i = false, i+5
				default:
					return v, false
				}
			case "iat", "nbf", "exp":
				j, integer := numberEnd(s, i)
				if !integer {
					return v, false
				}
				c := &v.iat
				if key == "nbf" {
					c = &v.nbf
				} else if key == "exp" {
					c = &v.exp
				}
				c.UnmarshalJSON([]byte(s[i:j]))
				i = j
			default: // jti, type, sub, sid
				str, j, ok := plainString(s, i)
				if !ok {
					return v, false
				}
				switch key {
				case "jti":
					v.jti, v.hasJTI = str, true
				case "type":
					v.typ, v.hasTyp = str, true
				case "sub":
					v.sub, v.subKind = str, 's'
				case "sid":
					v.sid, v.sidKind = str, 's'
				}
				i = j
			}
		}
		i = skipSpace(s, i)
		if i == len(s) {
			return v, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			return v, skipSpace(s, i+1) == len(s)
		default:
			return v, false
		}
	}
}

// claimNames are the members of jwtClaims, in the order of claimBit's bits.
var claimNames = [...]string{"fresh", "iat", "jti", "type", "sub", "nbf", "exp", "sid"}

// claimBit is the bit of name among claimNames, 0 for another name.
func claimBit(name string) uint8 {
	for i, n := range claimNames {
		if n == name {
			return 1 << i
		}
	}
	return 0
}

// foldsToClaim reports whether an ASCII name that is not a claim's name
// matches one without regard to case, as encoding/json would match it.
func foldsToClaim(name string) bool {
	for _, n := range claimNames {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string at s[i] made of printable ASCII without
// escapes, and returns its contents and the index after it.
func plainString(s string, i int) (string, int, bool) {
	if i == len(s) || s[i] != '"' {
		return "", i, false
	}
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return s[i+1 : j], j + 1, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", i, false
		}
	}
	return "", i, false
}

// skipScalar skips a plain string, a number, true, false or null at s[i].
func skipScalar(s string, i int) (int, bool) {
	if i == len(s) {
		return i, false
	}
	switch s[i] {
	case '"':
		_, j, ok := plainString(s, i)
		return j, ok
	case 't':
		return i + 4, strings.HasPrefix(s[i:], "true")
	case 'f':
		return i + 5, strings.HasPrefix(s[i:], "false")
	case 'n':
		return i + 4, strings.HasPrefix(s[i:], "null")
	}
	j, _ := numberEnd(s, i)
	return j, j > i
}

// numberEnd returns the end of the JSON number at s[i] (i when there is
// none) and whether it is an integer: no fraction, no exponent.
func numberEnd(s string, i int) (end int, integer bool) {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && s[j] >= '1' && s[j] <= '9':
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	default:
		return i, false
	}
	integer = true
	if j < len(s) && s[j] == '.' {
		integer = false
		j++
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == k {
			return i, false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		integer = false
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == k {
			return i, false
		}
	}
	return j, integer
}
