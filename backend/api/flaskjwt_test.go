package api_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"tessera/backend/store"
	"tessera/internal/testpython"
	"tessera/shared"
)

// flaskJWT returns a function running testdata/flaskjwt.py, which makes and
// checks tokens with Flask-JWT-Extended itself. Without python3 and the
// library the test skips, except under CI=true, where it fails.
func flaskJWT(t *testing.T) func(args ...string) (string, error) {
	t.Helper()
	python := testpython.Require(t, "apt-get install python3-flask python3-python-flask-jwt-extended", "flask_jwt_extended")
	return func(args ...string) (string, error) {
		// The answer is stdout; stderr (Flask logs a crash's traceback
		// there) only explains a failure.
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(python, append([]string{"testdata/flaskjwt.py"}, args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		out := strings.TrimSpace(stdout.String())
		if err != nil {
			out = strings.TrimSpace(out + "\n" + stderr.String())
		}
		return out, err
	}
}

// TestFlaskJWTExtendedCrossover: tokens made by Flask-JWT-Extended work
// here, and Tessera's tokens pass Flask-JWT-Extended's @jwt_required.
func TestFlaskJWTExtendedCrossover(t *testing.T) {
	t.Parallel()
	run := flaskJWT(t)
	e := newEnv(t, store.SQLite)
	// The library stamps and checks tokens with the real clock: so does the
	// server here.
	e.tokens.Now, e.db.Now, e.srv.Now = time.Now, time.Now, time.Now
	e.handler = e.srv.Handler()
	e.register("apple", "mango")
	secret := string(testSecret)

	t.Run("OKFlaskTokensHere", func(t *testing.T) {
		access, err := run("encode", secret, "apple", "access", "900")
		if err != nil {
			t.Fatalf("encode: %v: %s", err, access)
		}
		checkJSON(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(access)}), 200, `{"user":"apple"}`)
		checkJSON(t, e.do(req{method: "GET", path: "/api/user-data-v2?jwt=" + access}), 200, `{"id":1,"username":"apple"}`)
		refresh, err := run("encode", secret, "apple", "refresh", "86400")
		if err != nil {
			t.Fatalf("encode: %v: %s", err, refresh)
		}
		// Refreshing with the Flask app's token retires it and starts a session.
		w := e.do(req{method: "POST", path: "/api/refresh", header: bearer(refresh)})
		checkJSON(t, w, 200, "")
		var pair shared.TokenPair
		json.Unmarshal(w.Body.Bytes(), &pair)
		checkJSON(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(pair.AccessToken)}), 200, `{"user":"apple"}`)
		checkMsg(t, e.do(req{method: "POST", path: "/api/refresh", header: bearer(refresh)}), 401, "Token has been revoked", shared.CodeTokenRevoked)
		// The Flask access token is revoked on its own, as the seed does.
		checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(access)}), 200, `{"msg":"Access token successfully revoked"}`)
		checkMsg(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(access)}), 401, "Token has been revoked", shared.CodeTokenRevoked)
		checkJSON(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(pair.AccessToken)}), 200, `{"user":"apple"}`)
	})
	t.Run("OKOurTokensThere", func(t *testing.T) {
		pair := e.login("apple", "mango")
		for typ, tok := range map[string]string{"access": pair.AccessToken, "refresh": pair.RefreshToken} {
			out, err := run("check", secret, tok, typ)
			if err != nil || !strings.HasPrefix(out, "200 ") {
				t.Fatalf("Flask-JWT-Extended refuses our %s token: %v: %s", typ, err, out)
			}
			var claims map[string]any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(out, "200 ")), &claims); err != nil {
				t.Fatal(err)
			}
			if claims["sub"] != "apple" || claims["type"] != typ || claims["fresh"] != false {
				t.Fatalf("claims = %v", claims)
			}
		}
	})
	t.Run("ErrSameRefusalsThere", func(t *testing.T) {
		pair := e.login("apple", "mango")
		for _, tt := range []struct{ tok, typ, want string }{
			{pair.RefreshToken, "access", `422 {"msg": "Only non-refresh tokens are allowed"}`},
			{pair.AccessToken, "refresh", `422 {"msg": "Only refresh tokens are allowed"}`},
		} {
			if out, _ := run("check", secret, tt.tok, tt.typ); out != tt.want {
				t.Fatalf("Flask-JWT-Extended answered %s, want %s", out, tt.want)
			}
		}
		if out, _ := run("check", "another-secret-another-secret-0123", pair.AccessToken, "access"); out != `422 {"msg": "Signature verification failed"}` {
			t.Fatalf("with another secret: %s", out)
		}
	})
}

