package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tessera/backend/auth"
	"tessera/backend/store"
)

// Config is the server's configuration, read from the environment.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string // a DSN store.Open understands; never empty after LoadConfig
	JWTSecret   string // empty: generated and kept in DataDir/jwt-secret
	AccessTTL   time.Duration
	RefreshTTL  time.Duration
	FilesDir    string
	CORSOrigins []string
	BcryptCost  int
	// Sessions.
	Rotation      bool
	ReuseGrace    time.Duration
	SessionMaxAge time.Duration
}

// configHelp is the table `tessera -h` prints.
const configHelp = `Tessera: a token-auth service (JSON API under /api, browser app at /).

Usage: tessera        (configured by the environment; every variable optional)

  variable           default                     meaning
  ADDR               localhost:8080              listen address
  DATA_DIR           ./data                      holds the SQLite file, the generated secret, the files folder
  DATABASE_URL       SQLite at                   postgres://user:pass@host:5432/db?sslmode=disable selects PostgreSQL;
                     DATA_DIR/tessera.db         sqlite:PATH or file:PATH selects a SQLite file
  JWT_SECRET         generated on first start,   HS256 key; when set it must be at least 32 bytes
                     kept in DATA_DIR/jwt-secret
  ACCESS_TOKEN_TTL   15m                         Go duration
  REFRESH_TOKEN_TTL  24h                         Go duration
  FILES_DIR          DATA_DIR/files              root of /api/files/
  CORS_ORIGINS       *                           comma-separated allow-list, * = any
  BCRYPT_COST        10                          4..31
  REFRESH_ROTATION   on                          on: each refresh returns a new refresh token and retires the old;
                                                 a retired one presented again ends the session. off: refresh
                                                 returns only an access token, as Flask-JWT-Extended does
  REFRESH_REUSE_GRACE 10s                        how long the last retired refresh token still renews its session
  SESSION_MAX_AGE    720h                        absolute lifetime of a session (30 days); REFRESH_TOKEN_TTL is
                                                 its inactivity limit
`

// LoadConfig reads the configuration through getenv (os.Getenv in main).
// A malformed value is an error that names its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:          "localhost:8080",
		DataDir:       "./data",
		AccessTTL:     15 * time.Minute,
		RefreshTTL:    24 * time.Hour,
		CORSOrigins:   []string{"*"},
		BcryptCost:    10,
		Rotation:      true,
		ReuseGrace:    10 * time.Second,
		SessionMaxAge: 30 * 24 * time.Hour,
	}
	var errs []error
	if v := getenv("ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if strings.ContainsAny(c.DataDir, "?#") {
		// They would end the SQLite file name in its DSN.
		errs = append(errs, fmt.Errorf("DATA_DIR: %q must not contain ? or #", c.DataDir))
	}
	c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "tessera.db")
	if v := getenv("DATABASE_URL"); v != "" {
		if _, _, err := store.ParseDSN(v); err != nil {
			errs = append(errs, fmt.Errorf("DATABASE_URL: %w", err))
		}
		c.DatabaseURL = v
	}
	if v := getenv("JWT_SECRET"); v != "" {
		if len(v) < auth.MinSecretLen {
			errs = append(errs, fmt.Errorf("JWT_SECRET is %d bytes; it must be at least %d bytes (make one with: openssl rand -hex 32)", len(v), auth.MinSecretLen))
		}
		c.JWTSecret = v
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		min  time.Duration
	}{
		{"ACCESS_TOKEN_TTL", &c.AccessTTL, time.Second},
		{"REFRESH_TOKEN_TTL", &c.RefreshTTL, time.Second},
		{"REFRESH_REUSE_GRACE", &c.ReuseGrace, 0},
		{"SESSION_MAX_AGE", &c.SessionMaxAge, time.Minute},
	} {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		ttl, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %q is not a Go duration such as 15m or 24h", d.name, v))
		case ttl < d.min:
			errs = append(errs, fmt.Errorf("%s: %s is too short, want at least %s", d.name, v, d.min))
		default:
			*d.dst = ttl
		}
	}
	switch v := getenv("REFRESH_ROTATION"); v {
	case "", "on":
	case "off":
		c.Rotation = false
	default:
		errs = append(errs, fmt.Errorf("REFRESH_ROTATION: %q is neither on nor off", v))
	}
	c.FilesDir = filepath.Join(c.DataDir, "files")
	if v := getenv("FILES_DIR"); v != "" {
		c.FilesDir = v
	}
	if v := getenv("CORS_ORIGINS"); v != "" {
		c.CORSOrigins = nil
		for _, o := range strings.Split(v, ",") {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			if o != "*" && !(strings.HasPrefix(o, "http://") || strings.HasPrefix(o, "https://")) {
				errs = append(errs, fmt.Errorf("CORS_ORIGINS: %q is not an origin such as https://app.example.com", o))
			}
			c.CORSOrigins = append(c.CORSOrigins, strings.TrimRight(o, "/"))
		}
		if len(c.CORSOrigins) == 0 {
			errs = append(errs, errors.New("CORS_ORIGINS: no origin given"))
		}
	}
	if v := getenv("BCRYPT_COST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 || n > 31 {
			errs = append(errs, fmt.Errorf("BCRYPT_COST: %q is not a whole number from 4 to 31", v))
		} else {
			c.BcryptCost = n
		}
	}
	return c, errors.Join(errs...)
}

// loadSecret returns the HS256 key: JWT_SECRET when set, otherwise the one
// kept in DATA_DIR/jwt-secret, generated (32 random bytes, hex) on first use.
func loadSecret(c Config, random func([]byte) (int, error)) ([]byte, error) {
	if c.JWTSecret != "" {
		return []byte(c.JWTSecret), nil
	}
	path := filepath.Join(c.DataDir, "jwt-secret")
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create DATA_DIR: %w", err)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := random(raw); err != nil {
			return nil, fmt.Errorf("generate secret: %w", err)
		}
		secret := []byte(fmt.Sprintf("%x", raw))
		// Write it whole under a temporary name, then link it into place:
		// a server starting at the same moment sees no file or a whole one,
		// and if it made one first, its secret wins.
		tmp, err := os.CreateTemp(c.DataDir, ".jwt-secret-*")
		if err != nil {
			return nil, fmt.Errorf("create secret: %w", err)
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(append(secret, '\n')); err != nil {
			tmp.Close()
			return nil, fmt.Errorf("write secret: %w", err)
		}
		if err := tmp.Close(); err != nil {
			return nil, fmt.Errorf("write secret: %w", err)
		}
		if err := os.Link(tmp.Name(), path); err != nil {
			if errors.Is(err, os.ErrExist) {
				return loadSecret(c, random)
			}
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		return secret, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	secret := []byte(strings.TrimSpace(string(b)))
	if len(secret) < auth.MinSecretLen {
		return nil, fmt.Errorf("%s holds %d bytes; want at least %d (delete it to generate a new one)", path, len(secret), auth.MinSecretLen)
	}
	return secret, nil
}
