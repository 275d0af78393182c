package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"tessera/backend"
)

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	ID            string    `bun:"id,pk"`
	UserID        int64     `bun:"user_id,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	RenewedAt     time.Time `bun:"renewed_at,notnull"`
	ExpiresAt     time.Time `bun:"expires_at,notnull"`
	UserAgent     string    `bun:"user_agent,notnull"`
	RevokedAt     time.Time `bun:"revoked_at,nullzero"`
	Reason        string    `bun:"reason,notnull"`
	RefreshJTI    string    `bun:"refresh_jti,notnull"`
	PrevJTI       string    `bun:"prev_jti,notnull"`
	PrevRetiredAt time.Time `bun:"prev_retired_at,nullzero"`
	PrevGraced    time.Time `bun:"prev_graced_at,nullzero"`
}

func (r *sessionRow) session() *backend.Session {
	return &backend.Session{
		ID: r.ID, UserID: r.UserID, CreatedAt: r.CreatedAt, RenewedAt: r.RenewedAt, ExpiresAt: r.ExpiresAt,
		UserAgent: r.UserAgent, RevokedAt: r.RevokedAt, Reason: r.Reason,
		RefreshJTI: r.RefreshJTI, PrevJTI: r.PrevJTI, PrevRetiredAt: r.PrevRetiredAt, PrevGraced: r.PrevGraced,
	}
}

func rowOf(s *backend.Session) *sessionRow {
	return &sessionRow{
		ID: s.ID, UserID: s.UserID, CreatedAt: s.CreatedAt.UTC(), RenewedAt: s.RenewedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
		UserAgent: s.UserAgent, RevokedAt: utcOrZero(s.RevokedAt), Reason: s.Reason,
		RefreshJTI: s.RefreshJTI, PrevJTI: s.PrevJTI, PrevRetiredAt: utcOrZero(s.PrevRetiredAt), PrevGraced: utcOrZero(s.PrevGraced),
	}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// CreateSession implements backend.SessionStore.
func (s *DB) CreateSession(ctx context.Context, sess *backend.Session, passwordHash string, keep int) error {
	err := s.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if passwordHash != "" || keep > 0 {
			// The user's row is locked: sign-ins of one user are applied one
			// after the other, so the password check and the count hold.
			var current string
			q := tx.NewSelect().Model((*userRow)(nil)).Column("password").Where("id = ?", sess.UserID)
			if s.bun.Dialect().Name() == dialect.PG {
				q = q.For("UPDATE")
			}
			err := q.Scan(ctx, &current)
			if errors.Is(err, sql.ErrNoRows) || err == nil && passwordHash != "" && current != passwordHash {
				return fmt.Errorf("password of user %d changed: %w", sess.UserID, backend.ErrConflict)
			}
			if err != nil {
				return err
			}
		}
		if keep > 0 {
			if err := s.endBeyond(ctx, tx, sess.UserID, keep-1); err != nil {
				return err
			}
		}
		_, err := tx.NewInsert().Model(rowOf(sess)).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// endBeyond ends the user's active sessions but the keep most recently
// renewed (ReasonLimit).
func (s *DB) endBeyond(ctx context.Context, tx bun.Tx, userID int64, keep int) error {
	now := s.Now().UTC()
	var ids []string
	err := tx.NewSelect().Model((*sessionRow)(nil)).Column("id").
		Where("user_id = ?", userID).
		Where("revoked_at IS NULL").
		Where("expires_at > ?", now).
		OrderExpr("renewed_at DESC, id").
		Offset(int64(keep)).Limit(1000).
		Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return err
	}
	_, err = tx.NewUpdate().Model((*sessionRow)(nil)).
		Set("revoked_at = ?", now).
		Set("reason = ?", backend.ReasonLimit).
		Where("id IN (?)", bun.In(ids)).
		Exec(ctx)
	return err
}

// SessionByID implements backend.SessionStore.
func (s *DB) SessionByID(ctx context.Context, id string) (*backend.Session, error) {
	row := new(sessionRow)
	err := s.bun.NewSelect().Model(row).Where("id = ?", id).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session %q: %w", id, backend.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	return row.session(), nil
}

// ListSessions implements backend.SessionStore.
func (s *DB) ListSessions(ctx context.Context, userID int64) ([]backend.Session, error) {
	now := s.Now()
	var rows []sessionRow
	err := s.bun.NewSelect().Model(&rows).
		Where("user_id = ?", userID).
		Where("revoked_at IS NULL").
		Where("expires_at > ?", now.UTC()).
		OrderExpr("created_at DESC, id").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]backend.Session, len(rows))
	for i := range rows {
		out[i] = *rows[i].session()
	}
	return out, nil
}

// RevokeSessions implements backend.SessionStore.
func (s *DB) RevokeSessions(ctx context.Context, userID int64, set backend.SessionSet, reason string) (int64, error) {
	now := s.Now()
	q := s.bun.NewUpdate().Model((*sessionRow)(nil)).
		Set("revoked_at = ?", now.UTC()).
		Set("reason = ?", reason).
		Where("user_id = ?", userID).
		Where("revoked_at IS NULL").
		Where("expires_at > ?", now.UTC()) // active only, as in ListSessions
	if set.Only != "" {
		q = q.Where("id = ?", set.Only)
	}
	if set.Except != "" {
		q = q.Where("id <> ?", set.Except)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// RotateRefresh implements backend.SessionStore. The session row is locked
// for the transaction (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every
// transaction takes the write lock at BEGIN), so concurrent refreshes of one
// session are applied one after the other and none is lost.
func (s *DB) RotateRefresh(ctx context.Context, id, jti, newJTI string, grace time.Duration) (backend.RotateOutcome, *backend.Session, error) {
	now := s.Now().UTC()
	var outcome backend.RotateOutcome
	row := new(sessionRow)
	err := s.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(row).Where("id = ?", id)
		if s.bun.Dialect().Name() == dialect.PG {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("session %q: %w", id, backend.ErrNotFound)
			}
			return err
		}
		upd := tx.NewUpdate().Model(row).WherePK()
		switch sess := row.session(); {
		case !sess.Active(now):
			outcome = backend.Ended
			return nil
		case jti == row.RefreshJTI:
			outcome = backend.Rotated
			row.PrevJTI, row.PrevRetiredAt, row.RefreshJTI, row.RenewedAt = row.RefreshJTI, now, newJTI, now
			row.PrevGraced = time.Time{}
			upd = upd.Column("prev_jti", "prev_retired_at", "prev_graced_at", "refresh_jti", "renewed_at")
		case jti == row.PrevJTI && row.PrevGraced.IsZero() && !now.After(row.PrevRetiredAt.Add(grace)):
			// Once: a second use would let a thief who copied the pair
			// follow the session for as long as its owner refreshes.
			outcome = backend.Grace
			row.RenewedAt, row.PrevGraced = now, now
			upd = upd.Column("renewed_at", "prev_graced_at")
		default:
			outcome = backend.Reused
			row.RevokedAt, row.Reason = now, backend.ReasonReuse
			upd = upd.Column("revoked_at", "reason")
		}
		_, err := upd.Exec(ctx)
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("rotate refresh token: %w", err)
	}
	return outcome, row.session(), nil
}

// PurgeSessions implements backend.SessionStore, in batches.
func (s *DB) PurgeSessions(ctx context.Context, maxIdle time.Duration) (int64, error) {
	now := s.Now().UTC()
	return s.deleteInBatches(ctx, "sessions", "id", "expires_at < ? OR revoked_at < ? OR renewed_at < ?", now, now, now.Add(-maxIdle))
}
