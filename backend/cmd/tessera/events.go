package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"tessera/backend"
)

// eventsUsage is what `tessera events -h` prints.
const eventsUsage = `Usage: tessera events [--user NAME] [--kind KIND] [--since DURATION]

Prints the security events of the server's database (the one DATA_DIR or
DATABASE_URL selects, as for tessera itself) as JSON lines, oldest first, for
log shippers: {"id":..,"at":"..","kind":"..","user_id":..,"user":"..","ip":"..",
"user_agent":"..","session_id":"..","detail":{..}}. It may run while the
server runs.

  --user NAME       only the events of NAME
  --kind KIND       only events of KIND: ` + "%s" + `
  --since DURATION  only the events of the last DURATION (a Go duration: 24h, 90m)
`

// eventLine is one line of `tessera events`.
type eventLine struct {
	ID        int64          `json:"id"`
	At        time.Time      `json:"at"`
	Kind      string         `json:"kind"`
	UserID    int64          `json:"user_id"`
	User      string         `json:"user,omitempty"` // absent once the user is deleted
	IP        string         `json:"ip,omitempty"`
	UserAgent string         `json:"user_agent,omitempty"`
	SessionID string         `json:"session_id,omitempty"`
	Detail    map[string]any `json:"detail,omitempty"`
}

// runEvents runs `tessera events ARGS...` and returns the exit code: 0
// done, 1 failed, 2 usage or configuration error.
func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	usage := fmt.Sprintf(eventsUsage, strings.Join(backend.EventKinds, ", "))
	fs := flag.NewFlagSet("tessera events", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	user := fs.String("user", "", "")
	kind := fs.String("kind", "", "")
	since := fs.Duration("since", 0, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "tessera events: %v\n\n%s", err, usage)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "tessera events: unexpected argument %q\n\n%s", fs.Arg(0), usage)
		return 2
	case *kind != "" && !slices.Contains(backend.EventKinds, *kind):
		fmt.Fprintf(stderr, "tessera events: unknown kind %q\n\n%s", *kind, usage)
		return 2
	case *since < 0:
		fmt.Fprintf(stderr, "tessera events: --since must be positive\n\n%s", usage)
		return 2
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "tessera events: configuration: %s\n", redactDSN(err.Error(), getenv("DATABASE_URL")))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "tessera events: %s\n", redactDSN(err.Error(), cfg.DatabaseURL))
		return 1
	}
	// Reading must not leave a new, empty database behind.
	db, _, err := openStore(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return fail(err)
	}
	defer db.Close()

	f := backend.EventFilter{Kind: *kind}
	if *since > 0 {
		f.Since = time.Now().Add(-*since)
	}
	if *user != "" {
		u, err := lookUpUser(ctx, db, *user)
		if err != nil {
			return fail(err)
		}
		f.UserID = u.ID
	}
	users, err := db.ListUsers(ctx)
	if err != nil {
		return fail(err)
	}
	names := make(map[int64]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for {
		page, err := db.FindEvents(ctx, f, 1000)
		if err != nil {
			return fail(err)
		}
		for _, e := range page {
			line := eventLine{ID: e.ID, At: e.At.UTC(), Kind: e.Kind, UserID: e.UserID, User: names[e.UserID],
				IP: e.IP, UserAgent: e.UserAgent, SessionID: e.SessionID, Detail: e.Detail}
			if err := enc.Encode(line); err != nil {
				return fail(err)
			}
		}
		if len(page) < 1000 {
			return 0
		}
		f.AfterID = page[len(page)-1].ID
	}
}
