package shared

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the credential rules.
const (
	MinPasswordRunes = 5  // characters
	MaxPasswordBytes = 72 // bytes: bcrypt ignores the rest
	MinUsernameRunes = 3  // characters
	MaxUsernameRunes = 64 // characters
)

// The messages of the credential rules, as the API sends them (the first
// four are the texts Flask clients expect).
const (
	MsgMissingCredentials = "password or username has not been entered"
	MsgPasswordTooShort   = "password is too short"
	MsgUsernameTooShort   = "username is too short"
	MsgUsernameTaken      = "The username is already in use"
	MsgPasswordTooLong    = "password is too long"
	MsgUsernameTooLong    = "username is too long"
	MsgUsernameInvalid    = "username contains invalid characters"
)

// ruleError is the *Error a broken credential rule gives: a 400 with the
// rule's code and message, as the server answers it.
func ruleError(code, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Msg: msg}
}

// CheckCredentials applies the register rules to a username and password,
// in the order the server applies them, and returns the first one broken as
// an *Error (Status 400, Code and Msg as the server sends them), or nil.
// The server calls it with the username in Unicode NFC form, the form it
// stores and compares; the rules count characters, so a caller that cannot
// normalize (the browser app) may count a decomposed name as longer.
func CheckCredentials(username, password string) *Error {
	switch {
	case username == "" || password == "":
		return ruleError(CodeMissingCredentials, MsgMissingCredentials)
	case utf8.RuneCountInString(password) < MinPasswordRunes:
		return ruleError(CodePasswordTooShort, MsgPasswordTooShort)
	case utf8.RuneCountInString(username) < MinUsernameRunes:
		return ruleError(CodeUsernameTooShort, MsgUsernameTooShort)
	case len(password) > MaxPasswordBytes:
		return ruleError(CodePasswordTooLong, MsgPasswordTooLong)
	case utf8.RuneCountInString(username) > MaxUsernameRunes:
		return ruleError(CodeUsernameTooLong, MsgUsernameTooLong)
	case !ValidUsername(username):
		return ruleError(CodeUsernameInvalid, MsgUsernameInvalid)
	}
	return nil
}

// CheckPassword applies the register rules for passwords alone (a new
// password): nil, or an *Error as CheckCredentials gives.
func CheckPassword(password string) *Error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordRunes:
		return ruleError(CodePasswordTooShort, MsgPasswordTooShort)
	case len(password) > MaxPasswordBytes:
		return ruleError(CodePasswordTooLong, MsgPasswordTooLong)
	}
	return nil
}

// CheckUsername applies the register rules for usernames alone (a name
// checked before a password is asked for): nil, or an *Error as
// CheckCredentials gives for that name with a valid password.
func CheckUsername(username string) *Error {
	return CheckCredentials(username, strings.Repeat("x", MinPasswordRunes))
}

// ValidUsername reports whether name is free of what no username may hold:
// invalid UTF-8, control and format characters (NUL, bidi overrides,
// zero-width joiners) and white space at either end. Length is not checked.
func ValidUsername(name string) bool {
	if !utf8.ValidString(name) || strings.TrimFunc(name, unicode.IsSpace) != name {
		return false
	}
	for _, r := range name {
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf) {
			return false
		}
	}
	return true
}
