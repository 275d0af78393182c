package shared

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCheckCredentials(t *testing.T) {
	tests := []struct {
		name, username, password, code string
	}{
		{"OK", "alice", "secret", ""},
		{"OKBounds", "abc", "12345", ""},
		{"OKMax", strings.Repeat("u", 64), strings.Repeat("p", 72), ""},
		{"OKUnicodeCountsCharacters", "éèà", "12345", ""},
		{"OKSpacesInside", "al ice", "secret", ""},
		{"ErrNoUsername", "", "secret", CodeMissingCredentials},
		{"ErrNoPassword", "alice", "", CodeMissingCredentials},
		{"ErrNothing", "", "", CodeMissingCredentials},
		{"ErrPasswordShort", "alice", "1234", CodePasswordTooShort},
		// The password is checked first.
		{"ErrBothShort", "al", "1234", CodePasswordTooShort},
		{"ErrUsernameShort", "al", "secret", CodeUsernameTooShort},
		{"ErrPasswordLong", "alice", strings.Repeat("p", 73), CodePasswordTooLong},
		// 72 bytes, not characters: 37 two-byte runes are 74 bytes.
		{"ErrPasswordLongInBytes", "alice", strings.Repeat("é", 37), CodePasswordTooLong},
		{"ErrUsernameLong", strings.Repeat("u", 65), "secret", CodeUsernameTooLong},
		{"ErrLeadingSpace", " alice", "secret", CodeUsernameInvalid},
		{"ErrTrailingTab", "alice\t", "secret", CodeUsernameInvalid},
		{"ErrNUL", "ali\x00ce", "secret", CodeUsernameInvalid},
		{"ErrBidi", "ali\u202ece", "secret", CodeUsernameInvalid},
		{"ErrZeroWidthJoiner", "ali\u200dce", "secret", CodeUsernameInvalid},
		{"ErrInvalidUTF8", "ali\xffce", "secret", CodeUsernameInvalid},
	}
	msgs := map[string]string{
		CodeMissingCredentials: "password or username has not been entered",
		CodePasswordTooShort:   "password is too short",
		CodeUsernameTooShort:   "username is too short",
		CodePasswordTooLong:    "password is too long",
		CodeUsernameTooLong:    "username is too long",
		CodeUsernameInvalid:    "username contains invalid characters",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCredentials(tt.username, tt.password)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CheckCredentials(%q, %q) = %v, want nil", tt.username, tt.password, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckCredentials(%q, %q) = nil, want %s", tt.username, tt.password, tt.code)
			}
			if got, want := *err, (Error{Status: 400, Code: tt.code, Msg: msgs[tt.code]}); got != want {
				t.Fatalf("CheckCredentials(%q, %q) = %+v, want %+v", tt.username, tt.password, got, want)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, code := range map[string]string{
		"12345":                  "",
		strings.Repeat("p", 72):  "",
		"1234":                   CodePasswordTooShort,
		"":                       CodePasswordTooShort,
		strings.Repeat("é", 37):  CodePasswordTooLong,
		strings.Repeat("p", 100): CodePasswordTooLong,
	} {
		got := ""
		if err := CheckPassword(pw); err != nil {
			got = err.Code
		}
		if got != code {
			t.Errorf("CheckPassword(%q) code = %q, want %q", pw, got, code)
		}
	}
}

func TestCheckUsername(t *testing.T) {
	for name, code := range map[string]string{
		"alice":                 "",
		"abc":                   "",
		"":                      CodeMissingCredentials,
		"al":                    CodeUsernameTooShort,
		strings.Repeat("u", 65): CodeUsernameTooLong,
		" alice":                CodeUsernameInvalid,
	} {
		got := ""
		if err := CheckUsername(name); err != nil {
			got = err.Code
		}
		if got != code {
			t.Errorf("CheckUsername(%q) code = %q, want %q", name, got, code)
		}
	}
}

func TestSessionOver(t *testing.T) {
	wrap := func(e *Error) error { return fmt.Errorf("GET /api/files: %w", e) }
	tests := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("refresh: %w", ErrSignedOut), true},
		{wrap(&Error{Status: 401, Code: CodeTokenRevoked, Msg: "Token has been revoked"}), true},
		{wrap(&Error{Status: 401, Code: CodeTokenExpired, Msg: "Token has expired"}), true},
		{wrap(&Error{Status: 401, Msg: "Unauthorized"}), true},
		{wrap(&Error{Status: 422, Code: CodeBadSignature, Msg: "Signature verification failed"}), true},
		{wrap(&Error{Status: 422, Msg: "Signature verification failed"}), true}, // a server without codes
		{wrap(&Error{Status: 404, Code: CodeUserNotFound, Msg: "User not found"}), true},
		{wrap(&Error{Status: 401, Code: CodeBadCredentials, Msg: "Incorrect password"}), false},
		{wrap(&Error{Status: 404, Code: CodeNotFound, Msg: "Not found"}), false},
		{wrap(&Error{Status: 400, Code: CodePasswordTooShort, Msg: "password is too short"}), false},
		{wrap(&Error{Status: 500, Code: CodeInternal, Msg: "Internal error"}), false},
		{wrap(&Error{Status: 503}), false},
		{errors.New("fetch failed"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := SessionOver(tt.err); got != tt.want {
			t.Errorf("SessionOver(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
