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
	"time"
)

// Limits on the response bodies the Client reads.
const (
	maxJSONBody = 1 << 20  // JSON answers and error bodies: 1 MiB
	maxFileBody = 64 << 20 // File downloads: 64 MiB
	maxDrain    = 64 << 10 // what is read of an unread body before closing it
)

// DefaultTimeout is the timeout of the http.Client a Client uses unless
// WithHTTPClient gives another one.
const DefaultTimeout = 60 * time.Second

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

// WithHTTPClient makes the Client send its requests with hc instead of a
// default http.Client with DefaultTimeout. A nil hc is ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
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
// A protected call sends the stored access token. When the server answers
// 401 with code CodeTokenExpired, the Client refreshes the tokens once and
// retries the call once. Concurrent calls that hit the expiry together share
// a single refresh. When the refresh token is refused (SessionOver) the store
// is cleared and the call fails with an error wrapping ErrSignedOut; a
// network error or a 5xx during the refresh leaves the store as it is.
type Client struct {
	base      string
	store     TokenStore
	http      *http.Client
	onRefresh func(TokenPair)
	shared    func(ctx context.Context, fn func()) error

	// sem (capacity 1) serializes refreshes and every write the Client makes
	// to the store, so a refresh in flight cannot undo a login or a logout.
	// It is a channel so that waiters can give up when their context ends.
	sem chan struct{}
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
		http:  &http.Client{Timeout: DefaultTimeout},
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
// already expired, revoked or invalid) is not an error. It never
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
	pair := c.store.Load()
	err := c.do(ctx, http.MethodDelete, "/api/logout", nil, authAccessNoRetry, nil)
	note(err)
	// A session-bound token ends its whole session. The refresh token is
	// sent too when that failed (an expired access token, say) or when the
	// tokens have no session (made by a Flask-JWT-Extended server), since
	// those are revoked one by one.
	if err != nil || !hasSession(pair.AccessToken) {
		note(c.do(ctx, http.MethodDelete, "/api/logout", nil, authRefresh, nil))
	}
	// Wait without ctx: the store must be cleared, and only after any refresh
	// in flight has finished, or that refresh would save its pair again.
	c.sem <- struct{}{}
	c.store.Clear()
	c.unlock()
	return first
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
// CodeTokenExpired triggers one refresh and one retry. Errors name the call.
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
		var e *Error
		if i == unavailableRetries || (method != http.MethodGet && method != http.MethodDelete) ||
			!errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
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
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusUnauthorized && e.Code == CodeTokenExpired
}

// send makes one request and reads its answer; see do.
func (c *Client) send(ctx context.Context, method, path string, body []byte, token string, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if _, raw := out.(*rawBody); raw {
		req.Header.Set("Accept", "*/*")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
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
		o.data, o.contentType = data, resp.Header.Get("Content-Type")
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

// readError turns a non-2xx answer into an *Error.
func readError(resp *http.Response) *Error {
	e := &Error{Status: resp.StatusCode}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
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

// readLimited reads all of r, failing when it holds more than limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read answer: body exceeds %d bytes", limit)
	}
	return data, nil
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
	c.store.Save(got)
	return got, true, nil
}

// hasSession reports whether a token carries a session id ("sid" claim).
// It reads the payload without verifying it: only the server can do that.
func hasSession(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		SID string `json:"sid"`
	}
	return json.Unmarshal(payload, &claims) == nil && claims.SID != ""
}
