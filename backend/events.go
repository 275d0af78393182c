package backend

import (
	"context"
	"time"
)

// Event is one entry of a user's security activity: a sign-in, a failed
// one, a throttled guesser, a detected reuse of a refresh token, a
// sign-out, an ended session, a password change... Events of a user
// outlive the user (UserDeleted is for the operator).
type Event struct {
	ID        int64
	UserID    int64
	Kind      string
	At        time.Time
	IP        string // the client's address (see the API's clientAddr), "" for the operator
	UserAgent string // trimmed
	SessionID string // the session concerned, when there is one
	// Detail is a small JSON object that depends on Kind (new_device,
	// scope, by, reason, ...).
	Detail map[string]any
}

// Kinds of events.
const (
	EventSignedIn       = "signed_in"              // detail: new_device
	EventSignInFailed   = "sign_in_failed"         // a wrong password for an existing user
	EventThrottled      = "throttled"              // detail: reason (backoff, account_budget), retry_after
	EventReuseDetected  = "refresh_reuse_detected" // the session ended
	EventGraceUsed      = "refresh_grace_used"
	EventSignedOut      = "signed_out"       // detail: scope (session, others, global)
	EventSessionEnded   = "session_ended"    // detail: by (user, operator), from (the ending session)
	EventPasswordChange = "password_changed" // detail: by (user, operator)
	EventRegistered     = "registered"
	EventUserDeleted    = "user_deleted" // for the operator only
)

// EventKinds are all the kinds, in the order above.
var EventKinds = []string{
	EventSignedIn, EventSignInFailed, EventThrottled, EventReuseDetected, EventGraceUsed,
	EventSignedOut, EventSessionEnded, EventPasswordChange, EventRegistered, EventUserDeleted,
}

// AlertKinds are the kinds the account page warns about until the user
// has looked at the activity.
var AlertKinds = []string{EventReuseDetected, EventThrottled}

// EventFilter selects events for the operator (tessera events).
type EventFilter struct {
	UserID  int64     // 0: every user
	Kind    string    // "": every kind
	Since   time.Time // zero: from the first
	AfterID int64     // only events with a greater id (paging)
}

// SignIns are when a user signed in last, and the time before.
type SignIns struct {
	Latest, Previous time.Time // zero when there was none
}

// EventStore keeps the events and what goes with them.
type EventStore interface {
	// AddEvent stores e (ID and, when zero, At set by the store).
	AddEvent(ctx context.Context, e *Event) error
	// Events returns the user's events with an id below before (0: from
	// the newest), newest first, at most limit.
	Events(ctx context.Context, userID, before int64, limit int) ([]Event, error)
	// FindEvents returns the events f selects, oldest first, at most limit.
	FindEvents(ctx context.Context, f EventFilter, limit int) ([]Event, error)
	// SeeEvents records that the user looked at the events now; Unseen
	// counts the events of kinds since then.
	SeeEvents(ctx context.Context, userID int64) error
	Unseen(ctx context.Context, userID int64, kinds []string) (int, error)
	// RememberDevice records that the user signed in from ip with a
	// browser of device (a user-agent family), and reports whether that
	// pair is new for the user.
	RememberDevice(ctx context.Context, userID int64, ip, device string) (bool, error)
	// RecordSignIn records a sign-in of the user now; SignIns reads them.
	RecordSignIn(ctx context.Context, userID int64) error
	SignIns(ctx context.Context, userID int64) (SignIns, error)
}
