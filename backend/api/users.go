package api

import (
	"errors"
	"net/http"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"tessera/backend"
	"tessera/shared"
)

// ruleError turns a broken credential rule (shared.CheckCredentials,
// shared.CheckPassword) into the API's error; nil stays nil.
func ruleError(e *shared.Error) error {
	if e == nil {
		return nil
	}
	return &backend.Error{Code: e.Code, Msg: e.Msg}
}

// validateRegistration applies the register rules in the contract's order
// and returns the username in its stored (NFC) form.
func validateRegistration(c shared.Credentials) (string, error) {
	name := norm.NFC.String(c.Username)
	if err := ruleError(shared.CheckCredentials(name, c.Password)); err != nil {
		return "", err
	}
	return name, nil
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	c, err := readCredentials(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name, err := validateRegistration(c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hash, err := s.Passwords.Hash(c.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.Store.CreateUser(r.Context(), name, hash); err != nil {
		if errors.Is(err, backend.ErrConflict) {
			err = backend.Errorf(shared.CodeUsernameTaken, shared.MsgUsernameTaken)
		}
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, "create account")
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	c, err := readCredentials(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var (
		hash string
		user *backend.User
	)
	// A name register would refuse cannot exist: it is not looked up (a NUL
	// byte, say, is no name), but still costs the same bcrypt comparison.
	if name := norm.NFC.String(c.Username); shared.ValidUsername(name) && utf8.RuneCountInString(name) <= shared.MaxUsernameRunes {
		user, err = s.Store.UserByName(r.Context(), name)
		switch {
		case err == nil:
			hash = user.Password
		case errors.Is(err, backend.ErrNotFound):
			user = nil
		default:
			s.writeError(w, r, err)
			return
		}
	}
	badCredentials := backend.Errorf(shared.CodeBadCredentials, "Incorrect password or username")
	// An unknown name still costs one bcrypt comparison (Check with an empty
	// hash), so the answer does not tell which names exist.
	if !s.Passwords.Check(hash, c.Password) || user == nil {
		s.writeError(w, r, badCredentials)
		return
	}
	pair, err := s.startSession(r, user)
	if errors.Is(err, backend.ErrConflict) {
		err = badCredentials // the password changed while it was checked
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pair)
}

func (s *Server) handleUserData(w http.ResponseWriter, r *http.Request, p *principal) {
	s.writeJSON(w, http.StatusOK, shared.UserData{User: p.user.Name})
}

func (s *Server) handleUserDataV2(w http.ResponseWriter, r *http.Request, p *principal) {
	s.writeJSON(w, http.StatusOK, shared.UserDataV2{ID: p.user.ID, Username: p.user.Name})
}

// handlePassword changes the caller's password after checking the current
// one, and ends every other session of the user.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request, p *principal) {
	fields, err := readObject(w, r)
	if err != nil && err != errEmptyBody {
		s.writeError(w, r, err)
		return
	}
	current, next := stringField(fields, "current_password"), stringField(fields, "new_password")
	if current == "" || next == "" {
		s.writeError(w, r, backend.Errorf(shared.CodeMissingCredentials, "current_password or new_password has not been entered"))
		return
	}
	if err := ruleError(shared.CheckPassword(next)); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.Passwords.Check(p.user.Password, current) {
		s.writeError(w, r, backend.Errorf(shared.CodeBadCredentials, "Incorrect password"))
		return
	}
	hash, err := s.Passwords.Hash(next)
	if err == nil {
		err = s.Store.SetPassword(r.Context(), p.user.ID, hash)
	}
	if err == nil {
		_, err = s.Store.RevokeSessions(r.Context(), p.user.ID, backend.SessionSet{Except: p.claims.SessionID}, backend.ReasonPasswordChange)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, shared.Message{Msg: "Password changed"})
}
