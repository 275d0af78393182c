package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tessera/shared"
)

// TestRegister covers each register rule, in the contract's order, in both
// body forms.
func TestRegister(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("taken", "secret")
		e.register("cafe\u0301", "secret") // stored as NFC "caf\u00e9"
		const missing = "password or username has not been entered"
		tests := []struct {
			name   string
			body   string
			status int
			msg    string
			code   string
		}{
			{"ErrEmptyUsername", creds("", "secret"), 400, missing, shared.CodeMissingCredentials},
			{"ErrEmptyPassword", creds("alice", ""), 400, missing, shared.CodeMissingCredentials},
			{"ErrNoFields", `{}`, 400, missing, shared.CodeMissingCredentials},
			{"ErrNullUsername", `{"username":null,"password":"secret"}`, 400, missing, shared.CodeMissingCredentials},
			{"ErrNumberUsername", `{"username":12345,"password":"secret"}`, 400, missing, shared.CodeMissingCredentials},
			{"ErrArrayPassword", `{"username":"alice","password":["secret"]}`, 400, missing, shared.CodeMissingCredentials},
			{"ErrEmptyBody", ``, 400, missing, shared.CodeMissingCredentials},
			{"ErrPasswordTooShort", creds("alice", "abcd"), 400, "password is too short", shared.CodePasswordTooShort},
			{"ErrBothTooShortPasswordFirst", creds("al", "abcd"), 400, "password is too short", shared.CodePasswordTooShort},
			{"ErrUsernameTooShort", creds("al", "secret"), 400, "username is too short", shared.CodeUsernameTooShort},
			{"ErrPasswordTooLong", creds("alice", strings.Repeat("p", 73)), 400, "password is too long", shared.CodePasswordTooLong},
			{"ErrPasswordTooLongInBytes", creds("alice", strings.Repeat("é", 37)), 400, "password is too long", shared.CodePasswordTooLong},
			{"ErrUsernameTooLong", creds(strings.Repeat("u", 65), "secret"), 400, "username is too long", shared.CodeUsernameTooLong},
			{"ErrUsernameNUL", creds("ali\x00ce", "secret"), 400, "username contains invalid characters", shared.CodeUsernameInvalid},
			{"ErrUsernameBidi", creds("ali\u202ece", "secret"), 400, "username contains invalid characters", shared.CodeUsernameInvalid},
			{"ErrUsernameZeroWidth", creds("ali\u200dce", "secret"), 400, "username contains invalid characters", shared.CodeUsernameInvalid},
			{"ErrUsernameLeadingSpace", creds(" alice", "secret"), 400, "username contains invalid characters", shared.CodeUsernameInvalid},
			{"ErrUsernameTrailingSpace", creds("alice\t", "secret"), 400, "username contains invalid characters", shared.CodeUsernameInvalid},
			{"ErrTaken", creds("taken", "secret"), 409, "The username is already in use", shared.CodeUsernameTaken},
			{"ErrTakenEnvelope", envelope(creds("taken", "secret")), 409, "The username is already in use", shared.CodeUsernameTaken},
			{"ErrTakenDecomposed", creds("cafe\u0301", "secret"), 409, "The username is already in use", shared.CodeUsernameTaken},
			{"ErrTakenComposed", creds("caf\u00e9", "secret"), 409, "The username is already in use", shared.CodeUsernameTaken},
			{"OK", creds("alice", "secret"), 200, "", ""},
			{"OKEnvelope", envelope(creds("bob", "secret")), 200, "", ""},
			{"OKCaseSensitive", creds("Alice", "secret"), 200, "", ""},
			{"OKExactly72Bytes", creds("carol", strings.Repeat("p", 72)), 200, "", ""},
			{"OKUnicodeName", creds("りんご", "secret"), 200, "", ""},
			{"OKMinimums", creds("abc", "12345"), 200, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := e.do(req{method: "POST", path: "/api/register", body: tt.body})
				if tt.status == 200 {
					checkJSON(t, w, 200, `"create account"`)
					return
				}
				checkMsg(t, w, tt.status, tt.msg, tt.code)
			})
		}
		t.Run("OKLoginAfterRegister", func(t *testing.T) {
			e.login("りんご", "secret")
			e.login("caf\u00e9", "secret") // the composed spelling finds the name registered decomposed
		})
	})
}

