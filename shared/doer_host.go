//go:build !(js && wasm)

package shared

import "net/http"

// defaultDoer is the Doer of a Client made without WithDoer or
// WithHTTPClient: an http.Client with DefaultTimeout.
func defaultDoer() Doer {
	return httpDoer{&http.Client{Timeout: DefaultTimeout}}
}
