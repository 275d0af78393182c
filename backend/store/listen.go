package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Every change that can make a token invalid is announced, in the
// transaction that makes it, so that nothing is announced that did not
// commit: on PostgreSQL with NOTIFY on the DB's channel (LISTEN in every
// server), on SQLite as a row of cache_changes that the one server polls
// (other processes, such as `tessera user delete`, write there too).

// changesChannel is the PostgreSQL channel of the announcements of the
// tables in schema: NOTIFY reaches a whole database, and two Tessera
// installations in two schemas of one database must not hear each other.
func changesChannel(schema string) string {
	sum := sha256.Sum256([]byte(schema))
	return "tessera_changes_" + hex.EncodeToString(sum[:6])
}

// ChangesChannel is the PostgreSQL channel this DB announces its changes
// on and listens to ("" on SQLite).
func (s *DB) ChangesChannel() string { return s.channel }

// How the listener checks its connection: it announces a heartbeat every
// heartbeatEvery and takes the connection for lost when it has heard
// nothing for heartbeatLost (a peer that vanished without closing).
const (
	heartbeatEvery = time.Second
	heartbeatLost  = 3 * time.Second
	pollEvery      = 20 * time.Millisecond // SQLite: how often cache_changes is read
)

// heartbeat is the payload of a heartbeat; it changes nothing.
const heartbeat = "h:"

// changeKey is an announcement's key: kind, ":", id.
func changeKey(kind byte, id string) string { return string(kind) + ":" + id }

func userKey(id int64) string         { return changeKey(keyUser, strconv.FormatInt(id, 10)) }
func userSessionsKey(id int64) string { return changeKey(keyUserSession, strconv.FormatInt(id, 10)) }

// announce records the changes keys in tx (see above).
func (s *DB) announce(ctx context.Context, tx bun.IDB, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if s.bun.Dialect().Name() == dialect.PG {
		// As few payloads as fit; PostgreSQL delivers them at commit, in
		// commit order.
		for _, payload := range payloads(s.origin, keys) {
			if _, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", s.channel, payload); err != nil {
				return fmt.Errorf("announce change: %w", err)
			}
		}
		return nil
	}
	now := s.Now().UTC()
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, "INSERT INTO cache_changes (change, at, origin) VALUES (?, ?, ?)", k, now, s.origin); err != nil {
			return fmt.Errorf("announce change: %w", err)
		}
	}
	return nil
}

// originKey marks the process that made the changes of a payload: it
// applied them already (changed), so its own listener skips them.
func originKey(origin string) string { return "o:" + origin }

// maxPayload is the most a NOTIFY payload holds (PostgreSQL's limit is
// 8000 bytes).
const maxPayload = 7900

// payloads joins keys with spaces into as few payloads of at most
// maxPayload bytes as it can, each starting with the origin's key.
func payloads(origin string, keys []string) []string {
	var out []string
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 && b.Len()+1+len(k) > maxPayload {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(originKey(origin))
		}
		b.WriteByte(' ')
		b.WriteString(k)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// changed applies keys to this process's cache: what a method of this DB
// changed is dropped before the method returns.
func (s *DB) changed(keys ...string) {
	if s.cache == nil {
		return
	}
	for _, k := range keys {
		s.cache.apply(k)
	}
}

// inTx runs fn in a transaction that announces keys, and applies them to
// the cache once it committed.
func (s *DB) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) ([]string, error)) error {
	var keys []string
	err := s.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if keys, err = fn(ctx, tx); err != nil {
			return err
		}
		return s.announce(ctx, tx, keys...)
	})
	if err != nil {
		return err
	}
	s.changed(keys...)
	return nil
}

