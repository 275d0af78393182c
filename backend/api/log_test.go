package api_test

import (
	"log/slog"
	"strings"
	"testing"

	"tessera/backend/store"
	"tessera/internal/testlog"
)

// TestLogsHoldNoToken: a token sent in ?jwt= (good, broken or on an unknown
// route) never reaches a log line, while the request itself is logged.
func TestLogsHoldNoToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	var logs testlog.Buffer
	e.srv.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	e.handler = e.srv.Handler()
	e.register("apple", "mango")
	tok := e.login("apple", "mango").AccessToken
	for _, path := range []string{
		"/api/user-data?jwt=" + tok,
		"/api/files/missing.png?jwt=" + tok,
		"/api/nope?jwt=" + tok,
		"/api/user-data?jwt=" + tok[:len(tok)-3] + "xyz",
	} {
		e.do(req{method: "GET", path: path})
	}
	out := logs.String()
	if !strings.Contains(out, `"path":"/api/user-data"`) {
		t.Fatalf("requests were not logged:\n%s", out)
	}
	sig := tok[strings.LastIndex(tok, ".")+1:]
	for _, secret := range []string{tok, sig, "jwt="} {
		if strings.Contains(out, secret) {
			t.Fatalf("log holds %q:\n%s", secret, out)
		}
	}
}
