package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"tessera/backend/api"
	"tessera/backend/store"
)

// openAPIFile is the document the package embeds and serves at
// GET /api/openapi.json (tests run in the package's folder).
const openAPIFile = "openapi.json"

// loadOpenAPI reads, loads and validates the API's OpenAPI document.
func loadOpenAPI() (*openapi3.T, error) {
	data, err := os.ReadFile(openAPIFile)
	if err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", openAPIFile, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", openAPIFile, err)
	}
	return doc, nil
}

// answerValidator checks answers against the OpenAPI document.
type answerValidator struct {
	router routers.Router
	// valid holds the answerKey of every answer found valid. Answers
	// repeat (one error for many requests, one user name), and each check
	// compiles the schemas it uses again: a repeated answer is checked
	// once.
	valid sync.Map
}

// openAPIValidator is built once per test binary; afterwards its router
// is only read and its cache is a sync.Map, so the many parallel tests
// that call env.do share it safely.
var openAPIValidator = sync.OnceValues(func() (*answerValidator, error) {
	doc, err := loadOpenAPI()
	if err != nil {
		return nil, err
	}
	// A path parameter named "path" spans segments, as the server's
	// {path...} pattern does (GET /api/files/{path}); gorilla/mux's
	// {path:.+} matches it so, where {path} would match one segment only.
	// Only the key of the path changes, in this load of the document that
	// the validator keeps to itself; its operations stay as written.
	for _, p := range doc.Paths.Keys() {
		if strings.HasSuffix(p, "/{path}") {
			item := doc.Paths.Value(p)
			doc.Paths.Delete(p)
			doc.Paths.Set(strings.TrimSuffix(p, "{path}")+"{path:.+}", item)
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", openAPIFile, err)
	}
	return &answerValidator{router: router}, nil
})

// validateAnswer checks an answer to r against the OpenAPI document: its
// status must be documented for the operation, and its headers, content
// type and body must match that response. Requests that are no operation
// of the document (an unknown path, another method, a CORS preflight,
// HEAD) are not checked and give nil. The request itself is not
// validated: tests send bad requests on purpose.
func validateAnswer(r *http.Request, status int, header http.Header, body []byte) error {
	v, err := openAPIValidator()
	if err != nil {
		return err
	}
	route, params, err := v.router.FindRoute(r)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the operation: %w", err)
	}
	key, cacheable := answerKey(route, status, header, body)
	if cacheable {
		if _, ok := v.valid.Load(key); ok {
			return nil
		}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    r,
			PathParams: params,
			Route:      route,
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		return fmt.Errorf("%s %s: %w", route.Method, route.Path, err)
	}
	if cacheable {
		v.valid.Store(key, struct{}{})
	}
	return nil
}

// answerKey is what the check of an answer to an operation depends on:
// the status, the content type, the headers the response documents and
// the body. A documented header that takes any string (X-Request-Id, new
// for each request) counts by its presence alone. An undocumented status
// has no key.
func answerKey(route *routers.Route, status int, header http.Header, body []byte) (string, bool) {
	resp := route.Operation.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %d\n%q\n", route.Method, route.Path, status, header.Values("Content-Type"))
	for _, name := range slices.Sorted(maps.Keys(resp.Value.Headers)) {
		values := header.Values(name)
		if h := resp.Value.Headers[name]; len(values) == 1 && h.Value != nil && anyString(h.Value.Schema) {
			values = []string{"(any string)"}
		}
		fmt.Fprintf(&b, "%s: %q\n", name, values)
	}
	b.Write(body)
	return b.String(), true
}

// anyString reports whether s is exactly {"type": "string"}, which every
// header value matches.
func anyString(s *openapi3.SchemaRef) bool {
	if s == nil || s.Value == nil {
		return false
	}
	b, err := json.Marshal(s.Value)
	return err == nil && string(b) == `{"type":"string"}`
}

// checkAnswer reports on t an answer that the OpenAPI document does not
// describe (see validateAnswer).
func checkAnswer(t testing.TB, r *http.Request, w *httptest.ResponseRecorder) {
	t.Helper()
	res := w.Result()
	defer res.Body.Close()
	body := w.Body.Bytes()
	if err := validateAnswer(r, res.StatusCode, res.Header, body); err != nil {
		const limit = 2 << 10
		shown := body
		if len(shown) > limit {
			shown = shown[:limit]
		}
		t.Errorf("%s %s answered %d %q, which the OpenAPI document does not describe: %v", r.Method, r.URL.RequestURI(), res.StatusCode, shown, err)
	}
}

