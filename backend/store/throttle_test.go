package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/internal/testclock"
)

func TestTakeToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rate := backend.Rate{N: 3, Per: 30 * time.Second} // a token every 10 s
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		c := testclock.New()
		db.Now = c.Now
		take := func(key string, cost float64) time.Duration {
			t.Helper()
			wait, err := db.TakeToken(ctx, key, rate, cost)
			if err != nil {
				t.Fatalf("TakeToken(%s): %v", key, err)
			}
			return wait
		}
		for i := range 3 {
			if got := take("a", 1); got != 0 {
				t.Fatalf("take %d: wait %v, want 0", i, got)
			}
		}
		if got, want := take("a", 1), 10*time.Second; got != want {
			t.Fatalf("empty bucket: wait %v, want %v", got, want)
		}
		if got, want := take("a", 0), 10*time.Second; got != want {
			t.Fatalf("look at an empty bucket: wait %v, want %v", got, want)
		}
		if got := take("b", 1); got != 0 {
			t.Fatalf("another key: wait %v, want 0", got)
		}
		c.Advance(4 * time.Second)
		if got, want := take("a", 1), 6*time.Second; got != want {
			t.Fatalf("after 4 s: wait %v, want %v", got, want)
		}
		c.Advance(6 * time.Second)
		if got := take("a", 0); got != 0 {
			t.Fatalf("look after 10 s: wait %v, want 0", got)
		}
		if got := take("a", 1); got != 0 {
			t.Fatalf("after 10 s: wait %v, want 0", got)
		}
		c.Advance(time.Hour) // refills to N, not beyond
		for range 3 {
			take("a", 1)
		}
		if got := take("a", 1); got == 0 {
			t.Fatal("the bucket held more than N after a long rest")
		}
		// Given back: one token, then no more than N.
		take("a", -1)
		if got := take("a", 1); got != 0 {
			t.Fatalf("after a token given back: wait %v, want 0", got)
		}
		for range 5 {
			take("a", -1)
		}
		for range 3 {
			take("a", 1)
		}
		if got := take("a", 1); got == 0 {
			t.Fatal("tokens given back filled the bucket beyond N")
		}
		if got, err := db.TakeToken(ctx, "c", backend.Rate{}, 1); err != nil || got != 0 {
			t.Fatalf("no limit: %v, %v", got, err)
		}
	})
}

// TestTakeTokenConcurrent: tokens taken at once from one bucket never
// exceed it.
func TestTakeTokenConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		db.Now = fixedNow
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got int
		)
		for range 30 {
			wg.Go(func() {
				wait, err := db.TakeToken(ctx, "k", backend.Rate{N: 10, Per: time.Hour}, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if wait == 0 {
					mu.Lock()
					got++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if want := 10; got != want {
			t.Fatalf("%d tokens taken, want %d", got, want)
		}
	})
}

func TestFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		c := testclock.New()
		db.Now = c.Now
		fail := func(key string) (wait, started time.Duration) {
			t.Helper()
			wait, started, err := db.AddFailure(ctx, key, 2, time.Second, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return wait, started
		}
		// Each failure after the backoff it started: 2 free, then doubling
		// up to the cap.
		for i, want := range []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
			wait, started := fail("k")
			if wait != 0 || started != want {
				t.Fatalf("failure %d: wait %v, started %v; want 0 and %v", i+1, wait, started, want)
			}
			if want == 0 {
				continue
			}
			// Backed off: counted as nothing, told how long is left.
			c.Advance(want / 2)
			if wait, started := fail("k"); wait != want-want/2 || started != 0 {
				t.Fatalf("while backed off after failure %d: wait %v, started %v; want %v and 0", i+1, wait, started, want-want/2)
			}
			c.Advance(want - want/2)
		}
		if err := db.ClearFailures(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if wait, started := fail("k"); wait != 0 || (started != 0) != (i == 2) {
				t.Fatalf("failure %d after ClearFailures: wait %v, started %v", i+1, wait, started)
			}
		}
		// A day after the last failure they are forgotten.
		fail("day")
		fail("day")
		c.Advance(25 * time.Hour)
		if wait, started := fail("day"); wait != 0 || started != 0 {
			t.Fatalf("failure a day later: wait %v, started %v; want none", wait, started)
		}
	})
}

// TestFailuresConcurrent: failures counted at once are counted one after
// the other: past the free ones, one starts the backoff and the others
// are refused.
func TestFailuresConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		const n, free = 20, 3
		var counted atomic.Int32
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				wait, _, err := db.AddFailure(ctx, "k", free, time.Minute, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if wait == 0 {
					counted.Add(1)
				}
			})
		}
		wg.Wait()
		if got, want := counted.Load(), int32(free+1); got != want {
			t.Fatalf("%d of %d failures at once were counted, want %d", got, n, want)
		}
	})
}

