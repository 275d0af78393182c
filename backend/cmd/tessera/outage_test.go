package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"tessera/backend/store"
	"tessera/shared"
)

// TestDatabaseOutage restarts PostgreSQL (the command TEST_PG_RESTART) in
// the middle of a load of registrations: while it is down, requests that
// need it answer 503 (never 500) and requests the cache can answer exactly
// keep working; once it is back, full service, and every registration
// that was answered 200 is there. It restarts the server every test uses,
// so `make test` runs it alone (TEST_OUTAGE=1), after the others.
func TestDatabaseOutage(t *testing.T) {
	if os.Getenv("TEST_OUTAGE") != "1" {
		t.Skip("restarts PostgreSQL: run alone by make test-outage")
	}
	restart := os.Getenv("TEST_PG_RESTART")
	if restart == "" {
		skipOrFail(t, "TEST_PG_RESTART (a command that restarts PostgreSQL, e.g. pg_ctlcluster --skip-systemctl-redirect 15 main restart) is not set")
	}
	if os.Getenv("TEST_DATABASE_URL") == "" {
		skipOrFail(t, "TEST_DATABASE_URL is not set")
	}
	s := mustRunMain(t, store.Postgres, map[string]string{"RATE_LIMIT": "off"})
	ctx := context.Background()

	// A signed-in user whose session and user are in the cache.
	cr := shared.Credentials{Username: "steady", Password: "mango-tree"}
	c := shared.NewClient(s.url, nil)
	if err := c.Register(ctx, cr); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, cr); err != nil {
		t.Fatal(err)
	}
	access := c.Store().Load().AccessToken
	for range 2 {
		if status, body := apiCall(t, s.url, "GET", "/api/user-data", access); status != 200 {
			t.Fatalf("user-data before the outage: %d %+v", status, body)
		}
	}

	type result struct {
		name   string
		status int
	}
	var (
		mu      sync.Mutex
		results []result
		cached  = map[int]int{} // user-data from the cache: status → count
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	register := func(name string) int {
		body := strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"mango-tree"}`, name))
		req, _ := http.NewRequest("POST", s.url+"/api/register", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("register %s: %v", name, err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("user-%d-%d", g, i)
				status := register(name)
				mu.Lock()
				results = append(results, result{name, status})
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			status, _ := apiCall(t, s.url, "GET", "/api/user-data", access)
			mu.Lock()
			cached[status]++
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	})

	time.Sleep(300 * time.Millisecond)
	began := time.Now()
	if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("restart PostgreSQL (%s): %v\n%s", restart, err, out)
	}
	t.Logf("PostgreSQL restarted in %v", time.Since(began).Round(time.Millisecond))
	// Back: the health check answers 200 again.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/api/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the health check did not answer 200 within 30 s of the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("healthy again %v after the restart began", time.Since(began).Round(time.Millisecond))
	mu.Lock()
	mark := len(results)
	mu.Unlock()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	counts := map[int]int{}
	for _, r := range results {
		counts[r.status]++
	}
	t.Logf("registrations: %v; cached user-data: %v", counts, cached)
	for status, n := range counts {
		if status != 200 && status != 503 {
			t.Errorf("%d registrations answered %d, want only 200 or 503", n, status)
		}
	}
	if counts[503] == 0 {
		t.Errorf("no registration answered 503: the outage was not seen")
	}
	for status, n := range cached {
		if status != 200 {
			t.Errorf("%d cached user-data requests answered %d during the load, want 200", n, status)
		}
	}
	// Full service after: every registration after the health check came
	// back succeeded.
	after := 0
	for _, r := range results[mark:] {
		if r.status != 200 {
			t.Errorf("register %s after recovery: %d", r.name, r.status)
		}
		after++
	}
	if after == 0 {
		t.Errorf("no registration after the recovery")
	}
	// Nothing answered 200 was lost.
	for _, r := range results {
		if r.status != 200 {
			continue
		}
		if _, err := s.db.UserByName(ctx, r.name); err != nil {
			t.Errorf("registration of %s answered 200 but the user is not there: %v", r.name, err)
		}
	}
	if status, body := apiCall(t, s.url, "GET", "/api/user-data", access); status != 200 {
		t.Fatalf("user-data after the outage: %d %+v", status, body)
	}
}
