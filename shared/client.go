package shared

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Limits on the response bodies the Client reads.
const (
	maxJSONBody = 1 << 20  // JSON answers and error bodies: 1 MiB
	maxFileBody = 64 << 20 // File downloads: 64 MiB
	maxDrain    = 64 << 10 // what is read of an unread body before closing it
)

// DefaultTimeout is the timeout of the default Doer of a Client (see
// WithDoer).
const DefaultTimeout = 60 * time.Second

// Doer sends the Client's requests: one request, one answer (or an error
// when there is none: the network, ctx ended). The caller reads and closes
// the answer's Body.
//
// The default is, in a browser (js/wasm), FetchDoer, which calls the Fetch
// API directly, and elsewhere an *http.Client with DefaultTimeout (see
// WithHTTPClient). The browser build thereby links none of net/http's
// client: its wasm port would bring in the whole http.Transport (TLS,
// HTTP/2, X.509) only to call fetch in the end. For the same reason the
// interface speaks of Request and Response, not of net/http's types, whose
// fields reach the TLS and certificate types.
type Doer interface {
	Do(ctx context.Context, req *Request) (*Response, error)
}

// Request is one request of the Client.
type Request struct {
	Method string
	URL    string            // absolute
	Header map[string]string // canonical names, such as "Authorization"
	Body   []byte            // nil for none
}

// Response is the answer to a Request.
type Response struct {
	StatusCode int
	// Header holds the answer's headers by canonical name (the first
	// value of each).
	Header map[string]string
	Body   io.ReadCloser
}

// httpDoer is the Doer of an *http.Client.
type httpDoer struct{ hc *http.Client }

func (d httpDoer) Do(ctx context.Context, r *Request) (*Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return nil, err
	}
	h := make(map[string]string, len(resp.Header))
	for k, vs := range resp.Header {
		if len(vs) > 0 {
			h[k] = vs[0]
		}
	}
	return &Response{StatusCode: resp.StatusCode, Header: h, Body: resp.Body}, nil
}

// tokenKind says which stored token, if any, a call sends as its bearer.
type tokenKind int

const (
	authNone          tokenKind = iota // no Authorization header
	authAccess                         // access token; refresh and retry once when it has expired
	authAccessNoRetry                  // access token; never refresh (logout)
	authRefresh                        // refresh token; never refresh
)

// Option configures a Client in NewClient.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc instead of the
// default Doer. A nil hc is ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = httpDoer{hc}
		}
	}
}

// WithDoer makes the Client send its requests with d instead of the
// default Doer. A nil d is ignored.
func WithDoer(d Doer) Option {
	return func(c *Client) {
		if d != nil {
			c.http = d
		}
	}
}

// WithOnRefresh makes the Client call fn with the new pair after every
// successful refresh, automatic or explicit (one call per refresh, not per
// waiting caller). fn runs on the goroutine that did the refresh, after the
// pair is saved and the refresh lock is released, so it may call the Client.
func WithOnRefresh(fn func(TokenPair)) Option {
	return func(c *Client) { c.onRefresh = fn }
}

// WithSharedLock makes every refresh run inside lock, a lock shared with
// other Clients of the same TokenStore in other processes (in a browser:
// the other tabs, through the Web Locks API). lock must call fn once while
// holding it, or return an error without calling it. Inside, the Client
// re-reads the store, so when another holder refreshed first, the Client
// adopts its tokens instead of spending the refresh token a second time.
func WithSharedLock(lock func(ctx context.Context, fn func()) error) Option {
	return func(c *Client) { c.shared = lock }
}

