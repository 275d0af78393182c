package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tessera/backend"
)

// The fast paths of Issue and Verify must give what golang-jwt gives, byte
// for byte and claim for claim.

// signedClaims is backend.Claims (whose fields are in Flask-JWT-Extended's
// order) as golang-jwt signs it, the reference sign is checked against;
// the validation methods are unused.
type signedClaims backend.Claims

func (signedClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (signedClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (signedClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (signedClaims) GetIssuer() (string, error)                   { return "", nil }
func (signedClaims) GetSubject() (string, error)                  { return "", nil }
func (signedClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

func testTokens(t testing.TB) *Tokens {
	t.Helper()
	tokens, err := NewTokens([]byte(strings.Repeat("k", 40)), 15*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// TestSignAsGolangJWT: sign writes the token golang-jwt writes, for plain
// claims (written without reflection) and for the others.
func TestSignAsGolangJWT(t *testing.T) {
	t.Parallel()
	tokens := testTokens(t)
	for _, c := range []backend.Claims{
		{Fresh: false, IssuedAt: 1700000000, JTI: "2f1c-j", Type: "access", Subject: "apple", NotBefore: 1700000000, ExpiresAt: 1700000900, SessionID: "s-1"},
		{Fresh: false, IssuedAt: 1, JTI: "j", Type: "refresh", Subject: "apple", NotBefore: 1, ExpiresAt: 253402300799},
		{Fresh: true, IssuedAt: -5, JTI: "j", Type: "x", Subject: "a b~!", NotBefore: 0, ExpiresAt: 0},
		{Fresh: false, IssuedAt: 1, JTI: "j", Type: "access", Subject: "<b>&", ExpiresAt: 2},
		{Fresh: false, IssuedAt: 1, JTI: "j", Type: "access", Subject: `q"uote\`, ExpiresAt: 2},
		{Fresh: false, IssuedAt: 1, JTI: "j", Type: "access", Subject: "émile\u2028\x01\xff", ExpiresAt: 2, SessionID: "ü"},
		{Fresh: nil, IssuedAt: 1, JTI: "j", Type: "access", Subject: "apple", ExpiresAt: 2},
		{Fresh: json.Number("1"), IssuedAt: 1, JTI: "", Type: "", Subject: "", ExpiresAt: 2},
	} {
		got, err := tokens.sign(c)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jwt.NewWithClaims(jwt.SigningMethodHS256, signedClaims(c)).SignedString(tokens.secret)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%+v:\n got %s\nwant %s", c, got, want)
		}
	}
}

// decodeAsGolangJWT decodes a payload as golang-jwt does.
func decodeAsGolangJWT(payload string) (claimView, bool) {
	var jc jwtClaims
	dec := json.NewDecoder(bytes.NewBufferString(payload))
	dec.UseNumber()
	if dec.Decode(&jc) != nil {
		return claimView{}, false
	}
	return jc.view(), true
}

// checkParse fails when parseClaims accepts payload and decodes it other
// than encoding/json does.
func checkParse(t *testing.T, payload string) (accepted bool) {
	t.Helper()
	got, ok := parseClaims(payload)
	if !ok {
		return false
	}
	want, ok := decodeAsGolangJWT(payload)
	if !ok {
		t.Fatalf("%q: parseClaims accepts what encoding/json refuses", payload)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n parseClaims %+v\nencoding/json %+v", payload, got, want)
	}
	return true
}

func TestParseClaims(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		payload string
		fast    bool // parseClaims takes it (else encoding/json does)
	}{
		{`{"fresh":false,"iat":1700000000,"jti":"j1","type":"access","sub":"apple","nbf":1700000000,"exp":1700000900,"sid":"s1"}`, true},
		{` { "fresh" : true , "iat":-0, "jti":"", "sub":"a", "csrf":"x", "n":null, "f":1.5e3, "b":false, "exp":0 } ` + "\n", true},
		{`{}`, true},
		{`{"sub":"a","extra":-12.25E+2}`, true},
		{`{"sub":"a","exp":1.5}`, false},
		{`{"sub":"a","exp":1e3}`, false},
		{`{"sub":"a","exp":"1"}`, false},
		{`{"sub":"a","exp":null}`, false},
		{`{"sub":1}`, false},
		{`{"sub":"a","sub":"b"}`, false},
		{`{"SUB":"a"}`, false},
		{`{"Exp":1}`, false},
		{`{"sub":"caf\u00e9"}`, false},
		{`{"sub":"café"}`, false},
		{`{"sub":"a"}x`, false},
		{`{"sub":"a"}{}`, false},
		{`{"sub":"a",}`, false},
		{`{"sub":"a" "x":1}`, false},
		{`{"x":{"a":1},"sub":"a"}`, false},
		{`{"x":[1],"sub":"a"}`, false},
		{`{"fresh":1}`, false},
		{`{"fresh":tru}`, false},
		{`{"fresh":truex}`, false},
		{`{"x":01}`, false},
		{`{"x":-}`, false},
		{`{"x":1.}`, false},
		{`{"x":1e}`, false},
		{`{"jti":null}`, false},
		{`[]`, false},
		{``, false},
		{`{`, false},
		{`{"sub"`, false},
		{`{"sub":`, false},
		{`{"sub":"a"`, false},
	} {
		if got := checkParse(t, tt.payload); got != tt.fast {
			t.Errorf("%q: parseClaims took it: %v, want %v", tt.payload, got, tt.fast)
		}
	}
}

func FuzzParseClaims(f *testing.F) {
	for _, seed := range []string{
		`{"fresh":false,"iat":1700000000,"jti":"j1","type":"access","sub":"apple","nbf":1700000000,"exp":1700000900,"sid":"s1"}`,
		`{"sub":"a","x":-1.5e-3,"y":null,"z":true}`,
		`{"SUB":"a","Jti":"b"}`,
		`{"iat":99999999999999999999999,"exp":-9223372036854775809}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload string) { checkParse(t, payload) })
}

// TestVerifyFast: verifyFast takes tokens as Issue writes them and gives
// what golang-jwt gives; it leaves every other token to golang-jwt.
func TestVerifyFast(t *testing.T) {
	t.Parallel()
	tokens := testTokens(t)
	tok, _, err := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.AccessToken, SessionID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	fast, ok := tokens.verifyFast(tok)
	if !ok {
		t.Fatal("verifyFast refused a token of Issue")
	}
	slow, err := tokens.parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	if want := slow.view(); !reflect.DeepEqual(fast, want) {
		t.Fatalf("verifyFast %+v, golang-jwt %+v", fast, want)
	}
	head, rest, _ := strings.Cut(tok, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	// The last character of a 43-character segment holds 4 bits; one with
	// other low bits decodes to the same signature: golang-jwt takes it,
	// and so must Verify.
	last := strings.IndexByte(base64URL, sig[len(sig)-1])
	odd := sig[:len(sig)-1] + string(base64URL[last^1])
	enc := base64.RawURLEncoding
	for name, tok := range map[string]string{
		"other header":         enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`)) + "." + payload + "." + sig,
		"bad signature":        head + "." + payload + "." + strings.Repeat("A", 43),
		"non-canonical":        head + "." + payload + "." + odd,
		"padded signature":     head + "." + payload + "." + sig + "=",
		"payload with escapes": head + "." + enc.EncodeToString([]byte(`{"sub":"\u0061"}`)) + "." + sig,
	} {
		if _, ok := tokens.verifyFast(tok); ok {
			t.Errorf("%s: verifyFast took it", name)
		}
	}
	if _, err := tokens.Verify(head + "." + payload + "." + odd); err != nil {
		t.Errorf("a non-canonical signature golang-jwt takes was refused: %v", err)
	}
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
