// Command loadgen measures Tessera under load through real listeners, with
// wrk as the client (C, so it leaves the server most of the CPU; apt-get
// install wrk): a bare net/http handler writing a 21-byte JSON answer (the
// yardstick), GET /api/user-data with an access token, and rotating
// refreshes (refresh.lua: each connection holds a session's latest refresh
// token), on SQLite and on PostgreSQL. Every server is a process of its
// own: bin/tessera (built by `make load`) once per database, and this
// program again for the bare handler. The cases run in interleaved rounds,
// and it prints each case's requests per second per round, their median,
// and the ratio of user-data to bare.
//
//	go run ./internal/loadgen [-tessera bin/tessera] [-rounds 3] [-d 10s] [-c 32] [-t 2] [-match REGEXP]
//
// -tessera old,new measures two builds side by side, in the same rounds:
// on a busy machine that is the only fair comparison.
//
// PostgreSQL: a database of its own is created on the server of -pg (the
// default: TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
// and dropped at the end; -pg off measures SQLite alone.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"tessera/shared"
)

// bareBody is the bare handler's answer, as long as Tessera's answer to
// GET /api/user-data for loadUser: {"user":"load-user"} and a newline.
const (
	bareBody = `{"user":"bare-user"}` + "\n"
	loadUser = "load-user"
	loadPass = "load-password"
)

//go:embed refresh.lua
var refreshLua []byte

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-serve-bare" {
		serveBare(os.Args[2])
		return
	}
	var o options
	flag.StringVar(&o.tessera, "tessera", "bin/tessera", "the server binary; several, comma-separated, are measured side by side (cases marked [1], [2], ...)")
	flag.StringVar(&o.pg, "pg", "", "PostgreSQL URL of a server to create the load database on (default TEST_DATABASE_URL, else the local one); off: SQLite only")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every case once")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "duration of one case in one round")
	flag.IntVar(&o.conns, "c", 32, "connections")
	flag.IntVar(&o.threads, "t", 2, "wrk threads")
	flag.StringVar(&o.match, "match", "", "run only the cases whose name matches this regular expression (the bare one always runs)")
	flag.Parse()
	if o.pg == "" {
		o.pg = os.Getenv("TEST_DATABASE_URL")
	}
	if o.pg == "" {
		o.pg = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	tessera, pg, match     string
	rounds, conns, threads int
	duration               time.Duration
}

