package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tessera/shared"
)

func (e *env) refresh(t testing.TB, tok string) (shared.TokenPair, *httptest.ResponseRecorder) {
	t.Helper()
	w := e.do(req{method: "POST", path: "/api/refresh", header: bearer(tok)})
	var p shared.TokenPair
	json.Unmarshal(w.Body.Bytes(), &p)
	return p, w
}

// alive fails unless the access token works.
func (e *env) alive(t testing.TB, access string) {
	t.Helper()
	if w := e.do(req{method: "GET", path: "/api/user-data", header: bearer(access)}); w.Code != 200 {
		t.Fatalf("access token refused: %d %s", w.Code, w.Body)
	}
}

// dead fails unless the token is refused as revoked, at user-data (access)
// or refresh (refresh).
func (e *env) dead(t testing.TB, tok string, refresh bool) {
	t.Helper()
	r := req{method: "GET", path: "/api/user-data", header: bearer(tok)}
	if refresh {
		r = req{method: "POST", path: "/api/refresh", header: bearer(tok)}
	}
	checkMsg(t, e.do(r), 401, "Token has been revoked", shared.CodeTokenRevoked)
}

func (e *env) sessions(t testing.TB, access string) []shared.SessionInfo {
	t.Helper()
	w := e.do(req{method: "GET", path: "/api/sessions", header: bearer(access)})
	checkJSON(t, w, 200, "")
	var list shared.SessionList
	json.Unmarshal(w.Body.Bytes(), &list)
	return list.Sessions
}

func TestLogoutScopes(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		e.register("pear", "mango")
		t.Run("OKEitherTokenEndsBoth", func(t *testing.T) {
			for _, useRefresh := range []bool{false, true} {
				p := e.login("apple", "mango")
				tok := p.AccessToken
				if useRefresh {
					tok = p.RefreshToken
				}
				checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(tok)}), 200, "")
				e.dead(t, p.AccessToken, false)
				e.dead(t, p.RefreshToken, true)
			}
		})
		t.Run("OKOthers", func(t *testing.T) {
			a, b, c := e.login("apple", "mango"), e.login("apple", "mango"), e.login("apple", "mango")
			other := e.login("pear", "mango")
			checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout?scope=others", header: bearer(a.AccessToken)}), 200, `{"msg":"Access token successfully revoked"}`)
			e.alive(t, a.AccessToken)
			if _, w := e.refresh(t, a.RefreshToken); w.Code != 200 {
				t.Fatalf("own session ended by scope=others: %d %s", w.Code, w.Body)
			}
			for _, p := range []shared.TokenPair{b, c} {
				e.dead(t, p.AccessToken, false)
				e.dead(t, p.RefreshToken, true)
			}
			e.alive(t, other.AccessToken)
		})
		t.Run("OKGlobal", func(t *testing.T) {
			a, b := e.login("apple", "mango"), e.login("apple", "mango")
			other := e.login("pear", "mango")
			checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout?scope=global", header: bearer(a.RefreshToken)}), 200, `{"msg":"Refresh token successfully revoked"}`)
			for _, p := range []shared.TokenPair{a, b} {
				e.dead(t, p.AccessToken, false)
				e.dead(t, p.RefreshToken, true)
			}
			e.alive(t, other.AccessToken)
		})
		t.Run("ErrUnknownScope", func(t *testing.T) {
			a := e.login("apple", "mango")
			w := e.do(req{method: "DELETE", path: "/api/logout?scope=everything", header: bearer(a.AccessToken)})
			checkMsg(t, w, 400, "scope must be others or global", shared.CodeInvalidScope)
			e.alive(t, a.AccessToken)
		})
	})
}

