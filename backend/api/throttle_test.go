package api_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/api"
	"tessera/shared"
)

// limits are the throttles of the tests below: the defaults, with budgets
// small enough to spend.
func limits() api.Limits {
	l := api.DefaultLimits()
	l.AccountBudget = backend.Rate{N: 10, Per: time.Hour}
	l.LoginRate = backend.Rate{N: 1000, Per: time.Minute}
	return l
}

// throttledEnv is e with limits on.
func throttledEnv(e *env, l api.Limits) *env {
	return e.with(func(s *api.Server) { s.Limits = l })
}

// loginFrom signs in as user from the address ip and returns the answer.
func (e *env) loginFrom(ip, user, pass string) *httptest.ResponseRecorder {
	return e.do(req{method: "POST", path: "/api/login", body: creds(user, pass), remote: ip + ":4242"})
}

// checkThrottled fails unless w is the 429 answer, and returns its
// Retry-After.
func checkThrottled(t testing.TB, w *httptest.ResponseRecorder) time.Duration {
	t.Helper()
	if w.Code != 429 {
		t.Fatalf("status = %d, want 429 (body %s)", w.Code, w.Body)
	}
	var b shared.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds", w.Header().Get("Retry-After"))
	}
	if got, want := b.Code, shared.CodeRateLimited; got != want {
		t.Fatalf("code = %q, want %q", got, want)
	}
	if got, want := b.Msg, fmt.Sprintf("Too many attempts, try again in %d seconds", secs); got != want {
		t.Fatalf("msg = %q, want %q", got, want)
	}
	return time.Duration(secs) * time.Second
}

// TestLoginBackoff: after the free failures of one account from one IP,
// that IP waits, doubling, even with the right password; other IPs and the
// real user after the wait are not stopped.
func TestLoginBackoff(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = throttledEnv(e, limits())
		e.register("apple", "mango")
		const attacker, owner = "203.0.113.9", "198.51.100.7"
		for i := range 5 {
			checkMsg(t, e.loginFrom(attacker, "apple", fmt.Sprint("guess", i)), 401, "Incorrect password or username", shared.CodeBadCredentials)
		}
		// The sixth failure backs the pair off for 1 s, the next for 2 s...
		checkMsg(t, e.loginFrom(attacker, "apple", "guess5"), 401, "Incorrect password or username", shared.CodeBadCredentials)
		t.Run("ErrRightPasswordWhileBackedOff", func(t *testing.T) {
			if got, want := checkThrottled(t, e.loginFrom(attacker, "apple", "mango")), time.Second; got != want {
				t.Fatalf("Retry-After = %v, want %v", got, want)
			}
		})
		t.Run("OKOtherIP", func(t *testing.T) {
			checkJSON(t, e.loginFrom(owner, "apple", "mango"), 200, "")
		})
		t.Run("ErrDoubling", func(t *testing.T) {
			e.clock.Advance(time.Second)
			checkMsg(t, e.loginFrom(attacker, "apple", "guess6"), 401, "Incorrect password or username", shared.CodeBadCredentials)
			if got, want := checkThrottled(t, e.loginFrom(attacker, "apple", "guess7")), 2*time.Second; got != want {
				t.Fatalf("Retry-After = %v, want %v", got, want)
			}
		})
		t.Run("OKAfterTheWaitAndReset", func(t *testing.T) {
			e.clock.Advance(2 * time.Second)
			checkJSON(t, e.loginFrom(attacker, "apple", "mango"), 200, "")
			// The success forgot the failures: five free ones again.
			for i := range 5 {
				checkMsg(t, e.loginFrom(attacker, "apple", fmt.Sprint("again", i)), 401, "Incorrect password or username", shared.CodeBadCredentials)
			}
			checkJSON(t, e.loginFrom(attacker, "apple", "mango"), 200, "")
		})
		t.Run("OKCapped", func(t *testing.T) {
			l := limits()
			l.LoginBackoffMax = 4 * time.Second
			l.AccountBudget = backend.Rate{}
			e := throttledEnv(e, l)
			e.register("capped", "mango")
			const ip = "203.0.113.10"
			var wait time.Duration
			for i := range 12 {
				e.clock.Advance(wait)
				checkMsg(t, e.loginFrom(ip, "capped", fmt.Sprint("x", i)), 401, "Incorrect password or username", shared.CodeBadCredentials)
				if i >= 5 {
					wait = checkThrottled(t, e.loginFrom(ip, "capped", "x"))
				}
			}
			if got, want := wait, 4*time.Second; got != want {
				t.Fatalf("Retry-After after many failures = %v, want the cap %v", got, want)
			}
		})
	})
}