// EnableCache keeps up to size entries of what authenticated requests read
// in memory (see cache.go) and follows the changes made by every process
// on the database until ctx ends. It returns once it follows them. Call it
// once, before the DB serves requests; a DB without it reads the database
// every time.
func (s *DB) EnableCache(ctx context.Context, size int, logger *slog.Logger) error {
	if s.cache != nil {
		return errors.New("enable cache: already enabled")
	}
	s.cache = newCache(size)
	ready := make(chan error, 1)
	if s.bun.Dialect().Name() == dialect.PG {
		go s.listen(ctx, logger, ready)
	} else {
		go s.poll(ctx, logger, ready)
	}
	select {
	case err := <-ready:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cached answers key from the cache; else from load, a read of the
// database, whose answer it caches (unless a change came meanwhile: see
// cache.put); else, when load finds the database unreachable, from the
// entry kept for that (stale). Callers copy what an entry points to before
// they hand it out: entries are shared.
func (s *DB) cached(ctx context.Context, key string, load func(context.Context) (*entry, error)) (*entry, error) {
	var gen uint64
	if s.cache != nil {
		e, g, ok := s.cache.get(key)
		s.cache.count(key, ok)
		if ok {
			return e, nil
		}
		gen = g
	}
	e, err := load(ctx)
	if err != nil {
		if kept, ok := s.stale(key, err); ok {
			return kept, nil
		}
		return nil, err
	}
	if s.cache != nil {
		s.cache.put(e, gen)
	}
	return e, nil
}

// stale returns the cache's entry of key when err says the database cannot
// be reached: nothing can change in it meanwhile, so the state this process
// last heard of is exact. Otherwise it returns false.
func (s *DB) stale(key string, err error) (*entry, bool) {
	if s.cache == nil || !IsUnavailable(err) {
		return nil, false
	}
	return s.cache.frozen(key)
}

// CacheOn reports whether the cache is in use (followed changes without a
// gap since it was last emptied), for tests.
func (s *DB) CacheOn() bool { return s.cache != nil && s.cache.on.Load() }

// CacheStats describes the cache, for metrics: whether it is in use, its
// entries, and the lookups it answered (hits) or passed to the database
// (misses, also while it is off) since the start, by kind of key.
type CacheStats struct {
	Enabled bool // CACHE_SIZE > 0
	On      bool
	Entries int
	Lookups []CacheLookups
}

// CacheLookups counts the lookups of one kind of key: "session", "user"
// (by name) or "revoked_token".
type CacheLookups struct {
	Kind         string
	Hits, Misses uint64
}

// CacheStats returns the cache's figures; all zero without a cache.
func (s *DB) CacheStats() CacheStats {
	if s.cache == nil {
		return CacheStats{}
	}
	st := CacheStats{Enabled: true, On: s.cache.on.Load(), Entries: s.cache.size()}
	for i, k := range cacheKinds {
		st.Lookups = append(st.Lookups, CacheLookups{Kind: k.name, Hits: s.cache.hits[i].Load(), Misses: s.cache.misses[i].Load()})
	}
	return st
}

// CacheSize is the number of entries in the cache.
func (s *DB) CacheSize() int {
	if s.cache == nil {
		return 0
	}
	return s.cache.size()
}

// listen follows the announcements on PostgreSQL. The cache is on only
// while the listening connection is known to be up: when it fails (or is
// silent for heartbeatLost) the cache is bypassed until LISTEN succeeded
// again, and then emptied. Meanwhile its entries answer only the requests
// the database cannot (see stale): when it cannot be reached, nothing can
// change in it, so what this process last heard is exact. ready gets the
// first LISTEN's outcome.
func (s *DB) listen(ctx context.Context, logger *slog.Logger, ready chan<- error) {
	ln := pgdriver.NewListener(s.bun)
	defer ln.Close()
	go s.beat(ctx, logger)
	wait := 50 * time.Millisecond
	for first := true; ctx.Err() == nil; first = false {
		err := ln.Listen(ctx, s.channel)
		if first {
			ready <- err
		}
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn("cache: cannot listen for changes, reading the database meanwhile", "err", err)
			}
			sleep(ctx, wait)
			wait = min(2*wait, 2*time.Second)
			continue
		}
		wait = 50 * time.Millisecond
		// Every change committed from now on reaches this connection.
		s.cache.setOn(true)
		if !first {
			logger.Info("cache: listening for changes again")
		}
		err = s.receive(ctx, ln)
		s.cache.freeze()
		if ctx.Err() == nil {
			logger.Warn("cache: lost the connection that listens for changes; reading the database until it is back", "err", err)
		}
	}
}

