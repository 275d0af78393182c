package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tessera/backend"
	"tessera/shared"
)

// events returns the caller's events (GET /api/events) with query.
func (e *env) events(t testing.TB, access, query string) shared.EventList {
	t.Helper()
	w := e.do(req{method: "GET", path: "/api/events" + query, header: bearer(access)})
	checkJSON(t, w, 200, "")
	var l shared.EventList
	if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// kinds lists the kinds of l, newest first.
func kinds(l shared.EventList) string {
	var ks []string
	for _, e := range l.Events {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, " ")
}

// TestEventsWritten: each kind of event is written by the action that
// causes it, with the client's address, browser and session.
func TestEventsWritten(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e = throttledEnv(e, limits())
		const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
		from := func(r req, ip string) req {
			if r.header == nil {
				r.header = map[string]string{}
			}
			r.header["User-Agent"] = firefox
			r.remote = ip + ":1"
			return r
		}
		checkJSON(t, e.do(from(req{method: "POST", path: "/api/register", body: creds("apple", "mango")}, "198.51.100.1")), 200, "")
		login := func(ip, pass string) *httptest.ResponseRecorder {
			return e.do(from(req{method: "POST", path: "/api/login", body: creds("apple", pass)}, ip))
		}
		var home shared.TokenPair
		json.Unmarshal(login("198.51.100.1", "mango").Body.Bytes(), &home)
		checkJSON(t, login("198.51.100.1", "mango"), 200, "") // the same device again
		for i := range 6 {
			checkMsg(t, login("203.0.113.66", fmt.Sprint("guess", i)), 401, "Incorrect password or username", shared.CodeBadCredentials)
		}
		// A name that does not exist leaves no trace of its own.
		checkMsg(t, e.do(req{method: "POST", path: "/api/login", body: creds("nobody", "x")}), 401, "Incorrect password or username", shared.CodeBadCredentials)
		var phone shared.TokenPair
		json.Unmarshal(login("192.0.2.7", "mango").Body.Bytes(), &phone)
		_, w := e.refresh(t, phone.RefreshToken)
		checkJSON(t, w, 200, "")
		e.refresh(t, phone.RefreshToken) // grace
		e.refresh(t, phone.RefreshToken) // reuse: the phone's session ends
		var laptop shared.TokenPair
		json.Unmarshal(login("198.51.100.1", "mango").Body.Bytes(), &laptop)
		_, claims := decodeJWT(t, laptop.AccessToken)
		checkJSON(t, e.do(req{method: "DELETE", path: "/api/sessions/" + claims["sid"].(string), header: bearer(home.AccessToken)}), 200, "")
		w = e.do(from(req{method: "POST", path: "/api/password", body: passwordBody("mango", "papaya"), header: bearer(home.AccessToken)}, "198.51.100.1"))
		var changed shared.PasswordChanged
		json.Unmarshal(w.Body.Bytes(), &changed)
		checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout?scope=others", header: bearer(changed.AccessToken)}), 200, "")

		l := e.events(t, changed.AccessToken, "")
		want := "signed_out password_changed session_ended signed_in refresh_reuse_detected refresh_grace_used signed_in " +
			"throttled sign_in_failed sign_in_failed sign_in_failed sign_in_failed sign_in_failed sign_in_failed signed_in signed_in registered"
		if got := kinds(l); got != want {
			t.Fatalf("events:\n got %s\nwant %s", got, want)
		}
		byKind := func(kind string, nth int) shared.EventInfo {
			for _, ev := range l.Events {
				if ev.Kind == kind {
					if nth == 0 {
						return ev
					}
					nth--
				}
			}
			t.Fatalf("no %s event", kind)
			return shared.EventInfo{}
		}
		// The newest signed_in is the laptop's, from a known device; the
		// phone's was new; the very first was from the device that
		// registered, so not new either.
		if ev := byKind(shared.EventSignedIn, 0); ev.Detail["new_device"] != false || ev.IP != "198.51.100.1" || ev.Device != "Firefox on Linux" {
			t.Errorf("laptop sign-in = %+v", ev)
		}
		if ev := byKind(shared.EventSignedIn, 1); ev.Detail["new_device"] != true || ev.IP != "192.0.2.7" {
			t.Errorf("phone sign-in = %+v", ev)
		}
		if ev := byKind(shared.EventSignedIn, 3); ev.Detail["new_device"] != false {
			t.Errorf("first sign-in = %+v", ev)
		}
		if ev := byKind(shared.EventSignedIn, 2); ev.Detail["new_device"] != false {
			t.Errorf("second sign-in from home = %+v", ev)
		}
		if ev := byKind(shared.EventThrottled, 0); ev.Detail["reason"] != "backoff" || ev.IP != "203.0.113.66" {
			t.Errorf("throttled = %+v", ev)
		}
		if ev := byKind(shared.EventReuseDetected, 0); ev.SessionID == "" {
			t.Errorf("reuse = %+v, want its session", ev)
		}
		if ev := byKind(shared.EventSessionEnded, 0); ev.Detail["by"] != "user" || ev.SessionID != claims["sid"] {
			t.Errorf("session ended = %+v", ev)
		}
		if ev := byKind(shared.EventSignedOut, 0); ev.Detail["scope"] != "others" || !ev.Current {
			t.Errorf("signed out = %+v", ev)
		}
		if ev := byKind(shared.EventPasswordChange, 0); ev.Detail["by"] != "user" || ev.UserAgent != firefox {
			t.Errorf("password changed = %+v", ev)
		}
	})
}