// TestGuessesAtOnce: wrong passwords sent all at once from one IP are
// checked no more often than one after the other would be: each is
// counted before its check, so the backoff stops the rest.
func TestGuessesAtOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = throttledEnv(e, limits())
		e.register("apple", "mango")
		const n = 30
		codes := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { codes <- e.loginFrom("203.0.113.9", "apple", fmt.Sprint("guess", i)).Code })
		}
		wg.Wait()
		close(codes)
		checked := 0
		for code := range codes {
			switch code {
			case 401:
				checked++
			case 429:
			default:
				t.Fatalf("status %d, want 401 or 429", code)
			}
		}
		if want := limits().LoginFreeFailures + 1; checked != want {
			t.Fatalf("%d of %d guesses sent at once were checked, want %d (the free failures and the one that starts the backoff)", checked, n, want)
		}
		// The owner, from elsewhere, is not stopped.
		checkJSON(t, e.loginFrom("198.51.100.7", "apple", "mango"), 200, "")
	})
}

// TestUnknownNamesThrottledAlike: a name that does not exist is answered
// exactly as one that does, throttled or not, so the limits tell nothing.
func TestUnknownNamesThrottledAlike(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = throttledEnv(e, limits())
		e.register("apple", "mango")
		for i := range 8 {
			a := e.loginFrom("203.0.113.1", "apple", fmt.Sprint("guess", i))
			b := e.loginFrom("203.0.113.1", "nobody", fmt.Sprint("guess", i))
			if a.Code != b.Code || a.Body.String() != b.Body.String() || a.Header().Get("Retry-After") != b.Header().Get("Retry-After") {
				t.Fatalf("attempt %d: known name %d %s (Retry-After %q), unknown name %d %s (%q)",
					i, a.Code, a.Body, a.Header().Get("Retry-After"), b.Code, b.Body, b.Header().Get("Retry-After"))
			}
		}
	})
}

// TestAccountBudget: failures from many IPs that never signed in to an
// account spend its budget; then unknown IPs wait, while an IP the owner
// signed in from keeps working, and a right password from a new IP works
// until the budget is spent.
func TestAccountBudget(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		l := limits()
		l.AccountBudget = backend.Rate{N: 5, Per: time.Hour}
		e = throttledEnv(e, l)
		e.register("apple", "mango")
		const home = "198.51.100.1"
		checkJSON(t, e.loginFrom(home, "apple", "mango"), 200, "") // home is known now
		bot := func(i int) string { return fmt.Sprintf("203.0.113.%d", 10+i) }
		for i := range 4 {
			checkMsg(t, e.loginFrom(bot(i), "apple", "guess"), 401, "Incorrect password or username", shared.CodeBadCredentials)
		}
		t.Run("OKNewIPBeforeTheBudgetIsSpent", func(t *testing.T) {
			checkJSON(t, e.loginFrom("198.51.100.2", "apple", "mango"), 200, "")
		})
		checkMsg(t, e.loginFrom(bot(4), "apple", "guess"), 401, "Incorrect password or username", shared.CodeBadCredentials)
		t.Run("ErrSpent", func(t *testing.T) {
			checkThrottled(t, e.loginFrom(bot(5), "apple", "guess"))
			checkThrottled(t, e.loginFrom("198.51.100.3", "apple", "mango"))
		})
		t.Run("OKKnownIPs", func(t *testing.T) {
			checkJSON(t, e.loginFrom(home, "apple", "mango"), 200, "")
			checkJSON(t, e.loginFrom("198.51.100.2", "apple", "mango"), 200, "")
		})
		t.Run("OKOtherAccounts", func(t *testing.T) {
			e.register("pear", "mango")
			checkJSON(t, e.loginFrom(bot(6), "pear", "mango"), 200, "")
		})
		t.Run("OKRefilled", func(t *testing.T) {
			e.clock.Advance(time.Hour / 5) // one failure's worth
			checkJSON(t, e.loginFrom("198.51.100.3", "apple", "mango"), 200, "")
		})
	})
}

