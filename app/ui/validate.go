package ui

import (
	"strings"
	"unicode/utf8"
)

// Limits of the server's credential checks (see the /api contract).
const (
	minUsernameLen = 3  // characters
	maxUsernameLen = 64 // characters
	minPasswordLen = 5  // characters
	maxPasswordLen = 72 // bytes (bcrypt's limit)
)

// Validation messages; the first five are the server's own texts.
const (
	msgMissing        = "password or username has not been entered"
	msgPasswordShort  = "password is too short"
	msgUsernameShort  = "username is too short"
	msgPasswordLong   = "password is too long"
	msgUsernameLong   = "username is too long"
	msgUsernameSpaces = "username must not begin or end with a space"
)

// validateCredentials checks a username and password the way the server
// does, in the same order, and returns the message to show, or "" when
// they may be sent.
func validateCredentials(username, password string) string {
	switch {
	case username == "" || password == "":
		return msgMissing
	case utf8.RuneCountInString(password) < minPasswordLen:
		return msgPasswordShort
	case utf8.RuneCountInString(username) < minUsernameLen:
		return msgUsernameShort
	case len(password) > maxPasswordLen:
		return msgPasswordLong
	case utf8.RuneCountInString(username) > maxUsernameLen:
		return msgUsernameLong
	case strings.TrimSpace(username) != username:
		return msgUsernameSpaces
	}
	return ""
}
