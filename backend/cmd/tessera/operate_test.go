package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tessera/backend/store"
	"tessera/backend/store/storetest"
	"tessera/internal/testlog"
	"tessera/internal/version"
	"tessera/shared"
)

// send sends a JSON request to the server and returns the status and
// body.
func send(t *testing.T, method, url, body, token string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// scrape reads the metrics in Prometheus' text format: each series, as
// "name{label="value",...}" with the labels in the order they are
// exposed (sorted), and its value.
func scrape(t *testing.T, url string) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series, string(text)
}

// TestMetrics runs a short journey (two users, a sign-in, wrong passwords
// up to a backoff, reads, a refresh, its grace and a replay) and finds
// each step counted on the metrics listener, which the public port does
// not serve; no label holds a name, a token or an address.
func TestMetrics(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		s := mustRunMain(t, kind, map[string]string{
			"METRICS_ADDR":        "127.0.0.1:0",
			"LOGIN_FREE_FAILURES": "1",
		})
		metricsURL := "http://" + s.MetricsAddr() + "/metrics"
		api := s.url + "/api"
		for _, name := range []string{"apple", "banana"} {
			if code, b := send(t, "POST", api+"/register", `{"username":"`+name+`","password":"orchard-pass"}`, ""); code != 200 {
				t.Fatalf("register %s: %d %s", name, code, b)
			}
		}
		login := func(name, password string, want int) shared.TokenPair {
			t.Helper()
			code, b := send(t, "POST", api+"/login", `{"username":"`+name+`","password":"`+password+`"}`, "")
			if code != want {
				t.Fatalf("login %s: %d %s, want %d", name, code, b, want)
			}
			var p shared.TokenPair
			_ = json.Unmarshal(b, &p)
			return p
		}
		pair := login("apple", "orchard-pass", 200)
		login("banana", "wrong-1", 401)
		login("banana", "wrong-2", 401)
		login("banana", "wrong-3", 429) // backed off after one free failure
		for range 3 {
			if code, b := send(t, "GET", api+"/user-data", "", pair.AccessToken); code != 200 {
				t.Fatalf("user-data: %d %s", code, b)
			}
		}
		if code, b := send(t, "POST", api+"/refresh", "", pair.RefreshToken); code != 200 {
			t.Fatalf("refresh: %d %s", code, b)
		}
		if code, b := send(t, "POST", api+"/refresh", "", pair.RefreshToken); code != 200 {
			t.Fatalf("refresh in the grace: %d %s", code, b)
		}
		if code, b := send(t, "POST", api+"/refresh", "", pair.RefreshToken); code != 401 {
			t.Fatalf("replayed refresh: %d %s", code, b)
		}
		if code, _ := send(t, "GET", api+"/user-data", "", pair.AccessToken); code != 401 {
			t.Fatalf("user-data after the replay: %d, want 401", code)
		}
		login("apple", "orchard-pass", 200)
		send(t, "GET", api+"/no-such-route", "", "")

		got, text := scrape(t, metricsURL)
		for series, want := range map[string]float64{
			`tessera_sign_ins_total{result="success"}`:                                           2,
			`tessera_sign_ins_total{result="failed"}`:                                            2,
			`tessera_sign_ins_total{result="throttled"}`:                                         1,
			`tessera_sign_ins_total{result="error"}`:                                             0,
			`tessera_refreshes_total{result="rotated"}`:                                          1,
			`tessera_refreshes_total{result="grace"}`:                                            1,
			`tessera_refreshes_total{result="reuse_detected"}`:                                   1,
			`tessera_throttled_requests_total{limit="login_backoff"}`:                            1,
			`tessera_throttled_requests_total{limit="login_rate"}`:                               0,
			`tessera_sessions_live`:                                                              1,
			`tessera_http_request_duration_seconds_count{code="200",route="POST /api/register"}`: 2,
			`tessera_http_request_duration_seconds_count{code="200",route="POST /api/login"}`:    2,
			`tessera_http_request_duration_seconds_count{code="401",route="POST /api/login"}`:    2,
			`tessera_http_request_duration_seconds_count{code="429",route="POST /api/login"}`:    1,
			`tessera_http_request_duration_seconds_count{code="200",route="GET /api/user-data"}`: 3,
			`tessera_http_request_duration_seconds_count{code="401",route="GET /api/user-data"}`: 1,
			`tessera_http_request_duration_seconds_count{code="200",route="POST /api/refresh"}`:  2,
			`tessera_http_request_duration_seconds_count{code="401",route="POST /api/refresh"}`:  1,
			`tessera_http_request_duration_seconds_count{code="404",route="unmatched"}`:          1,
			`tessera_cache_on`: 1,
			`go_sql_max_open_connections{db_name="tessera"}`: -1, // present
			`go_goroutines`:                 -1,
			`process_resident_memory_bytes`: -1,
			`tessera_cache_lookups_total{kind="session",result="hit"}`: -1,
		} {
			v, ok := got[series]
			switch {
			case !ok:
				t.Errorf("no series %s", series)
			case want >= 0 && v != want:
				t.Errorf("%s = %v, want %v", series, v, want)
			}
		}
		if got[`tessera_cache_lookups_total{kind="session",result="hit"}`] < 3 {
			t.Errorf("session cache hits = %v, want the reads answered from the cache", got[`tessera_cache_lookups_total{kind="session",result="hit"}`])
		}
		for _, secret := range []string{"apple", "banana", "orchard", pair.AccessToken[:20], "127.0.0.1"} {
			if strings.Contains(text, secret) {
				t.Errorf("the metrics hold %q", secret)
			}
		}
		// The public port has no metrics.
		if code, b := send(t, "GET", s.url+"/metrics", "", ""); code == 200 && strings.Contains(string(b), "tessera_") {
			t.Errorf("GET /metrics on the public port served the metrics")
		}
	})
}