// Client is a client of the Tessera API for one signed-in user, whose tokens
// live in its TokenStore. It is safe for concurrent use.
//
// A protected call sends the stored access token. Shortly before that token
// expires (its exp claim, read without verification: see renewDue), the
// Client refreshes the tokens first, so the server never has to refuse it.
// When the server answers 401 with code CodeTokenExpired all the same (a
// clock far off, a token older than it looks), the Client refreshes the
// tokens once and retries the call once. Concurrent calls that find the
// token due or expired together share a single refresh. When the refresh
// token is refused (SessionOver) the store is cleared and the call fails
// with an error wrapping ErrSignedOut; a network error or a 5xx during the
// refresh leaves the store as it is. A GET or DELETE answered 503 (the
// server's database is unavailable) is sent again, up to 3 times, after
// the answer's Retry-After (see sendRetrying).
type Client struct {
	base      string
	store     TokenStore
	http      Doer
	onRefresh func(TokenPair)
	shared    func(ctx context.Context, fn func()) error

	// sem (capacity 1) serializes refreshes and every write the Client makes
	// to the store, so a refresh in flight cannot undo a login or a logout.
	// It is a channel so that waiters can give up when their context ends.
	sem chan struct{}

	// skew is how far this machine's clock is ahead of the server's, as
	// learned from the tokens this Client received (see noteSkew); 0 until
	// it is found to be ahead by more than skewTolerance.
	skew atomic.Int64 // time.Duration
}

