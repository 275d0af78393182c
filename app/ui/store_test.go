package ui

import (
	"errors"
	"testing"
	"time"

	"tessera/shared"
)

// memArea is a storageArea in memory; fail makes every call fail.
type memArea struct {
	items map[string]string
	fail  bool
}

func newMemArea() *memArea { return &memArea{items: map[string]string{}} }

var errRefused = errors.New("refused")

func (m *memArea) getItem(k string) (string, bool, error) {
	if m.fail {
		return "", false, errRefused
	}
	v, ok := m.items[k]
	return v, ok, nil
}

func (m *memArea) setItem(k, v string) error {
	if m.fail {
		return errRefused
	}
	m.items[k] = v
	return nil
}

func (m *memArea) removeItem(k string) error {
	if m.fail {
		return errRefused
	}
	delete(m.items, k)
	return nil
}

func TestLocalTokenStoreRoundTrip(t *testing.T) {
	area := newMemArea()
	s := newTokenStore(TokensKey, area)

	if got := s.Load(); got != (shared.TokenPair{}) {
		t.Fatalf("empty store Load = %+v", got)
	}
	p := shared.TokenPair{AccessToken: "a.b.c", RefreshToken: "d.e.f"}
	s.Save(p)
	if got := area.items[TokensKey]; got != `{"access_token":"a.b.c","refresh_token":"d.e.f"}` {
		t.Errorf("stored %q", got)
	}
	// Another store on the same storage (another tab) sees the pair.
	if got := newTokenStore(TokensKey, area).Load(); got != p {
		t.Errorf("second store Load = %+v, want %+v", got, p)
	}

	s.Clear()
	if len(area.items) != 0 {
		t.Errorf("Clear left %v", area.items)
	}
	if got := s.Load(); got != (shared.TokenPair{}) {
		t.Errorf("Load after Clear = %+v", got)
	}
}

func TestLocalTokenStoreUnreadableValue(t *testing.T) {
	area := newMemArea()
	area.items[TokensKey] = "{not json"
	s := newTokenStore(TokensKey, area)
	if got := s.Load(); got != (shared.TokenPair{}) {
		t.Errorf("Load = %+v, want zero pair", got)
	}
}

func TestLocalTokenStoreFallsBackToMemory(t *testing.T) {
	area := newMemArea()
	area.fail = true
	s := newTokenStore(TokensKey, area)
	p := shared.TokenPair{AccessToken: "a", RefreshToken: "r"}
	s.Save(p)
	if got := s.Load(); got != p {
		t.Errorf("Load = %+v, want %+v (memory fallback)", got, p)
	}
	s.Clear()
	if got := s.Load(); got != (shared.TokenPair{}) {
		t.Errorf("Load after Clear = %+v", got)
	}
}

func TestLocalTokenStoreOutsideBrowser(t *testing.T) {
	// On the host there is no localStorage: the store works from memory.
	s := NewLocalTokenStore("test.tokens")
	p := shared.TokenPair{AccessToken: "a", RefreshToken: "r"}
	s.Save(p)
	if got := s.Load(); got != p {
		t.Errorf("Load = %+v, want %+v", got, p)
	}
}

func TestSigningOutMark(t *testing.T) {
	area := newMemArea()
	s := newTokenStore(TokensKey, area)
	s.Save(shared.TokenPair{AccessToken: "a", RefreshToken: "r"})
	s.SetSigningOut(true)
	raw, ok := area.items[SigningOutKey]
	if !ok {
		t.Fatalf("no %s entry after SetSigningOut(true): %v", SigningOutKey, area.items)
	}
	// Another tab reads it while the tokens go.
	now := time.Now()
	if !signingOutMarked(raw, ok, now) {
		t.Errorf("signingOutMarked(%q) = false just after the mark", raw)
	}
	s.Clear() // the mark outlives Clear: it is removed after the sign-out
	if _, ok := area.items[SigningOutKey]; !ok {
		t.Error("Clear removed the sign-out mark")
	}
	s.SetSigningOut(false)
	if len(area.items) != 0 {
		t.Errorf("left after the sign-out: %v", area.items)
	}

	for _, tt := range []struct {
		raw  string
		ok   bool
		want bool
	}{
		{"", false, false},
		{"garbage", true, false},
		{now.Add(-time.Second).UTC().Format(time.RFC3339Nano), true, true},
		{now.Add(-time.Minute).UTC().Format(time.RFC3339Nano), true, false}, // left by a closed tab
		{now.Add(time.Hour).UTC().Format(time.RFC3339Nano), true, false},
	} {
		if got := signingOutMarked(tt.raw, tt.ok, now); got != tt.want {
			t.Errorf("signingOutMarked(%q, %v) = %v, want %v", tt.raw, tt.ok, got, tt.want)
		}
	}
}
