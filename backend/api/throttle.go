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

// guardsPasswords reports whether password checks are throttled at all
// (by the backoff or the account budget).
func (l Limits) guardsPasswords() bool { return l.backoff() || l.AccountBudget.Limited() }

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
	addr := peer(r)
	if addr.IsValid() && s.trusted(addr) {
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

// peer is the address of r's connection's peer; not valid when it cannot
// be parsed.
func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

// fromTrustedProxy reports whether r came from one of TrustedProxies.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	a := peer(r)
	return a.IsValid() && s.trusted(a)
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
		s.metrics().Throttled(what + "_rate") // LimitLoginRate, ...
		return throttled(wait)
	}
	return nil
}

// attempt is a password check of an account from a client IP that
// guardAttempt let go on, counted before the check (see AddFailure).
type attempt struct {
	name    string
	ip      netip.Prefix
	user    *backend.User // nil for a name that does not exist
	started time.Duration // the backoff that counting it started, if any
	budget  bool          // it took one of the account's budget (see below)
}

// guardAttempt lets a password check of the account name from ip go on,
// or answers 429: when the pair is backed off after failures, or when ip
// never signed in to the account and the account's budget of such failures
// is spent. It counts the check as a failure and takes it from the budget
// before it is made, so that checks sent at once cannot all slip in before
// the first is counted; attemptSucceeded takes that back. user is nil for
// a name that does not exist, which is throttled like any other.
func (s *Server) guardAttempt(r *http.Request, name string, ip netip.Prefix, user *backend.User) (*attempt, error) {
	ctx, l := r.Context(), s.Limits
	a := &attempt{name: name, ip: ip, user: user}
	if !l.guardsPasswords() {
		return a, nil
	}
	// Asked for unknown names too, so they take the same time.
	var uid int64
	if user != nil {
		uid = user.ID
	}
	known, err := s.Store.KnownIP(ctx, uid, ip.String())
	if err != nil {
		return nil, err
	}
	// The budget first: a request it refuses checks no password, so it
	// must not count as a failure of the pair either.
	if !known && l.AccountBudget.Limited() {
		wait, err := s.Store.TakeToken(ctx, accountKey(name), l.AccountBudget, 1)
		if err != nil {
			return nil, err
		}
		if wait > 0 {
			s.metrics().Throttled(LimitAccountBudget)
			return nil, throttled(wait)
		}
		a.budget = true
	}
	if l.backoff() {
		wait, started, err := s.Store.AddFailure(ctx, failKey(name, ip), l.LoginFreeFailures, backoffBase, l.LoginBackoffMax)
		backedOff := err == nil && wait > 0
		if backedOff {
			err = throttled(wait)
		}
		if err != nil {
			if a.budget { // no password is checked: the budget is given back
				if _, rerr := s.Store.TakeToken(ctx, accountKey(name), l.AccountBudget, -1); rerr != nil {
					return nil, rerr
				}
			}
			if backedOff {
				s.metrics().Throttled(LimitLoginBackoff)
			}
			return nil, err
		}
		a.started = started
	}
	return a, nil
}

// attemptFailed records the events of a wrong password for an account
// that exists: the failure, and a throttle that it starts (a backoff, or
// the last of the account's budget for unknown IPs).
func (s *Server) attemptFailed(r *http.Request, a *attempt) {
	if a.user == nil {
		return
	}
	s.record(r, a.user.ID, backend.EventSignInFailed, "", nil)
	if a.started > 0 {
		s.record(r, a.user.ID, backend.EventThrottled, "", map[string]any{"reason": "backoff", "retry_after": int(a.started.Seconds())})
	}
	if a.budget {
		// Spent by this failure: from now on only known IPs get in.
		if wait, err := s.Store.TakeToken(r.Context(), accountKey(a.name), s.Limits.AccountBudget, 0); err == nil && wait > 0 {
			s.record(r, a.user.ID, backend.EventThrottled, "", map[string]any{"reason": "account_budget", "retry_after": int(wait.Seconds())})
		}
	}
}

// attemptSucceeded takes back what guardAttempt counted (the failures of
// the account from the IP are forgotten, the budget given back) and
// remembers the IP as known to the account.
func (s *Server) attemptSucceeded(ctx context.Context, a *attempt) error {
	l := s.Limits
	if !l.guardsPasswords() {
		return nil
	}
	if err := s.Store.ClearFailures(ctx, failKey(a.name, a.ip)); err != nil {
		return err
	}
	if a.budget {
		if _, err := s.Store.TakeToken(ctx, accountKey(a.name), l.AccountBudget, -1); err != nil {
			return err
		}
	}
	return s.Store.RememberIP(ctx, a.user.ID, a.ip.String())
}
