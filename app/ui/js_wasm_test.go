//go:build js && wasm

package ui

// Tests of the Web Locks wrapper against a small in-page implementation of
// navigator.locks (Node has none), and of the storage event filter. The
// rest of the package's tests are host tests; run these under Node with:
//
//	PATH="$PATH:$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm go test -run 'WebLock|TokensRemoved' ./app/ui/

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"
)

// fakeLocksJS is an exclusive-only LockManager: request(name, [options],
// callback) with options.signal, one queue per name, the callback's
// return value (a promise or not) held until settled.
const fakeLocksJS = `
const queues = new Map();
const held = new Set();
const stats = {granted: 0, aborted: 0};
function pump(name) {
	if (held.has(name)) return;
	const q = queues.get(name) || [];
	const r = q.shift();
	if (!r) return;
	held.add(name);
	stats.granted++;
	Promise.resolve().then(() => r.cb({name})).then(
		v => { held.delete(name); r.resolve(v); pump(name); },
		e => { held.delete(name); r.reject(e); pump(name); });
}
return {
	stats,
	request(name, options, cb) {
		if (typeof options === 'function') { cb = options; options = {}; }
		return new Promise((resolve, reject) => {
			const r = {cb, resolve, reject};
			const signal = options && options.signal;
			if (signal) {
				if (signal.aborted) { reject(new Error('AbortError')); return; }
				signal.addEventListener('abort', () => {
					const q = queues.get(name) || [];
					const i = q.indexOf(r);
					if (i >= 0) { q.splice(i, 1); stats.aborted++; reject(new Error('AbortError')); }
				});
			}
			if (!queues.has(name)) queues.set(name, []);
			queues.get(name).push(r);
			pump(name);
		});
	},
};`

func newFakeLocks(t *testing.T) js.Value {
	t.Helper()
	return js.Global().Get("Function").New(fakeLocksJS).Invoke()
}

// holdLock takes name in locks from JavaScript and returns a func that
// releases it.
func holdLock(t *testing.T, locks js.Value, name string) (release func()) {
	t.Helper()
	granted := make(chan struct{})
	var resolveHeld js.Value
	cb := js.FuncOf(func(js.Value, []js.Value) any {
		var exec js.Func
		exec = js.FuncOf(func(_ js.Value, args []js.Value) any {
			resolveHeld = args[0]
			close(granted)
			exec.Release()
			return nil
		})
		return js.Global().Get("Promise").New(exec)
	})
	locks.Call("request", name, cb)
	select {
	case <-granted:
	case <-time.After(5 * time.Second):
		t.Fatal("the test could not take the lock")
	}
	return func() {
		resolveHeld.Invoke()
		cb.Release()
	}
}

func TestWebLockRunsFnWhileHeld(t *testing.T) {
	locks := newFakeLocks(t)
	var order []string
	release := holdLock(t, locks, refreshLockName)
	done := make(chan error, 1)
	go func() {
		done <- requestWebLock(context.Background(), locks, refreshLockName, func() time.Duration {
			order = append(order, "fn")
			time.Sleep(20 * time.Millisecond) // fn may block: the callback returned already
			return 0
		})
	}()
	time.Sleep(50 * time.Millisecond)
	if len(order) != 0 {
		t.Fatal("fn ran while another holder had the lock")
	}
	order = append(order, "released")
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("requestWebLock did not return after the lock was released")
	}
	if len(order) != 2 || order[1] != "fn" {
		t.Fatalf("order = %v", order)
	}
	// fn's promise was resolved: the lock is free again.
	if err := requestWebLock(context.Background(), locks, refreshLockName, func() time.Duration { return 0 }); err != nil {
		t.Fatal(err)
	}
	if got := locks.Get("stats").Get("granted").Int(); got != 3 {
		t.Errorf("granted %d times, want 3", got)
	}
}