// NewClient returns a Client of the API served at baseURL, the server's root
// such as "http://localhost:8080" (a trailing "/" or "/api" is dropped; the
// Client adds "/api/..." itself). A nil store means a new MemoryTokenStore.
func NewClient(baseURL string, store TokenStore, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	base = strings.TrimSuffix(base, "/api")
	if store == nil {
		store = NewMemoryTokenStore()
	}
	c := &Client{
		base:  base,
		store: store,
		http:  defaultDoer(),
		sem:   make(chan struct{}, 1),
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Store returns the Client's TokenStore.
func (c *Client) Store() TokenStore { return c.store }

// SignedIn reports whether the store holds a token (access or refresh). It
// makes no request: the tokens may still turn out to be expired or revoked.
func (c *Client) SignedIn() bool {
	p := c.store.Load()
	return p.AccessToken != "" || p.RefreshToken != ""
}

// Register creates the account cr (POST /api/register). It does not sign in.
func (c *Client) Register(ctx context.Context, cr Credentials) error {
	body, err := json.Marshal(cr)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return c.do(ctx, http.MethodPost, "/api/register", body, authNone, nil)
}

// Login signs in with cr (POST /api/login), saves the returned pair in the
// store, replacing any previous one, and returns it.
func (c *Client) Login(ctx context.Context, cr Credentials) (TokenPair, error) {
	body, err := json.Marshal(cr)
	if err != nil {
		return TokenPair{}, fmt.Errorf("login: %w", err)
	}
	var pair TokenPair
	if err := c.do(ctx, http.MethodPost, "/api/login", body, authNone, &pair); err != nil {
		return TokenPair{}, err
	}
	if err := c.adopt(ctx, "POST /api/login", pair); err != nil {
		return TokenPair{}, err
	}
	return pair, nil
}

// Refresh renews the access token now (POST /api/refresh) and returns the
// stored pair. It shares the single flight of the automatic refresh: if
// another caller refreshes meanwhile, Refresh returns that caller's result
// without a request of its own. A rotated refresh token is stored; when the
// server sends none, the old one is kept. Errors are as for the automatic
// refresh: ErrSignedOut (wrapped, store cleared) when no refresh token is
// stored or the server refuses it (SessionOver); any other error leaves
// the store untouched.
func (c *Client) Refresh(ctx context.Context) (TokenPair, error) {
	return c.refresh(ctx, c.store.Load().AccessToken)
}

// Logout ends the session on the server (DELETE /api/logout with the access
// token, and with the refresh token when that fails or the tokens carry no
// session), best effort: a missing token or a refused one (SessionOver:
// already expired, revoked or invalid) is not an error. A token whose exp
// has passed is not sent: the server would only refuse it. It never
// refreshes. It always clears the store, even when a call fails, and
// returns the first other error.
func (c *Client) Logout(ctx context.Context) error {
	var first error
	note := func(err error) {
		if err == nil || SessionOver(err) || first != nil {
			return
		}
		first = err
	}
	pair, now := c.store.Load(), time.Now()
	err := errExpired
	if !c.expired(pair.AccessToken, now) {
		err = c.do(ctx, http.MethodDelete, "/api/logout", nil, authAccessNoRetry, nil)
		note(err)
	}
	// A session-bound token ends its whole session. The refresh token is
	// sent too when that failed (an expired access token, say) or when the
	// tokens have no session (made by a Flask-JWT-Extended server), since
	// those are revoked one by one.
	if (err != nil || !hasSession(pair.AccessToken)) && !c.expired(pair.RefreshToken, now) {
		note(c.do(ctx, http.MethodDelete, "/api/logout", nil, authRefresh, nil))
	}
	// Wait without ctx: the store must be cleared, and only after any refresh
	// in flight has finished, or that refresh would save its pair again.
	c.sem <- struct{}{}
	c.store.Clear()
	c.unlock()
	return first
}

// Health checks that the server answers (GET /api/healthz): nil when it
// says it is healthy, an *Error when it answers otherwise (503 when its
// database is down), another error when it cannot be reached.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/api/healthz", nil, authNone, nil)
}

// UserData returns the signed-in user's name (GET /api/user-data).
func (c *Client) UserData(ctx context.Context) (UserData, error) {
	var out UserData
	err := c.do(ctx, http.MethodGet, "/api/user-data", nil, authAccess, &out)
	return out, err
}

// UserDataV2 returns the signed-in user's id and name (GET /api/user-data-v2).
func (c *Client) UserDataV2(ctx context.Context) (UserDataV2, error) {
	var out UserDataV2
	err := c.do(ctx, http.MethodGet, "/api/user-data-v2", nil, authAccess, &out)
	return out, err
}

// Account returns what the account page shows (GET /api/account).
func (c *Client) Account(ctx context.Context) (Account, error) {
	var out Account
	err := c.do(ctx, http.MethodGet, "/api/account", nil, authAccess, &out)
	return out, err
}

// Events returns a page of the signed-in user's security events (GET
// /api/events), newest first: limit of them (0: the server's default)
// before the cursor (the Next of the previous page; "" for the newest).
func (c *Client) Events(ctx context.Context, limit int, before string) (EventList, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if before != "" {
		q.Set("before", before)
	}
	path := "/api/events"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out EventList
	err := c.do(ctx, http.MethodGet, path, nil, authAccess, &out)
	return out, err
}

// SeeEvents records that the user looked at the security events (POST
// /api/events/seen): Account's Alerts count from now.
func (c *Client) SeeEvents(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/api/events/seen", nil, authAccess, nil)
}

// Sessions lists the signed-in user's live sessions (GET /api/sessions);
// the one this Client's tokens belong to has Current set.
func (c *Client) Sessions(ctx context.Context) (SessionList, error) {
	var out SessionList
	err := c.do(ctx, http.MethodGet, "/api/sessions", nil, authAccess, &out)
	return out, err
}

// EndSession ends one of the user's sessions (DELETE /api/sessions/{id}).
// Ending the Client's own session signs it out on the next call.
func (c *Client) EndSession(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/sessions/"+url.PathEscape(id), nil, authAccess, nil)
}

// LogoutOthers ends every other session of the user and keeps this one
// (DELETE /api/logout?scope=others).
func (c *Client) LogoutOthers(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/logout?scope=others", nil, authAccess, nil)
}

// ChangePassword replaces the user's password (POST /api/password). The
// server ends every session of the user and answers the pair of a new
// one, which the Client stores: this Client stays signed in, every other
// holder of the user's tokens is signed out. A wrong current password is
// an *Error with Status 401 and CodeBadCredentials.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	body, err := json.Marshal(PasswordChange{CurrentPassword: current, NewPassword: next})
	if err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	var out PasswordChanged
	if err := c.do(ctx, http.MethodPost, "/api/password", body, authAccess, &out); err != nil {
		return err
	}
	return c.adopt(ctx, "POST /api/password", TokenPair{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken})
}

