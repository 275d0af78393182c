package api

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"tessera/backend"
	"tessera/shared"
)

// Bounds of GET /api/events.
const (
	defaultEventPage = 50
	maxEventPage     = 200
)

// record stores an event of the request r about user: the client's address
// (in full: the user sees it) and user agent are the request's. Writing an event never fails the request:
// an error is logged and the request goes on.
func (s *Server) record(r *http.Request, userID int64, kind, sessionID string, detail map[string]any) {
	e := &backend.Event{
		UserID:    userID,
		Kind:      kind,
		IP:        addrString(s.clientAddr(r)),
		UserAgent: trimAgent(r.UserAgent()),
		SessionID: sessionID,
		Detail:    detail,
	}
	if err := s.Store.AddEvent(r.Context(), e); err != nil {
		s.logger().WarnContext(r.Context(), "record event", "kind", kind, "user", userID, "err", err)
	}
}

// newDevice reports whether the request's client ip (clientIP) and
// browser family never signed in to the user before, and remembers them.
// A failure counts as not new, logged.
func (s *Server) newDevice(r *http.Request, ip netip.Prefix, userID int64) bool {
	isNew, err := s.Store.RememberDevice(r.Context(), userID, ip.String(), shared.DeviceName(r.UserAgent()))
	if err != nil {
		s.logger().WarnContext(r.Context(), "remember device", "user", userID, "err", err)
	}
	return isNew
}

// addrString is a's text, or "" when a is not valid.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// trimAgent bounds a user agent kept with a session or an event.
func trimAgent(ua string) string {
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	return ua
}

// handleEvents lists the caller's security events, newest first, a page at
// a time: ?limit= (default 50, at most 200) and ?before= the cursor of the
// previous page's answer.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	limit := defaultEventPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventPage {
			s.writeError(w, r, backend.Errorf(shared.CodeInvalidQuery, "limit must be a whole number from 1 to %d", maxEventPage))
			return
		}
		limit = n
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			s.writeError(w, r, backend.Errorf(shared.CodeInvalidQuery, "before must be the cursor of a previous answer"))
			return
		}
		before = n
	}
	// One more than asked tells whether there is a next page.
	events, err := s.Store.Events(r.Context(), p.user.ID, before, limit+1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := shared.EventList{Events: make([]shared.EventInfo, 0, min(len(events), limit))}
	for i, e := range events {
		if i == limit {
			out.Next = strconv.FormatInt(events[i-1].ID, 10)
			break
		}
		out.Events = append(out.Events, shared.EventInfo{
			ID:        e.ID,
			Kind:      e.Kind,
			At:        e.At.UTC(),
			IP:        e.IP,
			UserAgent: e.UserAgent,
			Device:    shared.DeviceName(e.UserAgent),
			SessionID: e.SessionID,
			Current:   e.SessionID != "" && e.SessionID == p.claims.SessionID,
			Detail:    e.Detail,
		})
	}
	s.writeJSON(w, http.StatusOK, out)
}

// handleEventsSeen records that the caller looked at the events: the
// account page stops warning about the ones before.
func (s *Server) handleEventsSeen(w http.ResponseWriter, r *http.Request, p *principal) {
	err := checkJSONType(r) // it reads no body, but any POST body is JSON
	if err == nil {
		err = s.Store.SeeEvents(r.Context(), p.user.ID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, shared.Message{Msg: "Events seen"})
}

// handleAccount answers what the account page shows.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	signIns, err := s.Store.SignIns(ctx, p.user.ID)
	if errors.Is(err, backend.ErrNotFound) {
		err = userGone(p.user.Name) // deleted since the token was checked
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	alerts, err := s.Store.Unseen(ctx, p.user.ID, backend.AlertKinds)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a := shared.Account{ID: p.user.ID, Username: p.user.Name, Alerts: alerts}
	if created := p.user.CreatedAt; created.Unix() > 0 {
		c := created.UTC()
		a.CreatedAt = &c
	}
	switch {
	case p.session != nil:
		a.SignedInAt = p.session.CreatedAt.UTC()
	case !signIns.Latest.IsZero():
		a.SignedInAt = signIns.Latest.UTC()
	default:
		// A Flask-JWT-Extended token, and no sign-in here yet: it was
		// issued at the sign-in there.
		a.SignedInAt = time.Unix(p.claims.IssuedAt, 0).UTC()
	}
	if prev := signIns.Previous; !prev.IsZero() {
		prev = prev.UTC()
		a.LastSignIn = &prev
	}
	s.writeJSON(w, http.StatusOK, a)
}
