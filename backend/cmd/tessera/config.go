package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tessera/backend"
	"tessera/backend/api"
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
	// BcryptCostUnsafe allows BCRYPT_COST below minSafeBcryptCost (tests).
	BcryptCostUnsafe bool
	// Sessions.
	Rotation        bool
	ReuseGrace      time.Duration
	SessionMaxAge   time.Duration
	SessionsPerUser int
	// CacheSize bounds the in-memory cache of sessions, users and revoked
	// tokens; 0 turns it off.
	CacheSize int
	// Security events are kept EventsMaxAge, at most EventsPerUser a user.
	EventsMaxAge  time.Duration
	EventsPerUser int
	// On the internet.
	Limits         api.Limits // all zero with RATE_LIMIT=off
	TrustedProxies []netip.Prefix
	Registration   bool     // open
	LegacyTokens   bool     // tokens without "sid" accepted
	PublicURL      *url.URL // nil when not set
	// Operations.
	MetricsAddr string     // empty: no metrics listener
	LogFormat   string     // "text", "json", or "" to choose by the output
	LogLevel    slog.Level // lines below it are not written
}

// Bounds of some settings.
const (
	minSafeBcryptCost = 10
	maxReuseGrace     = time.Minute
)

// configHelp is the table `tessera -h` prints.
const configHelp = `Tessera: a token-auth service (JSON API under /api, browser app at /).

Usage: tessera        (configured by the environment; every variable optional)

Commands, for the operator (each with -h):
  tessera user add|delete|list|set-password NAME       manage users
  tessera events [--user NAME] [--kind K] [--since D]  security events as JSON lines
  tessera import-flask [--dry-run] SOURCE_URL          bring a Flask-JWT-Extended app's users over
  tessera backup PATH                                  consistent copy of the SQLite database
  tessera version                                      the build's version

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
  BCRYPT_COST        10                          10..31 (4..9 only with BCRYPT_COST_UNSAFE=1, for tests)
  REFRESH_ROTATION   on                          on: each refresh returns a new refresh token and retires the old;
                                                 a retired one presented again ends the session. off: refresh
                                                 returns only an access token, as Flask-JWT-Extended does
  REFRESH_REUSE_GRACE 10s                        how long the last retired refresh token may renew its session,
                                                 once (at most 1m)
  SESSION_MAX_AGE    720h                        absolute lifetime of a session (30 days); REFRESH_TOKEN_TTL is
                                                 its inactivity limit
  SESSIONS_PER_USER  100                         live sessions per user; a sign-in past it ends the least
                                                 recently used; 0 = no limit
  CACHE_SIZE         100000                      sessions, users and revoked token ids kept in memory, so that
                                                 authenticated requests need no database round trip; 0 = off
  EVENTS_MAX_AGE     2160h                       security events are kept this long (90 days)...
  EVENTS_PER_USER    1000                        ...and at most this many a user, the newest; 0 = no limit
  LEGACY_TOKENS      on with JWT_SECRET set,     on: tokens without a session (made by a Flask-JWT-Extended app
                     else off                    with the same secret) are accepted; off: refused
  REGISTRATION       open                        open: anyone may create an account; closed: only the operator
                                                 (tessera user add)
  PUBLIC_URL         empty                       the URL users reach, such as https://auth.example.com; https
                                                 turns on Strict-Transport-Security
  TRUSTED_PROXIES    empty                       comma-separated CIDRs of reverse proxies; only a request from one
                                                 has its X-Forwarded-For read (the rightmost address not in the
                                                 list is the client)
  RATE_LIMIT         on                          off turns every limit below off at once
  LOGIN_FREE_FAILURES 5                          failed sign-ins per account and client IP before backoff
  LOGIN_BACKOFF_MAX  15m                         the backoff starts at 1s and doubles up to this
  LOGIN_ACCOUNT_BUDGET 100/1h                    failed sign-ins per account from IPs that never signed in to it
  LOGIN_RATE         60/1m                       sign-in attempts per client IP
  REGISTER_RATE      20/10m                      registrations per client IP
  PASSWORD_RATE      10/10m                      password changes per client IP
                                                 (rates are N/DURATION, or off)
  METRICS_ADDR       empty (off)                 listen address of the Prometheus metrics (GET /metrics), such as
                                                 127.0.0.1:9464; never served on ADDR
  LOG_FORMAT         text on a terminal,         text or json (one JSON object per line, on stderr)
                     else json
  LOG_LEVEL          info                        debug, info, warn or error; info logs a line per request
`

