//go:build !(js && wasm)

package ui

// Host stand-ins for js_wasm.go: the server only prerenders pages, and
// there is no page URL, history, DOM, storage, blob, other tab or lock
// outside the browser.

import (
	"context"
	"time"
)

func pageOrigin() string { return "" }

// pageSettings returns the defaults: the server prerenders with its own
// Settings (see prerenderSettings).
func pageSettings() Settings { return Settings{} }

// replaceLocation reports false: redirect then uses ctx.Navigate.
func replaceLocation(path string) bool { return false }

func clearInputs(ids ...string) {}

// localStorageArea returns an area that refuses every call, so the token
// store works from memory.
func localStorageArea() storageArea { return noStorage{} }

type noStorage struct{}

func (noStorage) getItem(string) (string, bool, error) { return "", false, errNoStorage }

func (noStorage) setItem(string, string) error { return errNoStorage }

func (noStorage) removeItem(string) error { return errNoStorage }

func newBlobURL(data []byte, contentType string) string { return "" }

func revokeBlobURL(u string) {}

func saveBlobURL(u, name string) {}

// webLock runs fn at once: outside the browser there are no other tabs.
func webLock(ctx context.Context, name string, fn func() time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fn()
	return nil
}

func watchTokensRemoved(key, markKey string, fn func(signedOut bool)) (stop func()) {
	return func() {}
}

func focusElement(id string) {}

func restoreFocus(id string, start, end int) {}

// typedInPage returns nothing: there is no prerendered page to read.
func typedInPage() typedState { return typedState{} }

func watchConnection(fn func(online bool)) {}

func showModal(id string) {}

func loadedThroughWorker() bool { return false }
