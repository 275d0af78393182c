package ui

import (
	"context"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// activityPageSize is how many events the activity page asks for at a
// time.
const activityPageSize = 20

// notYouHTML is the way out under an event that may not be the user's:
// end the other sessions, change the password.
const notYouHTML = `<div class="event-action"><span>Not you?</span>` +
	` <a class="button button-small" href="` + PathSessions + `">Sign out everywhere else</a>` +
	` <a class="button button-small" href="` + PathPassword + `">Change your password</a></div>`

// activityPage (/activity) lists the user's security activity, newest
// first, a page at a time (#load-more): what happened, when, from which
// browser and address; "This device" marks this session's. Events that
// call for attention (a copied sign-in, password guessing, a sign-in from
// a new device) are set apart, with what to do about them. Opening the
// page tells the server the user has looked: the account page's warning
// goes.
type activityPage struct {
	pageState

	loaded bool
	events []shared.EventInfo
	next   string // the cursor of the next page; "" when this is the last
}

func (c *activityPage) title() string { return "Security activity · Tessera" }

func (c *activityPage) mount(ctx app.Context) {
	c.retry = c.load
	if c.mountSignedIn(ctx, PathActivity, "") {
		c.load()
	}
}

// load marks the activity seen, then fetches its first page. Seen
// first: whatever happens meanwhile is on the page, or warned about next
// time.
func (c *activityPage) load() { c.fetch("") }

// loadMore fetches the page after the events shown.
func (c *activityPage) loadMore(app.Context, app.Event) { c.fetch(c.next) }

// fetch fetches the page of events before the cursor before: the first
// ("") replaces the list, the others add to it and take the focus to the
// first event they add.
func (c *activityPage) fetch(before string) {
	client := c.env.client
	c.pageState.load(func(ctx context.Context) (func(), error) {
		if before == "" {
			if err := client.SeeEvents(ctx); err != nil {
				return nil, err
			}
		}
		list, err := client.Events(ctx, activityPageSize, before)
		return func() {
			if before == "" {
				c.events = nil
			} else if len(list.Events) > 0 {
				c.focusLater(eventID(&list.Events[0]))
			}
			c.loaded = true
			c.events = append(c.events, list.Events...)
			c.next = list.Next
		}, err
	})
}

func (c *activityPage) render() app.UI {
	var list, more app.UI
	switch {
	case c.loaded && len(c.events) == 0:
		list = text("p", "empty", "Nothing has happened on your account yet.")
	case c.loaded:
		cur := currentEvent(c.events)
		items := make([]app.UI, len(c.events))
		for i := range c.events {
			items[i] = renderEvent(&c.events[i], cur)
		}
		list = el("ol", "id", "activity-list", "class", "events").Body(items...)
	case c.loading:
		list = el("p", "class", "loading", "role", "status").Text("Loading your activity…")
	}
	if c.loaded && c.next != "" {
		label := "Load more"
		if c.loading {
			label = "Loading…"
		}
		more = button("load-more", "button button-more", label, c.loading, "aria-busy", boolString(c.loading)).
			OnClick(c.loadMore)
	}
	return c.page("", "Security activity",
		text("p", "lead", "What happened on your account, newest first. If something was not you, change your password."),
		c.messages(),
		c.retryButton(),
		c.offlineNote(c.loaded),
		list,
		more,
	)
}

// renderEvent is the item of the activity list of e; cur is this
// session's event (see currentEvent), or nil.
func renderEvent(e, cur *shared.EventInfo) app.UI {
	mine := fromThisDevice(e, cur)
	what, more, alert := eventWords(e, cur)
	if mine && e.Kind == shared.EventSignedIn {
		alert = "" // a new device, but this one
	}
	class := "event"
	var flag, badge, moreView, action app.UI
	if alert != "" {
		class = "event event-alert"
		flag = text("p", "event-flag", alert)
		action = app.Raw(notYouHTML)
	}
	if mine {
		badge = text("span", "badge", "This device")
	}
	if more != "" {
		moreView = text("p", "event-more", more)
	}
	// Focusable from code (see fetch), not by Tab.
	return el("li", "id", eventID(e), "class", class, "data-kind", e.Kind, "tabindex", "-1").Body(
		flag,
		el("p", "class", "event-what").Body(app.Text(what), badge),
		text("p", "event-meta", eventMeta(e)),
		moreView,
		action,
	)
}

// eventID is the id of e's item in the list.
func eventID(e *shared.EventInfo) string { return "event-" + strconv.FormatInt(e.ID, 10) }

// currentEvent returns the first of events that belongs to this session,
// or nil.
func currentEvent(events []shared.EventInfo) *shared.EventInfo {
	for i := range events {
		if events[i].Current {
			return &events[i]
		}
	}
	return nil
}

// fromThisDevice reports whether e came from this device: this session,
// or the very browser (its whole user agent) at the address of this
// session's event cur (nil when none is listed).
func fromThisDevice(e, cur *shared.EventInfo) bool {
	return e.Current || cur != nil && e.UserAgent != "" && e.UserAgent == cur.UserAgent && e.IP == cur.IP
}

// eventWords says what happened in e, in plain words, more about it ("" for
// nothing more), and labels an event that calls for attention ("" for
// none): a copied sign-in used again, password guessing, a sign-in from a
// browser and address never seen before. cur is this session's event, or
// nil.
func eventWords(e, cur *shared.EventInfo) (what, more, alert string) {
	by := detailString(e, "by")
	switch e.Kind {
	case shared.EventSignedIn:
		if detailBool(e, "new_device") {
			return "Signed in", "First sign-in from this browser at this address.", "New device"
		}
		return "Signed in", "", ""
	case shared.EventSignInFailed:
		return "Sign-in failed: wrong password", "", ""
	case shared.EventThrottled:
		if detailString(e, "reason") == "account_budget" {
			return "Sign-ins limited: too many wrong passwords",
				"For now, only places that signed in to your account before can sign in.", "Password guessing"
		}
		more = "That address had to wait before trying again."
		if n, ok := e.Detail["retry_after"].(float64); ok && n >= 1 {
			more = "That address had to wait " + waitWords(int(n)) + " before trying again."
		}
		return "Sign-ins paused: too many wrong passwords", more, "Password guessing"
	case shared.EventReuseDetected:
		return "Stolen sign-in blocked: session ended",
			"An old copy of a sign-in was used again, as happens when someone steals it. Tessera ended that session, so the copy is useless.",
			"Security alert"
	case shared.EventGraceUsed:
		return "Session renewed twice at once", "Two tabs at the same moment, or an answer lost on the way: allowed once.", ""
	case shared.EventSignedOut:
		switch detailString(e, "scope") {
		case "others":
			return "Signed out everywhere else", "", ""
		case "global":
			return "Signed out everywhere", "", ""
		}
		return "Signed out", "", ""
	case shared.EventSessionEnded:
		switch {
		case by == "operator":
			return "Sessions ended by the administrator", "", ""
		case cur != nil && cur.SessionID != "" && detailString(e, "from") == cur.SessionID:
			return "Session ended", "From this device.", ""
		}
		return "Session ended", "From another of your sessions.", ""
	case shared.EventPasswordChange:
		if by == "operator" {
			return "Password changed by the administrator", "Every session was signed out.", ""
		}
		return "Password changed", "Your other sessions were signed out.", ""
	case shared.EventRegistered:
		return "Account created", "", ""
	}
	return "Other activity: " + strings.ReplaceAll(e.Kind, "_", " "), "", ""
}

// eventMeta is when e happened, in local time, and where from: the
// browser and the address, "<time> · <browser> on <system> · <address>";
// the administrator's changes come from no browser.
func eventMeta(e *shared.EventInfo) string {
	s := when(e.At)
	if e.IP == "" && e.UserAgent == "" {
		return s
	}
	device := e.Device
	if device == "" {
		device = shared.DeviceName(e.UserAgent)
	}
	s += " · " + device
	if e.IP != "" {
		s += " · " + e.IP
	}
	return s
}

// detailString is the detail key of e when it is a string, else "".
func detailString(e *shared.EventInfo, key string) string {
	s, _ := e.Detail[key].(string)
	return s
}

// detailBool is the detail key of e when it is a boolean, else false.
func detailBool(e *shared.EventInfo, key string) bool {
	b, _ := e.Detail[key].(bool)
	return b
}

// waitWords is a wait of secs seconds in words: "1 second", "30
// seconds", "15 minutes" (rounded up from 2 minutes on).
func waitWords(secs int) string {
	if secs < 120 {
		return count(secs, "second", "seconds")
	}
	return count((secs+59)/60, "minute", "minutes")
}
