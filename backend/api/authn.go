package api

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"tessera/backend"
	"tessera/shared"
)

// tokenKind says which tokens a protected route takes.
type tokenKind int

const (
	accessToken  tokenKind = iota // access tokens ("type" other than refresh)
	refreshToken                  // refresh tokens
	anyToken                      // either (logout)
)

// protectedHandler is the handler of a protected route: it runs once the
// request's token passed every check, for the principal it names.
type protectedHandler func(w http.ResponseWriter, r *http.Request, p *principal)

// with returns the handler of a route that takes tokens of kind: it
// authenticates the request and answers the token's error, or calls h.
func (s *Server) with(kind tokenKind, h protectedHandler) http.Handler {
	return s.withEnded(kind, h, nil)
}

// endedHandler answers a request whose token passed every check but that
// its session has ended (see withEnded).
type endedHandler func(w http.ResponseWriter, r *http.Request, claims backend.Claims, sess *backend.Session)

// withEnded is with, but a request whose token's session has ended goes to
// ended instead of the 401 answer (nil: the 401).
func (s *Server) withEnded(kind tokenKind, h protectedHandler, ended endedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r, kind)
		var e *endedError
		if ended != nil && errors.As(err, &e) {
			ended(w, r, e.claims, e.session)
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r, p)
	})
}

// endedError is the refusal of a token whose session has ended: 401 Token
// has been revoked, with what withEnded needs.
type endedError struct {
	claims  backend.Claims
	session *backend.Session
}

func (e *endedError) Error() string { return errRevoked.Error() }
func (e *endedError) Unwrap() error { return errRevoked }

const (
	msgNoHeader     = "Missing Authorization Header"
	msgNoBearer     = "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"
	msgNoQuery      = "Missing 'jwt' query paramater" // sic: Flask-JWT-Extended's text, which clients see
	msgBadHeader    = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"
	maxHeaderFields = 32
)

var fieldSep = regexp.MustCompile(`,\s*`)

// findToken returns the request's token: from the Authorization header
// first, then from the jwt query parameter, as Flask-JWT-Extended looks for
// it with JWT_TOKEN_LOCATION = ["headers", "query_string"].
func findToken(r *http.Request) (string, error) {
	var missing []string
	values := r.Header.Values("Authorization")
	switch {
	case len(values) > 1:
		return "", backend.Errorf(shared.CodeBadAuthHeader, msgBadHeader)
	case len(values) == 1:
		tok, err := bearerToken(values[0])
		if err == nil {
			return tok, nil
		}
		if backend.ErrorCode(err) == shared.CodeBadAuthHeader {
			return "", err
		}
		missing = append(missing, err.(*backend.Error).Msg)
	default:
		missing = append(missing, msgNoHeader)
	}
	if tok := r.URL.Query().Get("jwt"); tok != "" {
		return tok, nil
	}
	missing = append(missing, msgNoQuery)
	return "", backend.Errorf(shared.CodeMissingToken, "Missing JWT in headers or query_string (%s)", strings.Join(missing, "; "))
}

// bearerToken reads "Bearer <JWT>" from an Authorization value that may
// hold several comma-separated fields. A value without a Bearer field is a
// missing token (the query may still hold one); a Bearer field that is not
// exactly two words is a bad header.
func bearerToken(header string) (string, error) {
	if tok, ok := strings.CutPrefix(header, "Bearer "); ok && plainToken(tok) {
		// The usual header, one field of two words: what bearerFields
		// makes of it, without splitting it.
		return tok, nil
	}
	return bearerFields(header)
}

