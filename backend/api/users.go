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
	if s.RegistrationClosed {
		s.writeError(w, r, backend.Errorf(shared.CodeRegistrationClosed, "Registration is closed"))
		return
	}
	c, err := readCredentials(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ip := s.clientIP(r)
	name, err := validateRegistration(c)
	if err == nil {
		// A request that breaks the rules costs nothing (a typo); one for
		// a name already taken costs as one that creates an account, or
		// the answers would list the taken names at any speed.
		err = s.spend(r.Context(), "register", ip, s.Limits.RegisterRate)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hash, err := s.Passwords.Hash(c.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	user, err := s.Store.CreateUser(r.Context(), name, hash)
	if err != nil {
		if errors.Is(err, backend.ErrConflict) {
			err = backend.Errorf(shared.CodeUsernameTaken, shared.MsgUsernameTaken)
		}
		s.writeError(w, r, err)
		return
	}
	s.record(r, user.ID, backend.EventRegistered, "", nil)
	s.newDevice(r, ip, user.ID) // the device that made the account is not new to it
	s.writeJSON(w, http.StatusOK, "create account")
}

var errBadCredentials = backend.Errorf(shared.CodeBadCredentials, "Incorrect password or username")

// handleLogin signs a user in. Missing, empty or non-string fields are
// wrong credentials (401), as the Flask app answers a name it cannot find:
// only registration answers them 400.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	pair, err := s.login(w, r)
	s.metrics().SignIn(signInResult(err))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pair)
}

// signInResult is the SignIn* result of a sign-in that ended with err.
func signInResult(err error) string {
	var e *backend.Error
	switch {
	case err == nil:
		return SignInOK
	case !errors.As(err, &e):
		return SignInError
	case e.Code == shared.CodeRateLimited:
		return SignInThrottled
	case statusOf[e.Code] >= 500:
		return SignInError
	}
	return SignInFailed
}

// login checks the credentials of r's body (w only bounds its size) and
// starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) (shared.TokenPair, error) {
	fields, err := readObject(w, r)
	if err != nil && err != errEmptyBody {
		return shared.TokenPair{}, err
	}
	c := shared.Credentials{Username: stringField(fields, "username"), Password: stringField(fields, "password")}
	ctx, ip := r.Context(), s.clientIP(r)
	if err := s.spend(ctx, "login", ip, s.Limits.LoginRate); err != nil {
		return shared.TokenPair{}, err
	}
	var user *backend.User
	// A name register would refuse cannot exist: it is not looked up (a NUL
	// byte, say, is no name), but is throttled and costs the same bcrypt
	// comparison as any other.
	name := norm.NFC.String(c.Username)
	if shared.ValidUsername(name) && utf8.RuneCountInString(name) <= shared.MaxUsernameRunes {
		user, err = s.Store.UserByName(ctx, name)
		switch {
		case errors.Is(err, backend.ErrNotFound):
			user = nil
		case err != nil:
			return shared.TokenPair{}, err
		}
	}
	a, err := s.guardAttempt(r, name, ip, user)
	if err != nil {
		return shared.TokenPair{}, err
	}
	var hash string
	if user != nil {
		hash = user.Password
	}
	// An unknown name still costs one comparison (Check with an empty
	// hash, against a dummy of the usual kind), so the answer does not
	// tell which names exist.
	if !s.Passwords.Check(hash, c.Password) || user == nil {
		s.attemptFailed(r, a)
		return shared.TokenPair{}, errBadCredentials
	}
	if err := s.attemptSucceeded(ctx, a); err != nil {
		return shared.TokenPair{}, err
	}
	s.rehash(r, user, c.Password)
	pair, sid, err := s.startSession(r, user)
	if errors.Is(err, backend.ErrConflict) {
		err = errBadCredentials // the password changed while it was checked
	}
	if err != nil {
		return shared.TokenPair{}, err
	}
	if err := s.Store.RecordSignIn(ctx, user.ID); err != nil {
		s.logger().WarnContext(ctx, "record sign-in", "user", user.ID, "err", err)
	}
	s.record(r, user.ID, backend.EventSignedIn, sid, map[string]any{"new_device": s.newDevice(r, ip, user.ID)})
	return pair, nil
}

