package store_test

import (
	"context"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/internal/testclock"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		c := testclock.New()
		db.Now = c.Now
		alice, bob := newUser(t, db, "alice"), newUser(t, db, "bob")
		add := func(uid int64, kind string, detail map[string]any) backend.Event {
			t.Helper()
			e := backend.Event{UserID: uid, Kind: kind, IP: "203.0.113.1/32", UserAgent: "Firefox", SessionID: "s1", Detail: detail}
			if err := db.AddEvent(ctx, &e); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
			return e
		}
		t.Run("OKNewestFirstAndPages", func(t *testing.T) {
			var ids []int64
			for i := range 5 {
				ids = append(ids, add(alice, backend.EventSignedIn, map[string]any{"new_device": i == 0}).ID)
				add(bob, backend.EventSignedIn, nil)
			}
			first, err := db.Events(ctx, alice, 0, 2)
			if err != nil || len(first) != 2 || first[0].ID != ids[4] || first[1].ID != ids[3] {
				t.Fatalf("first page = %+v, %v", first, err)
			}
			// An event arriving meanwhile does not move the next page.
			add(alice, backend.EventSignInFailed, nil)
			next, err := db.Events(ctx, alice, first[1].ID, 2)
			if err != nil || len(next) != 2 || next[0].ID != ids[2] || next[1].ID != ids[1] {
				t.Fatalf("second page = %+v, %v", next, err)
			}
			last, err := db.Events(ctx, alice, next[1].ID, 2)
			if err != nil || len(last) != 1 || last[0].ID != ids[0] {
				t.Fatalf("last page = %+v, %v", last, err)
			}
			e := last[0]
			if e.UserID != alice || e.Kind != backend.EventSignedIn || e.IP != "203.0.113.1/32" || e.UserAgent != "Firefox" || e.SessionID != "s1" || e.Detail["new_device"] != true {
				t.Fatalf("event read back = %+v", e)
			}
			// (The ids above are alice's: none of bob's was in her pages.)
		})
		t.Run("OKUnseenAlerts", func(t *testing.T) {
			carol := newUser(t, db, "carol")
			if n, err := db.Unseen(ctx, carol, backend.AlertKinds); err != nil || n != 0 {
				t.Fatalf("Unseen = %d, %v", n, err)
			}
			add(carol, backend.EventReuseDetected, nil)
			add(carol, backend.EventSignedIn, nil)
			add(carol, backend.EventThrottled, nil)
			if n, err := db.Unseen(ctx, carol, backend.AlertKinds); err != nil || n != 2 {
				t.Fatalf("Unseen = %d, %v; want 2", n, err)
			}
			if err := db.SeeEvents(ctx, carol); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
			if n, _ := db.Unseen(ctx, carol, backend.AlertKinds); n != 0 {
				t.Fatalf("Unseen after SeeEvents = %d", n)
			}
			add(carol, backend.EventThrottled, nil)
			if n, _ := db.Unseen(ctx, carol, backend.AlertKinds); n != 1 {
				t.Fatalf("Unseen after a new alert = %d, want 1", n)
			}
		})
		t.Run("OKDevices", func(t *testing.T) {
			for i, want := range []bool{true, false} {
				if got, err := db.RememberDevice(ctx, bob, "203.0.113.9/32", "Chrome on Linux"); err != nil || got != want {
					t.Fatalf("RememberDevice #%d = %v, %v; want %v", i, got, err, want)
				}
			}
			if got, _ := db.RememberDevice(ctx, bob, "203.0.113.9/32", "Safari on iOS"); !got {
				t.Fatal("another browser from the same IP is not new")
			}
			if got, _ := db.RememberDevice(ctx, alice, "203.0.113.9/32", "Chrome on Linux"); !got {
				t.Fatal("another user's device is not new")
			}
		})
		t.Run("OKSignIns", func(t *testing.T) {
			dave := newUser(t, db, "dave")
			if got, err := db.SignIns(ctx, dave); err != nil || !got.Latest.IsZero() || !got.Previous.IsZero() {
				t.Fatalf("SignIns before any = %+v, %v", got, err)
			}
			first := c.Now()
			db.RecordSignIn(ctx, dave)
			c.Advance(time.Hour)
			second := c.Now()
			db.RecordSignIn(ctx, dave)
			got, err := db.SignIns(ctx, dave)
			if err != nil || !got.Latest.Equal(second) || !got.Previous.Equal(first) {
				t.Fatalf("SignIns = %+v, %v; want %v and %v", got, err, second, first)
			}
		})
		t.Run("OKFindForTheOperator", func(t *testing.T) {
			since := c.Now()
			add(alice, backend.EventPasswordChange, map[string]any{"by": "operator"})
			add(bob, backend.EventPasswordChange, nil)
			got, err := db.FindEvents(ctx, backend.EventFilter{Kind: backend.EventPasswordChange, Since: since}, 100)
			if err != nil || len(got) != 2 || got[0].UserID != alice || got[1].UserID != bob {
				t.Fatalf("FindEvents = %+v, %v", got, err)
			}
			got, _ = db.FindEvents(ctx, backend.EventFilter{UserID: bob, Kind: backend.EventPasswordChange}, 100)
			if len(got) != 1 {
				t.Fatalf("FindEvents for bob = %+v", got)
			}
		})
	})
}

// TestPurgeEvents: the purge drops events past their age and keeps the
// newest of each user.
func TestPurgeEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db := storetest.Open(t, kind)
		c := testclock.New()
		db.Now = c.Now
		busy, quiet := newUser(t, db, "busy"), newUser(t, db, "quiet")
		old := backend.Event{UserID: quiet, Kind: backend.EventSignedIn}
		db.AddEvent(ctx, &old)
		c.Advance(100 * 24 * time.Hour)
		var newest []int64
		for i := range 1300 {
			e := backend.Event{UserID: busy, Kind: backend.EventSignInFailed, Detail: map[string]any{"n": i}}
			if err := db.AddEvent(ctx, &e); err != nil {
				t.Fatal(err)
			}
			newest = append(newest, e.ID)
		}
		recent := backend.Event{UserID: quiet, Kind: backend.EventSignedIn}
		db.AddEvent(ctx, &recent)
		n, err := db.PurgeEvents(ctx, 90*24*time.Hour, 1000)
		if err != nil || n != 301 {
			t.Fatalf("PurgeEvents = %d, %v; want 301 (one too old, 300 beyond 1000)", n, err)
		}
		kept, err := db.Events(ctx, busy, 0, 2000)
		if err != nil || len(kept) != 1000 || kept[0].ID != newest[1299] || kept[999].ID != newest[300] {
			t.Fatalf("kept %d events of busy (%v), want the newest 1000", len(kept), err)
		}
		q, _ := db.Events(ctx, quiet, 0, 10)
		if len(q) != 1 || q[0].ID != recent.ID {
			t.Fatalf("quiet's events = %+v, want only the recent one", q)
		}
		if n, err := db.PurgeEvents(ctx, 90*24*time.Hour, 1000); err != nil || n != 0 {
			t.Fatalf("second PurgeEvents = %d, %v", n, err)
		}
	})
}
