package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/store"
	"tessera/backend/store/storetest"
)

// runEventsCmd runs `tessera events ARGS...` in env.
func runEventsCmd(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = runEvents(context.Background(), args, &out, &errs, func(k string) string { return env[k] })
	return code, out.String(), errs.String()
}

func TestEventsCommand(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		env := userEnv(t, kind)
		db := openUserStore(t, env)
		ctx := context.Background()
		alice, err := db.CreateUser(ctx, "alice", "$2a$04$x")
		if err != nil {
			t.Fatal(err)
		}
		bob, err := db.CreateUser(ctx, "bob", "$2a$04$y")
		if err != nil {
			t.Fatal(err)
		}
		old := backend.Event{UserID: alice.ID, Kind: backend.EventSignedIn, At: time.Now().Add(-48 * time.Hour)}
		for _, e := range []*backend.Event{
			&old,
			{UserID: alice.ID, Kind: backend.EventSignInFailed, IP: "203.0.113.1/32", UserAgent: "curl/8"},
			{UserID: bob.ID, Kind: backend.EventSignedIn, SessionID: "s1", Detail: map[string]any{"new_device": true}},
			{UserID: alice.ID, Kind: backend.EventReuseDetected, SessionID: "s2"},
		} {
			if err := db.AddEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		lines := func(t *testing.T, args ...string) []eventLine {
			t.Helper()
			code, out, errs := runEventsCmd(env, args...)
			if code != 0 || errs != "" {
				t.Fatalf("tessera events %s = %d, stderr %q", strings.Join(args, " "), code, errs)
			}
			var got []eventLine
			for l := range strings.Lines(out) {
				var e eventLine
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				got = append(got, e)
			}
			return got
		}
		t.Run("OKAll", func(t *testing.T) {
			got := lines(t)
			if len(got) != 4 || got[0].ID != old.ID || got[0].User != "alice" || got[2].User != "bob" || got[2].Detail["new_device"] != true {
				t.Fatalf("events = %+v", got)
			}
			if got[1].IP != "203.0.113.1/32" || got[1].UserAgent != "curl/8" || got[3].SessionID != "s2" {
				t.Fatalf("fields lost: %+v", got)
			}
		})
		t.Run("OKFilters", func(t *testing.T) {
			if got := lines(t, "--user", "alice"); len(got) != 3 {
				t.Fatalf("--user alice: %d events, want 3", len(got))
			}
			if got := lines(t, "--kind", backend.EventSignedIn); len(got) != 2 {
				t.Fatalf("--kind signed_in: %d events, want 2", len(got))
			}
			if got := lines(t, "--since", "24h", "--user", "alice"); len(got) != 2 {
				t.Fatalf("--since 24h --user alice: %d events, want 2", len(got))
			}
		})
		t.Run("OKOperatorEvents", func(t *testing.T) {
			mustUserCmd(t, env, "papaya-tree\n", "set-password", "alice")
			got := lines(t, "--user", "alice", "--kind", backend.EventPasswordChange)
			if len(got) != 1 || got[0].Detail["by"] != "operator" || got[0].IP != "" {
				t.Fatalf("password change by the operator = %+v", got)
			}
		})
		t.Run("OKDeletedUserKept", func(t *testing.T) {
			mustUserCmd(t, env, "", "delete", "bob")
			got := lines(t, "--kind", backend.EventSignedIn)
			if len(got) != 2 || got[1].UserID != bob.ID || got[1].User != "" {
				t.Fatalf("events of a deleted user = %+v, want kept without a name", got)
			}
			gone := lines(t, "--kind", backend.EventUserDeleted)
			if len(gone) != 1 || gone[0].UserID != bob.ID || gone[0].Detail["name"] != "bob" {
				t.Fatalf("user_deleted = %+v", gone)
			}
		})
		t.Run("ErrUsage", func(t *testing.T) {
			for _, args := range [][]string{{"--kind", "nope"}, {"--since", "yesterday"}, {"extra"}, {"--bogus"}} {
				if code, _, errs := runEventsCmd(env, args...); code != 2 || !strings.Contains(errs, "Usage") {
					t.Errorf("tessera events %s = %d, stderr %q; want 2 and the usage", strings.Join(args, " "), code, errs)
				}
			}
			if code, _, errs := runEventsCmd(env, "--user", "nobody"); code != 1 || !strings.Contains(errs, "nobody") {
				t.Errorf("unknown user: %d %q", code, errs)
			}
			if code, out, _ := runEventsCmd(env, "-h"); code != 0 || !strings.Contains(out, "--since") {
				t.Errorf("-h: %d %q", code, out)
			}
		})
	})
}

// TestEventsNoDatabase: on a DATA_DIR without a database, tessera events
// says so and creates nothing.
func TestEventsNoDatabase(t *testing.T) {
	t.Parallel()
	env := bareUserEnv(t)
	code, out, errs := runEventsCmd(env)
	want := "tessera events: there is no database at " + filepath.Join(env["DATA_DIR"], "tessera.db")
	if code != 1 || out != "" || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want exit 1 and one line starting %q", code, out, errs, want)
	}
	if entries, _ := os.ReadDir(env["DATA_DIR"]); len(entries) != 0 {
		t.Fatalf("DATA_DIR holds %v, want nothing", entries)
	}
}
