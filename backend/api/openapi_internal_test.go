package api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// embeddedOpenAPI loads and validates the document the server serves.
func embeddedOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPI)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate openapi.json: %v", err)
	}
	return doc
}

// TestOpenAPICoversRouteTable: every route of the route table is an
// operation of the document, and every operation is a route, so neither
// can gain a route the other lacks.
func TestOpenAPICoversRouteTable(t *testing.T) {
	t.Parallel()
	doc := embeddedOpenAPI(t)
	routes := map[string]bool{}
	for _, rt := range (&Server{}).routeTable() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			t.Fatalf("pattern %q has no method", rt.pattern)
		}
		// The mux's wildcard {name...} takes the rest of the path; the
		// document writes it {name}.
		path = strings.ReplaceAll(path, "...}", "}")
		routes[method+" "+path] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(routes)) {
		if !documented[r] {
			t.Errorf("route %s is not documented in openapi.json", r)
		}
	}
	for _, op := range slices.Sorted(maps.Keys(documented)) {
		if !routes[op] {
			t.Errorf("openapi.json documents %s, which is not in the route table", op)
		}
	}
}

// TestOpenAPIErrorCodes: ErrorBody's code enum is exactly the codes of
// statusOf; every error response names the codes it may carry, each of
// them one whose status it is; and the headers that go with statuses
// (WWW-Authenticate on 401, Retry-After on 429 and 503) are required.
func TestOpenAPIErrorCodes(t *testing.T) {
	t.Parallel()
	doc := embeddedOpenAPI(t)
	errorBody := doc.Components.Schemas["ErrorBody"]
	if errorBody == nil || errorBody.Value.Properties["code"] == nil {
		t.Fatal("openapi.json has no ErrorBody schema with a code")
	}
	enum := map[string]bool{}
	for _, v := range errorBody.Value.Properties["code"].Value.Enum {
		enum[fmt.Sprint(v)] = true
	}
	for code := range statusOf {
		if !enum[code] {
			t.Errorf("code %q is missing from ErrorBody's enum", code)
		}
	}
	for code := range enum {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("ErrorBody's enum has %q, which is not a code of the server", code)
		}
	}

	for _, path := range doc.Paths.Keys() {
		ops := doc.Paths.Value(path).Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			for key, ref := range ops[method].Responses.Map() {
				where := fmt.Sprintf("%s %s %s", method, path, key)
				status, err := strconv.Atoi(key)
				if err != nil {
					t.Errorf("%s: not a status code", where)
					continue
				}
				checkResponseHeaders(t, where, status, ref.Value)
				if status < 400 {
					continue
				}
				mt := ref.Value.Content["application/json"]
				if mt == nil {
					if status != http.StatusPreconditionFailed { // a file's 412 has no body
						t.Errorf("%s: an error answer that is not JSON", where)
					}
					continue
				}
				codes := errorCodes(mt.Schema)
				if len(codes) == 0 {
					t.Errorf("%s: an error answer that names no codes (allOf ErrorBody and a required code with an enum)", where)
				}
				for _, code := range codes {
					if got, ok := statusOf[code]; !ok || got != status {
						t.Errorf("%s: code %q, which the server answers with status %d", where, code, got)
					}
				}
			}
		}
	}
}

// checkResponseHeaders reports the headers a response of status lacks.
func checkResponseHeaders(t *testing.T, where string, status int, resp *openapi3.Response) {
	t.Helper()
	if h := resp.Headers["X-Request-Id"]; h == nil || !h.Value.Required {
		t.Errorf("%s: X-Request-Id is not documented as a header every answer carries", where)
	}
	var need string
	switch status {
	case http.StatusUnauthorized:
		need = "WWW-Authenticate"
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		need = "Retry-After"
	default:
		return
	}
	if h := resp.Headers[need]; h == nil || !h.Value.Required {
		t.Errorf("%s: %s is not documented as a required header", where, need)
	}
}

// errorCodes returns the codes an error schema narrows ErrorBody to:
// allOf the ErrorBody schema and one that requires code and lists its
// values in an enum.
func errorCodes(s *openapi3.SchemaRef) []string {
	if s == nil || s.Value == nil {
		return nil
	}
	var codes []string
	isErrorBody := false
	for _, part := range s.Value.AllOf {
		if part.Ref == "#/components/schemas/ErrorBody" {
			isErrorBody = true
			continue
		}
		if !slices.Contains(part.Value.Required, "code") {
			continue // every error answer has a code: a part that does not require it names none
		}
		if code := part.Value.Properties["code"]; code != nil {
			for _, v := range code.Value.Enum {
				codes = append(codes, fmt.Sprint(v))
			}
		}
	}
	if !isErrorBody {
		return nil
	}
	return codes
}
