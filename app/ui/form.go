package ui

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// field is a labelled input of a form, with its hint (#<id>-hint) and its
// error (#<id>-error), which the input points at (aria-describedby) and
// which marks it invalid (aria-invalid).
type field struct {
	id, label    string
	password     bool   // a password: hidden, unless shown by its toggle
	autocomplete string // the autocomplete token
	value        string
	hint         string // under the input; "" for none
	err          string // the error about this field; "" for none
	autofocus    bool   // focused as the page loads (the prerendered page)

	onInput app.EventHandler
	// A password field whose toggle is not nil has a Show/Hide button
	// (#<id>-toggle) that calls it; shown tells the state.
	toggle app.EventHandler
	shown  bool
	extra  app.UI // after the hint, such as the strength of a new password
}

func (f field) render() app.UI {
	// A username: not capitalized, not spell-checked.
	typ, capitalize, spell := "text", "none", "false"
	if f.password {
		capitalize, spell = "", ""
		if !f.shown {
			typ = "password"
		}
	}
	var described, invalid string
	var errView, hintView, toggle app.UI
	if f.err != "" {
		invalid, described = "true", f.id+"-error"
		errView = el("p", "id", f.id+"-error", "class", "field-error").Text(f.err)
	}
	if f.hint != "" {
		described = strings.TrimSpace(described + " " + f.id + "-hint")
		hintView = el("p", "id", f.id+"-hint", "class", "hint").Text(f.hint)
	}
	if f.password && f.toggle != nil {
		// Named after the field: a page may have two of them.
		label, name := "Show", "Show "+strings.ToLower(f.label)
		if f.shown {
			label, name = "Hide", "Hide "+strings.ToLower(f.label)
		}
		toggle = button(f.id+"-toggle", "toggle-password", label, false, "aria-controls", f.id, "aria-label", name).
			OnClick(f.toggle)
	}
	in := void("input",
		"id", f.id, "name", f.id, "type", typ,
		"autocomplete", f.autocomplete, "required", "true", "value", f.value,
		"autocapitalize", capitalize, "spellcheck", spell,
		"autofocus", flag(f.autofocus),
		"aria-invalid", invalid, "aria-describedby", described,
	).OnInput(f.onInput)
	return el("div", "class", "field").Body(
		el("label", "for", f.id).Text(f.label),
		el("div", "class", "input-wrap").Body(in, toggle),
		errView,
		hintView,
		f.extra,
	)
}

// submitButton is a form's submit button (#<id>): label, or busyLabel while
// busy, disabled while busy or while the app is not ready (the prerendered
// page: a native submit would post the form to the server).
func submitButton(id, label, busyLabel string, busy, ready bool) app.UI {
	if busy {
		label = busyLabel
	}
	return el("button", "id", id, "type", "submit", "class", "button button-primary",
		"aria-busy", boolString(busy), "disabled", flag(busy || !ready)).Text(label)
}

// errorsOf is the set of field errors of a form, by field id.
type errorsOf map[string]string

// first returns the first of ids that has an error, or "".
func (e errorsOf) first(ids ...string) string {
	for _, id := range ids {
		if e[id] != "" {
			return id
		}
	}
	return ""
}

// usernameProblem is what is wrong with a new username, by the server's
// rules, or "".
func usernameProblem(name string) string {
	if name == "" {
		return "Choose a username."
	}
	// Any valid password: only the username's rules are wanted.
	if e := shared.CheckCredentials(name, "a valid password"); e != nil {
		_, msg := explain(e, formRegister)
		return msg
	}
	return ""
}

// passwordProblem is what is wrong with a new password of form, by the
// server's rules, or "".
func passwordProblem(pw, form string) string {
	if pw == "" {
		return "Choose a password."
	}
	if e := shared.CheckPassword(pw); e != nil {
		_, msg := explain(e, form)
		return msg
	}
	return ""
}

// usernameHint describes the username rules under a new username.
func usernameHint() string {
	return fmt.Sprintf("%d to %d characters.", shared.MinUsernameRunes, shared.MaxUsernameRunes)
}

// passwordHint describes the password rules under a new password.
func passwordHint() string {
	return fmt.Sprintf("At least %d characters. A few words make a strong one that is easy to remember.", shared.MinPasswordRunes)
}

// Levels of passwordStrength.
var strengthLabels = [...]string{"Too weak", "Weak", "Fair", "Good", "Strong"}

// passwordStrength rates a new password from 0 (too weak) to 4 (strong),
// locally and roughly: its length and its kinds of characters count;
// repeats, runs ("abcd", "1234"), common passwords and the username make it
// weak. It is a hint, not a rule: the server's rules are the length limits.
func passwordStrength(pw, username string) int {
	n := utf8.RuneCountInString(pw)
	if n < shared.MinPasswordRunes {
		return 0
	}
	lower := strings.ToLower(pw)
	for _, common := range []string{"password", "passw0rd", "123456", "qwerty", "azerty", "letmein", "welcome", "iloveyou", "admin", "tessera", "abc123"} {
		if strings.Contains(lower, common) && n < len(common)+6 {
			return 1
		}
	}
	if username != "" && strings.Contains(lower, strings.ToLower(username)) && n < utf8.RuneCountInString(username)+6 {
		return 1
	}
	// Distinct characters and runs: "aaaaaaa" and "abcdefg" are weak.
	distinct := map[rune]bool{}
	var kinds [5]bool // lower, upper, digit, space, other
	run, prev := 0, rune(-2)
	for _, r := range pw {
		distinct[r] = true
		switch {
		case unicode.IsLower(r):
			kinds[0] = true
		case unicode.IsUpper(r):
			kinds[1] = true
		case unicode.IsDigit(r):
			kinds[2] = true
		case unicode.IsSpace(r):
			kinds[3] = true
		default:
			kinds[4] = true
		}
		if r == prev+1 || r == prev-1 || r == prev {
			run++
		}
		prev = r
	}
	if len(distinct) <= 2 || run >= n-1 {
		return 1
	}
	score := 1
	for _, length := range []int{8, 12, 16} {
		if n >= length {
			score++
		}
	}
	k := 0
	for _, ok := range kinds {
		if ok {
			k++
		}
	}
	if k >= 3 || (k == 2 && n >= 10) {
		score++
	}
	return min(score, 4)
}

// strengthView shows the strength of a new password under its field
// (#<id>-strength): a meter and a word, announced politely as they change.
// Nothing while the field is empty.
func strengthView(id, pw, username string) app.UI {
	box := el("div", "id", id+"-strength", "class", "strength", "aria-live", "polite")
	if pw == "" {
		return box
	}
	level := passwordStrength(pw, username)
	return box.Class("strength-"+strconv.Itoa(level)).Body(
		el("span", "class", "meter").Body(el("span", "class", "meter-fill")),
		text("span", "strength-label", "Strength: "+strengthLabels[level]),
	)
}
