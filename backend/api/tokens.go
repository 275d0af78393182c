package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"tessera/backend"
	"tessera/shared"
)

func (s *Server) issuePair(subject string) (shared.TokenPair, error) {
	access, _, err := s.Tokens.Issue(subject, backend.AccessToken)
	if err != nil {
		return shared.TokenPair{}, fmt.Errorf("issue access token: %w", err)
	}
	refresh, _, err := s.Tokens.Issue(subject, backend.RefreshToken)
	if err != nil {
		return shared.TokenPair{}, fmt.Errorf("issue refresh token: %w", err)
	}
	return shared.TokenPair{AccessToken: access, RefreshToken: refresh}, nil
}

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	claims, _, err := s.authenticate(r, refreshOnly)
	if err != nil {
		s.error(w, r, err)
		return
	}
	access, _, err := s.Tokens.Issue(claims.Subject, backend.AccessToken)
	if err != nil {
		s.error(w, r, fmt.Errorf("issue access token: %w", err))
		return
	}
	s.json(w, http.StatusOK, shared.TokenPair{AccessToken: access})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	claims, _, err := s.authenticate(r, anyToken)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.Store.RevokeToken(r.Context(), claims.JTI, claims.Type, time.Unix(claims.ExpiresAt, 0)); err != nil {
		s.error(w, r, err)
		return
	}
	typ := claims.Type
	if typ != "" {
		typ = strings.ToUpper(typ[:1]) + strings.ToLower(typ[1:])
	}
	s.json(w, http.StatusOK, shared.Message{Msg: typ + " token successfully revoked"})
}