func TestKnownIPs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		alice, bob := newUser(t, db, "alice"), newUser(t, db, "bob")
		known := func(uid int64, ip string) bool {
			t.Helper()
			ok, err := db.KnownIP(ctx, uid, ip)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if known(alice, "203.0.113.1/32") {
			t.Fatal("known before any sign-in")
		}
		for range 2 { // twice: an update, not a second row
			if err := db.RememberIP(ctx, alice, "203.0.113.1/32"); err != nil {
				t.Fatal(err)
			}
		}
		if !known(alice, "203.0.113.1/32") || known(bob, "203.0.113.1/32") || known(alice, "203.0.113.2/32") {
			t.Fatal("KnownIP mixes users or addresses")
		}
		if _, err := db.DeleteUser(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if known(alice, "203.0.113.1/32") {
			t.Fatal("known IP kept after the user was deleted")
		}
	})
}

func TestPurgeThrottle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		c := testclock.New()
		db.Now = c.Now
		for i := range 1200 { // more than one batch
			if _, _, err := db.AddFailure(ctx, fmt.Sprint("old-", i), 5, time.Second, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		c.Advance(25 * time.Hour)
		db.TakeToken(ctx, "fresh", backend.Rate{N: 1, Per: time.Hour}, 1)
		n, err := db.PurgeThrottle(ctx, 24*time.Hour)
		if err != nil || n != 1200 {
			t.Fatalf("PurgeThrottle = %d, %v; want 1200", n, err)
		}
		if wait, _ := db.TakeToken(ctx, "fresh", backend.Rate{N: 1, Per: time.Hour}, 1); wait == 0 {
			t.Fatal("the fresh bucket was purged")
		}
	})
}

func TestUserMaintenance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		db.Now = fixedNow
		t.Run("Rehash", func(t *testing.T) {
			u, err := db.CreateUser(ctx, "rehash", "$2a$04$old")
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := db.Rehash(ctx, u.ID, "$2a$04$stale", "$2a$10$new"); err != nil || ok {
				t.Fatalf("Rehash from a stale hash = %v, %v; want false", ok, err)
			}
			if ok, err := db.Rehash(ctx, u.ID, "$2a$04$old", "$2a$10$new"); err != nil || !ok {
				t.Fatalf("Rehash = %v, %v; want true", ok, err)
			}
			got, err := db.UserByName(ctx, "rehash")
			if err != nil || got.Password != "$2a$10$new" || !got.TokensValidAfter.IsZero() {
				t.Fatalf("after Rehash: %+v, %v", got, err)
			}
		})
		t.Run("ListAndDelete", func(t *testing.T) {
			before, err := db.ListUsers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			uid := newUser(t, db, "leaving")
			newSession(t, db, uid, "leaving-1", clock)
			after, err := db.ListUsers(ctx)
			if err != nil || len(after) != len(before)+1 || after[len(after)-1].Name != "leaving" {
				t.Fatalf("ListUsers = %+v, %v", after, err)
			}
			u, err := db.DeleteUser(ctx, "leaving")
			if err != nil || u.ID != uid {
				t.Fatalf("DeleteUser = %+v, %v", u, err)
			}
			if _, err := db.SessionByID(ctx, "leaving-1"); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("the session outlived its user: %v", err)
			}
			if _, err := db.DeleteUser(ctx, "leaving"); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("second DeleteUser = %v, want ErrNotFound", err)
			}
		})
	})
}

// TestCreateSessionKeep: past keep live sessions, a new one ends the least
// recently renewed.
func TestCreateSessionKeep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		db.Now = fixedNow
		uid := newUser(t, db, "alice")
		mk := func(id string, renewed time.Time) *backend.Session {
			return &backend.Session{ID: id, UserID: uid, CreatedAt: clock.Add(-time.Hour), RenewedAt: renewed, ExpiresAt: clock.Add(time.Hour), RefreshJTI: id}
		}
		for i, renewed := range []time.Duration{-3, -1, -2} {
			if err := db.CreateSession(ctx, mk(fmt.Sprint("s", i), clock.Add(renewed*time.Minute)), "", 3); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreateSession(ctx, mk("s3", clock), "", 3); err != nil {
			t.Fatal(err)
		}
		if s := session(t, db, "s0"); s.Active(clock) || s.Reason != backend.ReasonLimit {
			t.Fatalf("s0 (least recently renewed): active %v, reason %q; want ended for the limit", s.Active(clock), s.Reason)
		}
		list, err := db.ListSessions(ctx, uid)
		if err != nil || len(list) != 3 {
			t.Fatalf("ListSessions = %d, %v; want 3", len(list), err)
		}
		if err := db.CreateSession(ctx, mk("s4", clock), "", 1); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.ListSessions(ctx, uid); len(list) != 1 || list[0].ID != "s4" {
			t.Fatalf("with keep 1: %+v", list)
		}
	})
}