// receive applies announcements until the connection fails or is silent
// for too long.
func (s *DB) receive(ctx context.Context, ln *pgdriver.Listener) error {
	heard := time.Now()
	for {
		_, payload, err := ln.ReceiveTimeout(ctx, heartbeatEvery)
		var ne net.Error
		switch {
		case err == nil:
			heard = time.Now()
			from, _, _ := strings.Cut(payload, " ")
			if from == originKey(s.origin) {
				continue // this process applied them when it made them
			}
			for k := range strings.SplitSeq(payload, " ") {
				s.cache.apply(k)
			}

		case errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil:
			if time.Since(heard) > heartbeatLost {
				return errors.New("no heartbeat")
			}
		default:
			return err
		}
	}
}

// beat announces a heartbeat every heartbeatEvery, which the listener of
// every server hears: silence means a dead connection.
func (s *DB) beat(ctx context.Context, logger *slog.Logger) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := pgdriver.Notify(ctx, s.bun, s.channel, heartbeat); err != nil && ctx.Err() == nil {
				logger.Debug("cache: heartbeat", "err", err)
			}
		}
	}
}

// poll follows cache_changes on SQLite, from the rows that exist when it
// starts. While it cannot read them the cache is off.
func (s *DB) poll(ctx context.Context, logger *slog.Logger, ready chan<- error) {
	var last int64
	err := s.bun.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM cache_changes").Scan(&last)
	ready <- err
	if err != nil {
		return
	}
	s.cache.setOn(true)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, err := s.readChanges(ctx, last)
		switch {
		case err != nil && s.cache.on.Load():
			s.cache.freeze()
			logger.Warn("cache: cannot read changes, reading the database meanwhile", "err", err)
		case err == nil && !s.cache.on.Load():
			s.cache.setOn(true)
		}
		if err == nil {
			last = next
		}
	}
}

// readChanges applies the changes after seq last and returns the last seq
// applied.
func (s *DB) readChanges(ctx context.Context, last int64) (int64, error) {
	rows, err := s.bun.QueryContext(ctx, "SELECT seq, change, origin FROM cache_changes WHERE seq > ? ORDER BY seq", last)
	if err != nil {
		return last, err
	}
	defer rows.Close()
	for rows.Next() {
		var change, origin string
		if err := rows.Scan(&last, &change, &origin); err != nil {
			return last, err
		}
		if origin != s.origin { // this process applied its own already
			s.cache.apply(change)
		}
	}
	return last, rows.Err()
}

// PurgeChanges deletes the announcements on SQLite older than maxAge (the
// one server read them long ago) and returns how many went.
func (s *DB) PurgeChanges(ctx context.Context, maxAge time.Duration) (int64, error) {
	if s.bun.Dialect().Name() == dialect.PG {
		return 0, nil
	}
	return s.deleteInBatches(ctx, "cache_changes", "seq", "at < ?", s.Now().Add(-maxAge).UTC())
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

var errLocked = errors.New("locked by another process")

// ClaimServer makes this process the one server of a SQLite file: its
// cache follows only the changes it can see, so a second server on the
// same file is refused with a clear error. The claim lasts until Close. On
// PostgreSQL any number of servers share a database and it does nothing.
func (s *DB) ClaimServer() error {
	if s.bun.Dialect().Name() == dialect.PG || s.path == "" {
		return nil
	}
	f, err := lockFile(s.path + ".server-lock")
	if errors.Is(err, errLocked) {
		return fmt.Errorf("another Tessera server is running on %s: a SQLite file serves one server (run several on PostgreSQL, see DATABASE_URL)", s.path)
	}
	if err != nil {
		return fmt.Errorf("claim %s: %w", s.path, err)
	}
	s.serverLock = f
	return nil
}
