package ui

import (
	"context"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// accountPage (/account) says who is signed in, since when they are a
// member, when this session began and when they last signed in before,
// and warns (#alerts-banner) about security alerts the user has not
// looked at yet, with a way to the activity page.
type accountPage struct {
	pageState

	account *shared.Account
}

func (c *accountPage) title() string { return "Account · Tessera" }

func (c *accountPage) mount(ctx app.Context) {
	c.retry = c.load
	if c.mountSignedIn(ctx, PathAccount, "") {
		c.load()
	}
}

// load fetches the account.
func (c *accountPage) load() {
	c.pageState.load(func(ctx context.Context) (func(), error) {
		a, err := c.env.client.Account(ctx)
		return func() { c.account = &a }, err
	})
}

func (c *accountPage) render() app.UI {
	var facts, alerts app.UI
	if a := c.account; a != nil {
		if a.Alerts > 0 {
			alerts = alertsBanner(a.Alerts)
		}
		facts = el("dl", "class", "facts").Body(
			text("dt", "", "Signed in as"), el("dd", "id", "account-username").Text(a.Username),
			text("dt", "", "Member since"), dateView("member-since", a.CreatedAt, "2 January 2006", "Before this Tessera kept the date"),
			text("dt", "", "This session began"), dateView("signed-in-at", &a.SignedInAt, dateTime, ""),
			text("dt", "", "Previous sign-in"), dateView("last-sign-in", a.LastSignIn, dateTime, "None: this is your first"),
		)
	} else if c.loading {
		facts = el("p", "class", "loading", "role", "status").Text("Loading your account…")
	}
	return c.page("", "Your account",
		c.messages(),
		alerts,
		c.retryButton(),
		c.offlineNote(c.account != nil),
		facts,
		app.Raw(`<ul class="account-links">`+
			`<li><a id="change-password-link" href="/password">Change password</a></li>`+
			`<li><a id="sessions-link" href="/sessions">See where you are signed in</a></li>`+
			`<li><a id="activity-link" href="/activity">See your security activity</a></li></ul>`),
	)
}

// alertsBanner is the account page's warning about n security alerts
// (a copied sign-in used again, password guessing) since the user last
// looked at the activity.
func alertsBanner(n int) app.UI {
	return el("div", "id", "alerts-banner", "class", "message message-warn", "role", "alert").Body(
		text("strong", "", count(n, "security alert", "security alerts")+" since you last looked at your activity."),
		app.Text(" Someone may be trying to get into your account. "),
		link(PathActivity, "Review your security activity", "id", "alerts-link"),
	)
}

// dateTime is how the pages write a moment: "2 Jan 2006, 15:04".
const dateTime = "2 Jan 2006, 15:04"

// dateView is the <dd> (#id) of t in local time in layout, or of none when
// t is nil or zero.
func dateView(id string, t *time.Time, layout, none string) app.UI {
	if t == nil || t.IsZero() {
		return el("dd", "id", id, "class", "muted").Text(none)
	}
	return el("dd", "id", id).Text(t.Local().Format(layout))
}
