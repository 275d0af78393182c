package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// TestValidateCredentials: the sign-in and create-account form refuses
// what the server's rules (shared.CheckCredentials) refuse, with their
// message and without sending anything, and sends the rest.
func TestValidateCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, username, password string }{
		{"ok", "alice", "secret"},
		{"unicode username counts characters", "éèà", "12345"},
		{"spaces inside ok", "al ice", "secret"},
		{"nothing", "", ""},
		{"password short", "alice", "1234"},
		{"username short", "al", "secret"},
		{"both short", "al", "1234"},
		{"password long in bytes", "alice", strings.Repeat("é", 37)},
		{"username long", strings.Repeat("u", 65), "secret"},
		{"leading space", " alice", "secret"},
		{"trailing space", "alice ", "secret"},
		{"control character", "ali\x00ce", "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAPI{}
			env := fakeEnv(t, f, "")
			c := &authPage{pageState: pageState{env: env}, Mode: modeSignIn}
			e, _ := mountPage(t, c, func(ctx app.Context) {
				c.mount(ctx)
				c.ready = true
			})
			c.username, c.password = tt.username, tt.password
			c.onSubmit(app.Context{}, app.Event{Value: app.Null()})
			e.ConsumeAll()

			rule := shared.CheckCredentials(tt.username, tt.password)
			sent := len(f.callList()) > 0
			switch {
			case rule == nil && (!sent || c.errMsg != "" || !env.client.SignedIn()):
				t.Errorf("valid credentials: sent %v, error %q, signed in %v", sent, c.errMsg, env.client.SignedIn())
			case rule != nil && (sent || c.errMsg != rule.Msg):
				t.Errorf("sent %v, error %q; want the rule's %q, nothing sent", sent, c.errMsg, rule.Msg)
			}
		})
	}
}

func TestValidatePasswordChange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ current, next, want string }{
		{"old", "12345", ""},
		{"old", strings.Repeat("p", 72), ""},
		{"old", strings.Repeat("p", 73), shared.MsgPasswordTooLong},
		{"old", "éèàùç", ""}, // characters, not bytes, for the minimum
		{"", "", msgPasswordsMissing},
		{"", "1234", msgPasswordsMissing}, // presence first, as the server
	} {
		if got := validatePasswordChange(tt.current, tt.next); got != tt.want {
			t.Errorf("validatePasswordChange(%q, %q) = %q, want %q", tt.current, tt.next, got, tt.want)
		}
	}
}

// TestHintsFollowRules: the hints under the fields state the shared
// limits.
func TestHintsFollowRules(t *testing.T) {
	t.Parallel()
	for hint, limits := range map[string][]int{
		usernameHint(): {shared.MinUsernameRunes, shared.MaxUsernameRunes},
		passwordHint(): {shared.MinPasswordRunes},
	} {
		for _, n := range limits {
			if !strings.Contains(hint, strconv.Itoa(n)) {
				t.Errorf("hint %q does not state the limit %d", hint, n)
			}
		}
	}
	html := load(t, &authPage{Mode: modeRegister})
	mustContain(t, html, `id="username-hint"`, ">"+usernameHint()+"<", `id="password-hint"`, ">"+passwordHint()+"<")
	html = load(t, &passwordPage{})
	mustContain(t, html, `id="new-password-hint"`, ">"+passwordHint()+"<")
}