// TestBudgetRefusalsCountNoFailure: while an attack keeps the account's
// budget spent, the owner's right password from a new IP is refused (429)
// but not counted as a failure: once the budget has a token again, it
// gets in, with no backoff built by the refusals.
func TestBudgetRefusalsCountNoFailure(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		l := limits()
		l.AccountBudget = backend.Rate{N: 2, Per: 100 * time.Minute} // a token every 50 min
		e = throttledEnv(e, l)
		e.register("apple", "mango")
		checkMsg(t, e.loginFrom("203.0.113.1", "apple", "guess1"), 401, "Incorrect password or username", shared.CodeBadCredentials)
		checkMsg(t, e.loginFrom("203.0.113.2", "apple", "guess2"), 401, "Incorrect password or username", shared.CodeBadCredentials)
		const owner = "198.51.100.7" // never signed in to apple
		for range 49 {               // once a minute: had they counted, a backoff of 15 min would run now
			checkThrottled(t, e.loginFrom(owner, "apple", "mango"))
			e.clock.Advance(time.Minute)
		}
		e.clock.Advance(time.Minute) // a token is back
		checkJSON(t, e.loginFrom(owner, "apple", "mango"), 200, "")
	})
}

// TestPasswordChangeAfterRehash: when a sign-in rehashes the password
// (BCRYPT_COST changed) between the change's check of the current
// password and its write, the change still succeeds: it checks again
// against the hash stored now.
func TestPasswordChangeAfterRehash(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = throttledEnv(e, limits())
		ctx := t.Context()
		e.register("apple", "mango")
		p := e.login("apple", "mango")
		u, err := e.db.UserByName(ctx, "apple")
		if err != nil {
			t.Fatal(err)
		}
		rehashed := false
		// Right after the check succeeded (its failures are cleared).
		e.afterQuery(`DELETE FROM "throttle"`, func() {
			h, err := e.srv.Passwords.Hash("mango")
			if err == nil {
				rehashed, err = e.db.Rehash(ctx, u.ID, u.Password, h)
			}
			if err != nil {
				t.Error(err)
			}
		})
		w := e.do(req{method: "POST", path: "/api/password", body: passwordBody("mango", "papaya"), header: bearer(p.AccessToken)})
		if !rehashed {
			t.Fatal("the password was not rehashed during the change: the test missed its moment")
		}
		checkJSON(t, w, 200, "")
		checkJSON(t, e.loginFrom("198.51.100.1", "apple", "papaya"), 200, "")
		checkMsg(t, e.loginFrom("198.51.100.1", "apple", "mango"), 401, "Incorrect password or username", shared.CodeBadCredentials)
	})
}

// TestPerIPBudgets: registrations, sign-ins and password changes per
// client IP, token buckets that refill.
func TestPerIPBudgets(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		l := limits()
		l.RegisterRate = backend.Rate{N: 3, Per: 30 * time.Second}
		l.LoginRate = backend.Rate{N: 4, Per: time.Minute}
		l.PasswordRate = backend.Rate{N: 2, Per: time.Minute}
		e = throttledEnv(e, l)
		register := func(ip, name string) *httptest.ResponseRecorder {
			return e.do(req{method: "POST", path: "/api/register", body: creds(name, "mango"), remote: ip + ":1"})
		}
		t.Run("ErrRegister", func(t *testing.T) {
			for i := range 3 {
				checkJSON(t, register("203.0.113.1", fmt.Sprint("user", i)), 200, `"create account"`)
			}
			if got, want := checkThrottled(t, register("203.0.113.1", "user3")), 10*time.Second; got != want {
				t.Fatalf("Retry-After = %v, want %v", got, want)
			}
			// Invalid requests cost nothing.
			checkMsg(t, register("203.0.113.1", "u"), 400, "username is too short", shared.CodeUsernameTooShort)
			checkJSON(t, register("203.0.113.2", "user3"), 200, `"create account"`)
			e.clock.Advance(10 * time.Second)
			checkJSON(t, register("203.0.113.1", "user4"), 200, `"create account"`)
			if n, err := e.db.CountUsersNamed(t.Context(), "user5"); err != nil || n != 0 {
				t.Fatalf("user5 rows = %d, %v", n, err)
			}
		})
		t.Run("ErrLogin", func(t *testing.T) {
			for range 4 {
				checkJSON(t, e.loginFrom("203.0.113.5", "user0", "mango"), 200, "")
			}
			checkThrottled(t, e.loginFrom("203.0.113.5", "user0", "mango"))
			checkJSON(t, e.loginFrom("203.0.113.6", "user0", "mango"), 200, "")
		})
		t.Run("ErrPassword", func(t *testing.T) {
			tok := e.loginFrom("203.0.113.7", "user1", "mango")
			var p shared.TokenPair
			json.Unmarshal(tok.Body.Bytes(), &p)
			change := func(cur, next string) *httptest.ResponseRecorder {
				b, _ := json.Marshal(shared.PasswordChange{CurrentPassword: cur, NewPassword: next})
				return e.do(req{method: "POST", path: "/api/password", body: string(b), header: bearer(p.AccessToken), remote: "203.0.113.7:1"})
			}
			checkMsg(t, change("wrong", "papaya"), 401, "Incorrect password", shared.CodeBadCredentials)
			checkMsg(t, change("wrong", "papaya"), 401, "Incorrect password", shared.CodeBadCredentials)
			checkThrottled(t, change("mango", "papaya"))
		})
	})
}

