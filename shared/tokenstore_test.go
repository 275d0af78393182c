package shared

import (
	"strconv"
	"sync"
	"testing"
)

func TestMemoryTokenStoreZeroAndClear(t *testing.T) {
	var s MemoryTokenStore // the zero value is ready to use
	if got := s.Load(); got != (TokenPair{}) {
		t.Fatalf("zero store Load() = %+v, want zero pair", got)
	}
	p := TokenPair{AccessToken: "a", RefreshToken: "r"}
	s.Save(p)
	if got := s.Load(); got != p {
		t.Fatalf("Load() after Save = %+v, want %+v", got, p)
	}
	s.Clear()
	if got := s.Load(); got != (TokenPair{}) {
		t.Fatalf("Load() after Clear = %+v, want zero pair", got)
	}
}

// TestMemoryTokenStoreConcurrent runs Save, Load and Clear from many
// goroutines (meant for -race) and checks that Load never sees a torn pair:
// both tokens always come from the same Save.
func TestMemoryTokenStoreConcurrent(t *testing.T) {
	s := NewMemoryTokenStore()
	var _ TokenStore = s
	const writers, readers, rounds = 8, 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				n := strconv.Itoa(w*rounds + i)
				s.Save(TokenPair{AccessToken: "a" + n, RefreshToken: "r" + n})
				if i%100 == 0 {
					s.Clear()
				}
			}
		})
	}
	errs := make(chan string, readers)
	for range readers {
		wg.Go(func() {
			for range rounds {
				p := s.Load()
				if p == (TokenPair{}) {
					continue
				}
				if len(p.AccessToken) < 2 || "r"+p.AccessToken[1:] != p.RefreshToken {
					errs <- p.AccessToken + "/" + p.RefreshToken
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("torn pair %s", e)
	}
	s.Save(TokenPair{AccessToken: "last", RefreshToken: "r"})
	if got := s.Load().AccessToken; got != "last" {
		t.Fatalf("Load().AccessToken = %q, want %q", got, "last")
	}
}