// adopt stores pair, the answer of the call what, as Login does.
func (c *Client) adopt(ctx context.Context, what string, pair TokenPair) error {
	if pair.AccessToken == "" || pair.RefreshToken == "" {
		return fmt.Errorf("%s: answer lacks a token", what)
	}
	if err := c.lock(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c.noteSkew(pair.AccessToken, time.Now())
	c.store.Save(pair)
	c.unlock()
	return nil
}

// Files lists the protected files (GET /api/files).
func (c *Client) Files(ctx context.Context) (FileList, error) {
	var out FileList
	err := c.do(ctx, http.MethodGet, "/api/files", nil, authAccess, &out)
	return out, err
}

// File downloads the protected file name (GET /api/files/{name}), a path
// relative to the files root whose segments are separated by "/"; each
// segment is path-escaped. It returns the bytes and the Content-Type the
// server set. Files larger than 64 MiB fail. An empty name, or one with an
// empty, "." or ".." segment, fails without a request.
func (c *Client) File(ctx context.Context, name string) (data []byte, contentType string, err error) {
	segs := strings.Split(strings.TrimPrefix(name, "/"), "/")
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			return nil, "", fmt.Errorf("file %q: invalid name", name)
		}
		segs[i] = url.PathEscape(s)
	}
	var raw rawBody
	if err := c.do(ctx, http.MethodGet, "/api/files/"+strings.Join(segs, "/"), nil, authAccess, &raw); err != nil {
		return nil, "", err
	}
	return raw.data, raw.contentType, nil
}

// rawBody, given to do as out, receives the body as bytes instead of JSON.
type rawBody struct {
	data        []byte
	contentType string
}