// TestPasswordChangeCountsAsFailedLogin: wrong current passwords back the
// account off from that IP, for sign-ins too.
func TestPasswordChangeCountsAsFailedLogin(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = throttledEnv(e, limits())
		e.register("apple", "mango")
		const ip = "203.0.113.20"
		var p shared.TokenPair
		json.Unmarshal(e.loginFrom(ip, "apple", "mango").Body.Bytes(), &p)
		b, _ := json.Marshal(shared.PasswordChange{CurrentPassword: "wrong", NewPassword: "papaya"})
		for range 6 {
			w := e.do(req{method: "POST", path: "/api/password", body: string(b), header: bearer(p.AccessToken), remote: ip + ":1"})
			checkMsg(t, w, 401, "Incorrect password", shared.CodeBadCredentials)
		}
		checkThrottled(t, e.loginFrom(ip, "apple", "mango"))
		checkJSON(t, e.loginFrom("198.51.100.20", "apple", "mango"), 200, "")
	})
}

// TestThrottleSharedAndKept: the counters are in the database, so a second
// server on it sees them, as does a server started again.
func TestThrottleSharedAndKept(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		a, b := throttledEnv(e, limits()), throttledEnv(e, limits())
		a.register("apple", "mango")
		for i := range 6 {
			checkMsg(t, a.loginFrom("203.0.113.30", "apple", fmt.Sprint(i)), 401, "Incorrect password or username", shared.CodeBadCredentials)
		}
		checkThrottled(t, b.loginFrom("203.0.113.30", "apple", "mango"))
	})
}

// TestRateLimitOff: without limits nothing is throttled.
func TestRateLimitOff(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = throttledEnv(e, api.Limits{})
		e.register("apple", "mango")
		for i := range 30 {
			checkMsg(t, e.loginFrom("203.0.113.40", "apple", fmt.Sprint(i)), 401, "Incorrect password or username", shared.CodeBadCredentials)
		}
		checkJSON(t, e.loginFrom("203.0.113.40", "apple", "mango"), 200, "")
	})
}

// TestClientIP: X-Forwarded-For counts only from a trusted proxy, and then
// its rightmost address that is not a trusted proxy is the client.
func TestClientIP(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		l := limits()
		l.LoginRate = backend.Rate{N: 1, Per: time.Hour}
		e = throttledEnv(e, l).with(func(s *api.Server) {
			s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		})
		e.register("apple", "mango")
		login := func(peer, xff string) int {
			h := map[string]string{}
			if xff != "" {
				h["X-Forwarded-For"] = xff
			}
			return e.do(req{method: "POST", path: "/api/login", body: creds("apple", "mango"), remote: peer + ":1", header: h}).Code
		}
		tests := []struct {
			name      string
			peer, xff string
			want      int
		}{
			{"OKClientBehindProxy", "10.0.0.1", "203.0.113.50", 200},
			{"ErrSameClientOtherProxy", "10.0.0.2", "203.0.113.50", 429},
			{"OKForgedLeftmostIgnored", "10.0.0.1", "203.0.113.50, 203.0.113.51", 200},
			{"OKProxiesSkipped", "10.0.0.1", "203.0.113.52, 10.1.1.1, 10.2.2.2", 200},
			{"ErrProxiesSkippedSameClient", "10.0.0.3", "203.0.113.52, 10.9.9.9", 429},
			{"OKUntrustedPeerIsTheClient", "198.51.100.50", "203.0.113.50", 200},
			{"ErrUntrustedPeerHeaderIgnored", "198.51.100.50", "203.0.113.99", 429},
			{"OKIPv6Client", "10.0.0.1", "2001:db8:1:2::1", 200},
			{"ErrIPv6SameSlash64", "10.0.0.1", "2001:db8:1:2::ffff", 429},
			{"OKIPv6OtherSlash64", "10.0.0.1", "2001:db8:1:3::1", 200},
			{"OKMalformedHopStopsTheWalk", "10.0.0.1", "203.0.113.60, junk, 10.3.3.3", 200},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := login(tt.peer, tt.xff); got != tt.want {
					t.Fatalf("from %s with X-Forwarded-For %q: %d, want %d", tt.peer, tt.xff, got, tt.want)
				}
			})
		}
	})
}

