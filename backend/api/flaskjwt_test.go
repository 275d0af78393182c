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

// flaskJWT returns a function running testdata/flaskjwt.py, which makes and
// checks tokens with Flask-JWT-Extended itself. Without python3 and the
// library the test skips, except under CI=true, where it fails.
func flaskJWT(t *testing.T) func(args ...string) (string, error) {
	t.Helper()
	// Debian's package lands in the system interpreter, which may not be
	// the first python3 on PATH.
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import flask_jwt_extended").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		const how = "apt-get install python3-flask python3-python-flask-jwt-extended"
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 with Flask-JWT-Extended is needed under CI: " + how)
		}
		t.Skip("python3 with Flask-JWT-Extended not found; install it with " + how)
	}
	return func(args ...string) (string, error) {
		out, err := exec.Command(python, append([]string{"testdata/flaskjwt.py"}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
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
