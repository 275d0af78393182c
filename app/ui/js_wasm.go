//go:build js && wasm

package ui

// Every use of a browser API by the app: the page's URL and history, the
// DOM (including the server's settings in the page's head), localStorage
// and its events, blobs and Web Locks. js_other.go has the host's
// stand-ins, for the server's prerender and the host tests.

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"syscall/js"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// pageOrigin returns "scheme://host" of the page.
func pageOrigin() string {
	u, err := url.Parse(js.Global().Get("location").Get("href").String())
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// pageSettings reads the server's Settings from the meta tags of the page
// (see Settings.headTags). A missing tag leaves its setting at its default.
func pageSettings() Settings {
	return settingsFrom(metaContent(registrationMeta))
}

// metaContent returns the content of the page's <meta name=name>, or "".
func metaContent(name string) string {
	doc := js.Global().Get("document")
	if doc.Type() != js.TypeObject {
		return ""
	}
	m := doc.Call("querySelector", `meta[name="`+name+`"]`)
	if m.Type() != js.TypeObject {
		return ""
	}
	if v := m.Get("content"); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// replaceLocation replaces the current history entry with path and shows
// its page. go-app only pushes entries (ctx.Navigate), so the URL is
// replaced with history.replaceState, then a popstate event makes go-app
// load the route of the new URL. It reports false, doing nothing, when the
// browser has no PopStateEvent.
func replaceLocation(path string) bool {
	win := js.Global()
	ev := win.Get("PopStateEvent")
	if !ev.Truthy() {
		return false
	}
	win.Get("history").Call("replaceState", nil, "", path)
	win.Call("dispatchEvent", ev.New("popstate"))
	return true
}

// clearInputs empties the page's inputs ids. go-app leaves an input as it
// is when its Value becomes "" (an empty value attribute is dropped, not
// set), so the element itself is emptied.
func clearInputs(ids ...string) {
	doc := js.Global().Get("document")
	for _, id := range ids {
		if e := doc.Call("getElementById", id); e.Truthy() {
			e.Set("value", "")
		}
	}
}

// localStorageArea returns window.localStorage as a storageArea.
func localStorageArea() storageArea {
	return localStorage{}
}

// localStorage is a storageArea backed by window.localStorage. A call the
// browser refuses with an exception (SecurityError when storage is
// disabled, QuotaExceededError) returns an error.
type localStorage struct{}

func (localStorage) do(f func(area js.Value)) (err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case error: // js.Error
			err = fmt.Errorf("localStorage: %w", r)
		default:
			err = fmt.Errorf("localStorage: %v", r)
		}
	}()
	area := js.Global().Get("localStorage") // the getter itself throws when storage is disabled
	if !area.Truthy() {
		return errNoStorage
	}
	f(area)
	return nil
}

func (l localStorage) getItem(key string) (value string, ok bool, err error) {
	err = l.do(func(area js.Value) {
		v := area.Call("getItem", key)
		if v.IsNull() || v.IsUndefined() {
			return
		}
		value, ok = v.String(), true
	})
	return value, ok, err
}

func (l localStorage) setItem(key, value string) error {
	return l.do(func(area js.Value) { area.Call("setItem", key, value) })
}

func (l localStorage) removeItem(key string) error {
	return l.do(func(area js.Value) { area.Call("removeItem", key) })
}

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

// webLock runs fn while holding the Web Lock name, which all the documents
// of this origin in the browser profile share (see requestWebLock). Without
// the Web Locks API (an old browser, or a page that is not a secure
// context: plain http other than localhost) fn runs at once.
func webLock(ctx context.Context, name string, fn func() time.Duration) error {
	return requestWebLock(ctx, webLocks(), name, fn)
}

// webLocks returns navigator.locks, or undefined when the API is missing.
func webLocks() js.Value {
	nav := js.Global().Get("navigator")
	if nav.Type() != js.TypeObject {
		return js.Undefined()
	}
	locks := nav.Get("locks")
	if locks.Type() != js.TypeObject || locks.Get("request").Type() != js.TypeFunction {
		return js.Undefined()
	}
	return locks
}

// States of a lock request.
const (
	lockWaiting   = iota // requested, not granted yet
	lockHeld             // granted (or given up on the API): fn runs or has run
	lockAbandoned        // ctx ended first: fn is never called
)

