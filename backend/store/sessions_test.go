package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
)

// grace is the refresh grace window the rotation tests use.
const grace = 10 * time.Second

// newUser creates a user named name and returns its id.
func newUser(tb testing.TB, db *store.DB, name string) int64 {
	tb.Helper()
	u, err := db.CreateUser(context.Background(), name, "hash-"+name)
	if err != nil {
		tb.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u.ID
}

// newSession creates an active session of userID, created at created and
// ending a day after clock, whose current refresh jti is id+"-r0".
func newSession(tb testing.TB, db *store.DB, userID int64, id string, created time.Time) *backend.Session {
	tb.Helper()
	s := &backend.Session{
		ID:         id,
		UserID:     userID,
		CreatedAt:  created,
		RenewedAt:  created,
		ExpiresAt:  clock.Add(24 * time.Hour),
		UserAgent:  "agent " + id,
		RefreshJTI: id + "-r0",
	}
	if err := db.CreateSession(context.Background(), s, "", 0); err != nil {
		tb.Fatalf("CreateSession(%s): %v", id, err)
	}
	return s
}

// createSession inserts s as it is.
func createSession(tb testing.TB, db *store.DB, s *backend.Session) {
	tb.Helper()
	if err := db.CreateSession(context.Background(), s, "", 0); err != nil {
		tb.Fatalf("CreateSession(%s): %v", s.ID, err)
	}
}

// session reads session id back.
func session(tb testing.TB, db *store.DB, id string) *backend.Session {
	tb.Helper()
	s, err := db.SessionByID(context.Background(), id)
	if err != nil {
		tb.Fatalf("SessionByID(%s): %v", id, err)
	}
	return s
}

// checkSession fails tb unless got holds the same values as want, times
// compared as instants.
func checkSession(tb testing.TB, got, want *backend.Session) {
	tb.Helper()
	strs := []struct{ name, got, want string }{
		{"ID", got.ID, want.ID},
		{"UserAgent", got.UserAgent, want.UserAgent},
		{"Reason", got.Reason, want.Reason},
		{"RefreshJTI", got.RefreshJTI, want.RefreshJTI},
		{"PrevJTI", got.PrevJTI, want.PrevJTI},
	}
	for _, f := range strs {
		if f.got != f.want {
			tb.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if got, want := got.UserID, want.UserID; got != want {
		tb.Errorf("UserID = %v, want %v", got, want)
	}
	times := []struct {
		name      string
		got, want time.Time
	}{
		{"CreatedAt", got.CreatedAt, want.CreatedAt},
		{"RenewedAt", got.RenewedAt, want.RenewedAt},
		{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
		{"RevokedAt", got.RevokedAt, want.RevokedAt},
		{"PrevRetiredAt", got.PrevRetiredAt, want.PrevRetiredAt},
	}
	for _, f := range times {
		if !f.got.Equal(f.want) || f.got.IsZero() != f.want.IsZero() {
			tb.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if tb.Failed() {
		tb.FailNow()
	}
}

func TestSessionByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	east := time.FixedZone("east", 9*3600)
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			fresh := &backend.Session{
				ID:         "sess-fresh",
				UserID:     uid,
				CreatedAt:  clock.Add(-time.Hour),
				RenewedAt:  clock.Add(-time.Minute).In(east),
				ExpiresAt:  clock.Add(30 * 24 * time.Hour),
				UserAgent:  "Mozilla/5.0 (X11; Linux x86_64) Zoë 🚀",
				RefreshJTI: "jti-current",
			}
			ended := &backend.Session{
				ID:            "sess-ended",
				UserID:        uid,
				CreatedAt:     clock.Add(-2 * time.Hour),
				RenewedAt:     clock.Add(-90 * time.Minute),
				ExpiresAt:     clock.Add(time.Hour + time.Microsecond),
				UserAgent:     "",
				RevokedAt:     clock.Add(-time.Microsecond).In(east),
				Reason:        backend.ReasonLogout,
				RefreshJTI:    "jti-2",
				PrevJTI:       "jti-1",
				PrevRetiredAt: clock.Add(-90 * time.Minute),
			}
			for _, s := range []*backend.Session{fresh, ended} {
				createSession(t, db, s)
			}
			for _, want := range []*backend.Session{fresh, ended} {
				checkSession(t, session(t, db, want.ID), want)
			}
			got := session(t, db, fresh.ID)
			if !got.RevokedAt.IsZero() || !got.PrevRetiredAt.IsZero() {
				t.Fatalf("RevokedAt, PrevRetiredAt = %v, %v; want zero times", got.RevokedAt, got.PrevRetiredAt)
			}
			if got, want := got.Active(clock), true; got != want {
				t.Fatalf("Active = %v, want %v", got, want)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			db := storetest.Open(t, kind)
			newSession(t, db, newUser(t, db, "alice"), "sess-1", clock)
			s, err := db.SessionByID(ctx, "sess-2")
			if got, want := errors.Is(err, backend.ErrNotFound), true; got != want {
				t.Fatalf("SessionByID(sess-2) = %v, %v; errors.Is(err, ErrNotFound) = %v, want %v", s, err, got, want)
			}
			if s != nil {
				t.Fatalf("session = %v, want nil", s)
			}
		})
		t.Run("ErrNoUser", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			s := &backend.Session{ID: "sess-1", UserID: uid + 1000, CreatedAt: clock, RenewedAt: clock, ExpiresAt: clock.Add(time.Hour), RefreshJTI: "r0"}
			if err := db.CreateSession(ctx, s, "", 0); err == nil {
				t.Fatalf("CreateSession for a missing user = nil, want a foreign key error")
			}
		})
		t.Run("ErrDuplicateID", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "sess-1", clock)
			s := &backend.Session{ID: "sess-1", UserID: uid, CreatedAt: clock, RenewedAt: clock, ExpiresAt: clock.Add(time.Hour), RefreshJTI: "other"}
			if err := db.CreateSession(ctx, s, "", 0); err == nil {
				t.Fatalf("second CreateSession(sess-1) = nil, want an error")
			}
			if got, want := session(t, db, "sess-1").RefreshJTI, "sess-1-r0"; got != want {
				t.Fatalf("RefreshJTI = %q, want %q (the first session's)", got, want)
			}
		})
	})
}

func TestListSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := clock
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			alice, bob := newUser(t, db, "alice"), newUser(t, db, "bob")
			newSession(t, db, alice, "a-old", now.Add(-3*time.Hour))
			newSession(t, db, alice, "a-new", now.Add(-time.Hour))
			newSession(t, db, alice, "a-mid", now.Add(-2*time.Hour))
			newSession(t, db, bob, "b-newest", now.Add(-time.Minute))
			revoked := &backend.Session{ID: "a-revoked", UserID: alice, CreatedAt: now.Add(-time.Minute), RenewedAt: now.Add(-time.Minute),
				ExpiresAt: now.Add(time.Hour), RevokedAt: now.Add(-time.Second), Reason: backend.ReasonLogout, RefreshJTI: "x"}
			expired := &backend.Session{ID: "a-expired", UserID: alice, CreatedAt: now.Add(-time.Minute), RenewedAt: now.Add(-time.Minute),
				ExpiresAt: now.Add(-time.Microsecond), RefreshJTI: "y"}
			atNow := &backend.Session{ID: "a-at-now", UserID: alice, CreatedAt: now.Add(-time.Minute), RenewedAt: now.Add(-time.Minute),
				ExpiresAt: now, RefreshJTI: "z"}
			for _, s := range []*backend.Session{revoked, expired, atNow} {
				createSession(t, db, s)
			}
			got, err := db.ListSessions(ctx, alice)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
				if !s.Active(now) {
					t.Errorf("listed session %s is not active", s.ID)
				}
				if got, want := s.UserID, alice; got != want {
					t.Errorf("session %s: UserID = %v, want %v", s.ID, got, want)
				}
			}
			if got, want := fmt.Sprint(ids), "[a-new a-mid a-old]"; got != want {
				t.Fatalf("ListSessions(alice) = %s, want %s", got, want)
			}
			checkSession(t, &got[0], session(t, db, "a-new"))

			got, err = db.ListSessions(ctx, bob)
			if err != nil {
				t.Fatalf("ListSessions(bob): %v", err)
			}
			if got, want := len(got), 1; got != want {
				t.Fatalf("len(ListSessions(bob)) = %v, want %v", got, want)
			}
			if got, want := got[0].ID, "b-newest"; got != want {
				t.Fatalf("ListSessions(bob)[0].ID = %q, want %q", got, want)
			}
		})
		t.Run("Empty", func(t *testing.T) {
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			alice, bob := newUser(t, db, "alice"), newUser(t, db, "bob")
			newSession(t, db, bob, "b-1", now)
			got, err := db.ListSessions(ctx, alice)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if got, want := len(got), 0; got != want {
				t.Fatalf("len(ListSessions(alice)) = %v, want %v", got, want)
			}
		})
	})
}

func TestRevokeSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := clock
	earlier := now.Add(-time.Hour)
	revoke := func(t *testing.T, db *store.DB, userID int64, set backend.SessionSet, reason string) int64 {
		t.Helper()
		n, err := db.RevokeSessions(ctx, userID, set, reason)
		if err != nil {
			t.Fatalf("RevokeSessions(%d, %+v): %v", userID, set, err)
		}
		return n
	}
	// checkRevoked fails t unless session id ended at at for reason.
	checkRevoked := func(t *testing.T, db *store.DB, id string, at time.Time, reason string) {
		t.Helper()
		s := session(t, db, id)
		if got, want := s.RevokedAt, at; !got.Equal(want) {
			t.Fatalf("%s: RevokedAt = %v, want %v", id, got, want)
		}
		if got, want := s.Reason, reason; got != want {
			t.Fatalf("%s: Reason = %q, want %q", id, got, want)
		}
	}
	checkAlive := func(t *testing.T, db *store.DB, id string) {
		t.Helper()
		s := session(t, db, id)
		if !s.RevokedAt.IsZero() || s.Reason != "" {
			t.Fatalf("%s: RevokedAt, Reason = %v, %q; want it alive", id, s.RevokedAt, s.Reason)
		}
	}
	// setup gives alice a-1, a-2, a-3, a-gone (revoked earlier) and
	// a-expired, and bob b-1.
	setup := func(t *testing.T, kind store.Kind) (db *store.DB, alice, bob int64) {
		db = storetest.Open(t, kind)
		db.Now = fixedNow
		alice, bob = newUser(t, db, "alice"), newUser(t, db, "bob")
		for _, id := range []string{"a-1", "a-2", "a-3"} {
			newSession(t, db, alice, id, earlier)
		}
		newSession(t, db, bob, "b-1", earlier)
		createSession(t, db, &backend.Session{ID: "a-gone", UserID: alice, CreatedAt: earlier, RenewedAt: earlier,
			ExpiresAt: now.Add(time.Hour), RevokedAt: earlier, Reason: backend.ReasonReuse, RefreshJTI: "g"})
		createSession(t, db, &backend.Session{ID: "a-expired", UserID: alice, CreatedAt: earlier.Add(-time.Hour), RenewedAt: earlier,
			ExpiresAt: now.Add(-time.Second), RefreshJTI: "e"})
		return db, alice, bob
	}
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("One", func(t *testing.T) {
			db, alice, _ := setup(t, kind)
			if got, want := revoke(t, db, alice, backend.SessionSet{Only: "a-1"}, backend.ReasonLogout), int64(1); got != want {
				t.Fatalf("RevokeSessions(a-1) = %v, want %v", got, want)
			}
			checkRevoked(t, db, "a-1", now, backend.ReasonLogout)
			for _, id := range []string{"a-2", "a-3", "b-1"} {
				checkAlive(t, db, id)
			}
			// Again: a-1 already ended, so nothing is counted or changed.
			if got, want := revoke(t, db, alice, backend.SessionSet{Only: "a-1"}, backend.ReasonEnded), int64(0); got != want {
				t.Fatalf("second RevokeSessions(a-1) = %v, want %v", got, want)
			}
			checkRevoked(t, db, "a-1", now, backend.ReasonLogout)
			if got, want := revoke(t, db, alice, backend.SessionSet{Only: "a-gone"}, backend.ReasonEnded), int64(0); got != want {
				t.Fatalf("RevokeSessions(a-gone) = %v, want %v", got, want)
			}
			checkRevoked(t, db, "a-gone", earlier, backend.ReasonReuse)
			if got, want := revoke(t, db, alice, backend.SessionSet{Only: "a-expired"}, backend.ReasonEnded), int64(0); got != want {
				t.Fatalf("RevokeSessions(a-expired) = %v, want %v", got, want)
			}
			if got, want := revoke(t, db, alice, backend.SessionSet{Only: "nope"}, backend.ReasonEnded), int64(0); got != want {
				t.Fatalf("RevokeSessions(nope) = %v, want %v", got, want)
			}
		})
		t.Run("OtherUsersSession", func(t *testing.T) {
			db, alice, bob := setup(t, kind)
			if got, want := revoke(t, db, alice, backend.SessionSet{Only: "b-1"}, backend.ReasonEnded), int64(0); got != want {
				t.Fatalf("RevokeSessions(alice, b-1) = %v, want %v", got, want)
			}
			checkAlive(t, db, "b-1")
			if got, want := revoke(t, db, bob, backend.SessionSet{Only: "b-1"}, backend.ReasonEnded), int64(1); got != want {
				t.Fatalf("RevokeSessions(bob, b-1) = %v, want %v", got, want)
			}
			checkRevoked(t, db, "b-1", now, backend.ReasonEnded)
		})
		t.Run("Others", func(t *testing.T) {
			db, alice, _ := setup(t, kind)
			if got, want := revoke(t, db, alice, backend.SessionSet{Except: "a-2"}, backend.ReasonLogoutOthers), int64(2); got != want {
				t.Fatalf("RevokeSessions(others of a-2) = %v, want %v", got, want)
			}
			checkAlive(t, db, "a-2")
			checkAlive(t, db, "b-1")
			checkRevoked(t, db, "a-1", now, backend.ReasonLogoutOthers)
			checkRevoked(t, db, "a-3", now, backend.ReasonLogoutOthers)
			checkRevoked(t, db, "a-gone", earlier, backend.ReasonReuse)
			checkAlive(t, db, "a-expired")
			if got, want := revoke(t, db, alice, backend.SessionSet{Except: "a-2"}, backend.ReasonLogoutOthers), int64(0); got != want {
				t.Fatalf("second RevokeSessions(others of a-2) = %v, want %v", got, want)
			}
			list, err := db.ListSessions(ctx, alice)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if got, want := len(list), 1; got != want {
				t.Fatalf("len(ListSessions) = %v, want %v", got, want)
			}
		})
		t.Run("All", func(t *testing.T) {
			db, alice, _ := setup(t, kind)
			if got, want := revoke(t, db, alice, backend.SessionSet{}, backend.ReasonLogoutGlobal), int64(3); got != want {
				t.Fatalf("RevokeSessions(all) = %v, want %v", got, want)
			}
			for _, id := range []string{"a-1", "a-2", "a-3"} {
				checkRevoked(t, db, id, now, backend.ReasonLogoutGlobal)
			}
			checkRevoked(t, db, "a-gone", earlier, backend.ReasonReuse)
			checkAlive(t, db, "a-expired")
			checkAlive(t, db, "b-1")
			if got, want := revoke(t, db, alice, backend.SessionSet{Except: ""}, backend.ReasonPasswordChange), int64(0); got != want {
				t.Fatalf("second RevokeSessions(all) = %v, want %v", got, want)
			}
			list, err := db.ListSessions(ctx, alice)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if got, want := len(list), 0; got != want {
				t.Fatalf("len(ListSessions) = %v, want %v", got, want)
			}
		})
		t.Run("NoSessions", func(t *testing.T) {
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			uid := newUser(t, db, "carol")
			if got, want := revoke(t, db, uid, backend.SessionSet{}, backend.ReasonLogoutGlobal), int64(0); got != want {
				t.Fatalf("RevokeSessions = %v, want %v", got, want)
			}
		})
	})
}

func TestRotateRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := clock
	// rotate presents jti to session id at at and checks the outcome.
	rotate := func(t *testing.T, db *store.DB, id, jti, newJTI string, at time.Time, want backend.RotateOutcome) *backend.Session {
		t.Helper()
		db.Now = func() time.Time { return at }
		got, s, err := db.RotateRefresh(ctx, id, jti, newJTI, grace)
		if err != nil {
			t.Fatalf("RotateRefresh(%s, %s): %v", id, jti, err)
		}
		if got != want {
			t.Fatalf("RotateRefresh(%s, %s) = %v, want %v", id, jti, got, want)
		}
		if s == nil {
			t.Fatalf("RotateRefresh(%s, %s) session = nil", id, jti)
		}
		checkSession(t, s, session(t, db, id))
		return s
	}
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("Rotated", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			orig := newSession(t, db, uid, "s", now.Add(-time.Hour))
			s := rotate(t, db, "s", "s-r0", "s-r1", now, backend.Rotated)
			want := *orig
			want.RefreshJTI, want.PrevJTI, want.PrevRetiredAt, want.RenewedAt = "s-r1", "s-r0", now, now
			checkSession(t, s, &want)

			later := now.Add(time.Minute)
			s = rotate(t, db, "s", "s-r1", "s-r2", later, backend.Rotated)
			want.RefreshJTI, want.PrevJTI, want.PrevRetiredAt, want.RenewedAt = "s-r2", "s-r1", later, later
			checkSession(t, s, &want)
		})
		t.Run("Grace", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "s", now.Add(-time.Hour))
			rotate(t, db, "s", "s-r0", "s-r1", now, backend.Rotated)
			for _, d := range []time.Duration{0, time.Second, grace / 2, grace} {
				t.Run(d.String(), func(t *testing.T) {
					at := now.Add(d)
					s := rotate(t, db, "s", "s-r0", "unused", at, backend.Grace)
					if !s.Active(at) {
						t.Fatalf("session not active after Grace at +%v", d)
					}
					if got, want := s.RefreshJTI, "s-r1"; got != want {
						t.Fatalf("RefreshJTI after Grace = %q, want %q", got, want)
					}
					if got, want := s.PrevJTI, "s-r0"; got != want {
						t.Fatalf("PrevJTI after Grace = %q, want %q", got, want)
					}
					if got, want := s.PrevRetiredAt, now; !got.Equal(want) {
						t.Fatalf("PrevRetiredAt after Grace = %v, want %v", got, want)
					}
					if got, want := s.PrevGraced, at; !got.Equal(want) {
						t.Fatalf("PrevGraced after Grace = %v, want %v", got, want)
					}
					// Its grace is spent (ReusedSecondGrace); give it back to
					// try the next time.
					if _, err := db.Bun().NewUpdate().Table("sessions").Set("prev_graced_at = NULL").Where("id = ?", "s").Exec(ctx); err != nil {
						t.Fatal(err)
					}
				})
			}
			// The current token still rotates after a grace answer, and
			// the token it retires has a grace of its own.
			rotate(t, db, "s", "s-r0", "unused", now.Add(grace), backend.Grace)
			rotate(t, db, "s", "s-r1", "s-r2", now.Add(grace), backend.Rotated)
			rotate(t, db, "s", "s-r1", "unused", now.Add(grace+time.Second), backend.Grace)
		})
		t.Run("ReusedSecondGrace", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "s", now.Add(-time.Hour))
			rotate(t, db, "s", "s-r0", "s-r1", now, backend.Rotated)
			rotate(t, db, "s", "s-r0", "unused", now.Add(time.Second), backend.Grace)
			s := rotate(t, db, "s", "s-r0", "unused", now.Add(2*time.Second), backend.Reused)
			if got, want := s.Reason, backend.ReasonReuse; got != want {
				t.Fatalf("Reason = %q, want %q", got, want)
			}
			if s.Active(now.Add(2 * time.Second)) {
				t.Fatalf("session still active after a second use of a retired token")
			}
			// The session is over for the current token too.
			rotate(t, db, "s", "s-r1", "unused", now.Add(3*time.Second), backend.Ended)
		})
		t.Run("Reused", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "s", now.Add(-time.Hour))
			newSession(t, db, uid, "other", now.Add(-time.Hour))
			rotate(t, db, "s", "s-r0", "s-r1", now, backend.Rotated)
			at := now.Add(grace + time.Microsecond)
			s := rotate(t, db, "s", "s-r0", "unused", at, backend.Reused)
			if got, want := s.RevokedAt, at; !got.Equal(want) {
				t.Fatalf("RevokedAt = %v, want %v", got, want)
			}
			if got, want := s.Reason, backend.ReasonReuse; got != want {
				t.Fatalf("Reason = %q, want %q", got, want)
			}
			if got, want := s.RefreshJTI, "s-r1"; got != want {
				t.Fatalf("RefreshJTI = %q, want %q", got, want)
			}
			// The session is over: even its current token is refused.
			s = rotate(t, db, "s", "s-r1", "s-r2", at, backend.Ended)
			if got, want := s.RefreshJTI, "s-r1"; got != want {
				t.Fatalf("RefreshJTI after Ended = %q, want %q", got, want)
			}
			rotate(t, db, "s", "s-r0", "s-r2", at, backend.Ended)
			// Other sessions of the user are not touched.
			rotate(t, db, "other", "other-r0", "other-r1", at, backend.Rotated)
		})
		t.Run("ReusedOlder", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "s", now.Add(-time.Hour))
			rotate(t, db, "s", "s-r0", "s-r1", now, backend.Rotated)
			rotate(t, db, "s", "s-r1", "s-r2", now.Add(time.Second), backend.Rotated)
			// s-r0 is two rotations back: reuse, even inside the window
			// of the last rotation.
			s := rotate(t, db, "s", "s-r0", "unused", now.Add(2*time.Second), backend.Reused)
			if got, want := s.Reason, backend.ReasonReuse; got != want {
				t.Fatalf("Reason = %q, want %q", got, want)
			}
			if s.Active(now.Add(2 * time.Second)) {
				t.Fatalf("session still active after reuse")
			}
		})
		t.Run("ReusedUnknownJTI", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "s", now.Add(-time.Hour))
			rotate(t, db, "s", "never-issued", "unused", now, backend.Reused)
		})
		t.Run("EndedRevoked", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "s", now.Add(-time.Hour))
			db.Now = fixedNow
			if _, err := db.RevokeSessions(ctx, uid, backend.SessionSet{Only: "s"}, backend.ReasonLogout); err != nil {
				t.Fatalf("RevokeSessions: %v", err)
			}
			s := rotate(t, db, "s", "s-r0", "s-r1", now.Add(time.Second), backend.Ended)
			if got, want := s.RefreshJTI, "s-r0"; got != want {
				t.Fatalf("RefreshJTI = %q, want %q", got, want)
			}
			if got, want := s.Reason, backend.ReasonLogout; got != want {
				t.Fatalf("Reason = %q, want %q", got, want)
			}
		})
		t.Run("EndedExpired", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			createSession(t, db, &backend.Session{ID: "s", UserID: uid, CreatedAt: now.Add(-time.Hour), RenewedAt: now.Add(-time.Hour),
				ExpiresAt: now, RefreshJTI: "s-r0"})
			s := rotate(t, db, "s", "s-r0", "s-r1", now, backend.Ended)
			if got, want := s.RefreshJTI, "s-r0"; got != want {
				t.Fatalf("RefreshJTI = %q, want %q", got, want)
			}
			if !s.RevokedAt.IsZero() {
				t.Fatalf("RevokedAt = %v, want zero", s.RevokedAt)
			}
			if got, want := s.RenewedAt, now.Add(-time.Hour); !got.Equal(want) {
				t.Fatalf("RenewedAt = %v, want %v", got, want)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			db := storetest.Open(t, kind)
			newSession(t, db, newUser(t, db, "alice"), "s", now)
			outcome, s, err := db.RotateRefresh(ctx, "nope", "s-r0", "s-r1", grace)
			if got, want := errors.Is(err, backend.ErrNotFound), true; got != want {
				t.Fatalf("RotateRefresh(nope) = %v, %v, %v; errors.Is(err, ErrNotFound) = %v, want %v", outcome, s, err, got, want)
			}
			if s != nil {
				t.Fatalf("session = %v, want nil", s)
			}
		})
	})
}

