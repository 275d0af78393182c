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

var errMissingCredentials = backend.Errorf(shared.CodeMissingCredentials, "password or username has not been entered")

// readCredentials reads a username and password from a JSON body, either
// plain {"username": ..., "password": ...} or in the seed's envelope
// {"body": "<that JSON as a string>"}. Missing, empty or non-string fields
// give the seed's "has not been entered" error.
func readCredentials(w http.ResponseWriter, r *http.Request) (shared.Credentials, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || mt == "text/plain" || strings.HasSuffix(mt, "+json")) {
			return shared.Credentials{}, backend.Errorf(shared.CodeUnsupportedMedia, "Content-Type must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return shared.Credentials{}, backend.Errorf(shared.CodeBodyTooLarge, "Request body is too large (limit %d KiB)", maxBodyBytes>>10)
		}
		return shared.Credentials{}, backend.Errorf(shared.CodeInvalidJSON, "Request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return shared.Credentials{}, errMissingCredentials
	}
	fields, err := jsonObject(body)
	if err != nil {
		return shared.Credentials{}, err
	}
	if env, ok := fields["body"]; ok {
		// The seed's clients send the credentials as a JSON string inside
		// "body"; accept an object there too.
		var inner string
		if json.Unmarshal(env, &inner) == nil {
			env = []byte(inner)
		}
		if fields, err = jsonObject(env); err != nil {
			return shared.Credentials{}, backend.Errorf(shared.CodeInvalidJSON, `The "body" field must hold a JSON object`)
		}
	}
	var c shared.Credentials
	if json.Unmarshal(fields["username"], &c.Username) != nil || json.Unmarshal(fields["password"], &c.Password) != nil ||
		c.Username == "" || c.Password == "" {
		return shared.Credentials{}, errMissingCredentials
	}
	return c, nil
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
