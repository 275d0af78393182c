package auth

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHasherCosts(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(5)
	if err != nil {
		t.Fatal(err)
	}
	dummyCost := func() int {
		c, err := bcrypt.Cost(*h.dummy.Load())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("OKDummyOfTheConfiguredCost", func(t *testing.T) {
		if got, want := dummyCost(), 5; got != want {
			t.Fatalf("dummy cost = %d, want %d", got, want)
		}
	})
	t.Run("OKDummyFollowsStoredHashes", func(t *testing.T) {
		if err := h.SetDummyCost(4); err != nil {
			t.Fatal(err)
		}
		if got, want := dummyCost(), 4; got != want {
			t.Fatalf("dummy cost = %d, want %d", got, want)
		}
		if h.Check("", "anything") {
			t.Fatal("Check with no hash = true")
		}
		if err := h.SetDummyCost(99); err == nil {
			t.Fatal("SetDummyCost(99) = nil, want an error")
		}
		if got, want := dummyCost(), 4; got != want {
			t.Fatalf("dummy cost after a refused change = %d, want %d", got, want)
		}
	})
	t.Run("OKNeedsRehash", func(t *testing.T) {
		same, _ := h.Hash("mango")
		cheaper, _ := bcrypt.GenerateFromPassword([]byte("mango"), 4)
		for hash, want := range map[string]bool{
			same:                false,
			string(cheaper):     true,
			"not a bcrypt hash": true,
		} {
			if got := h.NeedsRehash(hash); got != want {
				t.Errorf("NeedsRehash(%.10q) = %v, want %v", hash, got, want)
			}
		}
	})
}