// rehash replaces the user's password hash with a new one when it is not of
// the configured kind and cost (after BCRYPT_COST changed, say). It is best
// effort: a failure is logged, and the sign-in goes on with the old hash.
// On success user.Password is the new hash.
func (s *Server) rehash(r *http.Request, user *backend.User, password string) {
	if !s.Passwords.NeedsRehash(user.Password) {
		return
	}
	hash, err := s.Passwords.Hash(password)
	if err != nil {
		// A password longer than bcrypt takes keeps its old hash.
		return
	}
	ok, err := s.Store.Rehash(r.Context(), user.ID, user.Password, hash)
	switch {
	case err != nil:
		s.logger().WarnContext(r.Context(), "rehash password", "user", user.ID, "err", err)
	case ok:
		user.Password = hash
	}
}

func (s *Server) handleUserData(w http.ResponseWriter, r *http.Request, p *principal) {
	if plainString(p.user.Name) {
		s.writeField(w, http.StatusOK, "user", p.user.Name) // without boxing the answer
		return
	}
	s.writeJSON(w, http.StatusOK, shared.UserData{User: p.user.Name})
}

func (s *Server) handleUserDataV2(w http.ResponseWriter, r *http.Request, p *principal) {
	s.writeJSON(w, http.StatusOK, shared.UserDataV2{ID: p.user.ID, Username: p.user.Name})
}

// handlePassword changes the caller's password after checking the current
// one, ends every session of the user, the caller's too, and answers a new
// pair for a new session: whoever held the old pair of this session is
// signed out as well. A wrong current password counts as a failed sign-in.
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
	ctx, ip := r.Context(), s.clientIP(r)
	if err := s.spend(ctx, "password", ip, s.Limits.PasswordRate); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.guardAttempt(r, p.user.Name, ip, p.user)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.Passwords.Check(p.user.Password, current) {
		s.attemptFailed(r, a)
		s.writeError(w, r, backend.Errorf(shared.CodeBadCredentials, "Incorrect password"))
		return
	}
	if err := s.attemptSucceeded(ctx, a); err != nil {
		s.writeError(w, r, err)
		return
	}
	// The new password, every session ended and this client's new one, in
	// one transaction: all of it or nothing.
	hash, err := s.Passwords.Hash(next)
	sess := s.newSession(r, p.user.ID)
	if err == nil {
		change := backend.PasswordChange{Hash: hash, Previous: p.user.Password, Reason: backend.ReasonPasswordChange, Next: sess}
		_, err = s.Store.SetPassword(ctx, p.user.ID, change)
		if errors.Is(err, backend.ErrConflict) {
			// The hash changed since it was checked. A sign-in may have
			// rehashed the same password (BCRYPT_COST changed): check
			// again against what is stored now.
			if u, uerr := s.Store.UserByName(ctx, p.user.Name); uerr == nil && u.ID == p.user.ID && s.Passwords.Check(u.Password, current) {
				change.Previous = u.Password
				_, err = s.Store.SetPassword(ctx, p.user.ID, change)
			}
		}
		if errors.Is(err, backend.ErrConflict) || errors.Is(err, backend.ErrNotFound) {
			err = errRevoked // another change won the race: the password checked is not current
		}
	}
	var pair shared.TokenPair
	if err == nil {
		pair, err = s.issuePair(p.user.Name, sess, sess.RefreshJTI)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.record(r, p.user.ID, backend.EventPasswordChange, p.claims.SessionID, map[string]any{"by": "user"})
	s.writeJSON(w, http.StatusOK, shared.PasswordChanged{Msg: "Password changed", AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken})
}
