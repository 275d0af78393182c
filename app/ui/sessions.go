package ui

import (
	"context"
	"net/http"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// Messages of the sessions page.
const (
	msgSessionEndedOne = "Session ended. That device has been signed out."
	msgSessionGone     = "That session had already ended."
	msgNoOthersEnded   = "There were no other sessions to sign out of."
)

// sessionsPage (/sessions) lists the user's sessions (the devices and
// browsers signed in) and ends them: one at a time (#end-<id>), or all but
// this one (#signout-others).
type sessionsPage struct {
	pageState

	loaded       bool
	sessions     []shared.SessionInfo
	ending       map[string]bool // sessions being ended, by id
	endingOthers bool
}

func (c *sessionsPage) title() string { return "Sessions · Tessera" }

func (c *sessionsPage) mount(ctx app.Context) {
	c.retry = c.load
	if c.mountSignedIn(ctx, PathSessions, "") {
		c.load()
	}
}

// load fetches the list.
func (c *sessionsPage) load() {
	c.pageState.load(func(ctx context.Context) (func(), error) {
		list, err := c.env.client.Sessions(ctx)
		return func() {
			c.loaded = true
			c.sessions = sortSessions(list.Sessions)
		}, err
	})
}

// sortSessions puts the current session first, then the others from the
// most recently used.
func sortSessions(list []shared.SessionInfo) []shared.SessionInfo {
	// An insertion sort, stable: the list is short, and slices'
	// SortStableFunc would add 9 kB of code to the browser build.
	out := append([]shared.SessionInfo(nil), list...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && sessionBefore(&out[j], &out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// sessionBefore reports whether a is listed before b: the current session
// first, then the most recently used.
func sessionBefore(a, b *shared.SessionInfo) bool {
	if a.Current != b.Current {
		return a.Current
	}
	return a.RenewedAt.After(b.RenewedAt)
}

// others counts the sessions listed that are not this one.
func (c *sessionsPage) others() int {
	n := 0
	for _, s := range c.sessions {
		if !s.Current {
			n++
		}
	}
	return n
}

// endOne ends the session id (DELETE /api/sessions/{id}) and takes it
// off the list.
func (c *sessionsPage) endOne(id string) {
	if c.ending[id] || c.ended {
		return
	}
	if c.ending == nil {
		c.ending = map[string]bool{}
	}
	c.ending[id] = true
	c.notice, c.errMsg = "", ""
	ctx, client := c.ctx, c.env.client
	ctx.Async(func() {
		err := client.EndSession(ctx, id)
		c.dispatch(func(ctx app.Context) {
			delete(c.ending, id)
			e := shared.AsError(err)
			switch {
			case err == nil:
				c.notice, c.noticeKind = msgSessionEndedOne, noticeSuccess
			case e != nil && e.Status == http.StatusNotFound && e.Code == shared.CodeNotFound:
				c.notice, c.noticeKind = msgSessionGone, noticeInfo
			default:
				c.fail(ctx, err)
				return
			}
			c.remove(id)
			c.load()
		})
	})
}

// remove takes the session id off the list.
func (c *sessionsPage) remove(id string) {
	var kept []shared.SessionInfo
	for _, s := range c.sessions {
		if s.ID != id {
			kept = append(kept, s)
		}
	}
	c.sessions = kept
}

// endOthers ends every session but this one (DELETE /api/logout?scope=others)
// and reloads the list.
func (c *sessionsPage) endOthers(app.Context, app.Event) {
	if c.endingOthers || c.ended {
		return
	}
	c.endingOthers = true
	c.notice, c.errMsg = "", ""
	n := c.others()
	ctx, client := c.ctx, c.env.client
	ctx.Async(func() {
		err := client.LogoutOthers(ctx)
		c.dispatch(func(ctx app.Context) {
			c.endingOthers = false
			if err != nil {
				c.fail(ctx, err)
				return
			}
			c.notice, c.noticeKind = signedOutOthersMessage(n), noticeSuccess
			var kept []shared.SessionInfo
			for _, s := range c.sessions {
				if s.Current {
					kept = append(kept, s)
				}
			}
			c.sessions = kept
			c.load()
		})
	})
}

// signedOutOthersMessage is the notice after signing out of n other
// sessions.
func signedOutOthersMessage(n int) string {
	if n == 0 {
		return msgNoOthersEnded
	}
	return "Signed out of " + count(n, "other session", "other sessions") + "."
}

func (c *sessionsPage) render() app.UI {
	others := c.others()
	othersLabel := "Sign out everywhere else"
	if c.endingOthers {
		othersLabel = "Signing out…"
	}
	var list, footer app.UI
	switch {
	case c.loaded:
		items := make([]app.UI, len(c.sessions))
		for i, s := range c.sessions {
			items[i] = c.renderSession(s)
		}
		list = el("ul", "id", "sessions-list", "class", "sessions").Body(items...)
		hint := "This signs out every other device and browser; this one stays signed in."
		if others == 0 {
			hint = "No other device or browser is signed in."
		}
		footer = el("div", "class", "sessions-footer").Body(
			button("signout-others", "button", othersLabel, c.endingOthers || others == 0,
				"aria-busy", boolString(c.endingOthers), "aria-describedby", "signout-others-hint").
				OnClick(c.endOthers),
			el("p", "id", "signout-others-hint", "class", "hint").Text(hint),
		)
	case c.loading:
		list = el("p", "class", "loading", "role", "status").Text("Loading your sessions…")
	}
	return c.page("", "Sessions",
		text("p", "lead", "The devices and browsers signed in to your account. End any session you do not recognise."),
		c.messages(),
		c.retryButton(),
		c.offlineNote(c.loaded),
		list,
		footer,
	)
}

func (c *sessionsPage) renderSession(s shared.SessionInfo) app.UI {
	device := shared.DeviceName(s.UserAgent)
	class, badge := "session", app.UI(nil)
	if s.Current {
		class, badge = "session session-current", text("span", "badge", "This device")
	}
	var end app.UI
	if !s.Current {
		id := s.ID
		busy := c.ending[id]
		label := "End session"
		if busy {
			label = "Ending…"
		}
		end = button("end-"+id, "button button-small", label, busy,
			"data-session-id", id, "aria-label", label+": "+device, "aria-busy", boolString(busy)).
			OnClick(func(app.Context, app.Event) { c.endOne(id) }, app.EventScope(id))
	}
	return el("li", "class", class, "data-session-id", s.ID).Body(
		el("p", "class", "session-device", "title", s.UserAgent).Body(app.Text(device), badge),
		text("p", "session-times", "Signed in "+when(s.CreatedAt)+" · last active "+when(s.RenewedAt)),
		end,
	)
}

// when is t in local time, as the pages write a moment.
func when(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return t.Local().Format(dateTime)
}