// serveBare is the yardstick: the least a net/http server answering JSON
// does, in a process of its own.
func serveBare(addr string) {
	body := []byte(bareBody)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	if err := http.ListenAndServe(addr, h); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

// target is one case: a URL and how wrk sends to it.
type target struct {
	name   string
	group  string // the bare case's ratio is taken against "bare"
	url    string
	header string                   // -H for wrk
	script string                   // -s for wrk
	setup  func() ([]string, error) // refresh tokens, one per connection, for each run
	rates  []float64
}

func run(o options) error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return errors.New("wrk is needed (apt-get install -y wrk)")
	}
	bins := strings.Split(o.tessera, ",")
	for _, bin := range bins {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("server binary: %w (make load builds it)", err)
		}
	}
	tmp, err := os.MkdirTemp("", "tessera-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Interrupted, it still stops its servers and drops its database.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	// The servers stop first, then what they used goes.
	var procs []*exec.Cmd
	var cleanups []func()
	defer func() {
		for _, p := range procs {
			p.Process.Signal(os.Interrupt)
			p.Wait()
		}
		for _, f := range cleanups {
			f()
		}
	}()
	start := func(name string, cmd *exec.Cmd) error {
		logf, err := os.Create(filepath.Join(tmp, name+".log"))
		if err != nil {
			return err
		}
		cleanups = append(cleanups, func() { logf.Close() })
		// The servers log one line per request, as in production: to a
		// file, which nobody reads meanwhile.
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		procs = append(procs, cmd)
		return nil
	}

	// The bare handler: this program again.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bareAddr, err := freeAddr()
	if err != nil {
		return err
	}
	if err := start("bare", exec.CommandContext(ctx, self, "-serve-bare", bareAddr)); err != nil {
		return err
	}
	if err := waitUp(ctx, "http://"+bareAddr+"/"); err != nil {
		return fmt.Errorf("bare server: %w", err)
	}
	targets := []*target{{name: "bare net/http, 21-byte JSON", group: "bare", url: "http://" + bareAddr + "/api/user-data"}}

	secret := rand.Text() + rand.Text() // 52 bytes
	kinds := []string{"SQLite"}
	if o.pg != "off" {
		kinds = append(kinds, "PostgreSQL")
	}
	var userData, refresh []*target
	for i, bin := range bins {
		for _, kind := range kinds {
			name := kind
			if len(bins) > 1 {
				name += fmt.Sprintf(" [%d]", i+1)
			}
			dbURL := "" // SQLite in DATA_DIR
			if kind == "PostgreSQL" {
				u, drop, err := createDatabase(ctx, o.pg)
				if err != nil {
					fmt.Fprintf(os.Stderr, "loadgen: PostgreSQL skipped: %v\n", err)
					continue
				}
				cleanups = append(cleanups, drop)
				dbURL = u
			}
			ud, rf, err := startTessera(ctx, o, bin, name, dbURL, secret, tmp, start)
			if err != nil {
				return err
			}
			userData, refresh = append(userData, ud), append(refresh, rf)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "refresh.lua"), refreshLua, 0o600); err != nil {
		return err
	}
	targets = append(append(targets, userData...), refresh...)
	if o.match != "" {
		re, err := regexp.Compile(o.match)
		if err != nil {
			return fmt.Errorf("-match: %w", err)
		}
		targets = slices.DeleteFunc(targets, func(t *target) bool { return t.group != "bare" && !re.MatchString(t.name) })
	}

	measure := func(t *target, d time.Duration) (float64, error) {
		args := []string{"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.conns), "-d", d.String(), "--latency"}
		if t.header != "" {
			args = append(args, "-H", t.header)
		}
		if t.script != "" {
			toks, err := t.setup()
			if err != nil {
				return 0, err
			}
			file := filepath.Join(tmp, "tokens")
			if err := os.WriteFile(file, []byte(strings.Join(toks, "\n")+"\n"), 0o600); err != nil {
				return 0, err
			}
			args = append(args, "-s", t.script, t.url, "--", file, strconv.Itoa(o.threads))
		} else {
			args = append(args, t.url)
		}
		out, err := exec.CommandContext(ctx, wrk, args...).CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("wrk: %w\n%s", err, out)
		}
		return parseWrk(out)
	}

	fmt.Printf("wrk -t%d -c%d, %s per case and round, %d interleaved rounds; servers: %s (separate processes)\n",
		o.threads, o.conns, o.duration, o.rounds, o.tessera)
	for _, t := range targets {
		// Warm up: connections, pools, caches, the GC's pace.
		if _, err := measure(t, 2*time.Second); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	for round := range o.rounds {
		for _, t := range targets {
			r, err := measure(t, o.duration)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			t.rates = append(t.rates, r)
			fmt.Fprintf(os.Stderr, "round %d: %-36s %9.0f req/s\n", round+1, t.name, r)
		}
	}

	fmt.Println()
	fmt.Printf("| %-36s |", "case")
	for i := range o.rounds {
		fmt.Printf(" round %d |", i+1)
	}
	fmt.Printf(" median req/s | ratio to bare |\n|%s|", strings.Repeat("-", 38))
	for range o.rounds {
		fmt.Printf("---------|")
	}
	fmt.Printf("--------------|---------------|\n")
	bare := median(targets[0].rates)
	for _, t := range targets {
		fmt.Printf("| %-36s |", t.name)
		for _, r := range t.rates {
			fmt.Printf(" %7.0f |", r)
		}
		ratio := ""
		if t.group != "" && t.group != "bare" {
			ratio = fmt.Sprintf("%.3f", median(t.rates)/bare)
		}
		fmt.Printf(" %12.0f | %13s |\n", median(t.rates), ratio)
	}
	return nil
}

// startTessera starts the server bin on dbURL (SQLite when empty) and
// returns its two cases.
func startTessera(ctx context.Context, o options, bin, name, dbURL, secret, tmp string, start func(string, *exec.Cmd) error) (userData, refresh *target, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	label := strings.ToLower(strings.NewReplacer(" ", "", "[", "-", "]", "").Replace(name))
	dir := filepath.Join(tmp, label)
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(),
		"ADDR="+addr, "DATA_DIR="+dir, "DATABASE_URL="+dbURL, "JWT_SECRET="+secret,
		"RATE_LIMIT=off", "BCRYPT_COST=4", "BCRYPT_COST_UNSAFE=1", "SESSIONS_PER_USER=0")
	if err := start("tessera-"+label, cmd); err != nil {
		return nil, nil, err
	}
	base := "http://" + addr + "/api"
	if err := waitUp(ctx, base+"/healthz"); err != nil {
		return nil, nil, fmt.Errorf("tessera on %s: %w", name, err)
	}
	creds := shared.Credentials{Username: loadUser, Password: loadPass}
	client := shared.NewClient("http://"+addr, shared.NewMemoryTokenStore())
	if err := client.Register(ctx, creds); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	pair, err := client.Login(ctx, creds)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	userData = &target{name: "GET /api/user-data, " + name, group: name,
		url: base + "/user-data", header: "Authorization: Bearer " + pair.AccessToken}
	refresh = &target{name: "rotating refresh, " + name, url: base + "/refresh",
		script: filepath.Join(tmp, "refresh.lua"),
		setup: func() ([]string, error) {
			// A session per connection, and a spare per thread (see
			// refresh.lua), new for each run.
			toks := make([]string, o.conns+o.threads)
			for i := range toks {
				p, err := client.Login(ctx, creds)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				toks[i] = p.RefreshToken
			}
			return toks, nil
		}}
	return userData, refresh, nil
}

var (
	rateRe   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	sockRe   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk returns wrk's requests per second, or an error when any answer
// was not a success or a connection failed: a figure with failures in it
// is no figure. Answers slower than wrk's timeout (2 s) are only noted:
// they came.
func parseWrk(out []byte) (float64, error) {
	if m := non2xxRe.FindSubmatch(out); m != nil {
		return 0, fmt.Errorf("%s answers were not 2xx:\n%s", m[1], out)
	}
	if m := sockRe.FindSubmatch(out); m != nil {
		if string(m[1]) != "0" || string(m[2]) != "0" || string(m[3]) != "0" {
			return 0, fmt.Errorf("%s\n%s", m[0], out)
		}
		fmt.Fprintf(os.Stderr, "loadgen: %s answers took longer than 2 s\n", m[4])
	}
	m := rateRe.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitUp waits until url answers 200.
func waitUp(ctx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// createDatabase creates a database of its own on the server of admin and
// returns its URL and a function that drops it.
func createDatabase(ctx context.Context, admin string) (string, func(), error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("-pg: %w", err)
	}
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(admin), pgdriver.WithTimeout(5*time.Second)))
	name := "tessera_load_" + strings.ToLower(rand.Text()[:10])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	drop := func() {
		if _, err := db.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: drop database %s: %v\n", name, err)
		}
		db.Close()
	}
	return u.String(), drop, nil
}