// TestLogin checks that a wrong name and a wrong password get the same
// answer, in both body forms.
func TestLogin(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		const bad = "Incorrect password or username"
		tests := []struct {
			name   string
			body   string
			status int
			msg    string
			code   string
		}{
			{"ErrWrongPassword", creds("apple", "melon"), 401, bad, shared.CodeBadCredentials},
			{"ErrUnknownUser", creds("pear", "mango"), 401, bad, shared.CodeBadCredentials},
			{"ErrWrongCase", creds("Apple", "mango"), 401, bad, shared.CodeBadCredentials},
			{"ErrLongPasswordSharingPrefix", creds("apple", "mango"+strings.Repeat("x", 80)), 401, bad, shared.CodeBadCredentials},
			// As the Flask app, which looks the name up and finds nobody:
			// only registration answers these 400.
			{"ErrMissing", `{"username":"apple"}`, 401, bad, shared.CodeBadCredentials},
			{"ErrEmptyBoth", `{"username":"","password":""}`, 401, bad, shared.CodeBadCredentials},
			{"ErrEmptyBothEnvelope", envelope(`{"username":"","password":""}`), 401, bad, shared.CodeBadCredentials},
			{"ErrNullName", `{"username":null,"password":"mango"}`, 401, bad, shared.CodeBadCredentials},
			{"ErrNumberName", `{"username":12345,"password":"mango"}`, 401, bad, shared.CodeBadCredentials},
			{"ErrNoFields", `{}`, 401, bad, shared.CodeBadCredentials},
			{"ErrEnvelopeWrongPassword", envelope(creds("apple", "melon")), 401, bad, shared.CodeBadCredentials},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				checkMsg(t, e.do(req{method: "POST", path: "/api/login", body: tt.body}), tt.status, tt.msg, tt.code)
			})
		}
		t.Run("SameAnswerForUnknownNameAndWrongPassword", func(t *testing.T) {
			a := e.do(req{method: "POST", path: "/api/login", body: creds("apple", "melon")})
			b := e.do(req{method: "POST", path: "/api/login", body: creds("nobody", "melon")})
			// Each answer has its own request id; the rest must match.
			if a.Header().Get("X-Request-Id") == "" || b.Header().Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
			a.Header().Del("X-Request-Id")
			b.Header().Del("X-Request-Id")
			if a.Code != b.Code || a.Body.String() != b.Body.String() || fmt.Sprint(a.Header()) != fmt.Sprint(b.Header()) {
				t.Fatalf("answers differ:\n%d %v %s\n%d %v %s", a.Code, a.Header(), a.Body, b.Code, b.Header(), b.Body)
			}
		})
		t.Run("OKEnvelope", func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/api/login", body: envelope(creds("apple", "mango"))})
			checkJSON(t, w, 200, "")
		})
	})
}

