// Command tessera runs the Tessera server: the JSON API under /api and the
// browser app at /. `tessera -h` lists its configuration.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	"tessera/backend/api"
	"tessera/backend/auth"
	"tessera/backend/metrics"
	"tessera/backend/store"
	"tessera/internal/version"
	"tessera/web"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "user" {
		// The operator's commands: tessera user add|delete|list|set-password.
		os.Exit(runUser(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	if len(os.Args) > 1 && os.Args[1] == "events" {
		// tessera events [--user NAME] [--kind K] [--since DURATION]
		os.Exit(runEvents(context.Background(), os.Args[2:], os.Stdout, os.Stderr, os.Getenv))
	}
	if len(os.Args) > 1 && os.Args[1] == "import-flask" {
		// tessera import-flask [--dry-run] SOURCE_URL
		os.Exit(runImportFlask(context.Background(), os.Args[2:], os.Stdout, os.Stderr, os.Getenv))
	}
	if len(os.Args) > 1 && (os.Args[1] == "version" || os.Args[1] == "--version") {
		fmt.Println(version.Get())
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "backup" {
		// tessera backup PATH
		// Interrupted, it removes its unfinished copy.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := runBackup(ctx, os.Args[2:], os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	flag.CommandLine.SetOutput(os.Stdout)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "%s\n\n%s", version.Get(), configHelp)
	}
	flag.Parse()
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tessera: configuration: %v\n\nRun tessera -h for the configuration table.\n", err)
		os.Exit(2)
	}
	logger := newLogger(cfg.LogFormat, cfg.LogLevel, os.Stderr)
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Config: cfg, Logger: logger}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "tessera: %v\n", err)
		os.Exit(1)
	}
	logger.Info("listening", "addr", "http://"+m.Addr(), "version", version.Get().Version)
	if cfg.MetricsAddr != "" {
		logger.Info("serving metrics", "addr", "http://"+m.MetricsAddr()+"/metrics")
	}
	<-ctx.Done()
	logger.Info("shutting down")
	if err := m.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "tessera: %v\n", err)
		os.Exit(1)
	}
}

// Main is a running server: Run starts it, Close stops it. Tests run it on
// ADDR=127.0.0.1:0 with a temporary DATA_DIR.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Now, when set, is the clock of the whole server (tests); nil means
	// time.Now. It is given to the tokens, the store and the API at Run.
	Now func() time.Time

	db       *store.DB
	hasher   *auth.Hasher
	files    *os.Root
	ln       net.Listener
	srv      *http.Server
	served   chan error
	stopWork context.CancelFunc
	// The metrics' own listener and server, with METRICS_ADDR.
	metricsLn     net.Listener
	metricsSrv    *http.Server
	metricsServed chan error
}