// TestOpenAPIDocument: the document loads and validates as OpenAPI 3.1,
// is kept pretty-printed, and is served byte for byte.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := doc.OpenAPI, "3.1.0"; got != want {
		t.Errorf("openapi = %q, want %q", got, want)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("the document is not read as OpenAPI 3.1")
	}
	if _, err := openAPIValidator(); err != nil {
		t.Fatalf("validator: %v", err)
	}

	file, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	// Pretty-printed with two spaces and a final newline, as json.Indent
	// writes it, so that diffs of the document stay readable.
	var compact, indented bytes.Buffer
	if err := json.Compact(&compact, file); err != nil {
		t.Fatalf("%s is not JSON: %v", openAPIFile, err)
	}
	if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteByte('\n')
	if !bytes.Equal(indented.Bytes(), file) {
		t.Errorf("%s is not indented with two spaces as json.Indent would (with a final newline)", openAPIFile)
	}

	srv := &api.Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := httptest.NewRequest("GET", "/api/openapi.json", nil)
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: status %d, want 200", w.Code)
	}
	if got, want := w.Header().Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if !bytes.Equal(w.Body.Bytes(), file) {
		t.Errorf("GET /api/openapi.json served %d bytes that differ from %s (%d bytes)", w.Body.Len(), openAPIFile, len(file))
	}
	checkAnswer(t, r, w)
}