// do is the one way every call reaches the API. It sends method path (an
// already escaped path below the base URL) with body (JSON, may be nil;
// resent as is on a retry) and the bearer token of kind auth, and decodes a
// 2xx answer into out (JSON; *rawBody for bytes; nil to discard). A non-2xx
// answer is an *Error. A call needing a token that is not stored fails with
// ErrSignedOut before any request. With authAccess, an answer 401
// CodeTokenExpired triggers one refresh and one retry; a GET or DELETE
// answered 503 is retried as sendRetrying says. Errors name the call.
func (c *Client) do(ctx context.Context, method, path string, body []byte, auth tokenKind, out any) error {
	err := c.doOnce(ctx, method, path, body, auth, out)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// Retries of an idempotent call answered 503 (the database is down or
// restarting): at most unavailableRetries, waiting the answer's
// Retry-After (at most maxRetryWait) or else a doubling backoff.
const (
	unavailableRetries = 3
	firstRetryWait     = 250 * time.Millisecond
	maxRetryWait       = 5 * time.Second
)

// sendRetrying is send, retried as above for GET and DELETE.
func (c *Client) sendRetrying(ctx context.Context, method, path string, body []byte, token string, out any) error {
	wait := firstRetryWait
	for i := 0; ; i++ {
		err := c.send(ctx, method, path, body, token, out)
		e := AsError(err)
		if i == unavailableRetries || (method != http.MethodGet && method != http.MethodDelete) ||
			e == nil || e.Status != http.StatusServiceUnavailable {
			return err
		}
		d := wait
		if e.RetryAfter > 0 {
			d = min(e.RetryAfter, maxRetryWait)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		wait = min(2*wait, maxRetryWait)
	}
}

func (c *Client) doOnce(ctx context.Context, method, path string, body []byte, auth tokenKind, out any) error {
	var token string
	if auth != authNone {
		p := c.store.Load()
		if auth == authRefresh {
			token = p.RefreshToken
		} else {
			token = p.AccessToken
		}
		if token == "" {
			return ErrSignedOut
		}
	}
	if auth == authAccess && c.renewDue(token, time.Now()) {
		// Renew first rather than have the server refuse the token. A
		// refresh that fails for another reason than the session's end
		// (the network, a 5xx) leaves the token to the call: it may still
		// be good, and the answer tells.
		pair, err := c.refresh(ctx, token)
		switch {
		case err == nil:
			token = pair.AccessToken
		case errors.Is(err, ErrSignedOut):
			return err
		}
	}
	err := c.sendRetrying(ctx, method, path, body, token, out)
	if auth != authAccess || !isExpired(err) {
		return err
	}
	pair, err := c.refresh(ctx, token)
	if err != nil {
		return err
	}
	return c.sendRetrying(ctx, method, path, body, pair.AccessToken, out)
}

// isExpired reports whether err is the server's "token has expired" answer.
func isExpired(err error) bool {
	e := AsError(err)
	return e != nil && e.Status == http.StatusUnauthorized && e.Code == CodeTokenExpired
}

// send makes one request and reads its answer; see do.
func (c *Client) send(ctx context.Context, method, path string, body []byte, token string, out any) error {
	req := &Request{Method: method, URL: c.base + path, Body: body, Header: map[string]string{"Accept": "application/json"}}
	if _, raw := out.(*rawBody); raw {
		req.Header["Accept"] = "*/*"
	}
	if body != nil {
		req.Header["Content-Type"] = "application/json"
	}
	if token != "" {
		req.Header["Authorization"] = "Bearer " + token
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return err
	}
	defer func() {
		drain(resp.Body)
		_ = resp.Body.Close()
	}()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readError(resp)
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *rawBody:
		data, err := readLimited(resp.Body, maxFileBody)
		if err != nil {
			return err
		}
		o.data, o.contentType = data, resp.Header["Content-Type"]
		return nil
	default:
		data, err := readLimited(resp.Body, maxJSONBody)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
		return nil
	}
}

// AsError returns the first *Error in err's chain, or nil: errors.As for
// *Error, without reflection. (errors.As brings internal/reflectlite's type
// comparisons into the browser build, for this one type.)
func AsError(err error) *Error {
	for err != nil {
		switch x := err.(type) {
		case *Error:
			return x
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				if e := AsError(inner); e != nil {
					return e
				}
			}
			return nil
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

// readError turns a non-2xx answer into an *Error.
func readError(resp *Response) *Error {
	e := &Error{Status: resp.StatusCode}
	if secs, err := strconv.Atoi(resp.Header["Retry-After"]); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	if data, err := readLimited(resp.Body, maxJSONBody); err == nil {
		var b ErrorBody
		if json.Unmarshal(data, &b) == nil {
			e.Code, e.Msg = b.Code, b.Msg
		}
	}
	if e.Msg == "" {
		e.Msg = http.StatusText(resp.StatusCode)
	}
	return e
}

// drain reads what is left of an answer's body, up to maxDrain bytes, so
// that its connection may serve another request. (A loop of Read rather
// than io.Copy, whose io.WriterTo and io.ReaderFrom shortcuts would link
// their methods of several types into the browser build.)
func drain(r io.Reader) {
	var buf [512]byte
	for n := 0; n < maxDrain; {
		k, err := r.Read(buf[:])
		if err != nil {
			return
		}
		n += k
	}
}

// readLimited reads all of r, failing when it holds more than limit bytes.
// (A loop of Read: io.ReadAll and io.LimitReader would add their code to
// the browser build, as drain says.)
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data := make([]byte, 0, 512)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // room to read into
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("read answer: body exceeds %d bytes", limit)
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read answer: %w", err)
		}
	}
}

// lock takes c.sem, or gives up when ctx ends first.
func (c *Client) lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) unlock() { <-c.sem }

// refresh renews the tokens unless someone did since the caller used the
// access token stale, and returns the pair to use. See Refresh for errors.
func (c *Client) refresh(ctx context.Context, stale string) (TokenPair, error) {
	if err := c.lock(ctx); err != nil {
		return TokenPair{}, fmt.Errorf("refresh: %w", err)
	}
	var (
		pair      TokenPair
		refreshed bool
		err       error
	)
	if c.shared == nil {
		pair, refreshed, err = c.refreshLocked(ctx, stale)
	} else if lerr := c.shared(ctx, func() { pair, refreshed, err = c.refreshLocked(ctx, stale) }); lerr != nil {
		err = fmt.Errorf("refresh: shared lock: %w", lerr)
	}
	c.unlock()
	if err != nil {
		return TokenPair{}, err
	}
	if refreshed && c.onRefresh != nil {
		c.onRefresh(pair)
	}
	return pair, nil
}