// TestEventsPages: keyset pages are stable while events come in; nobody
// sees another user's events.
func TestEventsPages(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		e.register("pear", "mango")
		var pair shared.TokenPair
		for range 5 {
			pair = e.login("apple", "mango")
			e.login("pear", "mango")
		}
		first := e.events(t, pair.AccessToken, "?limit=4")
		if len(first.Events) != 4 || first.Next == "" || !first.Events[0].Current {
			t.Fatalf("first page = %+v", first)
		}
		e.login("apple", "mango") // a new event meanwhile
		second := e.events(t, pair.AccessToken, "?limit=4&before="+first.Next)
		if len(second.Events) != 2 || second.Next != "" {
			t.Fatalf("second page = %+v, want the last 2 and no next", second)
		}
		seen := map[int64]bool{}
		for _, ev := range append(first.Events, second.Events...) {
			if seen[ev.ID] {
				t.Fatalf("event %d on two pages", ev.ID)
			}
			seen[ev.ID] = true
		}
		if got, want := len(seen), 6; got != want { // 5 sign-ins and the registration
			t.Fatalf("%d events over the pages, want %d", got, want)
		}
		pear := e.login("pear", "mango")
		for _, ev := range e.events(t, pear.AccessToken, "?limit=200").Events {
			if seen[ev.ID] {
				t.Fatalf("pear sees apple's event %+v", ev)
			}
		}
		for q, msg := range map[string]string{
			"?limit=0": "limit must be a whole number from 1 to 200", "?limit=201": "limit must be a whole number from 1 to 200",
			"?limit=x": "limit must be a whole number from 1 to 200", "?before=-1": "before must be the cursor of a previous answer",
			"?before=x": "before must be the cursor of a previous answer",
		} {
			checkMsg(t, e.do(req{method: "GET", path: "/api/events" + q, header: bearer(pair.AccessToken)}), 400, msg, shared.CodeInvalidQuery)
		}
	})
}

// TestAccount: what the account page shows, and its alerts until the user
// looks at the events.
func TestAccount(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		first := e.login("apple", "mango")
		account := func(access string) shared.Account {
			t.Helper()
			w := e.do(req{method: "GET", path: "/api/account", header: bearer(access)})
			checkJSON(t, w, 200, "")
			var a shared.Account
			json.Unmarshal(w.Body.Bytes(), &a)
			return a
		}
		a := account(first.AccessToken)
		if a.Username != "apple" || a.ID == 0 || a.CreatedAt == nil || !a.SignedInAt.Equal(e.clock.Now()) || a.LastSignIn != nil || a.Alerts != 0 {
			t.Fatalf("account = %+v", a)
		}
		began := e.clock.Now()
		e.clock.Advance(time.Hour)
		second := e.login("apple", "mango")
		a = account(second.AccessToken)
		if a.LastSignIn == nil || !a.LastSignIn.Equal(began) || !a.SignedInAt.Equal(e.clock.Now()) {
			t.Fatalf("account after a second sign-in = %+v, want the last sign-in at %v", a, began)
		}
		stolen := e.login("apple", "mango")
		e.refresh(t, stolen.RefreshToken)
		e.refresh(t, stolen.RefreshToken)
		e.refresh(t, stolen.RefreshToken) // reuse: an alert
		if a := account(second.AccessToken); a.Alerts != 1 {
			t.Fatalf("alerts after a reuse = %d, want 1", a.Alerts)
		}
		checkJSON(t, e.do(req{method: "POST", path: "/api/events/seen", header: bearer(second.AccessToken)}), 200, `{"msg":"Events seen"}`)
		e.clock.Advance(time.Second)
		if a := account(second.AccessToken); a.Alerts != 0 {
			t.Fatalf("alerts after seeing the events = %d", a.Alerts)
		}
	})
}