func TestWebLockGivesUpWhenCtxEnds(t *testing.T) {
	for _, withAbort := range []bool{true, false} {
		name := "abort"
		if !withAbort {
			name = "no AbortController"
		}
		t.Run(name, func(t *testing.T) {
			if !withAbort {
				ac := js.Global().Get("AbortController")
				js.Global().Set("AbortController", js.Undefined())
				defer js.Global().Set("AbortController", ac)
			}
			locks := newFakeLocks(t)
			release := holdLock(t, locks, refreshLockName)
			var called atomic.Bool
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			err := requestWebLock(ctx, locks, refreshLockName, func() time.Duration { called.Store(true); return 0 })
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
			release()
			// The abandoned request must not hold the lock: the next one
			// gets it at once, and fn of the abandoned one never runs.
			ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel2()
			ran := false
			if err := requestWebLock(ctx2, locks, refreshLockName, func() time.Duration { ran = true; return 0 }); err != nil {
				t.Fatalf("the lock after an abandoned request: %v", err)
			}
			if !ran {
				t.Error("fn of the second request did not run")
			}
			if called.Load() {
				t.Error("fn of the abandoned request ran")
			}
			aborted := locks.Get("stats").Get("aborted").Int()
			if withAbort && aborted != 1 {
				t.Errorf("aborted = %d, want 1 (the request is withdrawn)", aborted)
			}
			if !withAbort && aborted != 0 {
				t.Errorf("aborted = %d without AbortController", aborted)
			}
		})
	}
}

func TestWebLockCanceledBeforeRequest(t *testing.T) {
	locks := newFakeLocks(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := requestWebLock(ctx, locks, refreshLockName, func() time.Duration { t.Error("fn ran"); return 0 }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if got := locks.Get("stats").Get("granted").Int(); got != 0 {
		t.Errorf("granted = %d, want no request", got)
	}
}

func TestWebLockLingers(t *testing.T) {
	locks := newFakeLocks(t)
	const linger = 100 * time.Millisecond
	start := time.Now()
	if err := requestWebLock(context.Background(), locks, refreshLockName, func() time.Duration { return linger }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d >= linger {
		t.Errorf("requestWebLock waited %v: the caller must not wait for the linger", d)
	}
	// The next holder gets the lock after the linger only.
	var got time.Duration
	if err := requestWebLock(context.Background(), locks, refreshLockName, func() time.Duration { got = time.Since(start); return 0 }); err != nil {
		t.Fatal(err)
	}
	if got < linger {
		t.Errorf("the next holder got the lock after %v, want at least %v", got, linger)
	}
}

func TestWebLockFallsBack(t *testing.T) {
	// No API: fn runs directly.
	ran := false
	if err := requestWebLock(context.Background(), js.Undefined(), refreshLockName, func() time.Duration { ran = true; return 0 }); err != nil || !ran {
		t.Fatalf("without navigator.locks: err %v, ran %v", err, ran)
	}
	// A request the browser rejects (SecurityError, say): fn runs anyway.
	rejecting := js.Global().Get("Function").New(`return {request() { return Promise.reject(new Error('SecurityError')); }};`).Invoke()
	ran = false
	if err := requestWebLock(context.Background(), rejecting, refreshLockName, func() time.Duration { ran = true; return 0 }); err != nil || !ran {
		t.Fatalf("rejected request: err %v, ran %v", err, ran)
	}
	// A request that throws.
	throwing := js.Global().Get("Function").New(`return {request() { throw new TypeError('nope'); }};`).Invoke()
	ran = false
	if err := requestWebLock(context.Background(), throwing, refreshLockName, func() time.Duration { ran = true; return 0 }); err != nil || !ran {
		t.Fatalf("throwing request: err %v, ran %v", err, ran)
	}
}

func TestWebLockSerializes(t *testing.T) {
	locks := newFakeLocks(t)
	var inside, most atomic.Int32
	errs := make(chan error, 5)
	for range 5 {
		go func() {
			errs <- requestWebLock(context.Background(), locks, refreshLockName, func() time.Duration {
				n := inside.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				time.Sleep(5 * time.Millisecond)
				inside.Add(-1)
				return 0
			})
		}()
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d holders at once, want 1", most.Load())
	}
}

func TestTokensRemoved(t *testing.T) {
	global := js.Global()
	old := global.Get("localStorage")
	local := js.Global().Get("Object").New()
	session := js.Global().Get("Object").New()
	global.Set("localStorage", local)
	defer global.Set("localStorage", old)

	event := func(key, newValue any, area js.Value) js.Value {
		return js.ValueOf(map[string]any{"key": key, "newValue": newValue, "storageArea": area})
	}
	tests := []struct {
		name string
		e    js.Value
		want bool
	}{
		{"removed", event(TokensKey, nil, local), true},
		{"cleared", event(nil, nil, local), true},
		{"saved", event(TokensKey, `{"access_token":"a"}`, local), false},
		{"other key", event(SigningOutKey, nil, local), false},
		{"sessionStorage", event(TokensKey, nil, session), false},
	}
	for _, tt := range tests {
		if got := tokensRemoved(tt.e, TokensKey); got != tt.want {
			t.Errorf("%s: tokensRemoved = %v, want %v", tt.name, got, tt.want)
		}
	}
}