// LoadConfig reads the configuration through getenv (os.Getenv in main).
// A malformed value is an error that names its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:            "localhost:8080",
		DataDir:         "./data",
		AccessTTL:       15 * time.Minute,
		RefreshTTL:      24 * time.Hour,
		CORSOrigins:     []string{"*"},
		BcryptCost:      10,
		Rotation:        true,
		ReuseGrace:      10 * time.Second,
		SessionMaxAge:   30 * 24 * time.Hour,
		SessionsPerUser: 100,
		CacheSize:       100_000,
		EventsMaxAge:    90 * 24 * time.Hour,
		EventsPerUser:   1000,
		Registration:    true,
		Limits:          api.DefaultLimits(),
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
		{"LOGIN_BACKOFF_MAX", &c.Limits.LoginBackoffMax, time.Second},
		{"EVENTS_MAX_AGE", &c.EventsMaxAge, time.Hour},
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
	if c.ReuseGrace > maxReuseGrace {
		errs = append(errs, fmt.Errorf("REFRESH_REUSE_GRACE: %s is too long, want at most %s", c.ReuseGrace, maxReuseGrace))
	}
	c.Rotation = onOff(getenv, "REFRESH_ROTATION", true, &errs)
	c.LegacyTokens = onOff(getenv, "LEGACY_TOKENS", c.JWTSecret != "", &errs)
	switch v := getenv("REGISTRATION"); v {
	case "", "open":
	case "closed":
		c.Registration = false
	default:
		errs = append(errs, fmt.Errorf("REGISTRATION: %q is neither open nor closed", v))
	}
	for _, r := range []struct {
		name string
		dst  *backend.Rate
	}{
		{"LOGIN_ACCOUNT_BUDGET", &c.Limits.AccountBudget},
		{"LOGIN_RATE", &c.Limits.LoginRate},
		{"REGISTER_RATE", &c.Limits.RegisterRate},
		{"PASSWORD_RATE", &c.Limits.PasswordRate},
	} {
		if v := getenv(r.name); v != "" {
			rate, err := backend.ParseRate(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", r.name, err))
			}
			*r.dst = rate
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{
		{"LOGIN_FREE_FAILURES", &c.Limits.LoginFreeFailures},
		{"SESSIONS_PER_USER", &c.SessionsPerUser},
		{"CACHE_SIZE", &c.CacheSize},
		{"EVENTS_PER_USER", &c.EventsPerUser},
	} {
		if v := getenv(n.name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number (0 or more)", n.name, v))
			}
			*n.dst = i
		}
	}
	if !onOff(getenv, "RATE_LIMIT", true, &errs) {
		c.Limits = api.Limits{}
	}
	if v := getenv("TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			prefix, err := netip.ParsePrefix(p)
			if err != nil {
				if addr, aerr := netip.ParseAddr(p); aerr == nil {
					prefix, err = addr.Prefix(addr.BitLen())
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", p))
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
		}
	}
	if v := getenv("PUBLIC_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("PUBLIC_URL: %q is not a URL such as https://auth.example.com", v))
		} else {
			u.Path = strings.TrimRight(u.Path, "/")
			c.PublicURL = u
		}
	}
	if v := getenv("METRICS_ADDR"); v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || !validPort(port) {
			errs = append(errs, fmt.Errorf("METRICS_ADDR: %q is not an address such as 127.0.0.1:9464", v))
		} else if v == c.Addr && port != "0" {
			errs = append(errs, fmt.Errorf("METRICS_ADDR: %q is ADDR: the metrics need a listener of their own, not the public one", v))
		}
		c.MetricsAddr = v
	}
	switch v := getenv("LOG_FORMAT"); v {
	case "", "text", "json":
		c.LogFormat = v
	default:
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q is neither text nor json", v))
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", v))
		}
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
	c.BcryptCostUnsafe = getenv("BCRYPT_COST_UNSAFE") == "1"
	if v := getenv("BCRYPT_COST"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 4 || n > 31:
			errs = append(errs, fmt.Errorf("BCRYPT_COST: %q is not a whole number from %d to 31", v, minSafeBcryptCost))
		case n < minSafeBcryptCost && !c.BcryptCostUnsafe:
			errs = append(errs, fmt.Errorf("BCRYPT_COST: %d is too cheap for real passwords, want %d to 31 (set BCRYPT_COST_UNSAFE=1 for tests)", n, minSafeBcryptCost))
		default:
			c.BcryptCost = n
		}
	}
	if err := checkFilesDir(c.DataDir, c.FilesDir, c.DatabaseURL); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// validPort reports whether port is a port number, 0 (any free port)
// to 65535.
func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// onOff reads the on/off variable name, def when unset; a malformed value
// is added to errs.
func onOff(getenv func(string) string, name string, def bool, errs *[]error) bool {
	switch v := getenv(name); v {
	case "":
		return def
	case "on":
		return true
	case "off":
		return false
	default:
		*errs = append(*errs, fmt.Errorf("%s: %q is neither on nor off", name, v))
		return def
	}
}

// checkFilesDir refuses a FILES_DIR that holds DATA_DIR (or is it), or
// the SQLite file: /api/files would serve the secret and the database. A
// FILES_DIR inside DATA_DIR, such as the default DATA_DIR/files, holds
// neither.
func checkFilesDir(dataDir, filesDir, databaseURL string) error {
	files, err := realPath(filesDir)
	if err != nil {
		return fmt.Errorf("FILES_DIR: %w", err)
	}
	data, err := realPath(dataDir)
	if err != nil {
		return fmt.Errorf("DATA_DIR: %w", err)
	}
	if within(data, files) {
		return fmt.Errorf("FILES_DIR (%s) holds DATA_DIR (%s): /api/files would serve the secret and the database; use a folder of its own, such as DATA_DIR/files", filesDir, dataDir)
	}
	if kind, path, err := store.ParseDSN(databaseURL); err == nil && kind == store.SQLite {
		if db, err := realPath(path); err == nil && within(db, files) {
			return fmt.Errorf("FILES_DIR (%s) holds the SQLite database (%s): /api/files would serve it", filesDir, path)
		}
	}
	return nil
}

// realPath is p absolute, with the symlinks of its longest existing prefix
// resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest), nil
		}
		if dir == filepath.Dir(dir) {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
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
		// On disk before it has its name: after a crash the file is whole
		// or absent, never empty (which would stop every later start).
		if err := tmp.Sync(); err != nil {
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
		if dir, err := os.Open(c.DataDir); err == nil {
			dir.Sync() // the new name, on file systems that need it
			dir.Close()
		}
		return secret, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is open to other users (mode %#o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	secret := []byte(strings.TrimSpace(string(b)))
	if len(secret) < auth.MinSecretLen {
		return nil, fmt.Errorf("%s holds %d bytes; want at least %d (delete it to generate a new one)", path, len(secret), auth.MinSecretLen)
	}
	return secret, nil
}
