package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		// A lookup of the id may have been cached as missing.
		keys := []string{changeKey(keySession, sess.ID)}
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
				return nil, fmt.Errorf("password of user %d changed: %w", sess.UserID, backend.ErrConflict)
			}
			if err != nil {
				return nil, err
			}
		}
		if keep > 0 {
			ended, err := s.endBeyond(ctx, tx, sess.UserID, keep-1)
			if err != nil {
				return nil, err
			}
			if ended {
				keys = append(keys, userSessionsKey(sess.UserID))
			}
		}
		_, err := tx.NewInsert().Model(rowOf(sess)).Exec(ctx)
		return keys, err
	})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// endBeyond ends the user's active sessions but the keep most recently
// renewed (ReasonLimit), and reports whether it ended any.
func (s *DB) endBeyond(ctx context.Context, tx bun.Tx, userID int64, keep int) (bool, error) {
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
		return false, err
	}
	_, err = tx.NewUpdate().Model((*sessionRow)(nil)).
		Set("revoked_at = ?", now).
		Set("reason = ?", backend.ReasonLimit).
		Where("id IN (?)", bun.List(ids)).
		Exec(ctx)
	return err == nil, err
}

// CountLiveSessions counts the sessions that have not ended (not revoked,
// not expired), of every user.
func (s *DB) CountLiveSessions(ctx context.Context) (int64, error) {
	n, err := s.bun.NewSelect().Model((*sessionRow)(nil)).
		Where("revoked_at IS NULL").
		Where("expires_at > ?", s.Now().UTC()).
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count live sessions: %w", err)
	}
	return int64(n), nil
}