// rotateResult is what one RotateRefresh call of a concurrent test got.
type rotateResult struct {
	id, newJTI string
	outcome    backend.RotateOutcome
	sess       *backend.Session
	err        error
}

// rotateAtOnce starts n RotateRefresh calls per session in ids at the same
// moment, each presenting the session's id+"-r0" with a newJTI of its own,
// and returns their results.
func rotateAtOnce(db *store.DB, ids []string, n int) []rotateResult {
	ctx := context.Background()
	db.Now = fixedNow
	start := make(chan struct{})
	res := make([]rotateResult, len(ids)*n)
	var wg sync.WaitGroup
	for i := range res {
		id := ids[i%len(ids)]
		res[i].id, res[i].newJTI = id, fmt.Sprintf("%s-new-%d", id, i)
		wg.Go(func() {
			<-start
			r := &res[i]
			r.outcome, r.sess, r.err = db.RotateRefresh(ctx, r.id, r.id+"-r0", r.newJTI, grace)
		})
	}
	close(start)
	wg.Wait()
	return res
}

// checkRotatedOnce fails t unless the n results for session id hold exactly
// one Rotated, one Grace when n > 1 (a retired token renews once) and n-2
// Reused, and the session now holds the winner's jti: alive for n <= 2,
// ended for reuse beyond.
func checkRotatedOnce(t *testing.T, db *store.DB, res []rotateResult, id string, n int) {
	t.Helper()
	var rotated, graced, reused int
	var winner string
	for _, r := range res {
		if r.id != id {
			continue
		}
		if r.err != nil {
			t.Errorf("RotateRefresh(%s) -> %s: %v", id, r.newJTI, r.err)
			continue
		}
		switch r.outcome {
		case backend.Rotated:
			rotated++
			winner = r.newJTI
		case backend.Grace:
			graced++
		case backend.Reused, backend.Ended:
			reused++
		default:
			t.Errorf("RotateRefresh(%s) -> %s = %v", id, r.newJTI, r.outcome)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if got, want := rotated, 1; got != want {
		t.Fatalf("%s: Rotated = %v, want %v", id, got, want)
	}
	if got, want := graced, min(1, n-1); got != want {
		t.Fatalf("%s: Grace = %v, want %v", id, got, want)
	}
	if got, want := reused, max(0, n-2); got != want {
		t.Fatalf("%s: Reused or Ended = %v, want %v", id, got, want)
	}
	// Every caller saw the session with the winner's jti current.
	for _, r := range res {
		if r.id != id {
			continue
		}
		if got, want := r.sess.RefreshJTI, winner; got != want {
			t.Fatalf("%s: %v result RefreshJTI = %q, want %q", id, r.outcome, got, want)
		}
	}
	s := session(t, db, id)
	if got, want := s.Active(clock), n <= 2; got != want {
		t.Fatalf("%s: active = %v (RevokedAt %v, Reason %q), want %v", id, got, s.RevokedAt, s.Reason, want)
	}
	if n > 2 {
		if got, want := s.Reason, backend.ReasonReuse; got != want {
			t.Fatalf("%s: Reason = %q, want %q", id, got, want)
		}
	}
	if got, want := s.RefreshJTI, winner; got != want {
		t.Fatalf("%s: RefreshJTI = %q, want %q (the Rotated call's)", id, got, want)
	}
	if got, want := s.PrevJTI, id+"-r0"; got != want {
		t.Fatalf("%s: PrevJTI = %q, want %q", id, got, want)
	}
}

func TestRotateRefreshConcurrent(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OKTwoAtOnce", func(t *testing.T) {
			db := storetest.Open(t, kind)
			newSession(t, db, newUser(t, db, "alice"), "s", clock.Add(-time.Hour))
			const n = 2
			res := rotateAtOnce(db, []string{"s"}, n)
			checkRotatedOnce(t, db, res, "s", n)
		})
		t.Run("ReusedManyAtOnce", func(t *testing.T) {
			db := storetest.Open(t, kind)
			newSession(t, db, newUser(t, db, "alice"), "s", clock.Add(-time.Hour))
			const n = 20
			res := rotateAtOnce(db, []string{"s"}, n)
			checkRotatedOnce(t, db, res, "s", n)
		})
		t.Run("TwoSessions", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			newSession(t, db, uid, "s1", clock.Add(-time.Hour))
			newSession(t, db, uid, "s2", clock.Add(-time.Hour))
			const n = 10
			res := rotateAtOnce(db, []string{"s1", "s2"}, n)
			checkRotatedOnce(t, db, res, "s1", n)
			checkRotatedOnce(t, db, res, "s2", n)
		})
	})
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		session := func(db *store.DB, uid int64, id string) *backend.Session {
			now := db.Now()
			return &backend.Session{ID: id, UserID: uid, CreatedAt: now, RenewedAt: now, ExpiresAt: now.Add(time.Hour), RefreshJTI: id + "-r"}
		}
		active := func(t *testing.T, db *store.DB, id string) bool {
			t.Helper()
			sess, err := db.SessionByID(ctx, id)
			if err != nil {
				t.Fatalf("SessionByID(%s): %v", id, err)
			}
			return sess.Active(db.Now())
		}
		password := func(t *testing.T, db *store.DB, name string) string {
			t.Helper()
			u, err := db.UserByName(ctx, name)
			if err != nil {
				t.Fatalf("UserByName(%s): %v", name, err)
			}
			return u.Password
		}
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			alice := newUser(t, db, "alice")
			bob := newUser(t, db, "bob")
			for _, sess := range []*backend.Session{session(db, alice, "a1"), session(db, alice, "a2"), session(db, bob, "b1")} {
				if err := db.CreateSession(ctx, sess, "", 0); err != nil {
					t.Fatal(err)
				}
			}
			ended, err := db.SetPassword(ctx, alice, backend.PasswordChange{
				Hash: "hash-new", Previous: "hash-alice", Reason: backend.ReasonPasswordChange, Next: session(db, alice, "a3"),
			})
			if err != nil || ended != 2 {
				t.Fatalf("SetPassword = %d, %v; want 2 sessions ended", ended, err)
			}
			if got := password(t, db, "alice"); got != "hash-new" {
				t.Fatalf("Password = %q, want hash-new", got)
			}
			if active(t, db, "a1") || active(t, db, "a2") || !active(t, db, "a3") {
				t.Fatal("want a1 and a2 ended, a3 (started with the change) active")
			}
			if sess, _ := db.SessionByID(ctx, "a1"); sess.Reason != backend.ReasonPasswordChange {
				t.Fatalf("a1 ended for %q, want %q", sess.Reason, backend.ReasonPasswordChange)
			}
			if password(t, db, "bob") != "hash-bob" || !active(t, db, "b1") {
				t.Fatal("bob's password or session changed")
			}
			// Setting the same hash again, unconditionally, is no error.
			if _, err := db.SetPassword(ctx, alice, backend.PasswordChange{Hash: "hash-new", Reason: backend.ReasonOperator}); err != nil {
				t.Fatalf("SetPassword with the same hash: %v", err)
			}
			if active(t, db, "a3") {
				t.Fatal("a3 outlived the operator's change")
			}
		})
		t.Run("ErrChangedMeanwhile", func(t *testing.T) {
			db := storetest.Open(t, kind)
			alice := newUser(t, db, "alice")
			if err := db.CreateSession(ctx, session(db, alice, "a1"), "", 0); err != nil {
				t.Fatal(err)
			}
			_, err := db.SetPassword(ctx, alice, backend.PasswordChange{
				Hash: "hash-new", Previous: "hash-stale", Reason: backend.ReasonPasswordChange, Next: session(db, alice, "a2"),
			})
			if !errors.Is(err, backend.ErrConflict) {
				t.Fatalf("SetPassword from a stale hash = %v, want ErrConflict", err)
			}
			// Nothing of it happened.
			if password(t, db, "alice") != "hash-alice" || !active(t, db, "a1") {
				t.Fatal("the refused change changed the password or ended a session")
			}
			if _, err := db.SessionByID(ctx, "a2"); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("the refused change started its session: %v", err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			db := storetest.Open(t, kind)
			uid := newUser(t, db, "alice")
			_, err := db.SetPassword(ctx, uid+1000, backend.PasswordChange{Hash: "hash-new", Reason: backend.ReasonOperator})
			if got, want := errors.Is(err, backend.ErrNotFound), true; got != want {
				t.Fatalf("SetPassword(unknown) = %v; errors.Is(err, ErrNotFound) = %v, want %v", err, got, want)
			}
		})
	})
}

func TestPurgeSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := clock
	idleBefore := now.Add(-24 * time.Hour)
	east := time.FixedZone("east", 9*3600)
	west := time.FixedZone("west", -7*3600)
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		t.Run("OK", func(t *testing.T) {
			db := storetest.Open(t, kind)
			alice, bob := newUser(t, db, "alice"), newUser(t, db, "bob")
			mk := func(id string, userID int64, renewed, expires, revoked time.Time) *backend.Session {
				return &backend.Session{ID: id, UserID: userID, CreatedAt: renewed.Add(-time.Hour), RenewedAt: renewed,
					ExpiresAt: expires, RevokedAt: revoked, RefreshJTI: id + "-r0"}
			}
			soon := now.Add(time.Hour)
			var never time.Time
			gone := []*backend.Session{
				mk("expired", alice, now.Add(-time.Hour), now.Add(-time.Microsecond), never),
				mk("expired-west", alice, now.Add(-time.Hour), now.Add(-time.Minute).In(west), never),
				mk("revoked", alice, now.Add(-time.Hour), soon, now.Add(-time.Second)),
				mk("idle", alice, idleBefore.Add(-time.Microsecond), soon, never),
				mk("idle-bob", bob, idleBefore.Add(-time.Hour), soon, never),
			}
			kept := []*backend.Session{
				mk("active", alice, now.Add(-time.Hour), soon, never),
				mk("active-bob", bob, now, soon.In(east), never),
				mk("expires-at-now", alice, now.Add(-time.Hour), now, never), // expires_at < now is strict
				mk("renewed-at-limit", alice, idleBefore, soon, never),       // renewed_at < idleBefore is strict
			}
			for _, s := range append(append([]*backend.Session{}, gone...), kept...) {
				createSession(t, db, s)
			}
			db.Now = func() time.Time { return now.In(east) }
			n, err := db.PurgeSessions(ctx, now.Sub(idleBefore))
			if err != nil {
				t.Fatalf("PurgeSessions: %v", err)
			}
			if got, want := n, int64(len(gone)); got != want {
				t.Fatalf("PurgeSessions = %v, want %v", got, want)
			}
			for _, s := range gone {
				if _, err := db.SessionByID(ctx, s.ID); !errors.Is(err, backend.ErrNotFound) {
					t.Fatalf("SessionByID(%s) after purge: err = %v, want ErrNotFound", s.ID, err)
				}
			}
			for _, s := range kept {
				checkSession(t, session(t, db, s.ID), s)
			}
			n, err = db.PurgeSessions(ctx, now.Sub(idleBefore))
			if err != nil {
				t.Fatalf("second PurgeSessions: %v", err)
			}
			if got, want := n, int64(0); got != want {
				t.Fatalf("second PurgeSessions = %v, want %v", got, want)
			}
		})
		t.Run("Empty", func(t *testing.T) {
			db := storetest.Open(t, kind)
			db.Now = fixedNow
			n, err := db.PurgeSessions(ctx, now.Sub(idleBefore))
			if err != nil {
				t.Fatalf("PurgeSessions: %v", err)
			}
			if got, want := n, int64(0); got != want {
				t.Fatalf("PurgeSessions = %v, want %v", got, want)
			}
		})
	})
}

