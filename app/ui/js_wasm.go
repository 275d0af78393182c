//go:build js && wasm

package ui

import "syscall/js"

// newBlobURL copies data into a JavaScript Blob of type contentType and
// returns an object URL ("blob:<origin>/<uuid>") for it. The URL names the
// bytes held by this page only: no token, no request to the server. Free it
// with revokeBlobURL.
func newBlobURL(data []byte, contentType string) string {
	arr := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	blob := js.Global().Get("Blob").New([]any{arr}, map[string]any{"type": contentType})
	return js.Global().Get("URL").Call("createObjectURL", blob).String()
}

// revokeBlobURL frees an URL made by newBlobURL.
func revokeBlobURL(u string) {
	if u != "" {
		js.Global().Get("URL").Call("revokeObjectURL", u)
	}
}

// saveBlobURL asks the browser to save the blob at u as a file called name,
// as a click on <a href=u download=name> does.
func saveBlobURL(u, name string) {
	doc := js.Global().Get("document")
	a := doc.Call("createElement", "a")
	a.Set("href", u)
	a.Set("download", name)
	a.Get("style").Set("display", "none")
	doc.Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
}
