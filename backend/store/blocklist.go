package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

type blockRow struct {
	bun.BaseModel `bun:"table:token_blocklist"`

	ID        int64     `bun:"id,pk,autoincrement"`
	JTI       string    `bun:"jti,notnull"`
	Type      string    `bun:"type,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
}

// RevokeToken implements backend.Blocklist.
func (s *DB) RevokeToken(ctx context.Context, jti, typ string, expiresAt time.Time) (bool, error) {
	row := &blockRow{JTI: jti, Type: typ, CreatedAt: s.Now().UTC(), ExpiresAt: expiresAt.UTC()}
	var n int64
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		res, err := tx.NewInsert().Model(row).On("CONFLICT (jti) DO NOTHING").Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return nil, err
		}
		return []string{changeKey(keyToken, jti)}, nil
	})
	if err != nil {
		return false, fmt.Errorf("revoke token: %w", err)
	}
	return n == 1, nil
}

// IsTokenRevoked implements backend.Blocklist; with the cache it needs no
// round trip in the steady state, for revoked and other ids alike.
func (s *DB) IsTokenRevoked(ctx context.Context, jti string) (bool, error) {
	key := changeKey(keyToken, jti)
	e, err := s.cached(ctx, key, func(ctx context.Context) (*entry, error) {
		ok, err := s.bun.NewSelect().Model((*blockRow)(nil)).Where("jti = ?", jti).Exists(ctx)
		if err != nil {
			return nil, err
		}
		return &entry{key: key, revoked: ok}, nil
	})
	if err != nil {
		return false, fmt.Errorf("check blocklist: %w", err)
	}
	return e.revoked, nil
}

// PurgeExpired deletes blocklist rows whose token has expired, in batches:
// such tokens are refused for their expiry anyway. It returns how many went.
func (s *DB) PurgeExpired(ctx context.Context) (int64, error) {
	return s.deleteInBatches(ctx, "token_blocklist", "id", "expires_at < ?", s.Now().UTC())
}