func TestDeleteUserCascades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		db.Now = fixedNow
		if kind == store.SQLite {
			// Every pooled connection must enforce foreign keys; hold a
			// few at once so more than one is checked.
			var conns []interface{ Close() error }
			for i := range 3 {
				conn, err := db.Bun().Conn(ctx)
				if err != nil {
					t.Fatalf("Conn #%d: %v", i, err)
				}
				conns = append(conns, conn)
				var on int
				if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
					t.Fatalf("PRAGMA foreign_keys: %v", err)
				}
				if got, want := on, 1; got != want {
					t.Fatalf("conn #%d: foreign_keys = %v, want %v", i, got, want)
				}
			}
			for _, c := range conns {
				c.Close()
			}
		}
		alice, bob := newUser(t, db, "alice"), newUser(t, db, "bob")
		newSession(t, db, alice, "a-1", clock)
		newSession(t, db, alice, "a-2", clock)
		newSession(t, db, bob, "b-1", clock)
		res, err := db.Bun().ExecContext(ctx, "DELETE FROM users WHERE id = ?", alice)
		if err != nil {
			t.Fatalf("delete user: %v", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("delete user: RowsAffected = %v, %v; want 1", n, err)
		}
		for _, id := range []string{"a-1", "a-2"} {
			if _, err := db.SessionByID(ctx, id); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("SessionByID(%s) after deleting its user: err = %v, want ErrNotFound", id, err)
			}
		}
		if got, want := session(t, db, "b-1").UserID, bob; got != want {
			t.Fatalf("b-1 UserID = %v, want %v", got, want)
		}
		list, err := db.ListSessions(ctx, alice)
		if err != nil {
			t.Fatalf("ListSessions: %v", err)
		}
		if got, want := len(list), 0; got != want {
			t.Fatalf("len(ListSessions(deleted user)) = %v, want %v", got, want)
		}
	})
}

