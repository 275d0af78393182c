// Package metrics keeps Tessera's Prometheus metrics: the API's requests,
// sign-ins, refreshes and throttled requests (as api.Metrics), the live
// sessions, the cache and the connection pool of the store, and the Go
// runtime. Handler serves them in Prometheus' text format, on a listener
// of their own (METRICS_ADDR), never on the public one.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tessera/backend/api"
	"tessera/backend/store"
)

// Store is what the metrics read of the store at each scrape.
type Store interface {
	CountLiveSessions(ctx context.Context) (int64, error)
	CacheStats() store.CacheStats
	Pool() *sql.DB
}

// Metrics implements api.Metrics. Its zero value is not usable: see New.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.HistogramVec
	signIns   *prometheus.CounterVec
	refreshes *prometheus.CounterVec
	throttled *prometheus.CounterVec
	// statuses holds the label value of each status code, so that a
	// request's status needs no conversion.
	statuses [600]string
}

var _ api.Metrics = (*Metrics)(nil)

// New registers every metric, those of db and of the Go runtime and the
// process included. Failures to read db at a scrape are logged to log.
func New(db Store, log *slog.Logger) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tessera_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route (a pattern of the API's route table; \"app\" for the browser app, \"unmatched\" for unknown API paths, \"preflight\" for CORS preflights) and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tessera_sign_ins_total",
			Help: "Sign-ins (POST /api/login) by result: success, failed (wrong name or password, missing fields, a malformed body), throttled, error.",
		}, []string{"result"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tessera_refreshes_total",
			Help: "Refreshes with a valid refresh token by result: rotated, renewed (rotation off), grace, reuse_detected (the session was ended), started (a Flask-JWT-Extended token exchanged), refused, error.",
		}, []string{"result"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tessera_throttled_requests_total",
			Help: "Requests refused with 429 by the limit that refused them.",
		}, []string{"limit"}),
	}
	for code := range m.statuses {
		m.statuses[code] = strconv.Itoa(code)
	}
	// Every result and limit shows from the start, at 0, so that rate()
	// and alerts see the first one.
	for vec, values := range map[*prometheus.CounterVec][]string{
		m.signIns:   api.SignInResults(),
		m.refreshes: api.RefreshResults(),
		m.throttled: api.ThrottleLimits(),
	} {
		for _, v := range values {
			vec.WithLabelValues(v)
		}
	}
	m.reg.MustRegister(
		m.requests, m.signIns, m.refreshes, m.throttled,
		newStoreCollector(db, log),
		collectors.NewDBStatsCollector(db.Pool(), "tessera"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the metrics in Prometheus' text (or protobuf) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 10 * time.Second})
}

// Registry is where the metrics are registered, for a program that adds
// its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Request implements api.Metrics.
func (m *Metrics) Request(route string, status int, took time.Duration) {
	code := "other"
	if status >= 0 && status < len(m.statuses) {
		code = m.statuses[status]
	}
	m.requests.WithLabelValues(route, code).Observe(took.Seconds())
}

// SignIn implements api.Metrics.
func (m *Metrics) SignIn(result string) { m.signIns.WithLabelValues(result).Inc() }

// Refresh implements api.Metrics.
func (m *Metrics) Refresh(result string) { m.refreshes.WithLabelValues(result).Inc() }

// Throttled implements api.Metrics.
func (m *Metrics) Throttled(limit string) { m.throttled.WithLabelValues(limit).Inc() }

// storeCollector reads the live sessions and the cache's figures at each
// scrape.
type storeCollector struct {
	db                                                Store
	log                                               *slog.Logger
	sessionsLive, cacheLookups, cacheEntries, cacheOn *prometheus.Desc
}

func newStoreCollector(db Store, log *slog.Logger) *storeCollector {
	return &storeCollector{
		db:  db,
		log: log,
		sessionsLive: prometheus.NewDesc("tessera_sessions_live",
			"Sessions not ended (neither signed out, revoked nor expired), of all users.", nil, nil),
		cacheLookups: prometheus.NewDesc("tessera_cache_lookups_total",
			"Lookups of the in-memory cache by kind (session, user, revoked_token) and result (hit, miss; a miss reads the database).",
			[]string{"kind", "result"}, nil),
		cacheEntries: prometheus.NewDesc("tessera_cache_entries",
			"Entries in the in-memory cache.", nil, nil),
		cacheOn: prometheus.NewDesc("tessera_cache_on",
			"1 while the cache is in use; 0 while it is bypassed because changes made by other instances may be missed (PostgreSQL's LISTEN connection is down).", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.sessionsLive
	ch <- c.cacheLookups
	ch <- c.cacheEntries
	ch <- c.cacheOn
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := c.db.CountLiveSessions(ctx); err != nil {
		c.log.Warn("metrics: count live sessions", "err", err)
		ch <- prometheus.NewInvalidMetric(c.sessionsLive, err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.sessionsLive, prometheus.GaugeValue, float64(n))
	}
	st := c.db.CacheStats()
	if !st.Enabled {
		return
	}
	for _, l := range st.Lookups {
		ch <- prometheus.MustNewConstMetric(c.cacheLookups, prometheus.CounterValue, float64(l.Hits), l.Kind, "hit")
		ch <- prometheus.MustNewConstMetric(c.cacheLookups, prometheus.CounterValue, float64(l.Misses), l.Kind, "miss")
	}
	ch <- prometheus.MustNewConstMetric(c.cacheEntries, prometheus.GaugeValue, float64(st.Entries))
	on := 0.0
	if st.On {
		on = 1
	}
	ch <- prometheus.MustNewConstMetric(c.cacheOn, prometheus.GaugeValue, on)
}