// TestSessionFlow walks register → login → user-data → user-data-v2 →
// refresh → logout → revoked as a seed client (envelope bodies, ?jwt=) and
// as a plain-JSON client (Authorization header).
func TestSessionFlow(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		for _, client := range []struct {
			name     string
			wrap     func(string) string
			useQuery bool
		}{
			{"SeedClient", envelope, true},
			{"PlainClient", func(s string) string { return s }, false},
		} {
			t.Run(client.name, func(t *testing.T) {
				user := strings.ToLower(client.name)
				auth := func(path, tok string) req {
					if client.useQuery {
						return req{path: path + "?jwt=" + tok}
					}
					return req{path: path, header: bearer(tok)}
				}
				checkJSON(t, e.do(req{method: "POST", path: "/api/register", body: client.wrap(creds(user, "mango"))}), 200, `"create account"`)
				w := e.do(req{method: "POST", path: "/api/login", body: client.wrap(creds(user, "mango"))})
				checkJSON(t, w, 200, "")
				var pair shared.TokenPair
				json.Unmarshal(w.Body.Bytes(), &pair)

				r := auth("/api/user-data", pair.AccessToken)
				r.method = "GET"
				checkJSON(t, e.do(r), 200, fmt.Sprintf(`{"user":%q}`, user))

				r = auth("/api/user-data-v2", pair.AccessToken)
				r.method = "GET"
				w = e.do(r)
				var v2 shared.UserDataV2
				json.Unmarshal(w.Body.Bytes(), &v2)
				if w.Code != 200 || v2.Username != user || v2.ID <= 0 {
					t.Fatalf("user-data-v2 = %d %s", w.Code, w.Body)
				}

				w = e.do(req{method: "POST", path: "/api/refresh", header: bearer(pair.RefreshToken)})
				checkJSON(t, w, 200, "")
				var refreshed shared.TokenPair
				json.Unmarshal(w.Body.Bytes(), &refreshed)
				if refreshed.AccessToken == "" || refreshed.RefreshToken == "" || refreshed.RefreshToken == pair.RefreshToken {
					t.Fatalf("refresh = %s, want a new access token and a rotated refresh token", w.Body)
				}
				r = auth("/api/user-data", refreshed.AccessToken)
				r.method = "GET"
				checkJSON(t, e.do(r), 200, fmt.Sprintf(`{"user":%q}`, user))

				// Logout with the access token ends the session: every token of
				// it stops working at once, the refresh tokens too.
				checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(refreshed.AccessToken)}), 200, `{"msg":"Access token successfully revoked"}`)
				for _, tok := range []string{refreshed.AccessToken, pair.AccessToken} {
					r = auth("/api/user-data", tok)
					r.method = "GET"
					checkMsg(t, e.do(r), 401, "Token has been revoked", shared.CodeTokenRevoked)
				}
				for _, tok := range []string{refreshed.RefreshToken, pair.RefreshToken} {
					checkMsg(t, e.do(req{method: "POST", path: "/api/refresh", header: bearer(tok)}), 401, "Token has been revoked", shared.CodeTokenRevoked)
					// A front-end that signs out its refresh token after its
					// access token, as Flask-JWT-Extended's documentation
					// shows, gets the Flask app's 200 the first time, and
					// the blocklist's 401 after.
					checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(tok)}), 200, `{"msg":"Refresh token successfully revoked"}`)
					checkMsg(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(tok)}), 401, "Token has been revoked", shared.CodeTokenRevoked)
					checkMsg(t, e.do(req{method: "POST", path: "/api/refresh", header: bearer(tok)}), 401, "Token has been revoked", shared.CodeTokenRevoked)
				}
				// The access token that signed out was presented already.
				checkMsg(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(refreshed.AccessToken)}), 401, "Token has been revoked", shared.CodeTokenRevoked)

				// Logout with the refresh token ends its session too.
				pair2 := e.login(user, "mango")
				checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(pair2.RefreshToken)}), 200, `{"msg":"Refresh token successfully revoked"}`)
				r = auth("/api/user-data", pair2.AccessToken)
				r.method = "GET"
				checkMsg(t, e.do(r), 401, "Token has been revoked", shared.CodeTokenRevoked)

				// A new sign-in is a new session, untouched by the ended ones.
				pair3 := e.login(user, "mango")
				r = auth("/api/user-data", pair3.AccessToken)
				r.method = "GET"
				checkJSON(t, e.do(r), 200, fmt.Sprintf(`{"user":%q}`, user))
			})
		}
	})
}