// SessionByID implements backend.SessionStore; with the cache it needs no
// round trip in the steady state.
func (s *DB) SessionByID(ctx context.Context, id string) (*backend.Session, error) {
	key := changeKey(keySession, id)
	e, err := s.cached(ctx, key, func(ctx context.Context) (*entry, error) {
		row := new(sessionRow)
		err := s.bun.NewSelect().Model(row).Where("id = ?", id).Limit(1).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return &entry{key: key}, nil
		case err != nil:
			return nil, err
		}
		return &entry{key: key, session: row.session()}, nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("find session: %w", err)
	case e.session == nil:
		return nil, fmt.Errorf("session %q: %w", id, backend.ErrNotFound)
	}
	sess := *e.session
	return &sess, nil
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
	var n int64
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		var err error
		if n, err = endSessions(ctx, tx, userID, set, reason, s.Now().UTC()); err != nil || n == 0 {
			return nil, err
		}
		return []string{userSessionsKey(userID)}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// endSessions ends, in tx, the user's sessions in set that are active at
// now, for reason, and returns how many ended.
func endSessions(ctx context.Context, tx bun.Tx, userID int64, set backend.SessionSet, reason string, now time.Time) (int64, error) {
	q := tx.NewUpdate().Model((*sessionRow)(nil)).
		Set("revoked_at = ?", now).
		Set("reason = ?", reason).
		Where("user_id = ?", userID).
		Where("revoked_at IS NULL").
		Where("expires_at > ?", now) // active only, as in ListSessions
	if set.Only != "" {
		q = q.Where("id = ?", set.Only)
	}
	if set.Except != "" {
		q = q.Where("id <> ?", set.Except)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// rotateSet is one column of rotateSQL: its value when the token is
// current (rotated), when it is the one retired last, within the grace
// window and not graced yet (graced), and else (reused: the session
// ends); when the session is over it stays as it is.
type rotateSet struct {
	col                     string
	rotated, graced, reused string
}

// rotateSets are the columns a presented refresh token changes.
var rotateSets = []rotateSet{
	{"prev_jti", "refresh_jti", "prev_jti", "prev_jti"},
	{"prev_retired_at", "?now", "prev_retired_at", "prev_retired_at"},
	{"prev_graced_at", "NULL", "?now", "prev_graced_at"},
	{"refresh_jti", "?new", "refresh_jti", "refresh_jti"},
	{"renewed_at", "?now", "?now", "renewed_at"},
	{"revoked_at", "revoked_at", "revoked_at", "?now"},
	{"reason", "reason", "reason", "?reason"},
	// What this statement did, read back by RotateRefresh.
	{"last_outcome", "'rotated'", "'graced'", "'reused'"},
}

// rotateSQL presents a refresh token to a session in one statement, so
// that rotations of one session are applied one after the other by the
// row's lock and none is lost. Its named arguments (?now, ?jti, ?from,
// ?new, ?reason, ?id) are given by rotateArgs.
var rotateSQL = func() string {
	sets := make([]string, len(rotateSets))
	for i, r := range rotateSets {
		over := r.col
		if r.col == "last_outcome" {
			over = "'ended'"
		}
		sets[i] = r.col + ` = CASE WHEN NOT (revoked_at IS NULL AND expires_at > ?now) THEN ` + over +
			` WHEN refresh_jti = ?jti THEN ` + r.rotated +
			` WHEN prev_jti = ?jti AND prev_graced_at IS NULL AND prev_retired_at >= ?from THEN ` + r.graced +
			` ELSE ` + r.reused + ` END`
	}
	return `UPDATE sessions SET ` + strings.Join(sets, ", ") + ` WHERE id = ?id RETURNING ` + sessionColumns
}()

// sessionColumns are the columns of sessionRow, in the order
// RotateRefresh scans them.
const sessionColumns = `id, user_id, created_at, renewed_at, expires_at, user_agent, revoked_at, reason, refresh_jti, prev_jti, prev_retired_at, prev_graced_at, last_outcome`

// rotateArgs are the named arguments of rotateSQL.
type rotateArgs struct {
	Now    time.Time `bun:"now"`
	JTI    string    `bun:"jti"`
	From   time.Time `bun:"from"`
	New    string    `bun:"new"`
	Reason string    `bun:"reason"`
	ID     string    `bun:"id"`
	// PostgreSQL only: the announcement, in the same statement.
	Channel string `bun:"channel"`
	Change  string `bun:"change"`
}

// RotateRefresh implements backend.SessionStore with one statement (see
// rotateSQL); on PostgreSQL it announces, in that statement too, a
// session it ends for a detected reuse (rotations and graces change nothing
// another server's cache answers with), so a refresh is one round trip. This process's cache
// then holds the session as it is afterwards.
func (s *DB) RotateRefresh(ctx context.Context, id, jti, newJTI string, grace time.Duration) (backend.RotateOutcome, *backend.Session, error) {
	// Microseconds: what both databases keep.
	now := s.Now().UTC().Truncate(time.Microsecond)
	key := changeKey(keySession, id)
	args := &rotateArgs{Now: now, JTI: jti, From: now.Add(-grace), New: newJTI, Reason: backend.ReasonReuse, ID: id, Channel: s.channel, Change: originKey(s.origin) + " " + key}
	query := rotateSQL
	pg := s.bun.Dialect().Name() == dialect.PG
	if pg {
		// Only an ended session is announced: a rotation or a grace changes
		// nothing that a server's cache answers with (the session is as
		// alive, for the same user), and every notifying transaction takes
		// a lock of its database until it commits, which would queue every
		// refresh behind the others.
		query += `, CASE WHEN last_outcome = 'reused' THEN pg_notify(?channel, ?change) END`
	}
	row := new(sessionRow)
	var did string
	scan := func(ctx context.Context, db bun.IDB) error {
		var created, renewed, expires, revoked, retired, graced bun.NullTime
		dest := []any{&row.ID, &row.UserID, &created, &renewed, &expires, &row.UserAgent,
			&revoked, &row.Reason, &row.RefreshJTI, &row.PrevJTI, &retired, &graced, &did}
		if pg {
			var notified sql.NullString // pg_notify returns void
			dest = append(dest, &notified)
		}
		if err := db.QueryRowContext(ctx, query, args).Scan(dest...); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("session %q: %w", id, backend.ErrNotFound)
			}
			return err
		}
		row.CreatedAt, row.RenewedAt, row.ExpiresAt = created.Time, renewed.Time, expires.Time
		row.RevokedAt, row.PrevRetiredAt, row.PrevGraced = revoked.Time, retired.Time, graced.Time
		return nil
	}
	// The cache's count of changes before the statement: if anything
	// changed since, the session read back may be stale already.
	var gen uint64
	if s.cache != nil {
		_, gen, _ = s.cache.get(key)
	}
	var err error
	if pg {
		err = scan(ctx, s.bun)
	} else {
		err = s.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := scan(ctx, tx); err != nil || did != "reused" {
				return err
			}
			return s.announce(ctx, tx, key)
		})
	}
	if err != nil {
		return 0, nil, fmt.Errorf("rotate refresh token: %w", err)
	}
	sess := row.session()
	outcome := map[string]backend.RotateOutcome{"rotated": backend.Rotated, "graced": backend.Grace, "reused": backend.Reused}[did]
	if outcome == 0 {
		outcome = backend.Ended
	}
	if s.cache != nil {
		// The change is this session alone: hold it as it is now, or drop
		// it when something else changed meanwhile.
		cached := *sess
		s.cache.hold(&entry{key: key, session: &cached}, gen)
	}
	return outcome, sess, nil
}

// PurgeSessions implements backend.SessionStore, in batches.
func (s *DB) PurgeSessions(ctx context.Context, maxIdle time.Duration) (int64, error) {
	now := s.Now().UTC()
	return s.deleteInBatches(ctx, "sessions", "id", "expires_at < ? OR revoked_at < ? OR renewed_at < ?", now, now, now.Add(-maxIdle))
}