func TestRotation(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		t.Run("OKGraceThenReuseEndsSession", func(t *testing.T) {
			r1 := e.login("apple", "mango")
			r2, w := e.refresh(t, r1.RefreshToken)
			if w.Code != 200 || r2.RefreshToken == "" || r2.RefreshToken == r1.RefreshToken {
				t.Fatalf("refresh R1 = %d %s", w.Code, w.Body)
			}
			// R1 again within the grace window: a lost answer or a second tab.
			e.clock.Advance(5 * time.Second)
			again, w := e.refresh(t, r1.RefreshToken)
			if w.Code != 200 || again.AccessToken == "" || again.RefreshToken == "" {
				t.Fatalf("R1 within grace = %d %s", w.Code, w.Body)
			}
			e.alive(t, again.AccessToken)
			e.alive(t, r2.AccessToken)
			// R1 after the grace window: theft. The whole session ends.
			e.clock.Advance(6 * time.Second)
			_, w = e.refresh(t, r1.RefreshToken)
			checkMsg(t, w, 401, "Token has been revoked", shared.CodeTokenRevoked)
			e.dead(t, r2.AccessToken, false)
			e.dead(t, r2.RefreshToken, true)
			e.dead(t, again.AccessToken, false)
			e.dead(t, again.RefreshToken, true)
		})
		t.Run("OKOlderTokenIsReuse", func(t *testing.T) {
			r1 := e.login("apple", "mango")
			r2, _ := e.refresh(t, r1.RefreshToken)
			r3, w := e.refresh(t, r2.RefreshToken)
			if w.Code != 200 {
				t.Fatalf("refresh R2 = %d %s", w.Code, w.Body)
			}
			_, w = e.refresh(t, r1.RefreshToken) // two rotations back, even within the window
			checkMsg(t, w, 401, "Token has been revoked", shared.CodeTokenRevoked)
			e.dead(t, r3.AccessToken, false)
		})
		t.Run("OKOtherSessionUntouchedByReuse", func(t *testing.T) {
			a, b := e.login("apple", "mango"), e.login("apple", "mango")
			e.refresh(t, a.RefreshToken)
			e.clock.Advance(11 * time.Second)
			e.refresh(t, a.RefreshToken) // reuse ends a's session only
			e.dead(t, a.AccessToken, false)
			e.alive(t, b.AccessToken)
		})
	})
}

// TestConcurrentRefresh: two refreshes racing with one refresh token (a
// lost answer, two tabs) both get a usable pair; a third use of one token
// is reuse and ends the session. None answers 500.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		srv := httptest.NewServer(e.handler)
		defer srv.Close()
		race := func(t *testing.T, tokens []string, per int) {
			var wg sync.WaitGroup
			start := make(chan struct{})
			type result struct {
				code int
				pair shared.TokenPair
			}
			results := make(chan result, len(tokens)*per)
			for _, tok := range tokens {
				for range per {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						r, _ := http.NewRequest("POST", srv.URL+"/api/refresh", nil)
						r.Header.Set("Authorization", "Bearer "+tok)
						resp, err := http.DefaultClient.Do(r)
						if err != nil {
							t.Error(err)
							return
						}
						defer resp.Body.Close()
						var p shared.TokenPair
						json.NewDecoder(resp.Body).Decode(&p)
						results <- result{resp.StatusCode, p}
					}()
				}
			}
			close(start)
			wg.Wait()
			close(results)
			var pairs []shared.TokenPair
			codes := map[int]int{}
			for res := range results {
				codes[res.code]++
				if res.code == 200 {
					pairs = append(pairs, res.pair)
				}
			}
			if per <= 2 {
				if got, want := codes[200], len(tokens)*per; got != want || len(codes) != 1 {
					t.Fatalf("statuses = %v, want %d×200", codes, want)
				}
				// Every answer is a usable pair.
				for _, p := range pairs {
					e.alive(t, p.AccessToken)
				}
				return
			}
			if got, want := codes[200]+codes[401], len(tokens)*per; got != want || codes[401] == 0 {
				t.Fatalf("statuses = %v, want %d answers of 200 or 401, some 401", codes, want)
			}
			// The session ended: no answer is usable.
			for _, p := range pairs {
				e.dead(t, p.AccessToken, false)
			}
		}
		t.Run("OKTwoAtOnce", func(t *testing.T) {
			p := e.login("apple", "mango")
			race(t, []string{p.RefreshToken}, 2)
			e.alive(t, p.AccessToken)
			if len(e.sessions(t, p.AccessToken)) < 1 {
				t.Fatal("session gone")
			}
		})
		t.Run("OKTwoSessions", func(t *testing.T) {
			a, b := e.login("apple", "mango"), e.login("apple", "mango")
			race(t, []string{a.RefreshToken, b.RefreshToken}, 2)
			e.alive(t, a.AccessToken)
			e.alive(t, b.AccessToken)
		})
		t.Run("ErrTwentyAtOnceIsReuse", func(t *testing.T) {
			p := e.login("apple", "mango")
			race(t, []string{p.RefreshToken}, 20)
			e.dead(t, p.AccessToken, false)
			e.dead(t, p.RefreshToken, true)
		})
	})
}

