package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"tessera/shared"
)

// The request path's shortcuts must answer and log exactly what the plain
// code they stand for would.

// encoded is v as the answer's encoder writes it.
func encoded(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// checkAnswers fails when appendAnswer or writeField writes other bytes
// than the encoder would, for answers holding s.
func checkAnswers(t *testing.T, s string) {
	t.Helper()
	for _, v := range []any{
		shared.ErrorBody{Msg: s, Code: "bad_" + s},
		shared.ErrorBody{Msg: s},
		shared.TokenPair{AccessToken: s, RefreshToken: s + "x"},
		shared.TokenPair{AccessToken: s},
		shared.Message{Msg: s},
		shared.UserData{User: s},
		shared.UserDataV2{ID: -int64(len(s)) * 1e15, Username: s},
	} {
		b, ok := appendAnswer(nil, v)
		if ok != plainString(s) {
			t.Fatalf("%#v: appendAnswer took it: %v", v, ok)
		}
		if ok && string(b) != encoded(t, v) {
			t.Fatalf("%#v: appendAnswer wrote %q, the encoder %q", v, b, encoded(t, v))
		}
	}
	if plainString(s) {
		w := httptest.NewRecorder()
		(&Server{}).writeField(w, http.StatusOK, "user", s)
		if want := encoded(t, shared.UserData{User: s}); w.Body.String() != want {
			t.Fatalf("writeField wrote %q, the encoder %q", w.Body, want)
		}
	}
}

func TestAnswersAsEncoder(t *testing.T) {
	for _, s := range []string{"", "apple", "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'",
		"a&b<c>", `q"uote`, `back\slash`, "tab\t", "é", "\u2028", "\x7f", "\xff", "~ !"} {
		checkAnswers(t, s)
	}
}

func FuzzAnswersAsEncoder(f *testing.F) {
	f.Add("apple")
	f.Add("<\"\\\u2028\x00")
	f.Fuzz(checkAnswers)
}

// TestSendHeaders: send sets the headers h.Set would.
func TestSendHeaders(t *testing.T) {
	for _, cache := range []string{"", "max-age=60"} {
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		if cache != "" {
			got.Header().Set("Cache-Control", cache)
			want.Header().Set("Cache-Control", cache)
		}
		(&Server{}).send(got, http.StatusTeapot, []byte("{}\n"))
		h := want.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Content-Type-Options", "nosniff")
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-store")
		}
		if !reflect.DeepEqual(got.Header(), want.Header()) || got.Code != http.StatusTeapot || got.Body.String() != "{}\n" {
			t.Fatalf("send: %d %v %q, want headers %v", got.Code, got.Header(), got.Body, want.Header())
		}
	}
}

// checkBearer fails when bearerToken's shortcut takes a header that
// bearerFields reads otherwise.
func checkBearer(t *testing.T, header string) {
	got, err := bearerToken(header)
	want, werr := bearerFields(header)
	if got != want || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("%q: bearerToken %q, %v; bearerFields %q, %v", header, got, err, want, werr)
	}
}

func TestBearerShortcut(t *testing.T) {
	for _, h := range []string{"Bearer abc.def.ghi", "Bearer ", "Bearer  x", "Bearer x ", "Bearer x,", "Bearer a,Bearer b",
		"Bearer x\t", "Bearer x\u00a0", "Bearer é", "bearer x", "Bearer x y", "Basic x, Bearer y", ",Bearer x"} {
		checkBearer(t, h)
	}
}

func FuzzBearerShortcut(f *testing.F) {
	f.Add("Bearer abc.def.ghi")
	f.Add("Bearer x\x85")
	f.Fuzz(checkBearer)
}

// TestLogLine: a request's log line is the one Logger.LogAttrs writes
// with its eight attributes, for the JSON and the text handler.
func TestLogLine(t *testing.T) {
	// Time and duration differ from run to run.
	fixed := func(groups []string, a slog.Attr) slog.Attr {
		switch a.Key {
		case slog.TimeKey, "duration", "request_id":
			a.Value = slog.StringValue("x")
		}
		return a
	}
	opts := &slog.HandlerOptions{ReplaceAttr: fixed}
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, opts) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, opts) },
	} {
		var got, want bytes.Buffer
		s := &Server{Logger: slog.New(newHandler(&got))}
		h := s.logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("12345"))
		}))
		r := httptest.NewRequest("GET", "/api/some%20where?jwt=secret", nil)
		h.ServeHTTP(httptest.NewRecorder(), r)
		slog.New(newHandler(&want)).LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("method", "GET"),
			slog.String("route", RouteUnmatched),
			slog.String("path", "/api/some where"),
			slog.Int("status", http.StatusTeapot),
			slog.Int64("bytes", 5),
			slog.Duration("duration", 0),
			slog.String("remote", r.RemoteAddr),
			slog.String("request_id", "x"),
		)
		if got.String() != want.String() || strings.Count(got.String(), "\n") != 1 {
			t.Errorf("%s: logged\n%s\nwant\n%s", name, got.String(), want.String())
		}
	}
}
