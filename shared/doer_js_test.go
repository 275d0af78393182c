//go:build js && wasm

// FetchDoer against a Node.js HTTP server, under go_js_wasm_exec (the
// Makefile's test-wasm): Node.js has the Fetch API, and its http module
// gives the test a real server in the same process.

package shared

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

// nodeServer starts a Node.js HTTP server on 127.0.0.1 whose requests
// handle answers, and returns its base URL.
func nodeServer(t *testing.T, handle func(method, path string, headers map[string]string, body string) (status int, header map[string]string, answer string)) string {
	t.Helper()
	require := js.Global().Get("require")
	if require.Type() != js.TypeFunction {
		t.Skip("not running under Node.js")
	}
	http := require.Invoke("http")
	handler := js.FuncOf(func(_ js.Value, args []js.Value) any {
		req, res := args[0], args[1]
		var chunks []string
		var onData, onEnd js.Func
		onData = js.FuncOf(func(_ js.Value, a []js.Value) any {
			chunks = append(chunks, a[0].Call("toString").String())
			return nil
		})
		onEnd = js.FuncOf(func(js.Value, []js.Value) any {
			defer onData.Release()
			defer onEnd.Release()
			headers := map[string]string{}
			keys := js.Global().Get("Object").Call("keys", req.Get("headers"))
			for i := range keys.Length() {
				k := keys.Index(i).String()
				headers[k] = req.Get("headers").Get(k).String()
			}
			status, h, answer := handle(req.Get("method").String(), req.Get("url").String(), headers, strings.Join(chunks, ""))
			if status == 0 {
				return nil // never answer
			}
			for k, v := range h {
				res.Call("setHeader", k, v)
			}
			res.Set("statusCode", status)
			res.Call("end", answer)
			return nil
		})
		req.Call("on", "data", onData)
		req.Call("on", "end", onEnd)
		return nil
	})
	srv := http.Call("createServer", handler)
	listening := make(chan struct{})
	onListen := js.FuncOf(func(js.Value, []js.Value) any { close(listening); return nil })
	srv.Call("listen", 0, "127.0.0.1", onListen)
	<-listening
	onListen.Release()
	port := srv.Call("address").Get("port").Int()
	t.Cleanup(func() {
		srv.Call("closeAllConnections")
		srv.Call("close")
		handler.Release()
	})
	return "http://127.0.0.1:" + js.Global().Get("String").Invoke(port).String()
}

func TestFetchDoer(t *testing.T) {
	base := nodeServer(t, func(method, path string, h map[string]string, body string) (int, map[string]string, string) {
		switch path {
		case "/never":
			return 0, nil, ""
		case "/expired":
			return 401, map[string]string{"Content-Type": "application/json", "Retry-After": "3"}, `{"msg":"Token has expired","code":"token_expired"}`
		}
		echo, _ := json.Marshal(map[string]string{"method": method, "path": path, "auth": h["authorization"], "type": h["content-type"], "body": body})
		return 200, map[string]string{"Content-Type": "application/json", "X-Many-Parts": "yes"}, string(echo)
	})
	d := FetchDoer{}

	t.Run("OKPostWithHeadersAndBody", func(t *testing.T) {
		resp, err := d.Do(t.Context(), &Request{
			Method: "POST", URL: base + "/api/login",
			Header: map[string]string{"Authorization": "Bearer tok", "Content-Type": "application/json"},
			Body:   []byte(`{"username":"a"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var echo map[string]string
		if err := json.Unmarshal(b, &echo); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
		want := map[string]string{"method": "POST", "path": "/api/login", "auth": "Bearer tok", "type": "application/json", "body": `{"username":"a"}`}
		for k, v := range want {
			if echo[k] != v {
				t.Errorf("the server saw %s = %q, want %q", k, echo[k], v)
			}
		}
		if resp.StatusCode != 200 || resp.Header["Content-Type"] != "application/json" {
			t.Errorf("status %d, headers %v", resp.StatusCode, resp.Header)
		}
		// Only the headers the Client reads are kept.
		if _, ok := resp.Header["X-Many-Parts"]; ok {
			t.Errorf("headers %v hold X-Many-Parts, which the Client never reads", resp.Header)
		}
	})

	t.Run("OKErrorAnswer", func(t *testing.T) {
		resp, err := d.Do(t.Context(), &Request{Method: "GET", URL: base + "/expired"})
		if err != nil {
			t.Fatal(err)
		}
		e := readError(resp)
		if e.Status != 401 || e.Code != CodeTokenExpired || e.RetryAfter != 3*time.Second {
			t.Errorf("readError = %+v", e)
		}
	})

	t.Run("ErrContextEnds", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := d.Do(ctx, &Request{Method: "GET", URL: base + "/never"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("returned after %v", took)
		}
	})

	t.Run("ErrTimeout", func(t *testing.T) {
		_, err := FetchDoer{Timeout: 100 * time.Millisecond}.Do(t.Context(), &Request{Method: "GET", URL: base + "/never"})
		if !errors.Is(err, errTimeout) {
			t.Errorf("err = %v, want errTimeout", err)
		}
	})

	t.Run("ErrNoServer", func(t *testing.T) {
		_, err := d.Do(t.Context(), &Request{Method: "GET", URL: "http://127.0.0.1:1/"})
		if err == nil || SessionOver(err) {
			t.Errorf("err = %v, want a network error", err)
		}
	})

	// The Client's default Doer in a browser build goes through fetch.
	t.Run("OKClientDefault", func(t *testing.T) {
		c := NewClient(base, storeWithPair(TokenPair{AccessToken: "a", RefreshToken: "r"}))
		_, err := c.UserDataV2(t.Context())
		if err != nil {
			t.Fatalf("UserDataV2 through fetch: %v", err)
		}
	})
}

func storeWithPair(p TokenPair) *MemoryTokenStore {
	s := NewMemoryTokenStore()
	s.Save(p)
	return s
}