// requestWebLock calls locks.request(name, {signal}, callback) and runs fn
// once the lock is granted, in a goroutine of its own: the callback never
// blocks; it returns a Promise that is resolved when fn has returned, which
// releases the lock. requestWebLock returns when fn has returned. When fn
// returns a positive duration, the lock is held that much longer, but
// requestWebLock does not wait for it.
//
// When ctx ends before the lock is granted, it returns ctx.Err() without
// calling fn: the request is aborted, and should the lock be granted anyway
// (the abort came too late, or AbortController is missing) the callback
// resolves at once without calling fn. Once fn runs, requestWebLock waits
// for it even if ctx ends. When locks is undefined, or the browser refuses
// the request, fn runs without the lock.
//
// The js.Funcs are released when the request's promise settles: after that
// the browser calls none of them.
func requestWebLock(ctx context.Context, locks js.Value, name string, fn func() time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if locks.Type() != js.TypeObject {
		fn()
		return nil
	}

	var (
		mu    sync.Mutex
		state = lockWaiting
	)
	ran := make(chan struct{})     // closed when fn has returned
	refused := make(chan struct{}) // closed when the request failed before the grant

	var callback, executor, settled, failed js.Func
	release := func() {
		callback.Release()
		executor.Release()
		settled.Release()
		failed.Release()
	}
	// executor is the Promise's executor: fn runs on a goroutine, and the
	// promise (so the lock) is resolved after it.
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve := args[0]
		go func() {
			var linger time.Duration
			defer func() {
				close(ran)
				if linger > 0 {
					<-time.After(linger) // (time.Sleep would link more runtime code)
				}
				resolve.Invoke()
			}()
			linger = fn()
		}()
		return nil
	})
	// callback is called by the browser when the lock is granted.
	callback = js.FuncOf(func(js.Value, []js.Value) any {
		mu.Lock()
		abandoned := state == lockAbandoned
		if !abandoned {
			state = lockHeld
		}
		mu.Unlock()
		if abandoned {
			return nil // resolves at once: the lock is released
		}
		return js.Global().Get("Promise").New(executor)
	})
	settled = js.FuncOf(func(js.Value, []js.Value) any {
		release()
		return nil
	})
	failed = js.FuncOf(func(js.Value, []js.Value) any {
		close(refused)
		release()
		return nil
	})

	var (
		abort func()
		args  = []any{name}
	)
	if ac := js.Global().Get("AbortController"); ac.Type() == js.TypeFunction {
		ctrl := ac.New()
		args = append(args, map[string]any{"signal": ctrl.Get("signal")})
		abort = func() { ctrl.Call("abort") }
	}
	args = append(args, callback)
	if !callLockRequest(locks, args, settled, failed) {
		release()
		app.Log("navigator.locks.request threw: refreshing without the lock shared by tabs")
		fn()
		return nil
	}

	select {
	case <-ran:
		return nil
	case <-refused:
		// Never granted (a SecurityError, say): go on without the lock.
		mu.Lock()
		s := state
		state = lockHeld
		mu.Unlock()
		if s == lockHeld {
			<-ran // cannot happen: a granted request settles after fn
			return nil
		}
		app.Log("navigator.locks.request failed: refreshing without the lock shared by tabs")
		fn()
		return nil
	case <-ctx.Done():
		mu.Lock()
		s := state
		if s == lockWaiting {
			state = lockAbandoned
		}
		mu.Unlock()
		if s == lockHeld {
			<-ran // fn is running; it sees ctx end too
			return nil
		}
		if abort != nil {
			abort()
		}
		return ctx.Err()
	}
}

// callLockRequest calls locks.request(args...).then(settled, failed) and
// reports whether it could: a JavaScript exception means no request.
func callLockRequest(locks js.Value, args []any, settled, failed js.Func) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	locks.Call("request", args...).Call("then", settled, failed)
	return true
}

