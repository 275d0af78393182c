package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"tessera/backend/store/storetest"
	"tessera/shared"
)

// The benchmarks of the request path. `make bench` runs them all in one
// process; BenchmarkBareJSON runs first (it is declared first), so that
// BenchmarkUserData can report its throughput as a fraction of a bare
// net/http handler's, measured the same way in the same run.

// benchUser's answer, {"user":"benchuser"} and a newline, is as long as
// bareBody: the two benchmarks write the same number of bytes.
const (
	benchUser = "benchuser"
	bareBody  = `{"user":"bare-user"}` + "\n" // 21 bytes
)

// bareNsPerOp is BenchmarkBareJSON's last ns/op in this process, 0 until
// it ran.
var bareNsPerOp struct {
	sync.Mutex
	ns float64
}

// nsPerOp is b's wall time per operation so far.
func nsPerOp(b *testing.B) float64 { return float64(b.Elapsed().Nanoseconds()) / float64(b.N) }

// BenchmarkBareJSON is the yardstick: a bare net/http handler that writes a
// 21-byte JSON answer, through the same httptest request and recorder as
// BenchmarkUserData, with the same Authorization header.
func BenchmarkBareJSON(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(bareBody))
	})
	tok := strings.Repeat("x", 300) // about as long as an access token
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/api/user-data", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 || w.Body.Len() != len(bareBody) {
				b.Fatalf("status %d: %q", w.Code, w.Body)
			}
		}
	})
	bareNsPerOp.Lock()
	bareNsPerOp.ns = nsPerOp(b)
	bareNsPerOp.Unlock()
}

// BenchmarkUserData measures the authenticated request path: find the
// token, verify it, check its session, load the user, answer, log. It runs
// on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set. When
// BenchmarkBareJSON ran before it in this process, it reports
// bare-ratio: its requests per second over the bare handler's (1 = as
// fast).
func BenchmarkUserData(b *testing.B) {
	for _, kind := range storetest.Kinds(b) {
		b.Run(string(kind), func(b *testing.B) {
			e := newEnv(b, kind)
			e.register(benchUser, "mango")
			tok := e.login(benchUser, "mango").AccessToken
			want := fmt.Sprintf(`{"user":%q}`+"\n", benchUser)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", "/api/user-data", nil)
					r.Header.Set("Authorization", "Bearer "+tok)
					w := httptest.NewRecorder()
					e.handler.ServeHTTP(w, r)
					if w.Code != 200 || w.Body.String() != want {
						b.Fatalf("status %d: %q", w.Code, w.Body)
					}
				}
			})
			bareNsPerOp.Lock()
			bare := bareNsPerOp.ns
			bareNsPerOp.Unlock()
			if bare > 0 {
				b.ReportMetric(bare/nsPerOp(b), "bare-ratio")
			}
		})
	}
}

// BenchmarkRefresh measures refreshes with rotation from 16 clients per
// CPU, each with a session of its own and always its latest refresh token:
// the session's row is updated, a new pair
// signed. ns/op is the wall time per refresh, so 1e9/(ns/op) refreshes a
// second.
func BenchmarkRefresh(b *testing.B) {
	const perCPU = 16
	for _, kind := range storetest.Kinds(b) {
		b.Run(string(kind), func(b *testing.B) {
			e := newEnv(b, kind)
			e.srv.SessionsPerUser = 0
			e.handler = e.srv.Handler()
			e.register(benchUser, "mango")
			clients := perCPU * runtime.GOMAXPROCS(0) // RunParallel's goroutines
			tokens := make(chan string, clients)
			for range clients {
				tokens <- e.login(benchUser, "mango").RefreshToken
			}
			b.ReportAllocs()
			b.SetParallelism(perCPU)
			b.RunParallel(func(pb *testing.PB) {
				var tok string
				select {
				case tok = <-tokens:
				default:
					b.Error("too few sessions")
					return
				}
				for pb.Next() {
					r := httptest.NewRequest("POST", "/api/refresh", nil)
					r.Header.Set("Authorization", "Bearer "+tok)
					w := httptest.NewRecorder()
					e.handler.ServeHTTP(w, r)
					var p shared.TokenPair
					if w.Code != 200 || json.NewDecoder(bytes.NewReader(w.Body.Bytes())).Decode(&p) != nil || p.RefreshToken == "" {
						b.Errorf("status %d: %s", w.Code, w.Body)
						return
					}
					tok = p.RefreshToken
				}
			})
		})
	}
}

// BenchmarkLogin measures a sign-in at bcrypt cost 10, the default.
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b, "sqlite")
	e.srv.Passwords = mustHasher(b, 10)
	e.handler = e.srv.Handler()
	e.register("apple", "mango")
	body := creds("apple", "mango")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
