package shared

import "sync"

// TokenStore keeps the tokens of one signed-in user. Implementations must be
// safe for concurrent use.
//
// The Client reads the store before every protected call (so a store shared
// by several clients, or backed by browser storage, always hands out the
// newest tokens), saves the pair after a login or a refresh and clears it on
// logout or when the session cannot be renewed.
type TokenStore interface {
	// Load returns the stored pair, or the zero TokenPair when signed out.
	Load() TokenPair
	// Save replaces the stored pair.
	Save(TokenPair)
	// Clear forgets the stored pair; Load then returns the zero TokenPair.
	Clear()
}

// MemoryTokenStore is a TokenStore that keeps the pair in memory only. Its
// zero value is an empty store ready to use. It is safe for concurrent use.
type MemoryTokenStore struct {
	mu   sync.RWMutex
	pair TokenPair
}

var _ TokenStore = (*MemoryTokenStore)(nil)

// NewMemoryTokenStore returns an empty MemoryTokenStore.
func NewMemoryTokenStore() *MemoryTokenStore {
	return &MemoryTokenStore{}
}

// Load returns the stored pair, or the zero TokenPair when none is stored.
func (s *MemoryTokenStore) Load() TokenPair {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pair
}

// Save replaces the stored pair.
func (s *MemoryTokenStore) Save(p TokenPair) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pair = p
}

// Clear forgets the stored pair.
func (s *MemoryTokenStore) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pair = TokenPair{}
}
