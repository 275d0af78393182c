package deadline_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"tessera/internal/deadline"
)

// body is larger than what loopback sockets buffer, so that the server
// waits for the client to read.
var body = bytes.Repeat([]byte("tessera "), 8<<20) // 64 MiB

// serve answers body under a 50 ms write deadline, written through write.
func serve(t *testing.T, write func(w http.ResponseWriter) error) (url string, result chan error) {
	t.Helper()
	result = make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
			t.Error(err)
		}
		result <- write(w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, result
}

// readSlowly reads the answer at url in 4 MiB steps with a pause between
// them, and returns how much it got.
func readSlowly(t *testing.T, url string, pause time.Duration) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	buf := make([]byte, 4<<20)
	for {
		k, err := io.ReadFull(resp.Body, buf)
		n += k
		if err != nil {
			return n
		}
		time.Sleep(pause)
	}
}

func TestExtending(t *testing.T) {
	t.Parallel()
	t.Run("OKSlowButSteady", func(t *testing.T) {
		t.Parallel()
		url, result := serve(t, func(w http.ResponseWriter) error {
			_, err := deadline.Extending(w, time.Second).Write(body)
			return err
		})
		if got, want := readSlowly(t, url, 30*time.Millisecond), len(body); got != want {
			t.Fatalf("read %d bytes, want %d", got, want)
		}
		if err := <-result; err != nil {
			t.Fatalf("write: %v", err)
		}
	})
	t.Run("ErrFixedDeadlineCutsIt", func(t *testing.T) {
		t.Parallel()
		url, result := serve(t, func(w http.ResponseWriter) error {
			_, err := w.Write(body)
			return err
		})
		if got := readSlowly(t, url, 30*time.Millisecond); got >= len(body) {
			t.Fatalf("read all %d bytes under a 50 ms deadline", got)
		}
		if err := <-result; err == nil {
			t.Fatal("write succeeded under a 50 ms deadline")
		}
	})
	t.Run("ErrStalledClient", func(t *testing.T) {
		t.Parallel()
		url, result := serve(t, func(w http.ResponseWriter) error {
			_, err := deadline.Extending(w, 100*time.Millisecond).Write(body)
			return err
		})
		if got := readSlowly(t, url, 400*time.Millisecond); got >= len(body) {
			t.Fatalf("read all %d bytes though it stalled longer than the idle limit", got)
		}
		if err := <-result; err == nil {
			t.Fatal("write succeeded to a stalled client")
		}
	})
	t.Run("OKNoLimit", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		if w := deadline.Extending(rec, 0); w != http.ResponseWriter(rec) {
			t.Fatal("Extending with no limit wrapped the writer")
		}
	})
}