func TestSessionManagement(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		e.register("pear", "mango")
		a := e.login("apple", "mango")
		e.clock.Advance(time.Second)
		b := e.do(req{method: "POST", path: "/api/login", body: creds("apple", "mango"), header: map[string]string{"User-Agent": "phone/1.0"}})
		var bp shared.TokenPair
		json.Unmarshal(b.Body.Bytes(), &bp)
		other := e.login("pear", "mango")

		t.Run("OKList", func(t *testing.T) {
			list := e.sessions(t, a.AccessToken)
			if len(list) != 2 {
				t.Fatalf("sessions = %+v, want 2", list)
			}
			if list[0].UserAgent != "phone/1.0" || list[0].Current || !list[1].Current {
				t.Fatalf("sessions = %+v, want the phone first and the caller's marked current", list)
			}
			if list[0].CreatedAt.IsZero() || list[0].RenewedAt.IsZero() {
				t.Fatalf("times missing: %+v", list[0])
			}
		})
		t.Run("ErrAnotherUsersSession", func(t *testing.T) {
			theirs := e.sessions(t, other.AccessToken)[0].ID
			checkMsg(t, e.do(req{method: "DELETE", path: "/api/sessions/" + theirs, header: bearer(a.AccessToken)}), 404, "Not Found", shared.CodeNotFound)
			e.alive(t, other.AccessToken)
			checkMsg(t, e.do(req{method: "DELETE", path: "/api/sessions/no-such-id", header: bearer(a.AccessToken)}), 404, "Not Found", shared.CodeNotFound)
		})
		t.Run("OKEndOne", func(t *testing.T) {
			id := e.sessions(t, a.AccessToken)[0].ID
			checkJSON(t, e.do(req{method: "DELETE", path: "/api/sessions/" + id, header: bearer(a.AccessToken)}), 200, `{"msg":"Session ended"}`)
			e.dead(t, bp.AccessToken, false)
			e.dead(t, bp.RefreshToken, true)
			e.alive(t, a.AccessToken)
			if got := len(e.sessions(t, a.AccessToken)); got != 1 {
				t.Fatalf("%d sessions left, want 1", got)
			}
			checkMsg(t, e.do(req{method: "DELETE", path: "/api/sessions/" + id, header: bearer(a.AccessToken)}), 404, "Not Found", shared.CodeNotFound)
		})
	})
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		e.register("pear", "mango")
		cur, second := e.login("apple", "mango"), e.login("apple", "mango")
		other := e.login("pear", "mango")
		change := func(body string) *httptest.ResponseRecorder {
			return e.do(req{method: "POST", path: "/api/password", body: body, header: bearer(cur.AccessToken)})
		}
		body := func(c, n string) string {
			b, _ := json.Marshal(shared.PasswordChange{CurrentPassword: c, NewPassword: n})
			return string(b)
		}
		checkMsg(t, change(body("wrong", "papaya")), 401, "Incorrect password", shared.CodeBadCredentials)
		checkMsg(t, change(body("mango", "kiwi")), 400, "password is too short", shared.CodePasswordTooShort)
		checkMsg(t, change(body("mango", strings.Repeat("x", 73))), 400, "password is too long", shared.CodePasswordTooLong)
		checkMsg(t, change(`{"current_password":"mango"}`), 400, "current_password or new_password has not been entered", shared.CodeMissingCredentials)
		checkMsg(t, change(`[]`), 400, "Request body must be a JSON object", shared.CodeInvalidJSON)
		e.alive(t, second.AccessToken) // failed attempts change nothing

		w := change(envelope(body("mango", "papaya")))
		checkJSON(t, w, 200, "")
		var changed shared.PasswordChanged
		if err := json.Unmarshal(w.Body.Bytes(), &changed); err != nil || changed.Msg != "Password changed" || changed.AccessToken == "" || changed.RefreshToken == "" {
			t.Fatalf("answer %s, want the message and a new pair", w.Body)
		}
		// The caller goes on with the new pair, in a new session; whoever
		// holds the old pair of the caller's session is signed out.
		e.alive(t, changed.AccessToken)
		if _, w := e.refresh(t, changed.RefreshToken); w.Code != 200 {
			t.Fatalf("the new pair does not refresh: %d %s", w.Code, w.Body)
		}
		e.dead(t, cur.AccessToken, false)
		e.dead(t, cur.RefreshToken, true)
		if got := len(e.sessions(t, changed.AccessToken)); got != 1 {
			t.Fatalf("%d sessions after the change, want 1", got)
		}
		e.dead(t, second.AccessToken, false)
		e.dead(t, second.RefreshToken, true)
		e.alive(t, other.AccessToken)
		checkMsg(t, e.do(req{method: "POST", path: "/api/login", body: creds("apple", "mango")}), 401, "Incorrect password or username", shared.CodeBadCredentials)
		e.login("apple", "papaya")
	})
}

