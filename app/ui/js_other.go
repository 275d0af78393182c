//go:build !(js && wasm)

package ui

import "context"

// Host stubs of js_wasm.go: the server only prerenders pages, and file
// previews and downloads, the lock shared by tabs and the storage events
// only exist in the browser.

func newBlobURL(data []byte, contentType string) string { return "" }

func revokeBlobURL(u string) {}

func saveBlobURL(u, name string) {}

// sharedLock runs fn at once: outside the browser there are no other tabs.
func sharedLock(ctx context.Context, fn func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fn()
	return nil
}

func watchTokensRemoved(key, markKey string, fn func(signedOut bool)) (stop func()) {
	return func() {}
}
