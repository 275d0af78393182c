package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/auth"
	"tessera/internal/testclock"
	"tessera/shared"
)

func TestHasher(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewHasher(3); err == nil {
		t.Fatal("cost 3 accepted")
	}
	if _, err := auth.NewHasher(32); err == nil {
		t.Fatal("cost 32 accepted")
	}
	h, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("mango")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, hash, password string
		want                 bool
	}{
		{"OK", hash, "mango", true},
		{"ErrWrong", hash, "melon", false},
		{"ErrUnknownUser", "", "mango", false},
		{"ErrGarbageHash", "not-a-hash", "mango", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Check(tt.hash, tt.password); got != tt.want {
				t.Fatalf("Check = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := h.Hash(strings.Repeat("x", 73)); err == nil {
		t.Fatal("a 73-byte password was hashed (bcrypt would ignore its tail)")
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewTokens([]byte("short"), time.Minute, time.Hour); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
	clock := testclock.New()
	tokens, err := auth.NewTokens([]byte(strings.Repeat("s", 32)), 15*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tokens.Now = clock.Now
	t.Run("OKRoundTrip", func(t *testing.T) {
		tok, issued, err := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.RefreshToken, SessionID: "s1", JTI: "j1"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tokens.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if got != issued || got.SessionID != "s1" || got.JTI != "j1" || got.ExpiresAt != clock.Now().Add(24*time.Hour).Unix() {
			t.Fatalf("verified %+v, issued %+v", got, issued)
		}
	})
	t.Run("OKNotAfterCapsExpiry", func(t *testing.T) {
		end := clock.Now().Add(time.Hour)
		_, c, err := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.RefreshToken, NotAfter: end})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.ExpiresAt, end.Unix(); got != want {
			t.Fatalf("exp = %d, want %d", got, want)
		}
	})
	t.Run("ErrExpiredExactlyAtExp", func(t *testing.T) {
		tok, _, _ := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.AccessToken})
		clock.Advance(15 * time.Minute)
		if _, err := tokens.Verify(tok); backend.ErrorCode(err) != "token_expired" {
			t.Fatalf("err = %v, want token_expired", err)
		}
	})
}

