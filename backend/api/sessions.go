package api

import (
	"errors"
	"net/http"

	"tessera/backend"
	"tessera/shared"
)

// handleSessionList lists the caller's live sessions, marking the one the
// token belongs to.
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r, accessOnly)
	if err != nil {
		s.error(w, r, err)
		return
	}
	now := s.now()
	sessions, err := s.Store.ListSessions(r.Context(), p.user.ID, now)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list := shared.SessionList{Sessions: []shared.SessionInfo{}}
	for _, sess := range sessions {
		if s.RefreshTTL > 0 && !now.Before(sess.RenewedAt.Add(s.RefreshTTL)) {
			continue // unused for longer than a refresh token lives: over
		}
		list.Sessions = append(list.Sessions, shared.SessionInfo{
			ID:        sess.ID,
			CreatedAt: sess.CreatedAt.UTC(),
			RenewedAt: sess.RenewedAt.UTC(),
			ExpiresAt: sess.ExpiresAt.UTC(),
			UserAgent: sess.UserAgent,
			Current:   sess.ID == p.claims.SessionID,
		})
	}
	s.json(w, http.StatusOK, list)
}

// handleSessionEnd ends one of the caller's sessions. Another user's
// session, or one already over, is 404.
func (s *Server) handleSessionEnd(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r, accessOnly)
	if err != nil {
		s.error(w, r, err)
		return
	}
	sess, err := s.Store.SessionByID(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, backend.ErrNotFound):
		err = errNotFound
	case err == nil && (sess.UserID != p.user.ID || !sess.Active(s.now())):
		err = errNotFound
	case err == nil:
		var n int64
		n, err = s.Store.RevokeSessions(r.Context(), p.user.ID, sess.ID, false, backend.ReasonEnded, s.now())
		if err == nil && n == 0 {
			err = errNotFound // ended meanwhile
		}
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, shared.Message{Msg: "Session ended"})
}

// handlePassword changes the caller's password after checking the current
// one, and ends every other session of the user.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r, accessOnly)
	if err != nil {
		s.error(w, r, err)
		return
	}
	fields, err := readObject(w, r)
	if err != nil && err != errEmptyBody {
		s.error(w, r, err)
		return
	}
	current, next := stringField(fields, "current_password"), stringField(fields, "new_password")
	if current == "" || next == "" {
		s.error(w, r, backend.Errorf(shared.CodeMissingCredentials, "current_password or new_password has not been entered"))
		return
	}
	if err := validatePassword(next); err != nil {
		s.error(w, r, err)
		return
	}
	if !s.Passwords.Check(p.user.Password, current) {
		s.error(w, r, backend.Errorf(shared.CodeBadCredentials, "Incorrect password"))
		return
	}
	hash, err := s.Passwords.Hash(next)
	if err == nil {
		err = s.Store.SetPassword(r.Context(), p.user.ID, hash, s.now())
	}
	if err == nil {
		sid := p.claims.SessionID
		_, err = s.Store.RevokeSessions(r.Context(), p.user.ID, sid, sid != "", backend.ReasonPasswordChange, s.now())
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, shared.Message{Msg: "Password changed"})
}