// TestFlaskJWTExtendedTimeClaims sends the same odd exp, nbf and iat claims
// to Tessera and to Flask-JWT-Extended 4.4 on PyJWT 2.6, both at the same
// fixed time (flaskjwt.py replaces the clock PyJWT reads), and checks that
// they answer alike: same status and msg. Where PyJWT accepts a value that
// is not a JSON number, or crashes (a 500), Tessera refuses it on purpose
// with PyJWT's message for a value that is not an integer: those rows say
// what the library answers instead, so that the test shows every way in
// which the two differ.
func TestFlaskJWTExtendedTimeClaims(t *testing.T) {
	t.Parallel()
	run := flaskJWT(t)
	e := newEnv(t, store.SQLite)
	e.register("apple", "mango")
	// Tessera refuses a token without a session issued before its
	// account: the tokens are issued an hour after it.
	e.clock.Advance(time.Hour)
	now := e.clock.Now()
	n := func(d int64) json.RawMessage { return json.RawMessage(strconv.FormatInt(now.Unix()+d, 10)) }
	half := func(d int64) json.RawMessage { return json.RawMessage(strconv.FormatInt(now.Unix()+d, 10) + ".5") }
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	digits := func(d int64) string { return strconv.FormatInt(now.Unix()+d, 10) }
	const (
		expType = "422 Expiration Time claim (exp) must be an integer."
		iatType = "422 Issued At claim (iat) must be an integer."
		nbfType = "422 Not Before claim (nbf) must be an integer."
		iatSoon = "422 The token is not yet valid (iat)"
		nbfSoon = "422 The token is not yet valid (nbf)"
		expired = "401 Token has expired"
		ok      = "200 "
	)
	type claims = map[string]any
	tests := []struct {
		name   string
		claims map[string]any // over flaskClaims; a nil value removes the claim
		want   string         // Tessera's "STATUS msg" ("200 " when accepted)
		// When Flask-JWT-Extended answers otherwise: the start of its answer.
		flask string
		key   []byte // the signing key when not testSecret
	}{
		{name: "OKIntegers", want: ok},
		{name: "OKFloats", claims: claims{"iat": half(-2), "nbf": half(-2), "exp": half(900)}, want: ok},
		{name: "OKExponent", claims: claims{"exp": raw(strconv.FormatFloat(float64(now.Unix()+900), 'e', -1, 64)), "iat": raw(strconv.FormatFloat(float64(now.Unix()-60), 'E', -1, 64))}, want: ok},
		{name: "OKNbfFractionCutToNow", claims: claims{"nbf": half(0)}, want: ok},
		{name: "OKExpOneSecondLeft", claims: claims{"exp": n(1)}, want: ok},
		{name: "OKIatBeforeNbf", claims: claims{"iat": n(-60), "nbf": n(-60 * 60)}, want: ok},
		{name: "OKNegativeNbf", claims: claims{"nbf": raw("-5.5")}, want: ok},
		{name: "OKNoNbf", claims: claims{"nbf": nil}, want: ok},
		{name: "OKHugeExp", claims: claims{"exp": raw("99999999999999999999999")}, want: ok},
		{name: "OKFloatExpBeyondInt64", claims: claims{"exp": raw("1e300")}, want: ok},

		{name: "ErrExpAtNow", claims: claims{"exp": n(0)}, want: expired},
		{name: "ErrExpFractionCutToNow", claims: claims{"exp": half(0)}, want: expired},
		{name: "ErrExpNegative", claims: claims{"exp": raw("-5")}, want: expired},
		{name: "ErrExpWordString", claims: claims{"exp": "soon"}, want: expType},
		{name: "ErrExpEmptyString", claims: claims{"exp": ""}, want: expType},
		{name: "ErrExpFloatString", claims: claims{"exp": digits(900) + ".5"}, want: expType},
		{name: "ErrIatWordString", claims: claims{"iat": "now"}, want: iatType},
		{name: "ErrIatFuture", claims: claims{"iat": n(1)}, want: iatSoon},
		{name: "ErrIatFutureFraction", claims: claims{"iat": half(0)}, want: iatSoon},
		{name: "ErrIatHuge", claims: claims{"iat": raw("99999999999999999999999")}, want: iatSoon},
		{name: "ErrNbfWordString", claims: claims{"nbf": "now"}, want: nbfType},
		{name: "ErrNbfFuture", claims: claims{"nbf": n(1)}, want: nbfSoon},
		{name: "ErrNbfHuge", claims: claims{"nbf": raw("1e19")}, want: nbfSoon},

		// PyJWT's order: iat, nbf, exp; then Flask-JWT-Extended's sub.
		// Tessera's own checks (jti, sid, sub a string) come last.
		{name: "ErrOrderIatBeforeNbf", claims: claims{"iat": n(60), "nbf": n(60)}, want: iatSoon},
		{name: "ErrOrderIatBeforeExp", claims: claims{"iat": n(60), "exp": n(-60)}, want: iatSoon},
		{name: "ErrOrderIatTypeBeforeExpired", claims: claims{"iat": "x", "exp": n(-60)}, want: iatType},
		{name: "ErrOrderNbfBeforeExp", claims: claims{"nbf": n(60), "exp": n(-60)}, want: nbfSoon},
		{name: "ErrOrderNbfTypeBeforeExpType", claims: claims{"nbf": "x", "exp": "x"}, want: nbfType},
		{name: "ErrOrderIatFutureBeforeExpType", claims: claims{"iat": n(60), "exp": "x"}, want: iatSoon},
		{name: "ErrOrderNbfBeforeSub", claims: claims{"sub": nil, "nbf": n(60)}, want: nbfSoon},
		{name: "ErrOrderExpTypeBeforeSub", claims: claims{"sub": nil, "exp": "x"}, want: expType},
		// The library decodes an expired token again without the exp
		// check, to attach its claims to the error: that finds no sub.
		{name: "ErrOrderSubBeforeExpired", claims: claims{"sub": nil, "exp": n(-60)}, want: "422 Missing claim: sub"},
		{name: "ErrOrderSignatureBeforeTimes", claims: claims{"exp": "x", "iat": n(60)}, key: []byte("another-secret-another-secret-0123"), want: "422 Signature verification failed"},

		// Where Tessera is stricter than PyJWT 2.6 (which runs int() on
		// the claim: a string of digits or a bool passes), and where
		// PyJWT crashes; Tessera answers 422 in every case.
		{name: "DiffExpDigitString", claims: claims{"exp": digits(900)}, want: expType, flask: ok},
		{name: "DiffExpDigitStringPast", claims: claims{"exp": digits(-60)}, want: expType, flask: expired},
		{name: "DiffExpTrue", claims: claims{"exp": true}, want: expType, flask: expired},
		{name: "DiffExpObject", claims: claims{"exp": claims{}}, want: expType, flask: "500 TypeError: "},
		{name: "DiffExpInfinite", claims: claims{"exp": raw("1e400")}, want: expType, flask: "500 OverflowError: "},
		// Tessera requires exp, as PyJWT's "require" option would (a null
		// counts as missing there); Flask-JWT-Extended does not.
		{name: "DiffExpNull", claims: claims{"exp": raw("null")}, want: "422 Missing claim: exp", flask: "500 TypeError: "},
		{name: "DiffExpMissing", claims: claims{"exp": nil}, want: "422 Missing claim: exp", flask: ok},
		{name: "DiffIatDigitString", claims: claims{"iat": digits(0)}, want: iatType, flask: "500 TypeError: '>' not supported"},
		{name: "DiffIatNull", claims: claims{"iat": raw("null")}, want: iatType, flask: "500 TypeError: "},
		{name: "DiffIatTrue", claims: claims{"iat": true}, want: iatType, flask: ok},
		{name: "DiffIatInfinite", claims: claims{"iat": raw("-1e400")}, want: iatType, flask: "500 OverflowError: "},
		{name: "DiffNbfDigitString", claims: claims{"nbf": digits(0)}, want: nbfType, flask: ok},
		{name: "DiffNbfDigitStringFuture", claims: claims{"nbf": digits(60)}, want: nbfType, flask: nbfSoon},
		{name: "DiffNbfFalse", claims: claims{"nbf": false}, want: nbfType, flask: ok},
		{name: "DiffNbfArray", claims: claims{"nbf": []any{}}, want: nbfType, flask: "500 TypeError: "},
	}
	toks := make([]string, len(tests))
	for i, tt := range tests {
		c := flaskClaims("apple", "access", now, 15*time.Minute)
		for k, v := range tt.claims {
			if v == nil {
				c = without(c, k)
			} else {
				c[k] = v
			}
		}
		key := testSecret
		if tt.key != nil {
			key = tt.key
		}
		toks[i] = encodeJWT(t, key, hs256, c)
	}
	// One run of the library for all tokens, at Tessera's time.
	out, err := run(append([]string{"checkmany", string(testSecret), "access", strconv.FormatInt(now.Unix(), 10)}, toks...)...)
	if err != nil {
		t.Fatalf("checkmany: %v: %s", err, out)
	}
	answers := strings.Split(out, "\n")
	if len(answers) != len(tests) {
		t.Fatalf("Flask-JWT-Extended gave %d answers for %d tokens: %s", len(answers), len(tests), out)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/user-data", header: bearer(toks[i])})
			var body shared.ErrorBody
			json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code >= 500 {
				t.Fatalf("Tessera answered %d %s", w.Code, w.Body)
			}
			if got := strconv.Itoa(w.Code) + " " + body.Msg; got != tt.want {
				t.Fatalf("Tessera answered %q (%s), want %q", got, w.Body, tt.want)
			}
			flask := flaskAnswer(t, answers[i])
			switch {
			case tt.flask == "":
				if flask != tt.want {
					t.Fatalf("Flask-JWT-Extended answered %q, Tessera %q (%s)", flask, tt.want, answers[i])
				}
			case !strings.HasPrefix(flask, tt.flask):
				t.Fatalf("Flask-JWT-Extended answered %q, want %q... (the known difference from Tessera's %q)", flask, tt.flask, tt.want)
			}
		})
	}
}

// flaskAnswer turns a line of flaskjwt.py's, "STATUS BODY", into "STATUS
// msg" (msg empty for an answer without one, as the decoded claims).
func flaskAnswer(t *testing.T, line string) string {
	t.Helper()
	status, body, found := strings.Cut(line, " ")
	var m map[string]any
	if !found || json.Unmarshal([]byte(body), &m) != nil {
		t.Fatalf("flaskjwt.py printed %q", line)
	}
	msg, _ := m["msg"].(string)
	return status + " " + msg
}