// TestNoMetricsByDefault: without METRICS_ADDR nothing listens for them.
func TestNoMetricsByDefault(t *testing.T) {
	t.Parallel()
	s := mustRunMain(t, store.SQLite, nil)
	if addr := s.MetricsAddr(); addr != "" {
		t.Fatalf("metrics listen on %s without METRICS_ADDR", addr)
	}
}

// TestHealthVersion: /api/healthz names the running version.
func TestHealthVersion(t *testing.T) {
	t.Parallel()
	s := mustRunMain(t, store.SQLite, nil)
	code, b := send(t, "GET", s.url+"/api/healthz", "", "")
	var h shared.Health
	if err := json.Unmarshal(b, &h); err != nil || code != 200 {
		t.Fatalf("healthz: %d %s", code, b)
	}
	if h.Status != "ok" || h.Version == "" || h.Version != version.Get().Version {
		t.Fatalf("healthz = %+v, want version %q", h, version.Get().Version)
	}
}

// TestLogFormat: LOG_FORMAT picks the lines' form, text on a terminal
// and JSON elsewhere by default; LOG_LEVEL drops what is below it.
func TestLogFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	newLogger("json", slog.LevelInfo, &buf).Info("request", "status", 200)
	if !json.Valid(buf.Bytes()) {
		t.Errorf("json: %q", buf.String())
	}
	buf.Reset()
	newLogger("text", slog.LevelInfo, &buf).Info("request", "status", 200)
	if !strings.Contains(buf.String(), "msg=request status=200") {
		t.Errorf("text: %q", buf.String())
	}
	buf.Reset()
	// Not a terminal: JSON.
	newLogger("", slog.LevelInfo, &buf).Info("request")
	if !json.Valid(buf.Bytes()) {
		t.Errorf("default off a terminal: %q", buf.String())
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	newLogger("", slog.LevelInfo, f).Info("request")
	if b, _ := os.ReadFile(f.Name()); !json.Valid(b) {
		t.Errorf("default to a file: %q", b)
	}
	// A terminal: text. The master side of a new pseudo-terminal is one.
	if pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0); err == nil {
		if _, ok := newLogger("", slog.LevelInfo, pty).Handler().(*slog.TextHandler); !ok {
			t.Errorf("default on a terminal: %T, want text", newLogger("", slog.LevelInfo, pty).Handler())
		}
		pty.Close()
	} else {
		t.Logf("no pseudo-terminal here (%v): the terminal case is not checked", err)
	}
	buf.Reset()
	cfg, err := LoadConfig(func(k string) string { return map[string]string{"LOG_LEVEL": "warn", "LOG_FORMAT": "json"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	l := newLogger(cfg.LogFormat, cfg.LogLevel, &buf)
	l.Info("request")
	l.Warn("database unavailable")
	if out := buf.String(); strings.Contains(out, `"request"`) || !strings.Contains(out, "database unavailable") {
		t.Errorf("LOG_LEVEL=warn wrote %q", out)
	}
}

// TestRequestLogThroughMain: the running server logs each request in the
// configured form, with its id, route and status, and never its query.
func TestRequestLogThroughMain(t *testing.T) {
	t.Parallel()
	var buf testlog.Buffer
	vars := map[string]string{"ADDR": "127.0.0.1:0", "DATA_DIR": t.TempDir(), "BCRYPT_COST": "4", "BCRYPT_COST_UNSAFE": "1", "LOG_FORMAT": "json"}
	cfg, err := LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := runMain(t, vars, newLogger(cfg.LogFormat, cfg.LogLevel, &buf).Handler(), nil)
	resp, err := http.Get("http://" + m.Addr() + "/api/user-data?jwt=not-a-token-secret")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	var line map[string]any
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, id) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
		}
	}
	if line == nil || line["route"] != "GET /api/user-data" || line["status"] != float64(422) || line["path"] != "/api/user-data" {
		t.Fatalf("request line = %v (X-Request-Id %q)\n%s", line, id, buf.String())
	}
	if strings.Contains(buf.String(), "not-a-token-secret") {
		t.Fatalf("the log holds the query:\n%s", buf.String())
	}
}