// TestBadInput sends bodies and headers no client should send: every one
// gets a JSON 4xx and none writes a row.
func TestBadInput(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		big := `{"username":"` + strings.Repeat("a", 70<<10) + `","password":"secret"}`
		tests := []struct {
			name   string
			path   string
			body   string
			ctype  string
			status int
			code   string
		}{
			{"ErrNotJSON", "/api/register", `username=alice&password=secret`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrTruncatedJSON", "/api/register", `{"username":"alice",`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrArray", "/api/register", `["alice","secret"]`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrString", "/api/register", `"alice"`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrNumber", "/api/login", `42`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrNull", "/api/login", `null`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrTwoValues", "/api/register", `{"username":"alice","password":"secret"} {}`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrEnvelopeNotJSON", "/api/register", `{"body":"not json"}`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrEnvelopeNumber", "/api/register", `{"body":12}`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrEnvelopeArray", "/api/login", `{"body":"[1,2]"}`, "application/json", 400, shared.CodeInvalidJSON},
			{"ErrTooLarge", "/api/register", big, "application/json", 413, shared.CodeBodyTooLarge},
			{"ErrFormContentType", "/api/register", creds("alice", "secret"), "application/x-www-form-urlencoded", 415, shared.CodeUnsupportedMedia},
			{"ErrMultipart", "/api/login", creds("alice", "secret"), "multipart/form-data; boundary=x", 415, shared.CodeUnsupportedMedia},
			{"ErrBadContentType", "/api/login", creds("alice", "secret"), ";;;", 415, shared.CodeUnsupportedMedia},
			// Cross-site POSTs a browser sends without a preflight.
			{"ErrTextPlain", "/api/register", creds("alice", "secret"), "text/plain;charset=UTF-8", 415, shared.CodeUnsupportedMedia},
			{"ErrTextPlainLogin", "/api/login", creds("alice", "secret"), "text/plain", 415, shared.CodeUnsupportedMedia},
			{"ErrNoContentType", "/api/register", creds("alice", "secret"), "", 415, shared.CodeUnsupportedMedia},
			{"ErrJSONLookalike", "/api/register", creds("alice", "secret"), "text/json", 415, shared.CodeUnsupportedMedia},
			{"ErrInvalidUTF8Name", "/api/register", "{\"username\":\"al\xffce\",\"password\":\"secret\"}", "application/json", 400, shared.CodeUsernameInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := e.do(req{method: "POST", path: tt.path, body: tt.body, header: map[string]string{"Content-Type": tt.ctype}})
				if w.Code != tt.status {
					t.Fatalf("status = %d, want %d (%s)", w.Code, tt.status, w.Body)
				}
				var body shared.ErrorBody
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Msg == "" || body.Code != tt.code {
					t.Fatalf("body = %s, want a msg and code %q", w.Body, tt.code)
				}
			})
		}
		n, err := e.db.CountUsersNamed(context.Background(), "alice")
		if err != nil || n != 0 {
			t.Fatalf("users named alice = %d, %v; want 0", n, err)
		}
		t.Run("OKJSONWithCharset", func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/api/register", body: creds("dave", "secret"), header: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
			checkJSON(t, w, 200, `"create account"`)
		})
		t.Run("OKJSONSuffix", func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/api/register", body: creds("erin", "secret"), header: map[string]string{"Content-Type": "application/vnd.api+json"}})
			checkJSON(t, w, 200, `"create account"`)
		})
		t.Run("OKNoBodyNoContentType", func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/api/register"})
			checkMsg(t, w, 400, shared.MsgMissingCredentials, shared.CodeMissingCredentials)
		})
		t.Run("ErrTextPlainWhereNoBodyIsRead", func(t *testing.T) {
			// Refresh and events/seen read no body, but refuse one that is
			// not JSON all the same (after the token's checks); without a
			// body they need no Content-Type.
			e.register("frank", "secret")
			p := e.login("frank", "secret")
			for _, r := range []req{
				{method: "POST", path: "/api/refresh", body: "hello", header: bearer(p.RefreshToken)},
				{method: "POST", path: "/api/events/seen", body: "hello", header: bearer(p.AccessToken)},
			} {
				r.header["Content-Type"] = "text/plain"
				checkMsg(t, e.do(r), 415, "Content-Type must be application/json", shared.CodeUnsupportedMedia)
			}
			checkJSON(t, e.do(req{method: "POST", path: "/api/events/seen", header: bearer(p.AccessToken)}), 200, "")
			checkJSON(t, e.do(req{method: "POST", path: "/api/refresh", header: bearer(p.RefreshToken)}), 200, "")
		})
		t.Run("ErrHugeAuthorization", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/user-data", header: map[string]string{"Authorization": "Bearer " + strings.Repeat("a.", 20000) + "a"}})
			checkMsg(t, w, 422, "Invalid header padding", shared.CodeMalformedToken)
		})
		t.Run("ErrManyAuthorizationFields", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/user-data", header: map[string]string{"Authorization": strings.Repeat("Basic x, ", 1000) + "Bearer x"}})
			checkMsg(t, w, 422, "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'", shared.CodeBadAuthHeader)
		})
	})
}

