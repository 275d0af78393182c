package api

import (
	"errors"
	"net/http"

	"tessera/backend"
	"tessera/shared"
)

// handleSessionList lists the caller's live sessions, marking the one the
// token belongs to.
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request, p *principal) {
	now := s.now()
	sessions, err := s.Store.ListSessions(r.Context(), p.user.ID)
	if err != nil {
		s.writeError(w, r, err)
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
	s.writeJSON(w, http.StatusOK, list)
}

// handleSessionEnd ends one of the caller's sessions. Another user's
// session, or one already over, is 404.
func (s *Server) handleSessionEnd(w http.ResponseWriter, r *http.Request, p *principal) {
	sess, err := s.Store.SessionByID(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, backend.ErrNotFound):
		err = errNotFound
	case err == nil && (sess.UserID != p.user.ID || !sess.Active(s.now())):
		err = errNotFound
	case err == nil:
		var n int64
		n, err = s.Store.RevokeSessions(r.Context(), p.user.ID, backend.SessionSet{Only: sess.ID}, backend.ReasonEnded)
		if err == nil && n == 0 {
			err = errNotFound // ended meanwhile
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.record(r, p.user.ID, backend.EventSessionEnded, sess.ID, map[string]any{"by": "user", "from": p.claims.SessionID})
	s.writeJSON(w, http.StatusOK, shared.Message{Msg: "Session ended"})
}
