package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"tessera/backend"
)

var _ backend.EventStore = (*DB)(nil)

type eventRow struct {
	bun.BaseModel `bun:"table:events"`

	ID        int64     `bun:"id,pk,autoincrement"`
	UserID    int64     `bun:"user_id,notnull"`
	Kind      string    `bun:"kind,notnull"`
	At        time.Time `bun:"at,notnull"`
	IP        string    `bun:"ip,notnull"`
	UserAgent string    `bun:"user_agent,notnull"`
	SessionID string    `bun:"session_id,notnull"`
	Detail    string    `bun:"detail,notnull"`
}

func (r *eventRow) event() backend.Event {
	e := backend.Event{ID: r.ID, UserID: r.UserID, Kind: r.Kind, At: r.At, IP: r.IP, UserAgent: r.UserAgent, SessionID: r.SessionID}
	if r.Detail != "" && r.Detail != "{}" {
		_ = json.Unmarshal([]byte(r.Detail), &e.Detail) // written by AddEvent: always an object
	}
	return e
}

// AddEvent implements backend.EventStore.
func (s *DB) AddEvent(ctx context.Context, e *backend.Event) error {
	if e.At.IsZero() {
		e.At = s.Now()
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("add event: %w", err)
		}
	}
	row := &eventRow{UserID: e.UserID, Kind: e.Kind, At: e.At.UTC(), IP: e.IP, UserAgent: e.UserAgent, SessionID: e.SessionID, Detail: string(detail)}
	if _, err := s.bun.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	e.ID = row.ID
	return nil
}

// Events implements backend.EventStore. The id orders events (a keyset:
// pages stay stable while new events come in).
func (s *DB) Events(ctx context.Context, userID, before int64, limit int) ([]backend.Event, error) {
	var rows []eventRow
	q := s.bun.NewSelect().Model(&rows).Where("user_id = ?", userID).OrderExpr("id DESC").Limit(int64(limit))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return events(rows), nil
}

// FindEvents implements backend.EventStore.
func (s *DB) FindEvents(ctx context.Context, f backend.EventFilter, limit int) ([]backend.Event, error) {
	var rows []eventRow
	q := s.bun.NewSelect().Model(&rows).OrderExpr("id").Limit(int64(limit))
	if f.UserID != 0 {
		q = q.Where("user_id = ?", f.UserID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if f.AfterID > 0 {
		q = q.Where("id > ?", f.AfterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	return events(rows), nil
}

func events(rows []eventRow) []backend.Event {
	out := make([]backend.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out
}

// SeeEvents implements backend.EventStore.
func (s *DB) SeeEvents(ctx context.Context, userID int64) error {
	if _, err := s.bun.NewUpdate().Model((*userRow)(nil)).Set("events_seen_at = ?", s.Now().UTC()).Where("id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("see events: %w", err)
	}
	return nil
}

// Unseen implements backend.EventStore.
func (s *DB) Unseen(ctx context.Context, userID int64, kinds []string) (int, error) {
	var seen bun.NullTime
	err := s.bun.NewSelect().Model((*userRow)(nil)).Column("events_seen_at").Where("id = ?", userID).Scan(ctx, &seen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("unseen events: %w", err)
	}
	q := s.bun.NewSelect().Model((*eventRow)(nil)).Where("user_id = ?", userID).Where("kind IN (?)", bun.List(kinds))
	if !seen.IsZero() {
		q = q.Where("at > ?", seen.Time.UTC())
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("unseen events: %w", err)
	}
	return int(n), nil
}

type deviceRow struct {
	bun.BaseModel `bun:"table:known_devices"`

	UserID   int64     `bun:"user_id,pk"`
	IP       string    `bun:"ip,pk"`
	Device   string    `bun:"device,pk"`
	LastSeen time.Time `bun:"last_seen,notnull"`
}

// RememberDevice implements backend.EventStore.
func (s *DB) RememberDevice(ctx context.Context, userID int64, ip, device string) (bool, error) {
	row := &deviceRow{UserID: userID, IP: ip, Device: device, LastSeen: s.Now().UTC()}
	res, err := s.bun.NewInsert().Model(row).On("CONFLICT (user_id, ip, device) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("remember device: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remember device: %w", err)
	}
	if n == 0 {
		_, err = s.bun.NewUpdate().Model(row).Column("last_seen").WherePK().Exec(ctx)
		if err != nil {
			return false, fmt.Errorf("remember device: %w", err)
		}
	}
	return n == 1, nil
}

// RecordSignIn implements backend.EventStore.
func (s *DB) RecordSignIn(ctx context.Context, userID int64) error {
	_, err := s.bun.NewUpdate().Model((*userRow)(nil)).
		Set("prev_signed_in_at = signed_in_at").
		Set("signed_in_at = ?", s.Now().UTC()).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	return nil
}

// SignIns implements backend.EventStore.
func (s *DB) SignIns(ctx context.Context, userID int64) (backend.SignIns, error) {
	var latest, prev bun.NullTime
	err := s.bun.NewSelect().Model((*userRow)(nil)).Column("signed_in_at", "prev_signed_in_at").Where("id = ?", userID).Scan(ctx, &latest, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		return backend.SignIns{}, fmt.Errorf("user %d: %w", userID, backend.ErrNotFound)
	}
	if err != nil {
		return backend.SignIns{}, fmt.Errorf("sign-ins: %w", err)
	}
	return backend.SignIns{Latest: latest.Time, Previous: prev.Time}, nil
}

// PurgeEvents deletes the events older than maxAge and, of each user, all
// but the newest perUser, in batches, and returns how many went.
func (s *DB) PurgeEvents(ctx context.Context, maxAge time.Duration, perUser int) (int64, error) {
	n, err := s.deleteInBatches(ctx, "events", "id", "at < ?", s.Now().Add(-maxAge).UTC())
	if err != nil || perUser <= 0 {
		return n, err
	}
	// Users over the bound, and the id of each one's perUser-th newest
	// event: everything of theirs below it goes.
	var over []struct {
		UserID int64 `bun:"user_id"`
	}
	err = s.bun.NewSelect().Model((*eventRow)(nil)).Column("user_id").
		GroupExpr("user_id").Having("count(*) > ?", perUser).Scan(ctx, &over)
	if err != nil {
		return n, fmt.Errorf("purge events: %w", err)
	}
	for _, u := range over {
		var keep int64
		err := s.bun.NewSelect().Model((*eventRow)(nil)).Column("id").Where("user_id = ?", u.UserID).
			OrderExpr("id DESC").Offset(int64(perUser-1)).Limit(1).Scan(ctx, &keep)
		if err != nil {
			return n, fmt.Errorf("purge events: %w", err)
		}
		k, err := s.deleteInBatches(ctx, "events", "id", "user_id = ? AND id < ?", u.UserID, keep)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
