package ui

import (
	"fmt"

	"tessera/shared"
)

// The forms apply the server's own credential rules (tessera/shared)
// before sending anything, so they show the words the server would answer.

// ruleMessage is the message of a broken rule, or "" for nil (no rule
// broken).
func ruleMessage(e *shared.Error) string {
	if e == nil {
		return ""
	}
	return e.Msg
}

// validatePasswordChange checks the fields of the change-password form
// and returns the message to show, or "" when they may be sent. The
// current password is only checked for presence: the server compares it.
func validatePasswordChange(current, next string) string {
	if current == "" || next == "" {
		return msgPasswordsMissing
	}
	return ruleMessage(shared.CheckPassword(next))
}

// usernameHint describes the username rules under the username field.
func usernameHint() string {
	return fmt.Sprintf("%d to %d characters, no space at either end.", shared.MinUsernameRunes, shared.MaxUsernameRunes)
}

// passwordHint describes the password rules under a new password field.
func passwordHint() string {
	return fmt.Sprintf("At least %d characters.", shared.MinPasswordRunes)
}
