package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"tessera/backend"
	"tessera/shared"
)

// Limits are the API's throttles. Counters live in the database, so they
// survive a restart and hold across every server on it; only sign-in,
// registration and password changes touch them. The zero Limits throttles
// nothing.
type Limits struct {
	// LoginFreeFailures failed sign-ins per account and client IP go
	// unanswered by backoff; each one after that backs the pair off for
	// a time that starts at one second and doubles up to LoginBackoffMax.
	// While backed off, even the right password is refused from that IP.
	// A successful sign-in forgets the failures.
	LoginFreeFailures int
	LoginBackoffMax   time.Duration
	// AccountBudget bounds the failed sign-ins per account from client IPs
	// that never signed in to it; once spent, only known IPs get through.
	AccountBudget backend.Rate
	// Per client IP: sign-in attempts, registrations, password changes.
	LoginRate    backend.Rate
	RegisterRate backend.Rate
	PasswordRate backend.Rate
}

// DefaultLimits are the limits of a server that does not say otherwise.
func DefaultLimits() Limits {
	return Limits{
		LoginFreeFailures: 5,
		LoginBackoffMax:   15 * time.Minute,
		AccountBudget:     backend.Rate{N: 100, Per: time.Hour},
		LoginRate:         backend.Rate{N: 60, Per: time.Minute},
		RegisterRate:      backend.Rate{N: 20, Per: 10 * time.Minute},
		PasswordRate:      backend.Rate{N: 10, Per: 10 * time.Minute},
	}
}

// backoffBase is the first backoff after the free failures.
const backoffBase = time.Second

// backoff reports whether failures back off sign-ins at all.
func (l Limits) backoff() bool { return l.LoginBackoffMax > 0 }

// throttled is the answer to a request over a limit: 429, with when to
// come back.
func throttled(wait time.Duration) error {
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	return &backend.Error{
		Code:       shared.CodeRateLimited,
		Msg:        fmt.Sprintf("Too many attempts, try again in %d seconds", secs),
		RetryAfter: time.Duration(secs) * time.Second,
	}
}

// clientAddr is the address of the client that sent r: the connection's
// peer, or, when the peer is one of TrustedProxies, the rightmost address
// of X-Forwarded-For that is not a trusted proxy (proxies append the peer
// they saw, so only that part of the header can be believed). It is not
// valid when the peer's address cannot be parsed.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr = addr.Unmap()
	if s.trusted(addr) {
		values := r.Header.Values("X-Forwarded-For")
	walk:
		for i := len(values) - 1; i >= 0; i-- {
			parts := strings.Split(values[i], ",")
			for j := len(parts) - 1; j >= 0; j-- {
				a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
				if err != nil {
					break walk // a malformed hop: believe nothing before it
				}
				addr = a.Unmap()
				if !s.trusted(addr) {
					break walk
				}
			}
		}
	}
	return addr
}

// clientIP is the client of r as the limits and the known devices count
// it: its address (clientAddr), an IPv6 client as its /64, since one host
// usually has a whole /64.
func (s *Server) clientIP(r *http.Request) netip.Prefix {
	addr := s.clientAddr(r)
	if !addr.IsValid() {
		return netip.Prefix{}
	}
	bits := addr.BitLen()
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ipKey is the key of the per-IP budget of what ("login", "register",
// "password") for ip.
func ipKey(what string, ip netip.Prefix) string { return "ip:" + what + ":" + ip.String() }

// nameHash keeps keys of a bounded size whatever the name, and keeps the
// names themselves out of the throttle table.
func nameHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:12])
}

// failKey is the key of the failed sign-ins of the account name from ip.
func failKey(name string, ip netip.Prefix) string {
	return "fail:" + nameHash(name) + ":" + ip.String()
}

// accountKey is the key of the budget of failures of the account name
// from unknown IPs.
func accountKey(name string) string { return "acct:" + nameHash(name) }

// spend takes one from the per-IP budget rate of what, or answers how
// long to wait.
func (s *Server) spend(ctx context.Context, what string, ip netip.Prefix, rate backend.Rate) error {
	if !rate.Limited() {
		return nil
	}
	wait, err := s.Store.TakeToken(ctx, ipKey(what, ip), rate, 1)
	if err != nil {
		return err
	}
	if wait > 0 {
		return throttled(wait)
	}
	return nil
}

// guardAttempt lets a password check of the account name from ip go on,
// or answers 429: when the pair is backed off after failures, or when ip
// never signed in to the account and the account's budget of such failures
// is spent. It reports whether ip is known to the account (user, nil for a
// name that does not exist, which is then throttled like any other).
func (s *Server) guardAttempt(ctx context.Context, name string, ip netip.Prefix, user *backend.User) (known bool, err error) {
	l := s.Limits
	if !l.backoff() && !l.AccountBudget.Limited() {
		return false, nil
	}
	// Asked for unknown names too, so they take the same time.
	var uid int64
	if user != nil {
		uid = user.ID
	}
	if known, err = s.Store.KnownIP(ctx, uid, ip.String()); err != nil {
		return false, err
	}
	if l.backoff() {
		wait, err := s.Store.Backoff(ctx, failKey(name, ip))
		if err != nil {
			return known, err
		}
		if wait > 0 {
			return known, throttled(wait)
		}
	}
	if !known && l.AccountBudget.Limited() {
		wait, err := s.Store.TakeToken(ctx, accountKey(name), l.AccountBudget, 0)
		if err != nil {
			return known, err
		}
		if wait > 0 {
			return known, throttled(wait)
		}
	}
	return known, nil
}

// attemptFailed counts a wrong password for the account name from ip
// (known: ip signed in to it before), and records the events of an
// account that exists (user; nil for a name that does not): the failure,
// and a throttle that it starts.
func (s *Server) attemptFailed(r *http.Request, name string, ip netip.Prefix, user *backend.User, known bool) error {
	ctx, l := r.Context(), s.Limits
	if user != nil {
		s.record(r, user.ID, backend.EventSignInFailed, "", nil)
	}
	if l.backoff() {
		wait, err := s.Store.AddFailure(ctx, failKey(name, ip), l.LoginFreeFailures, backoffBase, l.LoginBackoffMax)
		if err != nil {
			return err
		}
		if wait > 0 && user != nil {
			s.record(r, user.ID, backend.EventThrottled, "", map[string]any{"reason": "backoff", "retry_after": int(wait.Seconds())})
		}
	}
	if !known && l.AccountBudget.Limited() {
		if _, err := s.Store.TakeToken(ctx, accountKey(name), l.AccountBudget, 1); err != nil {
			return err
		}
		if user != nil {
			// Spent by this failure: from now on only known IPs get in.
			if wait, err := s.Store.TakeToken(ctx, accountKey(name), l.AccountBudget, 0); err == nil && wait > 0 {
				s.record(r, user.ID, backend.EventThrottled, "", map[string]any{"reason": "account_budget", "retry_after": int(wait.Seconds())})
			}
		}
	}
	return nil
}

// attemptSucceeded forgets the failures of the account from ip and
// remembers ip as known to it.
func (s *Server) attemptSucceeded(ctx context.Context, name string, ip netip.Prefix, user *backend.User) error {
	l := s.Limits
	if !l.backoff() && !l.AccountBudget.Limited() {
		return nil
	}
	if err := s.Store.ClearFailures(ctx, failKey(name, ip)); err != nil {
		return err
	}
	return s.Store.RememberIP(ctx, user.ID, ip.String())
}
