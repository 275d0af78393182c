package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"tessera/backend"
	"tessera/shared"
)

var errMissingCredentials = backend.Errorf(shared.CodeMissingCredentials, shared.MsgMissingCredentials)

// readCredentials reads a username and password from a JSON body, either
// plain {"username": ..., "password": ...} or in the envelope of the Flask
// app's front-end {"body": "<that JSON as a string>"}. Missing, empty or
// non-string fields give the Flask app's "has not been entered" error.
func readCredentials(w http.ResponseWriter, r *http.Request) (shared.Credentials, error) {
	fields, err := readObject(w, r)
	if err != nil {
		if err == errEmptyBody {
			err = errMissingCredentials
		}
		return shared.Credentials{}, err
	}
	c := shared.Credentials{Username: stringField(fields, "username"), Password: stringField(fields, "password")}
	if c.Username == "" || c.Password == "" {
		return shared.Credentials{}, errMissingCredentials
	}
	return c, nil
}

var errEmptyBody = backend.Errorf(shared.CodeInvalidJSON, "Request body is empty")

// readObject reads a JSON object from the body, plain or in the Flask
// front-end's envelope {"body": "<JSON>"} (an object there is accepted too).
// A body must be sent as Content-Type application/json (any charset; or a
// +json type): a browser preflights such a POST from another origin, which
// it does not for text/plain or a form. It must be at most maxBodyBytes
// long.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	if err := checkJSONType(r); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, backend.Errorf(shared.CodeBodyTooLarge, "Request body is too large (limit %d KiB)", maxBodyBytes>>10)
		}
		return nil, backend.Errorf(shared.CodeInvalidJSON, "Request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errEmptyBody
	}
	fields, err := jsonObject(body)
	if err != nil {
		return nil, err
	}
	if env, ok := fields["body"]; ok {
		var inner string
		if json.Unmarshal(env, &inner) == nil {
			env = []byte(inner)
		}
		if fields, err = jsonObject(env); err != nil {
			return nil, backend.Errorf(shared.CodeInvalidJSON, `The "body" field must hold a JSON object`)
		}
	}
	return fields, nil
}

// checkJSONType refuses (415) a request that has a body (of a length that
// is not known, too) but not of Content-Type application/json (any
// charset) or a +json type: a browser preflights a cross-site POST of
// JSON, which it does not for text/plain or a form.
func checkJSONType(r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return backend.Errorf(shared.CodeUnsupportedMedia, "Content-Type must be application/json")
	}
	return nil
}

// stringField returns fields[name] when it is a JSON string, else "".
func stringField(fields map[string]json.RawMessage, name string) string {
	var v string
	if json.Unmarshal(fields[name], &v) != nil {
		return ""
	}
	return v
}

// jsonObject decodes b as one JSON object.
func jsonObject(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, backend.Errorf(shared.CodeInvalidJSON, "Request body must be a JSON object")
		}
		return nil, backend.Errorf(shared.CodeInvalidJSON, "Request body is not valid JSON")
	}
	if fields == nil {
		return nil, backend.Errorf(shared.CodeInvalidJSON, "Request body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, backend.Errorf(shared.CodeInvalidJSON, "Request body is not valid JSON")
	}
	return fields, nil
}