// newLogger is the server's logger: format "text" or "json", or "" for
// text when out is a terminal and JSON otherwise (a service manager or a
// log collector reads it); lines below level are dropped.
func newLogger(format string, level slog.Level, out io.Writer) *slog.Logger {
	if format == "" {
		format = "json"
		if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

// Run opens the store, migrates it, starts listening and serves in the
// background. It returns once the server accepts connections; when it
// fails, it releases what it had opened.
func (m *Main) Run(ctx context.Context) (err error) {
	cfg := m.Config
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	defer func() {
		if err == nil {
			return
		}
		if m.metricsLn != nil {
			m.metricsLn.Close()
		}
		if m.stopWork != nil {
			m.stopWork()
		}
		if m.db != nil {
			m.db.Close()
		}
		if m.files != nil {
			m.files.Close()
		}
	}()
	secret, err := loadSecret(cfg, rand.Read)
	if err != nil {
		return fmt.Errorf("load secret: %w", err)
	}
	tokens, err := auth.NewTokens(secret, cfg.AccessTTL, cfg.RefreshTTL)
	if err != nil {
		return fmt.Errorf("set up tokens: %w", err)
	}
	hasher, err := auth.NewHasher(cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("set up passwords: %w", err)
	}
	if err := os.MkdirAll(cfg.FilesDir, 0o700); err != nil {
		return fmt.Errorf("create FILES_DIR: %w", err)
	}
	if m.files, err = os.OpenRoot(cfg.FilesDir); err != nil {
		return fmt.Errorf("open FILES_DIR: %w", err)
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if m.db, err = store.Open(openCtx, cfg.DatabaseURL); err != nil {
		return err
	}
	now := m.Now
	if now == nil {
		now = time.Now
	}
	tokens.Now, m.db.Now = now, now
	var work context.Context
	work, m.stopWork = context.WithCancel(context.Background())
	if err := m.startStore(openCtx, work); err != nil {
		return err
	}
	m.hasher = hasher
	m.useCommonCost(ctx)
	assets := web.New()
	if !assets.HasWasm() {
		m.Logger.Warn("web/app.wasm was not built into this binary: the browser app will not start; use make run or make build")
	}
	srv := &api.Server{
		Store:       m.db,
		Tokens:      tokens,
		Passwords:   hasher,
		Files:       m.files,
		CORSOrigins: cfg.CORSOrigins,
		App:         appHandler(assets, appOptions{PublicURL: cfg.PublicURL, RegistrationClosed: !cfg.Registration}),
		Logger:      m.Logger,
		Version:     version.Get().Version,

		Rotation:      cfg.Rotation,
		ReuseGrace:    cfg.ReuseGrace,
		SessionMaxAge: cfg.SessionMaxAge,
		RefreshTTL:    cfg.RefreshTTL,

		Limits:             cfg.Limits,
		TrustedProxies:     cfg.TrustedProxies,
		RegistrationClosed: !cfg.Registration,
		LegacyTokens:       cfg.LegacyTokens,
		SessionsPerUser:    cfg.SessionsPerUser,
		WriteTimeout:       writeTimeout,
		Unavailable:        store.IsUnavailable,
		Now:                now,
	}
	if cfg.MetricsAddr != "" {
		reg := metrics.New(m.db, m.Logger)
		srv.Metrics = reg
		if err := m.listenMetrics(reg.Handler()); err != nil {
			return err
		}
	}
	if m.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return fmt.Errorf("listen on ADDR %s: %w", cfg.Addr, err)
	}
	m.srv = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// No WriteTimeout here: the handler sets writeTimeout per request,
		// and downloads move it on as long as they make progress.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.srv.Serve(m.ln) }()
	if m.metricsSrv != nil {
		m.metricsServed = make(chan error, 1)
		go func() { m.metricsServed <- m.metricsSrv.Serve(m.metricsLn) }()
	}
	go m.purgeLoop(work, time.Hour)
	return nil
}

// listenMetrics listens on METRICS_ADDR and makes the server of the
// metrics, h at GET /metrics; Run starts serving.
func (m *Main) listenMetrics(h http.Handler) error {
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on METRICS_ADDR %s: %w", m.Config.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	m.metricsLn = ln
	m.metricsSrv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	return nil
}

// startStore makes this process a server of the database: the one server
// of a SQLite file, and, with CACHE_SIZE, one that keeps what requests read
// in memory and follows the changes of every process (until work ends).
func (m *Main) startStore(ctx, work context.Context) error {
	if err := m.db.ClaimServer(); err != nil {
		return err
	}
	if m.Config.CacheSize == 0 {
		return nil
	}
	ready := make(chan error, 1)
	go func() { ready <- m.db.EnableCache(work, m.Config.CacheSize, m.Logger) }()
	select {
	case err := <-ready:
		if err != nil {
			return fmt.Errorf("start the cache: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("start the cache: %w", ctx.Err())
	}
}

// writeTimeout bounds the writing of an answer (see api.Server).
const writeTimeout = 30 * time.Second

// useCommonCost gives the hasher's dummy hash the kind and parameters most
// stored hashes have (bcrypt at some cost, or, after an import from a
// Flask app, werkzeug's pbkdf2 or scrypt), so that a sign-in with an
// unknown name takes as long as most sign-ins with a known one. Failures
// are logged: the dummy stays.
func (m *Main) useCommonCost(ctx context.Context) {
	params, err := m.db.CommonHashParams(ctx)
	if err == nil && params != "" {
		err = m.hasher.SetDummy(params)
	}
	if err != nil && ctx.Err() == nil {
		m.Logger.Warn("parameters of the dummy password hash", "err", err)
	}
}

// throttleMemory is how long the purge keeps a throttle counter after its
// last use: as long as any limit can remember it.
func throttleMemory(l api.Limits) time.Duration {
	return max(24*time.Hour, l.LoginBackoffMax, l.AccountBudget.Per, l.LoginRate.Per, l.RegisterRate.Per, l.PasswordRate.Per)
}

// purgeLoop deletes expired blocklist rows, ended sessions, forgotten
// throttle counters and old security events every interval, so the
// tables do not grow forever, and after each interval follows the cost
// most password hashes have (they change cost as users sign in after
// BCRYPT_COST changed).
func (m *Main) purgeLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var n int64
		var errs []error
		for _, purge := range []func() (int64, error){
			func() (int64, error) { return m.db.PurgeExpired(ctx) },
			func() (int64, error) { return m.db.PurgeSessions(ctx, m.Config.RefreshTTL) },
			func() (int64, error) { return m.db.PurgeThrottle(ctx, throttleMemory(m.Config.Limits)) },
			func() (int64, error) { return m.db.PurgeChanges(ctx, time.Hour) },
			func() (int64, error) { return m.db.PurgeEvents(ctx, m.Config.EventsMaxAge, m.Config.EventsPerUser) },
		} {
			k, err := purge()
			n += k
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil && ctx.Err() == nil {
			m.Logger.Error("purge", "err", err)
		} else if n > 0 {
			m.Logger.Info("purged expired blocklist rows, ended sessions, old throttle counters and events", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.useCommonCost(ctx) // Run did it at the start
	}
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string { return m.ln.Addr().String() }

// MetricsAddr is the address the metrics are served on; "" without
// METRICS_ADDR.
func (m *Main) MetricsAddr() string {
	if m.metricsLn == nil {
		return ""
	}
	return m.metricsLn.Addr().String()
}

// Close stops accepting connections, lets requests in flight finish (up to
// 15 seconds) and closes the store. Calls after the first do nothing.
func (m *Main) Close() error {
	if m.srv == nil {
		return nil
	}
	defer func() { m.srv = nil }()
	m.stopWork()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var errs []error
	if err := m.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down HTTP server: %w", err))
	}
	if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve: %w", err))
	}
	if m.metricsSrv != nil {
		// Scrapes are short: a few seconds of the metrics' own, then cut.
		mctx, mcancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := m.metricsSrv.Shutdown(mctx)
		mcancel()
		if err != nil {
			m.metricsSrv.Close()
			errs = append(errs, fmt.Errorf("shut down metrics server: %w", err))
		}
		if err := <-m.metricsServed; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve metrics: %w", err))
		}
	}
	if err := m.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	m.files.Close()
	return errors.Join(errs...)
}