// TestCreateSessionGuard: a sign-in that checked the old password cannot
// open a session once the password has changed.
func TestCreateSessionGuard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		db.Now = fixedNow
		uid := newUser(t, db, "alice") // password hash "hash-alice"
		s := func(id string) *backend.Session {
			return &backend.Session{ID: id, UserID: uid, CreatedAt: clock, RenewedAt: clock, ExpiresAt: clock.Add(time.Hour), RefreshJTI: id + "-r"}
		}
		if err := db.CreateSession(ctx, s("ok"), "hash-alice", 0); err != nil {
			t.Fatalf("CreateSession with the current hash: %v", err)
		}
		if _, err := db.SetPassword(ctx, uid, backend.PasswordChange{Hash: "hash-new", Reason: backend.ReasonOperator}); err != nil {
			t.Fatal(err)
		}
		err := db.CreateSession(ctx, s("stale"), "hash-alice", 0)
		if !errors.Is(err, backend.ErrConflict) {
			t.Fatalf("CreateSession with the old hash = %v, want ErrConflict", err)
		}
		if _, err := db.SessionByID(ctx, "stale"); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("the refused session was written: %v", err)
		}
		u, err := db.UserByName(ctx, "alice")
		if err != nil || !u.TokensValidAfter.Equal(clock) {
			t.Fatalf("TokensValidAfter = %v, %v; want %v", u.TokensValidAfter, err, clock)
		}
	})
}