// TestEventWriteFailureIsHarmless: when events cannot be written, the
// requests that write them answer as always.
func TestEventWriteFailureIsHarmless(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		if _, err := e.db.Bun().ExecContext(context.Background(), "DROP TABLE events"); err != nil {
			t.Fatal(err)
		}
		e.register("apple", "mango")
		p := e.login("apple", "mango")
		checkMsg(t, e.do(req{method: "POST", path: "/api/login", body: creds("apple", "melon")}), 401, "Incorrect password or username", shared.CodeBadCredentials)
		next, w := e.refresh(t, p.RefreshToken)
		checkJSON(t, w, 200, "")
		checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(next.AccessToken)}), 200, "")
	})
}

// TestLogoutAsFlask: after a sign-out, each token of the session is
// answered 200 the first time it is presented to logout and 401 after;
// sessions ended otherwise answer 401.
func TestLogoutAsFlask(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		logout := func(tok string) *httptest.ResponseRecorder {
			return e.do(req{method: "DELETE", path: "/api/logout", header: bearer(tok)})
		}
		t.Run("OKAccessThenRefresh", func(t *testing.T) {
			p := e.login("apple", "mango")
			checkJSON(t, logout(p.AccessToken), 200, `{"msg":"Access token successfully revoked"}`)
			checkJSON(t, logout(p.RefreshToken), 200, `{"msg":"Refresh token successfully revoked"}`)
			checkMsg(t, logout(p.RefreshToken), 401, "Token has been revoked", shared.CodeTokenRevoked)
			checkMsg(t, logout(p.AccessToken), 401, "Token has been revoked", shared.CodeTokenRevoked)
			e.dead(t, p.AccessToken, false)
			e.dead(t, p.RefreshToken, true)
		})
		t.Run("OKRefreshThenAccess", func(t *testing.T) {
			p := e.login("apple", "mango")
			checkJSON(t, logout(p.RefreshToken), 200, `{"msg":"Refresh token successfully revoked"}`)
			checkJSON(t, logout(p.AccessToken), 200, `{"msg":"Access token successfully revoked"}`)
			checkMsg(t, logout(p.AccessToken), 401, "Token has been revoked", shared.CodeTokenRevoked)
		})
		t.Run("OKGlobal", func(t *testing.T) {
			a, b := e.login("apple", "mango"), e.login("apple", "mango")
			checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout?scope=global", header: bearer(a.AccessToken)}), 200, "")
			checkJSON(t, logout(b.RefreshToken), 200, `{"msg":"Refresh token successfully revoked"}`)
			checkMsg(t, logout(b.RefreshToken), 401, "Token has been revoked", shared.CodeTokenRevoked)
		})
		t.Run("ErrEndedOtherwise", func(t *testing.T) {
			reused := e.login("apple", "mango")
			e.refresh(t, reused.RefreshToken)
			e.refresh(t, reused.RefreshToken)
			e.refresh(t, reused.RefreshToken)
			checkMsg(t, logout(reused.AccessToken), 401, "Token has been revoked", shared.CodeTokenRevoked)

			changed := e.login("apple", "mango")
			other := e.login("apple", "mango")
			w := e.do(req{method: "POST", path: "/api/password", body: passwordBody("mango", "papaya"), header: bearer(changed.AccessToken)})
			checkJSON(t, w, 200, "")
			checkMsg(t, logout(other.RefreshToken), 401, "Token has been revoked", shared.CodeTokenRevoked)
			checkMsg(t, logout(changed.AccessToken), 401, "Token has been revoked", shared.CodeTokenRevoked)
			var now shared.PasswordChanged
			json.Unmarshal(w.Body.Bytes(), &now)
			checkJSON(t, e.do(req{method: "POST", path: "/api/password", body: passwordBody("papaya", "mango"), header: bearer(now.AccessToken)}), 200, "")

			operator := e.login("apple", "mango")
			uid := e.userID(t, "apple")
			if _, err := e.db.RevokeSessions(context.Background(), uid, backend.SessionSet{}, backend.ReasonOperator); err != nil {
				t.Fatal(err)
			}
			checkMsg(t, logout(operator.RefreshToken), 401, "Token has been revoked", shared.CodeTokenRevoked)
		})
	})
}

// userID is the id of the user name.
func (e *env) userID(t testing.TB, name string) int64 {
	t.Helper()
	u, err := e.db.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
