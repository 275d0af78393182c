package ui

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"tessera/shared"
)

// Keys of the app's entries in the browser's localStorage.
const (
	TokensKey     = "tessera.tokens"      // JSON shared.TokenPair
	SigningOutKey = "tessera.signing_out" // RFC 3339 time a sign-out began, while it runs
)

// signingOutFresh is how long a SigningOutKey mark counts: one left behind
// by a tab closed during its sign-out must not speak for a later end.
const signingOutFresh = 30 * time.Second

// storageArea is the part of the Web Storage API the token store uses.
// Methods return an error when the browser refuses (storage disabled,
// private mode quota, not running in a browser).
type storageArea interface {
	getItem(key string) (value string, ok bool, err error)
	setItem(key, value string) error
	removeItem(key string) error
}

// errNoStorage reports that there is no localStorage to use.
var errNoStorage = errors.New("web storage is not available")

// LocalTokenStore is a shared.TokenStore kept in the browser's localStorage
// as JSON under one key, so a session survives reloads and is shared by the
// app's tabs (every Load reads localStorage again).
//
// When localStorage cannot be used (disabled by the user, or not in a
// browser) the store falls back to memory: the session then lasts as long
// as the page. It is safe for concurrent use.
type LocalTokenStore struct {
	mu      sync.Mutex
	key     string
	area    storageArea
	memOnly bool
	mem     shared.TokenPair
}

var _ shared.TokenStore = (*LocalTokenStore)(nil)

// NewLocalTokenStore returns a store that keeps the tokens in
// window.localStorage under key (TokensKey in the app).
func NewLocalTokenStore(key string) *LocalTokenStore {
	return newTokenStore(key, localStorageArea())
}

func newTokenStore(key string, area storageArea) *LocalTokenStore {
	return &LocalTokenStore{key: key, area: area}
}

// Load returns the stored pair, or the zero pair when none is stored or the
// stored value is unreadable.
func (s *LocalTokenStore) Load() shared.TokenPair {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.memOnly {
		return s.mem
	}
	raw, ok, err := s.area.getItem(s.key)
	if err != nil {
		s.fallBack()
		return s.mem
	}
	if !ok {
		return shared.TokenPair{}
	}
	var p shared.TokenPair
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return shared.TokenPair{}
	}
	return p
}

// Save replaces the stored pair.
func (s *LocalTokenStore) Save(p shared.TokenPair) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem = p
	if s.memOnly {
		return
	}
	b, err := json.Marshal(p)
	if err != nil {
		return // a struct of two strings always encodes
	}
	if err := s.area.setItem(s.key, string(b)); err != nil {
		s.fallBack()
	}
}

// Clear forgets the stored pair.
func (s *LocalTokenStore) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem = shared.TokenPair{}
	if s.memOnly {
		return
	}
	_ = s.area.removeItem(s.key)
}

// SetSigningOut marks (on) or unmarks an explicit sign-out in this tab. The
// mark is set before the tokens are removed and removed after, so that the
// other tabs, seeing the tokens go, can tell "you signed out in another
// tab" from a session that ended (see signingOutMarked).
func (s *LocalTokenStore) SetSigningOut(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.memOnly {
		return
	}
	if on {
		_ = s.area.setItem(s.signingOutKey(), time.Now().UTC().Format(time.RFC3339Nano))
	} else {
		_ = s.area.removeItem(s.signingOutKey())
	}
}

// signingOutMarked reports whether raw, the value of the SigningOutKey
// entry (ok: present), marks a sign-out begun lately, as of now.
func signingOutMarked(raw string, ok bool, now time.Time) bool {
	if !ok {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return false
	}
	age := now.Sub(t)
	return age > -signingOutFresh && age < signingOutFresh
}

// signingOutKey is the key of the sign-out mark next to the tokens.
func (s *LocalTokenStore) signingOutKey() string {
	if s.key == TokensKey {
		return SigningOutKey
	}
	return s.key + ".signing_out"
}

// fallBack switches to memory for the rest of the page's life (s.mem holds
// the last pair saved by this page) and removes what localStorage holds, so
// no stale pair outlives a failed write. Called with s.mu held.
func (s *LocalTokenStore) fallBack() {
	if s.memOnly {
		return
	}
	s.memOnly = true
	_ = s.area.removeItem(s.key) // do not leave stale tokens behind
}
