package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"tessera/backend"
	"tessera/shared"
)

// maxUserAgent bounds the user agent kept with a session.
const maxUserAgent = 256

// startSession opens a session for user (a sign-in, or the first refresh of
// a token made by a Flask-JWT-Extended app) and issues its token pair; it
// returns the session's id too. It fails with an error wrapping
// backend.ErrConflict when the user's password is no longer user.Password:
// it changed since the caller checked it.
func (s *Server) startSession(r *http.Request, user *backend.User) (shared.TokenPair, string, error) {
	sess := s.newSession(r, user.ID)
	if err := s.Store.CreateSession(r.Context(), sess, user.Password, s.SessionsPerUser); err != nil {
		return shared.TokenPair{}, "", err
	}
	pair, err := s.issuePair(user.Name, sess, sess.RefreshJTI)
	return pair, sess.ID, err
}

// newSession is a new session of the user, for the client of r, not
// stored yet.
func (s *Server) newSession(r *http.Request, userID int64) *backend.Session {
	now := s.now()
	return &backend.Session{
		ID:         uuid.NewString(),
		UserID:     userID,
		CreatedAt:  now,
		RenewedAt:  now,
		ExpiresAt:  now.Add(s.SessionMaxAge),
		UserAgent:  trimAgent(r.UserAgent()),
		RefreshJTI: uuid.NewString(),
	}
}

// issuePair issues an access token and a refresh token with refreshJTI for
// the session, neither outliving it.
func (s *Server) issuePair(subject string, sess *backend.Session, refreshJTI string) (shared.TokenPair, error) {
	access, err := s.issue(backend.TokenSpec{Subject: subject, Type: backend.AccessToken, SessionID: sess.ID, NotAfter: sess.ExpiresAt})
	if err != nil {
		return shared.TokenPair{}, err
	}
	refresh, err := s.issue(backend.TokenSpec{Subject: subject, Type: backend.RefreshToken, SessionID: sess.ID, JTI: refreshJTI, NotAfter: sess.ExpiresAt})
	if err != nil {
		return shared.TokenPair{}, err
	}
	return shared.TokenPair{AccessToken: access, RefreshToken: refresh}, nil
}

func (s *Server) issue(spec backend.TokenSpec) (string, error) {
	tok, _, err := s.Tokens.Issue(spec)
	if err != nil {
		return "", fmt.Errorf("issue %s token: %w", spec.Type, err)
	}
	return tok, nil
}

// handleRefresh renews a session. With rotation the refresh token used is
// retired and a new pair is returned; presenting a retired token again ends
// the session, except the one retired most recently within the grace
// window (a lost answer, or a second tab that raced the first), which gets
// a pair with the session's current refresh token.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request, p *principal) {
	if err := checkJSONType(r); err != nil { // it reads no body, but any POST body is JSON
		s.writeError(w, r, err)
		return
	}
	var (
		pair   shared.TokenPair
		result string
		err    error
	)
	switch {
	case !s.Rotation:
		result = RefreshRenewed
		// Flask-JWT-Extended's behaviour: a new access token, the refresh
		// token lives on.
		pair.AccessToken, err = s.issue(backend.TokenSpec{Subject: p.user.Name, Type: backend.AccessToken, SessionID: p.claims.SessionID, NotAfter: sessionEnd(p.session)})
	case p.session == nil:
		// A token of a Flask-JWT-Extended app: retire it and start a proper
		// session. Only the request that retires it gets one: concurrent
		// ones are refused, as for any revoked token.
		result = RefreshStarted
		var retired bool
		retired, err = s.revokeToken(r.Context(), &p.claims)
		switch {
		case err == nil && !retired:
			err = errRevoked
		case err == nil:
			pair, _, err = s.startSession(r, p.user)
			if errors.Is(err, backend.ErrConflict) {
				err = errRevoked // the password changed meanwhile
			}
		}
	default:
		pair, result, err = s.rotate(r, p)
	}
	switch {
	case errors.Is(err, errRevoked) && result != RefreshReuse:
		result = RefreshRefused
	case err != nil && !errors.Is(err, errRevoked):
		result = RefreshFailed
	}
	s.metrics().Refresh(result)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, pair)
}

