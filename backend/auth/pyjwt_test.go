package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tessera/backend"
	"tessera/internal/testpython"
)

// pyjwt returns the path of a python3 that has PyJWT (Debian's, which
// Flask-JWT-Extended uses). Without one the test skips, except under
// CI=true, where it fails.
func pyjwt(t *testing.T) string {
	t.Helper()
	return testpython.Require(t, "apt-get install python3-python-flask-jwt-extended", "jwt")
}

// malformedTokens are tokens broken in the ways clients and attackers
// break them, and at random: segments missing or extra, characters outside
// base64, segments that decode to bytes that are no text in any encoding
// json.loads guesses, headers and payloads of JSON cut short or altered
// one character at a time, wrong algorithms, key ids and signatures. Some
// carry the right signature, so that what follows it is reached.
func malformedTokens(secret []byte) []string {
	enc := base64.RawURLEncoding.EncodeToString
	sign := func(head, payload string) string {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(head + "." + payload))
		return head + "." + payload + "." + enc(mac.Sum(nil))
	}
	header := `{"alg":"HS256","typ":"JWT"}`
	claims := `{"fresh":false,"iat":1700000000,"jti":"5b1e","type":"access","sub":"apple","nbf":1700000000,"exp":1700000900}`
	good := sign(enc([]byte(header)), enc([]byte(claims)))
	toks := []string{
		"", ".", "..", "...", "a", "a.b", "a.b.c", "a.b.c.d", "!!.!!.!!", "abc.def.ghi",
		"invalid.token.here", "Bearer", "null", "e30.e30.e30", "e30.e30", "e30..", ".e30.",
		good + ".x", good + "!!", good[:len(good)-5], strings.Replace(good, ".", "..", 1),
		good[:10] + "." + good[11:], good + "=", good + "==", good + "===",
		strings.Repeat("a.", 100) + "a",
	}
	// Headers and payloads as JSON texts, whole and altered.
	texts := []string{
		header, claims, `{"alg":"none"}`, `{"alg":"HS512","typ":"JWT"}`, `{"typ":"JWT"}`,
		`{"alg":"HS256","kid":5}`, `{"alg":"HS256","kid":"k1"}`, `{"alg":"HS256","b64":false}`,
		`{"alg":null}`, `{"alg":["HS256"]}`, `[1,2]`, `"text"`, `42`, `null`, `true`, `{}`,
		`{"a":"\u00e9\ud83d\ude00","b":"\n"}`, `{"a":NaN,"b":-Infinity,"c":1e5,"d":-0.5E-3}`,
		"{\"a\":\"x\ty\"}", `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\ud800\u0041"}`, `{"a" 1}`,
		`{"a":1,}`, `{"a":1 "b":2}`, `{'a':1}`, `{"a":[1,2,]}`, `{"a":[1 2]}`, `{"a":tru}`,
		"\xef\xbb\xbf{}", " \n {} \n x", "{\n\"a\":\n}", `{"a":-}`, `{"a":01}`, `{"a":1.}`, `{"a":1e}`,
	}
	r := rand.New(rand.NewPCG(7, 11))
	const junk = "{}[]\",:\\ \n\tx0-eu"
	mutate := func(s string) string {
		b := []byte(s)
		i := r.IntN(len(b) + 1)
		switch r.IntN(4) {
		case 0:
			return string(b[:i])
		case 1:
			return string(b[:i]) + string(junk[r.IntN(len(junk))]) + string(b[i:])
		case 2:
			if i < len(b) {
				b[i] = junk[r.IntN(len(junk))]
			}
			return string(b)
		}
		if i < len(b) {
			return string(b[:i]) + string(b[i+1:])
		}
		return string(b)
	}
	for _, text := range texts {
		toks = append(toks,
			enc([]byte(text))+"."+enc([]byte(claims))+".sig",
			sign(enc([]byte(header)), enc([]byte(text))),
			sign(enc([]byte(text)), enc([]byte(claims))),
		)
		for range 12 {
			m := mutate(text)
			toks = append(toks,
				enc([]byte(m))+"."+enc([]byte(claims))+"."+enc([]byte("sig")),
				sign(enc([]byte(header)), enc([]byte(m))),
			)
		}
	}
	// Random bytes as segments, and random characters as tokens.
	chars := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.!~ "
	for range 600 {
		n := 1 + r.IntN(4)
		segs := make([]string, n)
		for i := range segs {
			if r.IntN(2) == 0 {
				b := make([]byte, r.IntN(12))
				for j := range b {
					b[j] = byte(r.IntN(256))
				}
				segs[i] = enc(b)
			} else {
				b := make([]byte, r.IntN(10))
				for j := range b {
					b[j] = chars[r.IntN(len(chars))]
				}
				segs[i] = string(b)
			}
		}
		toks = append(toks, strings.Join(segs, "."))
	}
	return toks
}

// TestPyCheckAsPyJWT: every token of malformedTokens is refused with the
// message Flask-JWT-Extended and PyJWT give, or let through to the claims
// where they let it through.
func TestPyCheckAsPyJWT(t *testing.T) {
	t.Parallel()
	python := pyjwt(t)
	secret := []byte("a-secret-of-at-least-32-bytes-0123456789")
	tokens, err := NewTokens(secret, 15*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	toks := malformedTokens(secret)
	in, err := json.Marshal(map[string]any{"secret": string(secret), "tokens": toks})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(python, "testdata/pyjwt_errors.py")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pyjwt_errors.py: %v\n%s", err, stderr.String())
	}
	var want []string
	if err := json.Unmarshal(stdout.Bytes(), &want); err != nil || len(want) != len(toks) {
		t.Fatalf("pyjwt_errors.py answered %d messages for %d tokens (%v): %s", len(want), len(toks), err, stdout.String())
	}
	bad := 0
	for i, tok := range toks {
		got := ""
		if err := tokens.pyCheck(tok); err != nil {
			var e *backend.Error
			if !errors.As(err, &e) {
				t.Fatalf("token %q: %v, not a *backend.Error", tok, err)
			}
			got = e.Msg
		}
		if got != want[i] {
			if bad++; bad <= 15 {
				t.Errorf("token %q:\n got %q\nwant %q (PyJWT)", tok, got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d tokens answered unlike PyJWT", bad, len(toks))
	}
	kinds := map[string]int{}
	for _, m := range want {
		m, _, _ = strings.Cut(m, ":")
		kinds[m]++
	}
	t.Logf("%d tokens answered as PyJWT does: %v", len(toks), kinds)
}

// FuzzPyCheck: any token gets an answer (a *backend.Error or nil), never
// a panic.
func FuzzPyCheck(f *testing.F) {
	secret := []byte("a-secret-of-at-least-32-bytes-0123456789")
	for _, tok := range malformedTokens(secret)[:200] {
		f.Add(tok)
	}
	tokens, err := NewTokens(secret, 15*time.Minute, 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if err := tokens.pyCheck(tok); err != nil {
			var e *backend.Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("pyCheck(%q) = %v, want a *backend.Error with a message", tok, err)
			}
		}
	})
}
