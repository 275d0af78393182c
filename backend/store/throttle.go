package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"tessera/backend"
)

var _ backend.ThrottleStore = (*DB)(nil)

// throttleRow is one counter: a token bucket (Tokens, as of UpdatedAt) or
// a run of failures (Failures, the last at UpdatedAt, backed off until
// BlockedUntil).
type throttleRow struct {
	bun.BaseModel `bun:"table:throttle"`

	Key          string    `bun:"key,pk"`
	Tokens       float64   `bun:"tokens,notnull"`
	Failures     int       `bun:"failures,notnull"`
	BlockedUntil time.Time `bun:"blocked_until,nullzero"`
	UpdatedAt    time.Time `bun:"updated_at,notnull"`
}

// failureMemory is how long failures are remembered after the last one.
const failureMemory = 24 * time.Hour

// lockThrottle runs fn in a transaction holding key's row (created as new
// first when missing): a row lock on PostgreSQL, the write lock on SQLite.
func (s *DB) lockThrottle(ctx context.Context, key string, fresh throttleRow, fn func(tx bun.Tx, row *throttleRow) error) error {
	return s.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		fresh.Key = key
		if _, err := tx.NewInsert().Model(&fresh).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		row := new(throttleRow)
		q := tx.NewSelect().Model(row).Where("key = ?", key)
		if s.bun.Dialect().Name() == dialect.PG {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		return fn(tx, row)
	})
}

// TakeToken implements backend.ThrottleStore.
func (s *DB) TakeToken(ctx context.Context, key string, r backend.Rate, cost float64) (time.Duration, error) {
	if !r.Limited() {
		return 0, nil
	}
	now := s.Now().UTC()
	var wait time.Duration
	err := s.lockThrottle(ctx, key, throttleRow{Tokens: float64(r.N), UpdatedAt: now}, func(tx bun.Tx, row *throttleRow) error {
		perToken := r.Per.Seconds() / float64(r.N)
		elapsed := max(0, now.Sub(row.UpdatedAt).Seconds())
		tokens := min(float64(r.N), row.Tokens+elapsed/perToken)
		if cost < 0 { // given back
			row.Tokens, row.UpdatedAt = min(float64(r.N), tokens-cost), now
			_, err := tx.NewUpdate().Model(row).Column("tokens", "updated_at").WherePK().Exec(ctx)
			return err
		}
		if need := max(cost, 1); tokens < need {
			wait = time.Duration((need - tokens) * perToken * float64(time.Second))
			return nil
		}
		if cost == 0 {
			return nil
		}
		row.Tokens, row.UpdatedAt = tokens-cost, now
		_, err := tx.NewUpdate().Model(row).Column("tokens", "updated_at").WherePK().Exec(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("take token %s: %w", key, err)
	}
	return wait, nil
}

// AddFailure implements backend.ThrottleStore.
func (s *DB) AddFailure(ctx context.Context, key string, free int, base, maxWait time.Duration) (wait, started time.Duration, err error) {
	now := s.Now().UTC()
	err = s.lockThrottle(ctx, key, throttleRow{UpdatedAt: now}, func(tx bun.Tx, row *throttleRow) error {
		if row.BlockedUntil.After(now) {
			wait = row.BlockedUntil.Sub(now)
			return nil
		}
		if now.Sub(row.UpdatedAt) > failureMemory {
			row.Failures = 0
		}
		row.Failures++
		row.UpdatedAt = now
		if over := row.Failures - free; over > 0 && base > 0 {
			started = base
			for i := 1; i < over && started < maxWait; i++ {
				started *= 2
			}
			started = min(started, maxWait)
			row.BlockedUntil = now.Add(started)
		}
		_, err := tx.NewUpdate().Model(row).Column("failures", "blocked_until", "updated_at").WherePK().Exec(ctx)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count failure %s: %w", key, err)
	}
	return wait, started, nil
}

// ClearFailures implements backend.ThrottleStore.
func (s *DB) ClearFailures(ctx context.Context, key string) error {
	if _, err := s.bun.NewDelete().Model((*throttleRow)(nil)).Where("key = ?", key).Exec(ctx); err != nil {
		return fmt.Errorf("clear failures %s: %w", key, err)
	}
	return nil
}

type knownIPRow struct {
	bun.BaseModel `bun:"table:known_ips"`

	UserID   int64     `bun:"user_id,pk"`
	IP       string    `bun:"ip,pk"`
	LastSeen time.Time `bun:"last_seen,notnull"`
}

// KnownIP implements backend.ThrottleStore.
func (s *DB) KnownIP(ctx context.Context, userID int64, ip string) (bool, error) {
	ok, err := s.bun.NewSelect().Model((*knownIPRow)(nil)).Where("user_id = ? AND ip = ?", userID, ip).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("known IP: %w", err)
	}
	return ok, nil
}

// RememberIP implements backend.ThrottleStore.
func (s *DB) RememberIP(ctx context.Context, userID int64, ip string) error {
	row := &knownIPRow{UserID: userID, IP: ip, LastSeen: s.Now().UTC()}
	_, err := s.bun.NewInsert().Model(row).On("CONFLICT (user_id, ip) DO UPDATE").Set("last_seen = EXCLUDED.last_seen").Exec(ctx)
	if err != nil {
		return fmt.Errorf("remember IP: %w", err)
	}
	return nil
}

// PurgeThrottle deletes the counters untouched for maxIdle (a full bucket
// or forgotten failures: the same as no row), in batches, and returns how
// many went.
func (s *DB) PurgeThrottle(ctx context.Context, maxIdle time.Duration) (int64, error) {
	return s.deleteInBatches(ctx, "throttle", "key", "updated_at < ?", s.Now().Add(-maxIdle).UTC())
}
