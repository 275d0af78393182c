package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"tessera/backend"
)

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Name      string    `bun:"name,notnull"`
	Password  string    `bun:"password,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`

	TokensValidAfter time.Time `bun:"tokens_valid_after,nullzero"`
}

func (r *userRow) user() *backend.User {
	return &backend.User{ID: r.ID, Name: r.Name, Password: r.Password, CreatedAt: r.CreatedAt, TokensValidAfter: r.TokensValidAfter}
}

// CreateUser implements backend.UserStore.
func (s *DB) CreateUser(ctx context.Context, name, passwordHash string) (*backend.User, error) {
	row := &userRow{Name: name, Password: passwordHash, CreatedAt: s.Now().UTC()}
	if _, err := s.bun.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("create user %q: %w", name, backend.ErrConflict)
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	return row.user(), nil
}

// UserByName implements backend.UserStore.
func (s *DB) UserByName(ctx context.Context, name string) (*backend.User, error) {
	row := new(userRow)
	err := s.bun.NewSelect().Model(row).Where("name = ?", name).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %q: %w", name, backend.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return row.user(), nil
}

// SetPassword implements backend.UserStore.
func (s *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	res, err := s.bun.NewUpdate().Model((*userRow)(nil)).
		Set("password = ?", hash).
		Set("tokens_valid_after = ?", s.Now().UTC()).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("set password of user %d: %w", userID, backend.ErrNotFound)
	}
	return nil
}

// RevokeTokensWithoutSession implements backend.UserStore.
func (s *DB) RevokeTokensWithoutSession(ctx context.Context, userID int64) error {
	if _, err := s.bun.NewUpdate().Model((*userRow)(nil)).Set("tokens_valid_after = ?", s.Now().UTC()).Where("id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("revoke tokens without session: %w", err)
	}
	return nil
}

// CountUsersNamed returns how many rows hold name; it exists for tests and
// checks that the unique index holds.
func (s *DB) CountUsersNamed(ctx context.Context, name string) (int64, error) {
	n, err := s.bun.NewSelect().Model((*userRow)(nil)).Where("name = ?", name).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