// TestBackupCommand: tessera backup copies a SQLite database that a server
// is using, refuses to overwrite, and points PostgreSQL users to pg_dump.
func TestBackupCommand(t *testing.T) {
	t.Parallel()
	env := userEnv(t, store.SQLite)
	s := mustRunMain(t, store.SQLite, map[string]string{"DATA_DIR": env["DATA_DIR"]})
	for _, name := range []string{"apple", "banana"} {
		if code, b := send(t, "POST", s.url+"/api/register", `{"username":"`+name+`","password":"orchard-pass"}`, ""); code != 200 {
			t.Fatalf("register: %d %s", code, b)
		}
	}
	run := func(env map[string]string, args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		code := runBackup(context.Background(), args, &out, &errs, func(k string) string { return env[k] })
		return code, out.String(), errs.String()
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	code, out, errs := run(env, path)
	if code != 0 || !strings.Contains(out, "backed up 2 users to "+path) || errs != "" {
		t.Fatalf("backup = %d %q %q", code, out, errs)
	}
	copyEnv := map[string]string{"DATABASE_URL": "sqlite:" + path, "DATA_DIR": t.TempDir()}
	if r := runUserCmd(t, copyEnv, "", "list"); r.code != 0 || !strings.Contains(r.stdout, "apple") || !strings.Contains(r.stdout, "banana") {
		t.Fatalf("users of the copy: %+v", r)
	}
	if code, _, errs := run(env, path); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("second backup to the same path = %d %q", code, errs)
	}
	if code, _, errs := run(env); code != 2 || !strings.Contains(errs, "Usage: tessera backup PATH") {
		t.Fatalf("backup without a path = %d %q", code, errs)
	}
	if code, _, errs := run(map[string]string{"DATA_DIR": t.TempDir()}, filepath.Join(t.TempDir(), "x.db")); code != 1 || !strings.Contains(errs, "there is no database") {
		t.Fatalf("backup of a DATA_DIR without a database = %d %q", code, errs)
	}
	if slices.Contains(storetest.Kinds(t), store.Postgres) {
		pg := map[string]string{"DATABASE_URL": storetest.DSN(t, store.Postgres), "DATA_DIR": t.TempDir()}
		if code, _, errs := run(pg, filepath.Join(t.TempDir(), "x.db")); code != 2 || !strings.Contains(errs, "pg_dump") {
			t.Fatalf("backup on PostgreSQL = %d %q", code, errs)
		}
	}
}

// TestMetricsAddrTaken: a METRICS_ADDR that cannot be listened on stops
// the start with a message naming it, and leaves nothing behind: a server
// on the same SQLite file starts after it.
func TestMetricsAddrTaken(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	vars := map[string]string{"ADDR": "127.0.0.1:0", "DATA_DIR": t.TempDir(), "BCRYPT_COST": "4", "BCRYPT_COST_UNSAFE": "1", "METRICS_ADDR": taken.Addr().String()}
	cfg, err := LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		m.Close()
		t.Fatalf("Run with METRICS_ADDR taken = %v, want an error naming METRICS_ADDR", err)
	}
	vars["METRICS_ADDR"] = "127.0.0.1:0"
	s := runMain(t, vars, slog.NewTextHandler(io.Discard, nil), nil)
	if code, b := send(t, "GET", "http://"+s.Addr()+"/api/healthz", "", ""); code != 200 {
		t.Fatalf("healthz after the failed start: %d %s", code, b)
	}
}
