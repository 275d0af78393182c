//go:build !(js && wasm)

package ui

// Host stubs of js_wasm.go: the server only prerenders pages, and file
// previews and downloads are only made in the browser.

func newBlobURL(data []byte, contentType string) string { return "" }

func revokeBlobURL(u string) {}

func saveBlobURL(u, name string) {}