// TestRegistrationClosed: a closed server refuses sign-ups, and nothing
// else changes.
func TestRegistrationClosed(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		closed := e.with(func(s *api.Server) { s.RegistrationClosed = true })
		for _, body := range []string{creds("pear", "mango"), envelope(creds("pear", "mango")), `{}`} {
			checkMsg(t, closed.do(req{method: "POST", path: "/api/register", body: body}), 403, "Registration is closed", shared.CodeRegistrationClosed)
		}
		if n, err := e.db.CountUsersNamed(t.Context(), "pear"); err != nil || n != 0 {
			t.Fatalf("pear rows = %d, %v", n, err)
		}
		checkJSON(t, closed.do(req{method: "POST", path: "/api/login", body: creds("apple", "mango")}), 200, "")
	})
}

// TestGraceOnce: a retired refresh token renews its session once within
// the grace window; a second use ends the session for everyone.
func TestGraceOnce(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		first := e.login("apple", "mango")
		second, w := e.refresh(t, first.RefreshToken)
		checkJSON(t, w, 200, "")
		graced, w := e.refresh(t, first.RefreshToken)
		checkJSON(t, w, 200, "")
		e.alive(t, graced.AccessToken)
		e.alive(t, second.AccessToken)
		_, w = e.refresh(t, first.RefreshToken)
		checkMsg(t, w, 401, "Token has been revoked", shared.CodeTokenRevoked)
		for _, p := range []shared.TokenPair{second, graced} {
			e.dead(t, p.AccessToken, false)
			e.dead(t, p.RefreshToken, true)
		}
	})
}

// TestLegacyTokens: tokens without a session are accepted only while
// LegacyTokens is on, and never when issued before the account existed.
func TestLegacyTokens(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Advance(time.Minute)
		e.register("apple", "mango")
		now := e.clock.Now()
		current := encodeJWT(t, testSecret, hs256, flaskClaims("apple", "access", now, 15*time.Minute))
		older := encodeJWT(t, testSecret, hs256, flaskClaims("apple", "access", now.Add(-30*time.Second), 15*time.Minute))
		e.alive(t, current)
		t.Run("ErrBeforeTheAccount", func(t *testing.T) {
			e.dead(t, older, false)
		})
		t.Run("ErrOff", func(t *testing.T) {
			off := e.with(func(s *api.Server) { s.LegacyTokens = false })
			off.dead(t, current, false)
			off.alive(t, off.login("apple", "mango").AccessToken)
		})
	})
}

// TestSessionsPerUser: a sign-in past the bound ends the least recently
// used session.
func TestSessionsPerUser(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = e.with(func(s *api.Server) { s.SessionsPerUser = 3 })
		e.register("apple", "mango")
		var pairs []shared.TokenPair
		for range 3 {
			pairs = append(pairs, e.login("apple", "mango"))
			e.clock.Advance(time.Second)
		}
		// The first session is used now: the second is the least recent.
		if _, w := e.refresh(t, pairs[0].RefreshToken); w.Code != 200 {
			t.Fatalf("refresh: %d %s", w.Code, w.Body)
		}
		e.clock.Advance(time.Second)
		fourth := e.login("apple", "mango")
		e.dead(t, pairs[1].AccessToken, false)
		e.alive(t, pairs[2].AccessToken)
		e.alive(t, fourth.AccessToken)
		if got := len(e.sessions(t, fourth.AccessToken)); got != 3 {
			t.Fatalf("%d sessions, want 3", got)
		}
	})
}

// TestRehashOnLogin: a hash of another cost is replaced at the next
// successful sign-in, and the password still works.
func TestRehashOnLogin(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		old := e.with(func(s *api.Server) { s.Passwords = mustHasher(t, 5) })
		old.register("apple", "mango")
		before, err := e.db.UserByName(t.Context(), "apple")
		if err != nil || !strings.HasPrefix(before.Password, "$2a$05$") {
			t.Fatalf("hash before = %q, %v", before.Password, err)
		}
		e.login("apple", "mango") // e hashes at cost 4
		after, err := e.db.UserByName(t.Context(), "apple")
		if err != nil || !strings.HasPrefix(after.Password, "$2a$04$") {
			t.Fatalf("hash after = %q, %v; want cost 4", after.Password, err)
		}
		if !after.TokensValidAfter.Equal(before.TokensValidAfter) {
			t.Fatalf("the rehash revoked tokens: TokensValidAfter %v, was %v", after.TokensValidAfter, before.TokensValidAfter)
		}
		e.login("apple", "mango")
		checkMsg(t, e.do(req{method: "POST", path: "/api/login", body: creds("apple", "melon")}), 401, "Incorrect password or username", shared.CodeBadCredentials)
	})
}
