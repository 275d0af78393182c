package ui

import (
	"strings"
	"testing"
)

func TestValidateCredentials(t *testing.T) {
	tests := []struct {
		name, username, password, want string
	}{
		{"ok", "alice", "secret", ""},
		{"bounds ok", "abc", "12345", ""},
		{"max ok", strings.Repeat("u", 64), strings.Repeat("p", 72), ""},
		{"unicode username counts characters", "éèà", "12345", ""},
		{"no username", "", "secret", msgMissing},
		{"no password", "alice", "", msgMissing},
		{"nothing", "", "", msgMissing},
		{"password short", "alice", "1234", msgPasswordShort},
		// The server checks the password first.
		{"both short", "al", "1234", msgPasswordShort},
		{"username short", "al", "secret", msgUsernameShort},
		{"password long", "alice", strings.Repeat("p", 73), msgPasswordLong},
		// 72 bytes, not characters: 37 two-byte runes are 74 bytes.
		{"password long in bytes", "alice", strings.Repeat("é", 37), msgPasswordLong},
		{"username long", strings.Repeat("u", 65), "secret", msgUsernameLong},
		{"leading space", " alice", "secret", msgUsernameSpaces},
		{"trailing space", "alice ", "secret", msgUsernameSpaces},
		{"spaces inside ok", "al ice", "secret", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validateCredentials(tt.username, tt.password); got != tt.want {
				t.Errorf("validateCredentials(%q, %q) = %q, want %q", tt.username, tt.password, got, tt.want)
			}
		})
	}
}

func TestServerMessagesVerbatim(t *testing.T) {
	// These texts are the server's; the form must show the same words.
	for got, want := range map[string]string{
		msgMissing:       "password or username has not been entered",
		msgPasswordShort: "password is too short",
		msgUsernameShort: "username is too short",
		msgPasswordLong:  "password is too long",
		msgUsernameLong:  "username is too long",
	} {
		if got != want {
			t.Errorf("message %q, want %q", got, want)
		}
	}
}