func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		p := e.login("apple", "mango")
		// Renew every 20 hours: within the refresh TTL, so the session lives
		// on, until its absolute lifetime (30 days) ends it.
		for day := 0; day < 40; day++ {
			e.clock.Advance(20 * time.Hour)
			next, w := e.refresh(t, p.RefreshToken)
			if w.Code != 200 {
				if elapsed := time.Duration(day+1) * 20 * time.Hour; elapsed < 30*24*time.Hour {
					t.Fatalf("session ended after %s: %d %s", elapsed, w.Code, w.Body)
				}
				if w.Code != 401 {
					t.Fatalf("at the end of its lifetime: %d %s", w.Code, w.Body)
				}
				return
			}
			p = next
		}
		t.Fatal("the session outlived SESSION_MAX_AGE")
	})
}

func TestRotationOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	e.srv.Rotation = false
	e.handler = e.srv.Handler()
	e.register("apple", "mango")
	p := e.login("apple", "mango")
	for range 3 {
		w := e.do(req{method: "POST", path: "/api/refresh", header: bearer(p.RefreshToken)})
		checkJSON(t, w, 200, "")
		var got map[string]any
		json.Unmarshal(w.Body.Bytes(), &got)
		if _, ok := got["refresh_token"]; ok || got["access_token"] == "" {
			t.Fatalf("refresh = %s, want only an access token, as the seed", w.Body)
		}
	}
	checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(p.AccessToken)}), 200, "")
	e.dead(t, p.RefreshToken, true)
}

// TestTokensWithoutSession covers tokens made by the seed's Flask app (no
// "sid"): revoked one by one, swept by a password change or a global
// logout, and exchanged for a session only once.
func TestTokensWithoutSession(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		flask := func(typ string, ttl time.Duration) string {
			return encodeJWT(t, testSecret, hs256, flaskClaims("apple", typ, e.clock.Now(), ttl))
		}
		t.Run("OKOneSessionPerRefreshToken", func(t *testing.T) {
			refresh := flask("refresh", 24*time.Hour)
			count := e.race(t, 8, func(url string) *http.Request {
				r, _ := http.NewRequest("POST", url+"/api/refresh", nil)
				r.Header.Set("Authorization", "Bearer "+refresh)
				return r
			})
			if count[200] != 1 || count[401] != 7 {
				t.Fatalf("statuses = %v, want one 200 and seven 401", count)
			}
		})
		t.Run("OKSweptByGlobalLogout", func(t *testing.T) {
			access, refresh := flask("access", 15*time.Minute), flask("refresh", 24*time.Hour)
			session := e.login("apple", "mango")
			e.clock.Advance(time.Second)
			checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout?scope=global", header: bearer(session.AccessToken)}), 200, "")
			e.dead(t, access, false)
			e.dead(t, refresh, true)
			e.clock.Advance(time.Second)
			e.alive(t, flask("access", 15*time.Minute)) // issued afterwards
		})
		t.Run("OKSweptByPasswordChange", func(t *testing.T) {
			access, refresh := flask("access", 15*time.Minute), flask("refresh", 24*time.Hour)
			session := e.login("apple", "mango")
			e.clock.Advance(time.Second)
			body, _ := json.Marshal(shared.PasswordChange{CurrentPassword: "mango", NewPassword: "papaya"})
			w := e.do(req{method: "POST", path: "/api/password", body: string(body), header: bearer(session.AccessToken)})
			checkJSON(t, w, 200, "")
			var changed shared.PasswordChanged
			json.Unmarshal(w.Body.Bytes(), &changed)
			e.dead(t, access, false)
			e.dead(t, refresh, true)
			e.alive(t, changed.AccessToken)
		})
	})
}

// TestOddInputNeverFails500: inputs that reach the database as text.
func TestOddInputNeverFails500(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		checkMsg(t, e.do(req{method: "POST", path: "/api/login", body: `{"username":"ab\u0000c","password":"secret1"}`}), 401, "Incorrect password or username", shared.CodeBadCredentials)
		checkMsg(t, e.do(req{method: "POST", path: "/api/login", body: creds(strings.Repeat("x", 10000), "secret1")}), 401, "Incorrect password or username", shared.CodeBadCredentials)
		nul := encodeJWT(t, testSecret, hs256, flaskClaims("ap\x00ple", "access", e.clock.Now(), time.Minute))
		checkMsg(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(nul)}), 422, "Invalid claim: sub", shared.CodeMalformedToken)
		// The scope is checked after the token, in the contract's order.
		w := e.do(req{method: "DELETE", path: "/api/logout?scope=bad"})
		if w.Code != 401 {
			t.Fatalf("logout?scope=bad without a token = %d, want 401", w.Code)
		}
	})
}