// TestOpenAPIValidatorRejects: the check that env.do runs on every answer
// reports answers that contradict the document, and lets through only what
// it documents or does not cover.
func TestOpenAPIValidatorRejects(t *testing.T) {
	t.Parallel()
	jsonType := http.Header{"Content-Type": {"application/json"}}
	withHeader := func(h http.Header, kv ...string) http.Header {
		h = h.Clone()
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, c := range []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         string
		valid        bool
	}{
		{"UserData", "GET", "/api/user-data", 200, jsonType, `{"user":"apple"}`, true},
		{"WrongBody", "GET", "/api/user-data", 200, jsonType, `{"nope":1}`, false},
		{"ExtraField", "GET", "/api/user-data", 200, jsonType, `{"user":"apple","admin":true}`, false},
		{"NotJSON", "GET", "/api/user-data", 200, withHeader(jsonType, "Content-Type", "text/plain"), `apple`, false},
		{"UndocumentedStatus", "GET", "/api/user-data", http.StatusTeapot, jsonType, `{"msg":"I'm a teapot","code":"internal"}`, false},
		{"UndocumentedStatusOfRoute", "GET", "/api/user-data", 404, jsonType, `{"msg":"Not Found","code":"not_found"}`, false},
		{"Unauthorized", "GET", "/api/user-data", 401, withHeader(jsonType, "WWW-Authenticate", `Bearer realm="tessera"`), `{"msg":"Token has expired","code":"token_expired"}`, true},
		{"CodeOfAnotherStatus", "GET", "/api/user-data", 401, withHeader(jsonType, "WWW-Authenticate", `Bearer realm="tessera"`), `{"msg":"Not Found","code":"not_found"}`, false},
		{"NoCode", "GET", "/api/user-data", 401, withHeader(jsonType, "WWW-Authenticate", `Bearer realm="tessera"`), `{"msg":"Token has expired"}`, false},
		{"UnknownCode", "GET", "/api/user-data", 401, withHeader(jsonType, "WWW-Authenticate", `Bearer realm="tessera"`), `{"msg":"No","code":"nope"}`, false},
		{"NoChallenge", "GET", "/api/user-data", 401, jsonType, `{"msg":"Token has expired","code":"token_expired"}`, false},
		{"NoRetryAfter", "GET", "/api/user-data", 503, jsonType, `{"msg":"Database unavailable","code":"unavailable"}`, false},
		{"RetryAfter", "GET", "/api/user-data", 503, withHeader(jsonType, "Retry-After", "2"), `{"msg":"Database unavailable","code":"unavailable"}`, true},
		{"Registered", "POST", "/api/register", 200, jsonType, `"create account"`, true},
		{"RegisteredOtherwise", "POST", "/api/register", 200, jsonType, `"created"`, false},
		{"LoginWithoutRefresh", "POST", "/api/login", 200, jsonType, `{"access_token":"a"}`, false},
		{"FileInFolder", "GET", "/api/files/dir/a.png", 200, http.Header{"Content-Type": {"image/png"}}, "\x89PNG", true},
		{"FileUndocumentedStatus", "GET", "/api/files/dir/a.png", http.StatusTeapot, jsonType, `{"msg":"I'm a teapot"}`, false},
		{"SessionEnd", "DELETE", "/api/sessions/abc", 200, jsonType, `{"msg":"Session ended"}`, true},
		{"UnknownPathSkipped", "GET", "/api/nope", 404, jsonType, `{"nope":1}`, true},
		{"OtherMethodSkipped", "PUT", "/api/user-data", 405, jsonType, `{"nope":1}`, true},
		{"PreflightSkipped", "OPTIONS", "/api/user-data", 204, http.Header{}, ``, true},
		{"NoRequestID", "GET", "/api/user-data", 200, jsonType, `{"user":"apple"}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(c.method, c.path, nil)
			header := c.header.Clone()
			if c.name != "NoRequestID" { // every answer has one
				header.Set("X-Request-Id", "5f0c2b9e8d7a41c3a1e4b6d2c9f08e17")
			}
			err := validateAnswer(r, c.status, header, []byte(c.body))
			switch {
			case c.valid && err != nil:
				t.Errorf("%s %s %d %s: %v, want valid", c.method, c.path, c.status, c.body, err)
			case !c.valid && err == nil:
				t.Errorf("%s %s %d %s: valid, want an error", c.method, c.path, c.status, c.body)
			}
		})
	}
}

// TestOpenAPIFileAnswers sends the file route what the other tests do not
// (conditional requests, ranges it cannot serve, several ranges, a token
// in the query): env.do checks each answer against the document.
func TestOpenAPIFileAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	e.register("apple", "mango")
	tok := e.login("apple", "mango").AccessToken
	name := filepath.Join(e.files, "docs", "notes.txt")
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte("hello, files"), 0o600); err != nil {
		t.Fatal(err)
	}
	modified := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(name, modified, modified); err != nil {
		t.Fatal(err)
	}
	auth := func(kv ...string) map[string]string {
		h := bearer(tok)
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = kv[i+1]
		}
		return h
	}
	for _, c := range []struct {
		name   string
		path   string
		header map[string]string
		status int
	}{
		{"Whole", "/api/files/docs/notes.txt", auth(), http.StatusOK},
		{"QueryToken", "/api/files/docs/notes.txt?jwt=" + tok, nil, http.StatusOK},
		{"OneRange", "/api/files/docs/notes.txt", auth("Range", "bytes=0-4"), http.StatusPartialContent},
		{"Ranges", "/api/files/docs/notes.txt", auth("Range", "bytes=0-1,3-4"), http.StatusPartialContent},
		{"RangeOutside", "/api/files/docs/notes.txt", auth("Range", "bytes=100-200"), http.StatusRequestedRangeNotSatisfiable},
		{"NotModified", "/api/files/docs/notes.txt", auth("If-Modified-Since", modified.Add(time.Hour).Format(http.TimeFormat)), http.StatusNotModified},
		{"PreconditionFailed", "/api/files/docs/notes.txt", auth("If-Unmodified-Since", modified.Add(-time.Hour).Format(http.TimeFormat)), http.StatusPreconditionFailed},
		{"Missing", "/api/files/docs/none.txt", auth(), http.StatusNotFound},
		{"Folder", "/api/files/docs", auth(), http.StatusNotFound},
		{"NoToken", "/api/files/docs/notes.txt", nil, http.StatusUnauthorized},
		{"BadQueryToken", "/api/files/docs/notes.txt?jwt=a.b.c", nil, http.StatusUnprocessableEntity},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if w := e.do(req{method: "GET", path: c.path, header: c.header}); w.Code != c.status {
				t.Errorf("GET %s: status %d, want %d (body %q)", c.path, w.Code, c.status, w.Body)
			}
		})
	}
}