// watchTokensRemoved calls fn, on a goroutine of its own, each time another
// document of this origin (another tab) removes key from localStorage or
// clears localStorage. signedOut tells whether that tab marked the removal
// as an explicit sign-out (markKey, see LocalTokenStore.SetSigningOut); the
// mark is read when the event comes, before the tab removes it. Calling
// stop removes the listener.
func watchTokensRemoved(key, markKey string, fn func(signedOut bool)) (stop func()) {
	win := js.Global()
	if win.Get("addEventListener").Type() != js.TypeFunction {
		return func() {}
	}
	listener := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 || !tokensRemoved(args[0], key) {
			return nil
		}
		raw, ok := storageItem(args[0].Get("storageArea"), markKey)
		signedOut := signingOutMarked(raw, ok, time.Now())
		go fn(signedOut)
		return nil
	})
	win.Call("addEventListener", "storage", listener)
	var once sync.Once
	return func() {
		once.Do(func() {
			win.Call("removeEventListener", "storage", listener)
			listener.Release()
		})
	}
}

// storageItem is area.getItem(key); ok is false when there is none or the
// browser refuses.
func storageItem(area js.Value, key string) (value string, ok bool) {
	defer func() {
		if recover() != nil {
			value, ok = "", false
		}
	}()
	if area.Type() != js.TypeObject {
		return "", false
	}
	v := area.Call("getItem", key)
	if v.Type() != js.TypeString {
		return "", false
	}
	return v.String(), true
}

// tokensRemoved reports whether the StorageEvent e removed key from
// localStorage (a removeItem, or a clear, whose key is null).
func tokensRemoved(e js.Value, key string) (removed bool) {
	defer func() {
		if recover() != nil { // reading localStorage can throw when it is disabled
			removed = false
		}
	}()
	k := e.Get("key")
	if !k.IsNull() && (k.Type() != js.TypeString || k.String() != key || !e.Get("newValue").IsNull()) {
		return false
	}
	return e.Get("storageArea").Equal(js.Global().Get("localStorage"))
}

// focusElement moves the focus to the element id, if there is one.
func focusElement(id string) {
	if e := js.Global().Get("document").Call("getElementById", id); e.Truthy() {
		e.Call("focus")
	}
}

// restoreFocus focuses the input id and selects start to end in it, where
// the user was on the prerendered page.
func restoreFocus(id string, start, end int) {
	e := js.Global().Get("document").Call("getElementById", id)
	if !e.Truthy() {
		return
	}
	e.Call("focus")
	defer func() { _ = recover() }() // inputs without a selection throw
	e.Call("setSelectionRange", start, end)
}

// typedInPage reads what the user typed into the inputs of the
// prerendered page (those with an id and a value), and where the focus
// and the selection are, before the app replaces the page.
func typedInPage() typedState {
	t := typedState{values: map[string]string{}}
	doc := js.Global().Get("document")
	if doc.Type() != js.TypeObject {
		return t
	}
	inputs := doc.Call("querySelectorAll", "input[id]")
	for i := range inputs.Length() {
		in := inputs.Index(i)
		if v := in.Get("value").String(); v != "" && in.Get("type").String() != "hidden" {
			t.values[in.Get("id").String()] = v
		}
	}
	if a := doc.Get("activeElement"); a.Truthy() && a.Get("tagName").String() == "INPUT" && a.Get("id").String() != "" {
		t.focus = a.Get("id").String()
		if s := a.Get("selectionStart"); s.Type() == js.TypeNumber {
			t.start, t.end = s.Int(), a.Get("selectionEnd").Int()
		}
	}
	return t
}

// watchConnection calls fn, on a goroutine of its own, with false when the
// browser goes offline and true when it is back online (the window's
// offline and online events). It lasts as long as the page.
func watchConnection(fn func(online bool)) {
	win := js.Global()
	if win.Get("addEventListener").Type() != js.TypeFunction {
		return
	}
	for _, ev := range []string{"online", "offline"} {
		online := ev == "online"
		win.Call("addEventListener", ev, js.FuncOf(func(js.Value, []js.Value) any {
			go fn(online)
			return nil
		}))
	}
}

// showModal shows the <dialog> id as a modal dialog: the rest of the page
// is inert until it closes, and Escape closes it.
func showModal(id string) {
	d := js.Global().Get("document").Call("getElementById", id)
	if d.Truthy() && d.Get("showModal").Type() == js.TypeFunction && !d.Get("open").Bool() {
		d.Call("showModal")
	}
}

// loadedThroughWorker reports whether the page's own load went through a
// service worker (its navigation timing's workerStart).
func loadedThroughWorker() bool {
	nav := js.Global().Get("performance").Call("getEntriesByType", "navigation")
	return nav.Length() > 0 && nav.Index(0).Get("workerStart").Float() > 0
}