// rotate renews p's session with its refresh token; it also returns the
// Refresh* result.
func (s *Server) rotate(r *http.Request, p *principal) (shared.TokenPair, string, error) {
	newJTI := uuid.NewString()
	outcome, sess, err := s.Store.RotateRefresh(r.Context(), p.session.ID, p.claims.JTI, newJTI, s.ReuseGrace)
	if err != nil {
		return shared.TokenPair{}, RefreshFailed, err
	}
	switch outcome {
	case backend.Rotated:
		pair, err := s.issuePair(p.user.Name, sess, newJTI)
		return pair, RefreshRotated, err
	case backend.Grace:
		s.record(r, p.user.ID, backend.EventGraceUsed, sess.ID, nil)
		pair, err := s.issuePair(p.user.Name, sess, sess.RefreshJTI)
		return pair, RefreshGrace, err
	case backend.Reused:
		s.logger().WarnContext(r.Context(), "retired refresh token presented again: session ended",
			"user", p.user.ID, "session", sess.ID, "remote", r.RemoteAddr)
		s.record(r, p.user.ID, backend.EventReuseDetected, sess.ID, nil)
		return shared.TokenPair{}, RefreshReuse, errRevoked
	}
	return shared.TokenPair{}, RefreshRefused, errRevoked
}

// sessionEnd is the session's absolute end, or zero without a session.
func sessionEnd(sess *backend.Session) time.Time {
	if sess == nil {
		return time.Time{}
	}
	return sess.ExpiresAt
}

// handleLogout ends the session of the token it is sent (both of its tokens
// stop working); ?scope=others ends the user's other sessions instead, and
// ?scope=global all of them. A token without a session is revoked alone, as
// Flask-JWT-Extended does.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, p *principal) {
	scope := r.URL.Query().Get("scope")
	if scope != "" && scope != "others" && scope != "global" {
		s.writeError(w, r, backend.Errorf(shared.CodeInvalidScope, "scope must be others or global"))
		return
	}
	ctx, uid := r.Context(), p.user.ID
	sid := p.claims.SessionID
	var err error
	switch {
	case scope == "others":
		_, err = s.Store.RevokeSessions(ctx, uid, backend.SessionSet{Except: sid}, backend.ReasonLogoutOthers)
	case scope == "global":
		_, err = s.Store.RevokeSessions(ctx, uid, backend.SessionSet{}, backend.ReasonLogoutGlobal)
		if err == nil {
			err = s.Store.RevokeTokensWithoutSession(ctx, uid)
		}
	case sid != "":
		_, err = s.Store.RevokeSessions(ctx, uid, backend.SessionSet{Only: sid}, backend.ReasonLogout)
	}
	if err == nil && scope != "others" {
		// The token itself goes on the blocklist: alone it was all a
		// token without a session had; with a session, it has been
		// presented (see handleLogoutEnded).
		_, err = s.revokeToken(ctx, &p.claims)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if scope == "" {
		scope = "session"
	}
	s.record(r, uid, backend.EventSignedOut, sid, map[string]any{"scope": scope})
	s.writeJSON(w, http.StatusOK, revokedMessage(p.claims.Type))
}

// revokeToken puts the token of c on the blocklist until it expires and
// reports whether this call put it there.
func (s *Server) revokeToken(ctx context.Context, c *backend.Claims) (bool, error) {
	return s.Store.RevokeToken(ctx, c.JTI, c.Type, time.Unix(c.ExpiresAt, 0))
}

// revokedMessage is the answer of a logout with a token of typ, as
// Flask-JWT-Extended words it.
func revokedMessage(typ string) shared.Message {
	if typ != "" {
		typ = strings.ToUpper(typ[:1]) + strings.ToLower(typ[1:])
	}
	return shared.Message{Msg: typ + " token successfully revoked"}
}

// loggedOut are the ends of a session by a sign-out.
var loggedOut = map[string]bool{backend.ReasonLogout: true, backend.ReasonLogoutOthers: true, backend.ReasonLogoutGlobal: true}

// handleLogoutEnded answers a logout with a token whose session has ended.
// A client that signs out the way Flask-JWT-Extended's documentation shows
// sends the access token, then the refresh token: the first call ended the
// session, and the Flask app answers the second with 200, since it revokes
// one token at a time. So a token of a session ended by a sign-out gets that
// 200 the first time it is presented, and 401 Token has been revoked after
// (as the Flask app's blocklist answers). A session ended otherwise (reuse
// of a refresh token, a password change, the operator) gets 401.
func (s *Server) handleLogoutEnded(w http.ResponseWriter, r *http.Request, claims backend.Claims, sess *backend.Session) {
	if !loggedOut[sess.Reason] {
		s.writeError(w, r, errRevoked)
		return
	}
	first, err := s.revokeToken(r.Context(), &claims)
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case !first:
		s.writeError(w, r, errRevoked)
	default:
		s.writeJSON(w, http.StatusOK, revokedMessage(claims.Type))
	}
}
