package auth_test

import (
	"strings"
	"testing"
	"time"

	"tessera/backend"
	"tessera/backend/auth"
	"tessera/internal/testclock"
)

func TestHasher(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewHasher(3); err == nil {
		t.Fatal("cost 3 accepted")
	}
	if _, err := auth.NewHasher(32); err == nil {
		t.Fatal("cost 32 accepted")
	}
	h, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("mango")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, hash, password string
		want                 bool
	}{
		{"OK", hash, "mango", true},
		{"ErrWrong", hash, "melon", false},
		{"ErrUnknownUser", "", "mango", false},
		{"ErrGarbageHash", "not-a-hash", "mango", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Check(tt.hash, tt.password); got != tt.want {
				t.Fatalf("Check = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := h.Hash(strings.Repeat("x", 73)); err == nil {
		t.Fatal("a 73-byte password was hashed (bcrypt would ignore its tail)")
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewTokens([]byte("short"), time.Minute, time.Hour); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
	clock := testclock.New()
	tokens, err := auth.NewTokens([]byte(strings.Repeat("s", 32)), 15*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tokens.Now = clock.Now
	t.Run("OKRoundTrip", func(t *testing.T) {
		tok, issued, err := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.RefreshToken, SessionID: "s1", JTI: "j1"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tokens.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if got != issued || got.SessionID != "s1" || got.JTI != "j1" || got.ExpiresAt != clock.Now().Add(24*time.Hour).Unix() {
			t.Fatalf("verified %+v, issued %+v", got, issued)
		}
	})
	t.Run("OKNotAfterCapsExpiry", func(t *testing.T) {
		end := clock.Now().Add(time.Hour)
		_, c, err := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.RefreshToken, NotAfter: end})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.ExpiresAt, end.Unix(); got != want {
			t.Fatalf("exp = %d, want %d", got, want)
		}
	})
	t.Run("ErrExpiredExactlyAtExp", func(t *testing.T) {
		tok, _, _ := tokens.Issue(backend.TokenSpec{Subject: "apple", Type: backend.AccessToken})
		clock.Advance(15 * time.Minute)
		if _, err := tokens.Verify(tok); backend.ErrorCode(err) != "token_expired" {
			t.Fatalf("err = %v, want token_expired", err)
		}
	})
}