// refreshLocked does the work of refresh with c.sem held. refreshed tells
// whether this call renewed the tokens (rather than finding them renewed).
func (c *Client) refreshLocked(ctx context.Context, stale string) (pair TokenPair, refreshed bool, err error) {
	cur := c.store.Load()
	if cur.AccessToken != "" && cur.AccessToken != stale {
		return cur, false, nil // another caller refreshed (or signed in) meanwhile
	}
	if cur.RefreshToken == "" {
		c.store.Clear()
		return TokenPair{}, false, fmt.Errorf("refresh: no refresh token: %w", ErrSignedOut)
	}
	var got TokenPair
	if err := c.do(ctx, http.MethodPost, "/api/refresh", nil, authRefresh, &got); err != nil {
		if SessionOver(err) {
			if c.store.Load().RefreshToken == cur.RefreshToken {
				c.store.Clear()
			}
			return TokenPair{}, false, fmt.Errorf("refresh: %w: %w", ErrSignedOut, err)
		}
		return TokenPair{}, false, fmt.Errorf("refresh: %w", err)
	}
	if got.AccessToken == "" {
		return TokenPair{}, false, errors.New("refresh: POST /api/refresh: answer lacks access_token")
	}
	if got.RefreshToken == "" {
		got.RefreshToken = cur.RefreshToken
	}
	c.noteSkew(got.AccessToken, time.Now())
	c.store.Save(got)
	return got, true, nil
}

// tokenClaims are the claims of a token that the Client reads.
type tokenClaims struct {
	SID string `json:"sid"`
	IAT int64  `json:"iat"` // Unix seconds; 0 when absent
	Exp int64  `json:"exp"` // Unix seconds; 0 when absent
}

// readClaims decodes the payload of a JWT without verifying it (only the
// server can do that): the Client only uses it to know the token's
// session and times. ok is false when token is not a JWT with a JSON
// payload of these claims.
func readClaims(token string) (c tokenClaims, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, false
	}
	return c, json.Unmarshal(payload, &c) == nil
}

// hasSession reports whether a token carries a session id ("sid" claim).
func hasSession(token string) bool {
	c, ok := readClaims(token)
	return ok && c.SID != ""
}

// When an access token is renewed ahead of a call: renewBefore before its
// exp at most, and at most a fifth of its lifetime (exp - iat) before.
const renewBefore = 30 * time.Second

// skewTolerance is the difference between this machine's clock and the
// server's (as a fresh token's iat shows it) that is taken for the delay of
// the answer and the rounding of iat to the second, not for a clock that is
// off.
const skewTolerance = 5 * time.Second

// renewDue reports whether the access token should be renewed before a call
// made at now: its exp, on the server's clock (now less the learned skew),
// is less than the margin away (see renewBefore) or past. A token whose
// exp cannot be read never is (the 401 answer then tells).
func (c *Client) renewDue(token string, now time.Time) bool {
	cl, ok := readClaims(token)
	if !ok || cl.Exp == 0 {
		return false
	}
	exp := time.Unix(cl.Exp, 0)
	margin := renewBefore
	if cl.IAT != 0 {
		margin = min(margin, exp.Sub(time.Unix(cl.IAT, 0))/5)
	}
	serverNow := now.Add(-time.Duration(c.skew.Load()))
	return !serverNow.Before(exp.Add(-max(margin, 0)))
}

// errExpired stands for the answer to a token whose exp has passed, which
// is not sent.
var errExpired = errors.New("token expired")

// expired reports whether token's exp, on the server's clock (now less the
// learned skew), has passed. A token whose exp cannot be read has not.
func (c *Client) expired(token string, now time.Time) bool {
	cl, ok := readClaims(token)
	return ok && cl.Exp != 0 && !now.Add(-time.Duration(c.skew.Load())).Before(time.Unix(cl.Exp, 0))
}

// noteSkew learns how far this machine's clock is from the server's from
// the access token of a pair just received at now: its iat is the server's
// time of issue. Differences within skewTolerance count as none.
func (c *Client) noteSkew(access string, now time.Time) {
	cl, ok := readClaims(access)
	if !ok || cl.IAT == 0 {
		return
	}
	d := now.Sub(time.Unix(cl.IAT, 0))
	if d > -skewTolerance && d < skewTolerance {
		d = 0
	}
	c.skew.Store(int64(d))
}
