package ui

import (
	"context"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"tessera/shared"
)

// Env is what the pages of one browser tab share: the API client, the
// store of its tokens, and the flash that carries a notice and a page to
// return to across a navigation. The wasm binary builds it with NewEnv and
// passes it to RegisterEnv; tests build their own with newEnv.
//
// Pages use it only from OnMount and event handlers, which go-app calls in
// the browser only: the server's prerender (Register) has no Env.
type Env struct {
	client *shared.Client
	tokens *LocalTokenStore // the client's store
	flash  flash

	// settings are the server's, read from the page at start; used on
	// the UI goroutine only.
	settings Settings

	// The UI goroutine's: how many pages were shown, the one shown, and
	// what the user typed into the prerendered page before the app took
	// it over (see takeTyped, takeFocus).
	shown   int
	current *pageState
	typed   typedState

	net connectivity
}

// typedState is what the user had typed into the inputs of the prerendered
// page, by id, and where the focus and the selection were.
type typedState struct {
	values     map[string]string
	focus      string
	start, end int
}

// takeTyped returns what was typed into the prerendered input id, and
// forgets it. Only the first page of the tab finds anything.
func (e *Env) takeTyped(id string) (string, bool) {
	if e == nil {
		return "", false
	}
	v, ok := e.typed.values[id]
	delete(e.typed.values, id)
	return v, ok
}

// takeFocus returns the id of the input that had the focus on the
// prerendered page and its selection, once; "" when none did.
func (e *Env) takeFocus() (id string, start, end int) {
	t := e.typed
	e.typed = typedState{}
	return t.focus, t.start, t.end
}

// connectivity is whether Tessera answered the app's last call, and who
// watches it. It is safe for concurrent use.
type connectivity struct {
	mu       sync.Mutex
	offline  bool
	next     int
	watchers map[int]func(online bool)
}

// online reports whether Tessera answered the last call (true until one
// went unanswered).
func (e *Env) online() bool {
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	return !e.net.offline
}

// setOnline records whether Tessera answered, and tells the watchers when
// that changes.
func (e *Env) setOnline(on bool) {
	e.net.mu.Lock()
	changed := e.net.offline == on
	e.net.offline = !on
	var fns []func(bool)
	if changed {
		for _, fn := range e.net.watchers {
			fns = append(fns, fn)
		}
	}
	e.net.mu.Unlock()
	for _, fn := range fns {
		fn(on)
	}
}

// watchOnline calls fn with each change of online until stop is called.
func (e *Env) watchOnline(fn func(online bool)) (stop func()) {
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	if e.net.watchers == nil {
		e.net.watchers = map[int]func(bool){}
	}
	id := e.net.next
	e.net.next++
	e.net.watchers[id] = fn
	return func() {
		e.net.mu.Lock()
		delete(e.net.watchers, id)
		e.net.mu.Unlock()
	}
}

// NewEnv returns the Env of this browser tab: a client of the API served
// at the page's origin, with its tokens in localStorage under TokensKey,
// the server's Settings that the page the app started from carries, and
// what the user typed into that page before the app started. Call it
// before app.RunWhenOnBrowser, which replaces the prerendered page.
func NewEnv() *Env {
	env := newEnv(pageOrigin(), NewLocalTokenStore(TokensKey))
	env.settings = pageSettings()
	env.typed = typedInPage()
	watchConnection(func(online bool) {
		if !online {
			env.setOnline(false)
			return
		}
		// Back online: the page tries again (on the UI goroutine).
		if s := env.current; s != nil && s.ctx.Context != nil {
			s.dispatch(func(app.Context) { s.tryAgain() })
		}
	})
	return env
}

// pageSettings returns the settings the pages render with: the server's
// (see NewEnv), or the zero Settings without an Env (the server's
// prerender, which gets them in OnPreRender).
func (e *Env) pageSettings() Settings {
	if e == nil {
		return Settings{}
	}
	return e.settings
}

// newEnv returns an Env whose client calls the API at baseURL with the
// tokens of store; refreshes run inside refreshLock.
func newEnv(baseURL string, store *LocalTokenStore) *Env {
	return &Env{
		client: shared.NewClient(baseURL, store, shared.WithSharedLock(refreshLock(store))),
		tokens: store,
	}
}

// refreshLockName is the Web Lock every tab of the app takes around a
// refresh of the tokens.
const refreshLockName = "tessera-refresh"

// tokensSettle is how long a tab keeps the refresh lock after it saved new
// tokens. localStorage is not synchronized between a browser's processes:
// another tab's copy is updated by a message that may arrive after the
// lock is granted to that tab, which would then read the old tokens and
// spend the retired refresh token. The caller does not wait for this; only
// the tabs queued behind the refresh do.
const tokensSettle = 200 * time.Millisecond

// refreshLock returns the lock of shared.WithSharedLock for a client of
// store: the Web Lock refreshLockName, shared by all the app's tabs (and
// windows) of a browser profile. A refresh in one tab waits for a refresh
// in another to finish, then finds the new tokens in store instead of
// spending the retired refresh token, which the server would take for a
// stolen token. Without the Web Locks API fn runs at once.
func refreshLock(store *LocalTokenStore) func(ctx context.Context, fn func()) error {
	return func(ctx context.Context, fn func()) error {
		return webLock(ctx, refreshLockName, func() time.Duration {
			before := store.Load()
			fn()
			if store.Load() != before {
				return tokensSettle
			}
			return 0
		})
	}
}

// flash carries a notice (and its kind) and a page to return to across one
// in-app navigation (for example "Your session has ended" to the sign-in
// page). It lives in memory only: nothing of it reaches a URL or storage
// (go-app's ctx.GetState would read a state it does not hold from
// localStorage). It is safe for concurrent use.
type flash struct {
	mu         sync.Mutex
	notice     string
	noticeKind string
	returnTo   string
}

// setNotice makes msg, of kind noticeInfo or noticeSuccess, the notice of
// the next page shown.
func (f *flash) setNotice(msg, kind string) {
	f.mu.Lock()
	f.notice, f.noticeKind = msg, kind
	f.mu.Unlock()
}

// takeNotice returns the pending notice and its kind, and forgets them.
func (f *flash) takeNotice() (msg, kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	msg, kind = f.notice, f.noticeKind
	f.notice, f.noticeKind = "", ""
	return msg, kind
}

// setReturnTo makes path the page to show after the next sign-in.
func (f *flash) setReturnTo(path string) {
	f.mu.Lock()
	f.returnTo = path
	f.mu.Unlock()
}

// takeReturnTo returns the page to show after signing in (the protected
// page that sent the user to sign in), or def, and forgets it. Only the
// app's protected pages are returned to.
func (f *flash) takeReturnTo(def string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.returnTo
	f.returnTo = ""
	switch path {
	case PathAccount, PathFiles, PathSessions, PathPassword, PathActivity:
		return path
	}
	return def
}