// bearerFields is bearerToken for any header.
func bearerFields(header string) (string, error) {
	header = strings.Trim(strings.TrimSpace(header), ",")
	if header == "" {
		return "", &backend.Error{Code: shared.CodeMissingToken, Msg: msgNoHeader}
	}
	var bearer []string
	for i, f := range fieldSep.Split(header, -1) {
		if i >= maxHeaderFields {
			return "", backend.Errorf(shared.CodeBadAuthHeader, msgBadHeader)
		}
		if words := strings.Fields(f); len(words) > 0 && words[0] == "Bearer" {
			bearer = append(bearer, f)
		}
	}
	if len(bearer) != 1 {
		return "", &backend.Error{Code: shared.CodeMissingToken, Msg: msgNoBearer}
	}
	words := strings.Fields(bearer[0])
	if len(words) != 2 {
		return "", backend.Errorf(shared.CodeBadAuthHeader, msgBadHeader)
	}
	return words[1], nil
}

// plainToken reports whether tok is one word of printable ASCII without a
// comma: after "Bearer ", a header that bearerToken's rules read as
// exactly that token.
func plainToken(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c > '~' || c == ',' {
			return false
		}
	}
	return tok != ""
}

// principal is who a request acts for, once its token passed every check.
type principal struct {
	claims  backend.Claims
	user    *backend.User
	session *backend.Session // nil for a token without "sid" (made by a Flask-JWT-Extended app)
}

// userGone is the answer to a token of a user that no longer exists, as
// Flask-JWT-Extended's user loader answers it.
func userGone(name string) error {
	return backend.Errorf(shared.CodeUserNotFound, "Error loading the user %s", name)
}

var errRevoked = backend.Errorf(shared.CodeTokenRevoked, "Token has been revoked")

// authenticate runs the token checks in the contract's order: find the
// token, decode and verify it, check its type, check it is not revoked (its
// session alive, or, for a token without a session, not on the blocklist),
// load its user. Its errors are *backend.Error but for database failures.
func (s *Server) authenticate(r *http.Request, kind tokenKind) (*principal, error) {
	tok, err := findToken(r)
	if err != nil {
		return nil, err
	}
	claims, err := s.Tokens.Verify(tok)
	if err != nil {
		return nil, err
	}
	switch {
	case kind == accessToken && claims.Type == backend.RefreshToken:
		return nil, backend.Errorf(shared.CodeAccessTokenNeeded, "Only non-refresh tokens are allowed")
	case kind == refreshToken && claims.Type != backend.RefreshToken:
		return nil, backend.Errorf(shared.CodeRefreshTokenNeeded, "Only refresh tokens are allowed")
	}
	p := &principal{claims: claims}
	if claims.SessionID == "" && !s.LegacyTokens {
		// Without a session a token can only have been made by another
		// program with the secret; only LegacyTokens trusts them.
		return nil, errRevoked
	}
	if claims.SessionID != "" {
		p.session, err = s.Store.SessionByID(r.Context(), claims.SessionID)
		if errors.Is(err, backend.ErrNotFound) {
			return nil, errRevoked
		}
		if err != nil {
			return nil, err
		}
		if !p.session.Active(s.now()) {
			return nil, &endedError{claims: claims, session: p.session}
		}
	} else {
		revoked, err := s.Store.IsTokenRevoked(r.Context(), claims.JTI)
		if err != nil {
			return nil, err
		}
		if revoked {
			return nil, errRevoked
		}
	}
	p.user, err = s.Store.UserByName(r.Context(), claims.Subject)
	if errors.Is(err, backend.ErrNotFound) {
		return nil, userGone(claims.Subject)
	}
	if err != nil {
		return nil, err
	}
	if p.session != nil && p.session.UserID != p.user.ID {
		// The name now belongs to another account than the session's.
		return nil, errRevoked
	}
	if p.session == nil && (!p.user.TokensValidAfter.IsZero() && claims.IssuedAt <= p.user.TokensValidAfter.Unix() ||
		claims.IssuedAt < p.user.CreatedAt.Unix()) {
		// Issued before a password change or a global logout, or before
		// the account existed: for another account of that name.
		return nil, errRevoked
	}
	return p, nil
}
