package ui

import (
	"context"
	"sync"
	"time"

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
}

// NewEnv returns the Env of this browser tab: a client of the API served
// at the page's origin (net/http in wasm uses fetch, which needs absolute
// URLs), with its tokens in localStorage under TokensKey, and the server's
// Settings that the page the app started from carries.
func NewEnv() *Env {
	env := newEnv(pageOrigin(), NewLocalTokenStore(TokensKey))
	env.settings = pageSettings()
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
// tokens of store. Each silent refresh is recorded in store for the account
// page, and refreshes run inside refreshLock.
func newEnv(baseURL string, store *LocalTokenStore) *Env {
	return &Env{
		client: shared.NewClient(baseURL, store,
			shared.WithOnRefresh(func(shared.TokenPair) {
				store.SetRenewedAt(time.Now())
			}),
			shared.WithSharedLock(refreshLock(store)),
		),
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

// flash carries a notice and a page to return to across one in-app
// navigation (for example "Your session has ended" to the sign-in page).
// It lives in memory only: nothing of it reaches a URL or storage (go-app's
// ctx.GetState would read a state it does not hold from localStorage). It
// is safe for concurrent use.
type flash struct {
	mu       sync.Mutex
	notice   string
	returnTo string
}

// setNotice makes msg the notice of the next page shown.
func (f *flash) setNotice(msg string) {
	f.mu.Lock()
	f.notice = msg
	f.mu.Unlock()
}

// takeNotice returns the pending notice and forgets it.
func (f *flash) takeNotice() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	msg := f.notice
	f.notice = ""
	return msg
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
	case PathAccount, PathFiles, PathSessions, PathPassword:
		return path
	}
	return def
}
