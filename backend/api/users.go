package api

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"tessera/backend"
	"tessera/shared"
)

// Limits of the register rules.
const (
	minPasswordRunes = 5
	maxPasswordBytes = 72 // bcrypt ignores the rest
	minUsernameRunes = 3
	maxUsernameRunes = 64
)

// validateRegistration applies the register rules in the contract's order
// and returns the username in its stored (NFC) form.
func validateRegistration(c shared.Credentials) (string, error) {
	if utf8.RuneCountInString(c.Password) < minPasswordRunes {
		return "", errPasswordTooShort
	}
	name := norm.NFC.String(c.Username)
	if utf8.RuneCountInString(name) < minUsernameRunes {
		return "", backend.Errorf(shared.CodeUsernameTooShort, "username is too short")
	}
	if len(c.Password) > maxPasswordBytes {
		return "", errPasswordTooLong
	}
	if utf8.RuneCountInString(name) > maxUsernameRunes {
		return "", backend.Errorf(shared.CodeUsernameTooLong, "username is too long")
	}
	if !validUsername(name) {
		return "", backend.Errorf(shared.CodeUsernameInvalid, "username contains invalid characters")
	}
	return name, nil
}

var (
	errPasswordTooShort = backend.Errorf(shared.CodePasswordTooShort, "password is too short")
	errPasswordTooLong  = backend.Errorf(shared.CodePasswordTooLong, "password is too long")
)

// validatePassword applies the register rules for passwords alone.
func validatePassword(password string) error {
	if utf8.RuneCountInString(password) < minPasswordRunes {
		return errPasswordTooShort
	}
	if len(password) > maxPasswordBytes {
		return errPasswordTooLong
	}
	return nil
}

// validUsername refuses control and format characters (NUL, bidi
// overrides, zero-width joiners), invalid UTF-8 and surrounding white space.
func validUsername(name string) bool {
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

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	c, err := readCredentials(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	name, err := validateRegistration(c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	hash, err := s.Passwords.Hash(c.Password)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.Store.CreateUser(r.Context(), name, hash); err != nil {
		if errors.Is(err, backend.ErrConflict) {
			err = backend.Errorf(shared.CodeUsernameTaken, "The username is already in use")
		}
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, "create account")
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	c, err := readCredentials(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var (
		hash string
		user *backend.User
	)
	// A name register would refuse cannot exist: it is not looked up (a NUL
	// byte, say, is no name), but still costs the same bcrypt comparison.
	if name := norm.NFC.String(c.Username); validUsername(name) && utf8.RuneCountInString(name) <= maxUsernameRunes {
		user, err = s.Store.UserByName(r.Context(), name)
		switch {
		case err == nil:
			hash = user.Password
		case errors.Is(err, backend.ErrNotFound):
			user = nil
		default:
			s.error(w, r, err)
			return
		}
	}
	badCredentials := backend.Errorf(shared.CodeBadCredentials, "Incorrect password or username")
	// An unknown name still costs one bcrypt comparison (Check with an empty
	// hash), so the answer does not tell which names exist.
	if !s.Passwords.Check(hash, c.Password) || user == nil {
		s.error(w, r, badCredentials)
		return
	}
	pair, err := s.startSession(r, user)
	if errors.Is(err, backend.ErrConflict) {
		err = badCredentials // the password changed while it was checked
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, pair)
}

func (s *Server) handleUserData(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r, accessOnly)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, shared.UserData{User: p.user.Name})
}

func (s *Server) handleUserDataV2(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r, accessOnly)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, shared.UserDataV2{ID: p.user.ID, Username: p.user.Name})
}