// signRaw signs a payload given as JSON text with HS256, so that a test
// can put any JSON value (a string, a float, a number no float64 holds) in
// a claim.
func signRaw(secret []byte, payload string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

// rawClaims is Flask-JWT-Extended's claim set issued at now for 15
// minutes, in its order, as JSON text; set replaces claims by raw JSON
// values, and removes those it maps to "".
func rawClaims(now int64, set map[string]string) string {
	claims := [][2]string{
		{"fresh", "false"},
		{"iat", strconv.FormatInt(now, 10)},
		{"jti", `"j1"`},
		{"type", `"access"`},
		{"sub", `"apple"`},
		{"nbf", strconv.FormatInt(now, 10)},
		{"exp", strconv.FormatInt(now+900, 10)},
	}
	var b strings.Builder
	for _, kv := range claims {
		v, ok := set[kv[0]]
		if !ok {
			v = kv[1]
		}
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%s", kv[0], v)
	}
	return "{" + b.String() + "}"
}

// TestTokenTimeClaims checks exp, nbf and iat as PyJWT 2.6 (under
// Flask-JWT-Extended 4.4, no leeway) checks them: JSON numbers only, of
// any size or form; iat compared as it is, nbf and exp cut to an integer;
// iat, then nbf, then exp. The crossover test checks the same tokens
// against the library itself.
func TestTokenTimeClaims(t *testing.T) {
	t.Parallel()
	clock := testclock.New()
	secret := []byte(strings.Repeat("s", 32))
	tokens, err := auth.NewTokens(secret, 15*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tokens.Now = clock.Now
	now := clock.Now().Unix()
	n := func(d int64) string { return strconv.FormatInt(now+d, 10) }
	half := func(d int64) string { return strconv.FormatInt(now+d, 10) + ".5" }
	quoted := func(d int64) string { return strconv.Quote(n(d)) }
	const (
		expType = "Expiration Time claim (exp) must be an integer."
		iatType = "Issued At claim (iat) must be an integer."
		nbfType = "Not Before claim (nbf) must be an integer."
		iatSoon = "The token is not yet valid (iat)"
		nbfSoon = "The token is not yet valid (nbf)"
		expired = "Token has expired"
		noExp   = "Missing claim: exp"
	)
	for _, tt := range []struct {
		name string
		set  map[string]string
		code string // "" when the token is valid
		msg  string
		// For a valid token, the claims Verify returns.
		iat, nbf, exp int64
	}{
		{name: "OKIntegers", iat: now, nbf: now, exp: now + 900},
		{name: "OKFloats", set: map[string]string{"iat": half(-2), "nbf": half(-2), "exp": half(900)}, iat: now - 2, nbf: now - 2, exp: now + 900},
		{name: "OKExponents", set: map[string]string{"iat": "1.0e0", "nbf": "-1E+3", "exp": strconv.FormatFloat(float64(now+900), 'e', -1, 64)}, iat: 1, nbf: -1000, exp: now + 900},
		{name: "OKNbfFractionCutToNow", set: map[string]string{"nbf": half(0)}, iat: now, nbf: now, exp: now + 900},
		{name: "OKExpOneSecondLeft", set: map[string]string{"exp": n(1)}, iat: now, nbf: now, exp: now + 1},
		{name: "OKNegativeIatNbf", set: map[string]string{"iat": "-5", "nbf": "-5.5"}, iat: -5, nbf: -6, exp: now + 900},
		{name: "OKNoIatNoNbf", set: map[string]string{"iat": "", "nbf": ""}, exp: now + 900},
		{name: "OKHugeExpCapped", set: map[string]string{"exp": "99999999999999999999999"}, iat: now, nbf: now, exp: 253402300799},
		{name: "OKFloatExpBeyondInt64Capped", set: map[string]string{"exp": "1e300"}, iat: now, nbf: now, exp: 253402300799},
		{name: "OKHugeNegativeIatNbf", set: map[string]string{"iat": "-99999999999999999999999", "nbf": "-1e300"}, iat: -1 << 63, nbf: -1 << 63, exp: now + 900},

		{name: "ErrExpDigitString", set: map[string]string{"exp": quoted(900)}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpWordString", set: map[string]string{"exp": `"soon"`}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpEmptyString", set: map[string]string{"exp": `""`}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpTrue", set: map[string]string{"exp": "true"}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpFalse", set: map[string]string{"exp": "false"}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpObject", set: map[string]string{"exp": `{"t":1}`}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpArray", set: map[string]string{"exp": "[" + n(900) + "]"}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpInfinite", set: map[string]string{"exp": "1e400"}, code: shared.CodeMalformedToken, msg: expType},
		{name: "ErrExpNull", set: map[string]string{"exp": "null"}, code: shared.CodeMissingClaim, msg: noExp},
		{name: "ErrExpMissing", set: map[string]string{"exp": ""}, code: shared.CodeMissingClaim, msg: noExp},
		{name: "ErrExpAtNow", set: map[string]string{"exp": n(0)}, code: shared.CodeTokenExpired, msg: expired},
		{name: "ErrExpFractionCutToNow", set: map[string]string{"exp": half(0)}, code: shared.CodeTokenExpired, msg: expired},
		{name: "ErrExpNegative", set: map[string]string{"exp": "-5"}, code: shared.CodeTokenExpired, msg: expired},
		{name: "ErrExpHugeNegative", set: map[string]string{"exp": "-99999999999999999999999"}, code: shared.CodeTokenExpired, msg: expired},

		{name: "ErrIatDigitString", set: map[string]string{"iat": quoted(0)}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrIatWordString", set: map[string]string{"iat": `"now"`}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrIatNull", set: map[string]string{"iat": "null"}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrIatTrue", set: map[string]string{"iat": "true"}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrIatObject", set: map[string]string{"iat": "{}"}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrIatInfinite", set: map[string]string{"iat": "-1e400"}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrIatFuture", set: map[string]string{"iat": n(1)}, code: shared.CodeTokenNotYetValid, msg: iatSoon},
		{name: "ErrIatFutureFraction", set: map[string]string{"iat": half(0)}, code: shared.CodeTokenNotYetValid, msg: iatSoon},
		{name: "ErrIatHuge", set: map[string]string{"iat": "99999999999999999999999"}, code: shared.CodeTokenNotYetValid, msg: iatSoon},

		{name: "ErrNbfDigitString", set: map[string]string{"nbf": quoted(0)}, code: shared.CodeMalformedToken, msg: nbfType},
		{name: "ErrNbfWordString", set: map[string]string{"nbf": `"now"`}, code: shared.CodeMalformedToken, msg: nbfType},
		{name: "ErrNbfNull", set: map[string]string{"nbf": "null"}, code: shared.CodeMalformedToken, msg: nbfType},
		{name: "ErrNbfFalse", set: map[string]string{"nbf": "false"}, code: shared.CodeMalformedToken, msg: nbfType},
		{name: "ErrNbfArray", set: map[string]string{"nbf": "[]"}, code: shared.CodeMalformedToken, msg: nbfType},
		{name: "ErrNbfInfinite", set: map[string]string{"nbf": "1e999"}, code: shared.CodeMalformedToken, msg: nbfType},
		{name: "ErrNbfFuture", set: map[string]string{"nbf": n(1)}, code: shared.CodeTokenNotYetValid, msg: nbfSoon},
		{name: "ErrNbfHuge", set: map[string]string{"nbf": "1e19"}, code: shared.CodeTokenNotYetValid, msg: nbfSoon},

		// PyJWT's order: exp's presence (a required claim), iat, nbf, exp,
		// then Flask-JWT-Extended's sub; all after the signature. Tessera's
		// own checks (sub a string, jti) come last.
		{name: "ErrOrderExpMissingBeforeIat", set: map[string]string{"exp": "", "iat": `"x"`}, code: shared.CodeMissingClaim, msg: noExp},
		{name: "ErrOrderIatBeforeNbf", set: map[string]string{"iat": n(60), "nbf": n(60)}, code: shared.CodeTokenNotYetValid, msg: iatSoon},
		{name: "ErrOrderIatTypeBeforeNbfType", set: map[string]string{"iat": "null", "nbf": "null"}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrOrderIatBeforeExp", set: map[string]string{"iat": n(60), "exp": n(-60)}, code: shared.CodeTokenNotYetValid, msg: iatSoon},
		{name: "ErrOrderIatTypeBeforeExpired", set: map[string]string{"iat": `"x"`, "exp": n(-60)}, code: shared.CodeMalformedToken, msg: iatType},
		{name: "ErrOrderNbfBeforeExp", set: map[string]string{"nbf": n(60), "exp": n(-60)}, code: shared.CodeTokenNotYetValid, msg: nbfSoon},
		{name: "ErrOrderNbfTypeBeforeExpType", set: map[string]string{"nbf": `"x"`, "exp": `"x"`}, code: shared.CodeMalformedToken, msg: nbfType},
		{name: "ErrOrderIatFutureBeforeExpType", set: map[string]string{"iat": n(60), "exp": "true"}, code: shared.CodeTokenNotYetValid, msg: iatSoon},
		{name: "ErrOrderNbfBeforeSub", set: map[string]string{"sub": "", "nbf": n(60)}, code: shared.CodeTokenNotYetValid, msg: nbfSoon},
		{name: "ErrOrderExpTypeBeforeSub", set: map[string]string{"sub": "", "exp": "false"}, code: shared.CodeMalformedToken, msg: expType},
		// Flask-JWT-Extended decodes an expired token again without the
		// exp check, and that finds the missing sub.
		{name: "ErrOrderSubBeforeExpired", set: map[string]string{"sub": "", "exp": n(-60)}, code: shared.CodeMissingClaim, msg: "Missing claim: sub"},
		{name: "ErrOrderExpiredBeforeSubType", set: map[string]string{"sub": "7", "exp": n(-60)}, code: shared.CodeTokenExpired, msg: expired},
		{name: "ErrOrderExpiredBeforeJTI", set: map[string]string{"jti": "", "exp": n(-60)}, code: shared.CodeTokenExpired, msg: expired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tokens.Verify(signRaw(secret, rawClaims(now, tt.set)))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.IssuedAt != tt.iat || c.NotBefore != tt.nbf || c.ExpiresAt != tt.exp || c.Subject != "apple" || c.JTI != "j1" {
					t.Fatalf("claims = %+v, want iat/nbf/exp %d/%d/%d", c, tt.iat, tt.nbf, tt.exp)
				}
				return
			}
			var e *backend.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Msg != tt.msg {
				t.Fatalf("err = %v, want %s: %s", err, tt.code, tt.msg)
			}
		})
	}
	t.Run("ErrSignatureBeforeTimes", func(t *testing.T) {
		for _, set := range []map[string]string{{"exp": `"x"`}, {"iat": n(60)}, {"exp": n(-60)}, {"exp": ""}} {
			tok := signRaw([]byte(strings.Repeat("o", 32)), rawClaims(now, set))
			if _, err := tokens.Verify(tok); backend.ErrorCode(err) != shared.CodeBadSignature {
				t.Fatalf("%v: err = %v, want bad_signature", set, err)
			}
		}
	})
}

// FuzzVerifyTimeClaims puts arbitrary JSON values in exp, nbf and iat:
// Verify answers each with claims or one of the errors PyJWT gives for
// them, never another.
func FuzzVerifyTimeClaims(f *testing.F) {
	clock := testclock.New()
	secret := []byte(strings.Repeat("s", 32))
	tokens, err := auth.NewTokens(secret, 15*time.Minute, 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	tokens.Now = clock.Now
	now := clock.Now().Unix()
	for _, seed := range [][3]string{
		{strconv.FormatInt(now, 10), strconv.FormatInt(now, 10), strconv.FormatInt(now+900, 10)},
		{`"1"`, "null", "true"},
		{"1e400", "-0.5", "99999999999999999999999"},
		{"[1]", `{"a":1}`, "1E-400"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, iat, nbf, exp string) {
		payload := rawClaims(now, map[string]string{"iat": iat, "nbf": nbf, "exp": exp})
		// Only payloads with the other claims as they were: a value such
		// as `1,"sub":2` makes another payload.
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(payload), &m) != nil {
			return
		}
		for k, v := range m {
			switch k {
			case "iat", "nbf", "exp":
			case "fresh", "jti", "type", "sub":
				if string(v) != map[string]string{"fresh": "false", "jti": `"j1"`, "type": `"access"`, "sub": `"apple"`}[k] {
					return
				}
			default:
				return
			}
		}
		if len(m) < 4 || m["sub"] == nil {
			return
		}
		c, err := tokens.Verify(signRaw(secret, payload))
		if err == nil {
			if c.ExpiresAt <= now || c.ExpiresAt > 253402300799 || c.IssuedAt > now || c.NotBefore > now {
				t.Fatalf("%s: accepted with claims %+v", payload, c)
			}
			return
		}
		var e *backend.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: err %v is not a *backend.Error", payload, err)
		}
		switch e.Msg {
		case "Expiration Time claim (exp) must be an integer.", "Issued At claim (iat) must be an integer.",
			"Not Before claim (nbf) must be an integer.", "The token is not yet valid (iat)",
			"The token is not yet valid (nbf)", "Token has expired", "Missing claim: exp":
		default:
			t.Fatalf("%s: %v", payload, err)
		}
	})
}

// BenchmarkVerify measures Verify on a valid token, the path every
// authenticated request takes.
func BenchmarkVerify(b *testing.B) {
	tokens, err := auth.NewTokens([]byte(strings.Repeat("s", 32)), 15*time.Minute, 24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.AccessToken, SessionID: "s1"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
