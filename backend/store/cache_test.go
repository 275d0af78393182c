package store_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"tessera/backend"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
)

// pauseKey marks the context of the call that pauseHook holds.
type pauseKey struct{}

// pauseHook holds the call whose context carries pauseKey right after its
// query on sessions ran (the answer read, not yet cached), until released.
type pauseHook struct {
	reached, release chan struct{}
}

func (h *pauseHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h *pauseHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	if ctx.Value(pauseKey{}) != nil && strings.Contains(e.Query, "sessions") {
		h.reached <- struct{}{}
		<-h.release
	}
}

// cachedStore opens a store of kind with its cache on and a pauseHook,
// and a user with a live session whose refresh token is "j1".
func cachedStore(t *testing.T, kind store.Kind) (*store.DB, *pauseHook, *backend.Session) {
	t.Helper()
	db := storetest.Open(t, kind)
	h := &pauseHook{reached: make(chan struct{}), release: make(chan struct{})}
	db.AddQueryHook(h)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := db.EnableCache(ctx, 1000, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, "alice", "hash")
	if err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	sess := &backend.Session{ID: "s1", UserID: u.ID, CreatedAt: now, RenewedAt: now, ExpiresAt: now.Add(time.Hour), RefreshJTI: "j1"}
	if err := db.CreateSession(ctx, sess, "", 0); err != nil {
		t.Fatal(err)
	}
	return db, h, sess
}

// mustBeEnded fails t unless the store answers session id as ended.
func mustBeEnded(t *testing.T, db *store.DB, id string) {
	t.Helper()
	got, err := db.SessionByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Active(db.Now()) {
		t.Fatalf("the session ended by a detected reuse is answered active (refresh jti %q): a stale cache entry", got.RefreshJTI)
	}
}

// TestCacheLoadRacingReuse: a load of a session that read it before a
// reuse ended it does not put the live session back into the cache.
func TestCacheLoadRacingReuse(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		db, h, sess := cachedStore(t, kind)
		ctx := context.Background()
		loaded := make(chan error)
		go func() {
			_, err := db.SessionByID(context.WithValue(ctx, pauseKey{}, true), sess.ID)
			loaded <- err
		}()
		<-h.reached // read alive, not cached yet
		out, _, err := db.RotateRefresh(ctx, sess.ID, "stolen", "j2", 0)
		if err != nil || out != backend.Reused {
			t.Fatalf("RotateRefresh = %v, %v; want Reused", out, err)
		}
		close(h.release)
		if err := <-loaded; err != nil {
			t.Fatal(err)
		}
		mustBeEnded(t, db, sess.ID)
	})
}

// TestCacheRotationRacingReuse: a rotation whose statement ran before a
// reuse ended the session, but that caches its result after, does not
// bring the session back. PostgreSQL only: on SQLite the rotation holds
// the write lock until it has cached its result, so the reuse waits.
func TestCacheRotationRacingReuse(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		if kind == store.SQLite {
			t.Skip("on SQLite the two cannot interleave")
		}
		db, h, sess := cachedStore(t, kind)
		ctx := context.Background()
		rotated := make(chan error)
		go func() {
			out, _, err := db.RotateRefresh(context.WithValue(ctx, pauseKey{}, true), sess.ID, "j1", "j2", 0)
			if err == nil && out != backend.Rotated {
				t.Errorf("first RotateRefresh = %v, want Rotated", out)
			}
			rotated <- err
		}()
		<-h.reached // rotated in the database, not cached yet
		out, _, err := db.RotateRefresh(ctx, sess.ID, "stolen", "j3", 0)
		if err != nil || out != backend.Reused {
			t.Fatalf("RotateRefresh = %v, %v; want Reused", out, err)
		}
		close(h.release)
		if err := <-rotated; err != nil {
			t.Fatal(err)
		}
		mustBeEnded(t, db, sess.ID)
	})
}
