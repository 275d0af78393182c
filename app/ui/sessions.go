package ui

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

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
	app.Compo
	pageState

	loaded       bool
	sessions     []shared.SessionInfo
	ending       map[string]bool // sessions being ended, by id
	endingOthers bool
}

func (c *sessionsPage) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Sessions · Tessera")
}

func (c *sessionsPage) OnMount(ctx app.Context) {
	if c.mountSignedIn(ctx, PathSessions) {
		c.load()
	}
}

// load fetches the list.
func (c *sessionsPage) load() {
	loadPage(&c.pageState, c.env.client.Sessions, func(list shared.SessionList) {
		c.loaded = true
		c.sessions = sortSessions(list.Sessions)
	})
}

// sortSessions puts the current session first, then the others from the
// most recently used.
func sortSessions(list []shared.SessionInfo) []shared.SessionInfo {
	out := append([]shared.SessionInfo(nil), list...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Current != out[j].Current {
			return out[i].Current
		}
		return out[i].RenewedAt.After(out[j].RenewedAt)
	})
	return out
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
		ctx.Dispatch(func(ctx app.Context) {
			delete(c.ending, id)
			var e *shared.Error
			switch {
			case err == nil:
				c.notice = msgSessionEndedOne
			case errors.As(err, &e) && e.Status == http.StatusNotFound && e.Code == shared.CodeNotFound:
				c.notice = msgSessionGone
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
		ctx.Dispatch(func(ctx app.Context) {
			c.endingOthers = false
			if err != nil {
				c.fail(ctx, err)
				return
			}
			c.notice = signedOutOthersMessage(n)
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
	switch n {
	case 0:
		return msgNoOthersEnded
	case 1:
		return "Signed out of 1 other session."
	}
	return fmt.Sprintf("Signed out of %d other sessions.", n)
}

func (c *sessionsPage) Render() app.UI {
	others := c.others()
	othersLabel := "Sign out everywhere else"
	if c.endingOthers {
		othersLabel = "Signing out…"
	}
	return page("sessions", c.navBar("sessions"),
		app.Section().
			Class("card").
			Aria("labelledby", "page-title").
			Body(
				app.H1().ID("page-title").Text("Sessions"),
				app.P().Class("lead").Text("The devices and browsers signed in to your account. End any session you do not recognise."),
				c.messages(),
				c.retryButton(c.load),
				app.If(!c.loaded && c.loading, func() app.UI {
					return app.P().Class("loading").Role("status").Text("Loading your sessions…")
				}),
				app.If(c.loaded, func() app.UI {
					return app.Ul().
						ID("sessions-list").
						Class("sessions").
						Body(
							app.Range(c.sessions).Slice(func(i int) app.UI {
								return c.renderSession(c.sessions[i])
							}),
						)
				}),
				app.If(c.loaded, func() app.UI {
					hint := "This signs out every other device and browser; this one stays signed in."
					if others == 0 {
						hint = "No other device or browser is signed in."
					}
					return app.Div().Class("sessions-footer").Body(
						disable(app.Button().
							ID("signout-others").
							Type("button").
							Class("button").
							Aria("busy", boolString(c.endingOthers)).
							Aria("describedby", "signout-others-hint").
							Text(othersLabel).
							OnClick(c.endOthers), c.endingOthers || others == 0),
						app.Small().ID("signout-others-hint").Class("hint").Text(hint),
					)
				}),
			),
	)
}

func (c *sessionsPage) renderSession(s shared.SessionInfo) app.UI {
	device := deviceName(s.UserAgent)
	head := app.Div().Class("session-head").Body(
		app.Span().Class("session-device").Title(s.UserAgent).Text(device),
		app.If(s.Current, func() app.UI {
			return app.Span().Class("badge").Text("This device")
		}),
	)
	times := app.Div().Class("session-times").Body(
		app.Span().Body(app.Text("Signed in "), timeView(s.CreatedAt)),
		app.Span().Body(app.Text("Last renewed "), timeView(s.RenewedAt)),
	)
	class := "session"
	if s.Current {
		class += " session-current"
	}
	item := app.Li().
		Class(class).
		DataSet("session-id", s.ID)
	if s.Current {
		return item.Body(
			app.Div().Class("session-info").Body(head, times),
		)
	}
	id := s.ID
	busy := c.ending[id]
	label := "End session"
	if busy {
		label = "Ending…"
	}
	return item.Body(
		app.Div().Class("session-info").Body(head, times),
		app.Div().Class("session-actions").Body(
			disable(app.Button().
				ID("end-"+id).
				Type("button").
				Class("button button-small").
				DataSet("session-id", id).
				Aria("label", label+": "+device).
				Aria("busy", boolString(busy)).
				Text(label).
				OnClick(func(app.Context, app.Event) { c.endOne(id) }, app.EventScope(id)),
				busy),
		),
	)
}

// timeView is t in local time, "2 Jan 2006, 15:04", in a <time> element.
func timeView(t time.Time) app.UI {
	if t.IsZero() {
		return app.Text("unknown")
	}
	t = t.Local()
	return app.Time().
		DateTime("%s", t.Format(time.RFC3339)).
		Title(t.Format("Monday 2 January 2006, 15:04:05 MST")).
		Text(t.Format("2 Jan 2006, 15:04"))
}

// maxUserAgent is how much of a user agent deviceName shows when it does
// not recognise it.
const maxUserAgent = 60

var (
	reEdge    = regexp.MustCompile(`\bEdg(e|A|iOS)?/`)
	reOpera   = regexp.MustCompile(`\b(OPR|Opera)/`)
	reFirefox = regexp.MustCompile(`\b(Firefox|FxiOS)/`)
	reChrome  = regexp.MustCompile(`\b(HeadlessChrome|Chrome|Chromium|CriOS)/`)
	reSafari  = regexp.MustCompile(`\bVersion/[\d.]+.*\bSafari/`)
	reGo      = regexp.MustCompile(`^Go-http-client/`)
	reCurl    = regexp.MustCompile(`^curl/`)
)

// deviceName turns a User-Agent header into "<browser> on <system>", such
// as "Chrome on Linux", when it recognises both; otherwise it returns the
// user agent, shortened.
func deviceName(ua string) string {
	ua = strings.TrimSpace(ua)
	switch {
	case ua == "":
		return "Unknown device"
	case reGo.MatchString(ua):
		return "Go program"
	case reCurl.MatchString(ua):
		return "curl"
	}
	var browser string
	switch {
	case reEdge.MatchString(ua):
		browser = "Edge"
	case reOpera.MatchString(ua):
		browser = "Opera"
	case reFirefox.MatchString(ua):
		browser = "Firefox"
	case strings.Contains(ua, "HeadlessChrome/"):
		browser = "Headless Chrome"
	case reChrome.MatchString(ua):
		browser = "Chrome"
	case reSafari.MatchString(ua):
		browser = "Safari"
	}
	var system string
	switch {
	case strings.Contains(ua, "iPhone"):
		system = "iPhone"
	case strings.Contains(ua, "iPad"):
		system = "iPad"
	case strings.Contains(ua, "Android"):
		system = "Android"
	case strings.Contains(ua, "CrOS"):
		system = "ChromeOS"
	case strings.Contains(ua, "Windows"):
		system = "Windows"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		system = "macOS"
	case strings.Contains(ua, "Linux"), strings.Contains(ua, "X11"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	}
	return truncate(ua, maxUserAgent)
}

// truncate shortens s to at most n characters, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
