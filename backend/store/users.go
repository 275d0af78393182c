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
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		_, err := tx.NewInsert().Model(row).Returning("id").Exec(ctx)
		return []string{changeKey(keyName, name)}, err
	})
	if err != nil {
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("create user %q: %w", name, backend.ErrConflict)
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	return row.user(), nil
}

// UserByName implements backend.UserStore; with the cache it needs no
// round trip in the steady state.
func (s *DB) UserByName(ctx context.Context, name string) (*backend.User, error) {
	key := changeKey(keyName, name)
	e, err := s.cached(ctx, key, func(ctx context.Context) (*entry, error) {
		row := new(userRow)
		err := s.bun.NewSelect().Model(row).Where("name = ?", name).Limit(1).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return &entry{key: key}, nil
		case err != nil:
			return nil, err
		}
		return &entry{key: key, user: row.user()}, nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("find user: %w", err)
	case e.user == nil:
		return nil, fmt.Errorf("user %q: %w", name, backend.ErrNotFound)
	}
	u := *e.user
	return &u, nil
}

// SetPassword implements backend.UserStore, in one transaction that
// announces the user's change.
func (s *DB) SetPassword(ctx context.Context, userID int64, c backend.PasswordChange) (int64, error) {
	now := s.Now().UTC()
	var ended int64
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		q := tx.NewUpdate().Model((*userRow)(nil)).
			Set("password = ?", c.Hash).Set("tokens_valid_after = ?", now).
			Where("id = ?", userID)
		if c.Previous != "" {
			q = q.Where("password = ?", c.Previous)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 0 {
			return nil, s.noPasswordChange(ctx, tx, userID)
		}
		if ended, err = endSessions(ctx, tx, userID, backend.SessionSet{}, c.Reason, now); err != nil {
			return nil, err
		}
		if c.Next != nil {
			if _, err := tx.NewInsert().Model(rowOf(c.Next)).Exec(ctx); err != nil {
				return nil, err
			}
		}
		return []string{userKey(userID)}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return ended, nil
}

// noPasswordChange is why SetPassword changed no row: the user does not
// exist (ErrNotFound), or its hash is not the one expected (ErrConflict).
func (s *DB) noPasswordChange(ctx context.Context, tx bun.Tx, userID int64) error {
	exists, err := tx.NewSelect().Model((*userRow)(nil)).Where("id = ?", userID).Exists(ctx)
	switch {
	case err != nil:
		return err
	case !exists:
		return backend.ErrNotFound
	}
	return fmt.Errorf("the password changed meanwhile: %w", backend.ErrConflict)
}

// updateUser runs the update built by set on the user userID and
// announces the change; it returns how many rows changed.
func (s *DB) updateUser(ctx context.Context, userID int64, set func(*bun.UpdateQuery) *bun.UpdateQuery) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		res, err := set(tx.NewUpdate().Model((*userRow)(nil))).Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return nil, err
		}
		return []string{userKey(userID)}, nil
	})
	return n, err
}

// RevokeTokensWithoutSession implements backend.UserStore.
func (s *DB) RevokeTokensWithoutSession(ctx context.Context, userID int64) error {
	_, err := s.updateUser(ctx, userID, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("tokens_valid_after = ?", s.Now().UTC())
	})
	if err != nil {
		return fmt.Errorf("revoke tokens without session: %w", err)
	}
	return nil
}

// Rehash implements backend.UserStore.
func (s *DB) Rehash(ctx context.Context, userID int64, oldHash, newHash string) (bool, error) {
	n, err := s.updateUser(ctx, userID, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("password = ?", newHash).Where("password = ?", oldHash)
	})
	if err != nil {
		return false, fmt.Errorf("rehash password: %w", err)
	}
	return n == 1, nil
}

// ListUsers implements backend.UserStore.
func (s *DB) ListUsers(ctx context.Context) ([]backend.User, error) {
	var rows []userRow
	if err := s.bun.NewSelect().Model(&rows).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]backend.User, len(rows))
	for i := range rows {
		out[i] = *rows[i].user()
	}
	return out, nil
}

// DeleteUser implements backend.UserStore. Its sessions and known IPs go
// with it (ON DELETE CASCADE).
func (s *DB) DeleteUser(ctx context.Context, name string) (*backend.User, error) {
	row := new(userRow)
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		if _, err := tx.NewDelete().Model(row).Where("name = ?", name).Returning("id, name, password, created_at, tokens_valid_after").Exec(ctx); err != nil || row.ID == 0 {
			return nil, err
		}
		return []string{userKey(row.ID), changeKey(keyName, name)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete user: %w", err)
	}
	if row.ID == 0 {
		return nil, fmt.Errorf("user %q: %w", name, backend.ErrNotFound)
	}
	return row.user(), nil
}

// CommonHashParams returns the kind and parameters most stored password
// hashes have, as auth.HashParams reads them: "$2a$10$" for bcrypt at cost
// 10, the method of a werkzeug hash imported from a Flask app
// ("pbkdf2:sha256:260000", "scrypt:32768:8:1"); "" when there are none.
// The hasher's dummy comparison for unknown names is made of these (see
// auth.Hasher.SetDummy), so that it costs what most sign-ins cost.
func (s *DB) CommonHashParams(ctx context.Context) (string, error) {
	// The werkzeug method is what precedes the first "$".
	method := "substr(password, 1, instr(password, '$') - 1)"
	if s.bun.Dialect().Name() == dialect.PG {
		method = "split_part(password, '$', 1)"
	}
	var rows []struct {
		Params string `bun:"params"`
		N      int    `bun:"n"`
	}
	err := s.bun.NewSelect().Model((*userRow)(nil)).
		ColumnExpr("CASE WHEN password LIKE '$2%' THEN substr(password, 1, 7) ELSE "+method+" END AS params").
		ColumnExpr("count(*) AS n").
		Where("password LIKE '$2_$__$%' OR password LIKE 'pbkdf2:%$%' OR password LIKE 'scrypt%$%'").
		GroupExpr("params").
		OrderExpr("n DESC, params DESC").Limit(1).
		Scan(ctx, &rows)
	if err != nil {
		return "", fmt.Errorf("common hash parameters: %w", err)
	}
	if len(rows) == 0 {
		return "", nil
	}
	return rows[0].Params, nil
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