// TestRouting checks JSON 404/405 and the health check.
func TestRouting(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		checkMsg(t, e.do(req{method: "GET", path: "/api/nope"}), 404, "Not Found", shared.CodeNotFound)
		checkMsg(t, e.do(req{method: "GET", path: "/nope"}), 404, "Not Found", shared.CodeNotFound)
		checkMsg(t, e.do(req{method: "GET", path: "/api"}), 404, "Not Found", shared.CodeNotFound)
		checkMsg(t, e.do(req{method: "POST", path: "/api/"}), 404, "Not Found", shared.CodeNotFound)
		w405 := e.do(req{method: "POST", path: "/api/files/x.png"})
		checkMsg(t, w405, 405, "The method is not allowed for the requested URL.", shared.CodeMethodNotAllowed)
		if got, want := w405.Header().Get("Allow"), "GET, HEAD, OPTIONS"; got != want {
			t.Fatalf("Allow = %q, want %q", got, want)
		}
		w := e.do(req{method: "GET", path: "/api/login"})
		checkMsg(t, w, 405, "The method is not allowed for the requested URL.", shared.CodeMethodNotAllowed)
		if got, want := w.Header().Get("Allow"), "POST, OPTIONS"; got != want {
			t.Fatalf("Allow = %q, want %q", got, want)
		}
		checkMsg(t, e.do(req{method: "POST", path: "/api/logout"}), 405, "The method is not allowed for the requested URL.", shared.CodeMethodNotAllowed)
		checkMsg(t, e.do(req{method: "GET", path: "/api/../api/user-data"}), 404, "Not Found", shared.CodeNotFound)
		checkJSON(t, e.do(req{method: "GET", path: "/api/healthz"}), 200, `{"status":"ok","version":"test"}`)
	})
}

// TestCORS checks the headers on answers and preflights.
func TestCORS(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		t.Run("OKNoOrigin", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/healthz"})
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
				t.Fatalf("ACAO = %q, want *", got)
			}
		})
		t.Run("OKOriginEchoed", func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/api/login", body: creds("x", "y"), header: map[string]string{"Origin": "http://localhost:3000"}})
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != "http://localhost:3000" {
				t.Fatalf("ACAO = %q", got)
			}
			if got := w.Header().Values("Vary"); len(got) == 0 || got[0] != "Origin" {
				t.Fatalf("Vary = %q", got)
			}
		})
		t.Run("OKPreflightNeedsNoToken", func(t *testing.T) {
			w := e.do(req{method: "OPTIONS", path: "/api/user-data", header: map[string]string{
				"Origin":                         "http://localhost:3000",
				"Access-Control-Request-Method":  "GET",
				"Access-Control-Request-Headers": "authorization,content-type",
			}})
			if w.Code != 204 && w.Code != 200 {
				t.Fatalf("preflight status = %d", w.Code)
			}
			h := w.Header()
			if h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") ||
				h.Get("Access-Control-Allow-Headers") != "authorization,content-type" {
				t.Fatalf("preflight headers = %v", h)
			}
		})
	})
	t.Run("OriginNotAllowed", func(t *testing.T) {
		// An allow-list that does not hold the origin gives no ACAO.
		e := newEnv(t, "sqlite")
		e.handler = restrictOrigins(t, e, "https://app.example.com")
		w := e.do(req{method: "GET", path: "/api/healthz", header: map[string]string{"Origin": "https://evil.example"}})
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("ACAO = %q, want none", got)
		}
		w = e.do(req{method: "GET", path: "/api/healthz", header: map[string]string{"Origin": "https://app.example.com"}})
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
			t.Fatalf("ACAO = %q, want the allowed origin", got)
		}
		// Without Origin: no ACAO (not "*"), and Vary so that a cache
		// keeps it apart.
		w = e.do(req{method: "GET", path: "/api/healthz"})
		if got, vary := w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Vary"); got != "" || vary != "Origin" {
			t.Fatalf("without Origin: ACAO = %q, Vary = %q; want none and Origin", got, vary)
		}
	})
}

// TestConcurrentRegister races 100 registrations of one name through a real
// listener: exactly one wins.
func TestConcurrentRegister(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		const n = 100
		count := e.race(t, n, func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url+"/api/register", strings.NewReader(creds("racer", "secret")))
			r.Header.Set("Content-Type", "application/json")
			return r
		})
		if count[200] != 1 || count[409] != n-1 || len(count) != 2 {
			t.Fatalf("statuses = %v, want 1×200 and %d×409", count, n-1)
		}
		rows, err := e.db.CountUsersNamed(context.Background(), "racer")
		if err != nil || rows != 1 {
			t.Fatalf("rows = %d, %v; want 1", rows, err)
		}
	})
}
