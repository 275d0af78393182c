package api_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tessera/backend/store"
	"tessera/shared"
)

// pyjwt returns a function running testdata/flaskjwt.py, which makes and
// checks tokens as Flask-JWT-Extended does on top of PyJWT. Without python3
// and PyJWT the test skips, except under CI=true, where it fails.
func pyjwt(t *testing.T) func(args ...string) (string, error) {
	t.Helper()
	// Debian's python3-jwt lands in the system interpreter, which may not
	// be the first python3 on PATH.
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import jwt").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 with PyJWT is needed under CI (apt-get install python3-jwt)")
		}
		t.Skip("python3 with PyJWT not found; install it with apt-get install python3-jwt")
	}
	return func(args ...string) (string, error) {
		out, err := exec.Command(python, append([]string{"testdata/flaskjwt.py"}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
}

// TestPyJWTCrossover: tokens from PyJWT in Flask-JWT-Extended's way work
// here, and Tessera's tokens pass Flask-JWT-Extended's checks.
func TestPyJWTCrossover(t *testing.T) {
	run := pyjwt(t)
	e := newEnv(t, store.SQLite)
	// PyJWT stamps and checks tokens with the real clock: so does the server here.
	e.tokens.Now, e.db.Now = time.Now, time.Now
	e.register("apple", "mango")
	secret := string(testSecret)

	t.Run("OKFlaskTokensHere", func(t *testing.T) {
		access, err := run("encode", secret, "apple", "access", "900")
		if err != nil {
			t.Fatalf("encode: %v: %s", err, access)
		}
		checkJSON(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(access)}), 200, `{"user":"apple"}`)
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
			out, err := run("decode", secret, tok, typ)
			if err != nil {
				t.Fatalf("Flask-JWT-Extended refuses our %s token: %v: %s", typ, err, out)
			}
			var claims map[string]any
			if err := json.Unmarshal([]byte(out), &claims); err != nil {
				t.Fatal(err)
			}
			if claims["sub"] != "apple" || claims["type"] != typ || claims["fresh"] != false {
				t.Fatalf("claims = %v", claims)
			}
		}
		if out, err := run("decode", "another-secret-another-secret-0123", pair.AccessToken, "access"); err == nil {
			t.Fatalf("decoded with another secret: %s", out)
		}
	})
}
