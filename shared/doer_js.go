//go:build js && wasm

package shared

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall/js"
	"time"
)

// defaultDoer is the Doer of a Client made without WithDoer or
// WithHTTPClient: the browser's Fetch API, with DefaultTimeout.
func defaultDoer() Doer {
	return FetchDoer{}
}

// FetchDoer is a Doer that sends requests with the JavaScript Fetch API
// (globalThis.fetch) of the browser, or of Node.js. Each request lasts at
// most Timeout (0: DefaultTimeout) and ends with its context (the fetch is
// aborted). The answer's body is read whole before Do returns; of its
// headers, the answer holds those the Client reads (answerHeaders). fetch
// follows redirects, sends cookies to the same origin only, and is told
// never to use the HTTP cache ("no-store").
type FetchDoer struct {
	Timeout time.Duration
}

// errNoFetch reports a JavaScript host without the Fetch API.
var errNoFetch = errors.New("the Fetch API is not available")

// answerHeaders are the headers of an answer that FetchDoer keeps: those
// the Client reads.
var answerHeaders = [...]string{"Content-Type", "Retry-After"}

// errTimeout reports a request that outlasted FetchDoer.Timeout.
var errTimeout = errors.New("no answer within the timeout")

// Do sends req with fetch and returns its answer.
func (d FetchDoer) Do(ctx context.Context, req *Request) (*Response, error) {
	fail := func(err error) error { return fmt.Errorf("fetch %s %s: %w", req.Method, req.URL, err) }
	if err := ctx.Err(); err != nil {
		return nil, fail(err)
	}
	fetch := js.Global().Get("fetch")
	if fetch.Type() != js.TypeFunction {
		return nil, fail(errNoFetch)
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// A timer rather than context.WithTimeout, whose machinery the app
	// would link for this alone.
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	opts := js.Global().Get("Object").New()
	opts.Set("method", req.Method)
	opts.Set("credentials", "same-origin")
	opts.Set("cache", "no-store")
	headers := js.Global().Get("Headers").New()
	for k, v := range req.Header {
		headers.Call("append", k, v)
	}
	opts.Set("headers", headers)
	if req.Body != nil {
		arr := js.Global().Get("Uint8Array").New(len(req.Body))
		js.CopyBytesToJS(arr, req.Body)
		opts.Set("body", arr)
	}
	var abort js.Value
	if ac := js.Global().Get("AbortController"); ac.Type() == js.TypeFunction {
		abort = ac.New()
		opts.Set("signal", abort.Get("signal"))
	}

	type answer struct {
		resp *Response
		err  error
	}
	done := make(chan answer, 1)
	var onAnswer, onBody, onError js.Func
	release := func() {
		onAnswer.Release()
		onBody.Release()
		onError.Release()
	}
	resp := &Response{Header: map[string]string{}}
	// onError: fetch or the read of the body was rejected (the network,
	// an abort).
	onError = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = jsErrorText(args[0])
		}
		done <- answer{err: errors.New(msg)}
		return nil
	})
	// onBody: the whole body, as an ArrayBuffer.
	onBody = js.FuncOf(func(_ js.Value, args []js.Value) any {
		arr := js.Global().Get("Uint8Array").New(args[0])
		data := make([]byte, arr.Get("byteLength").Int())
		js.CopyBytesToGo(data, arr)
		resp.Body = io.NopCloser(bytes.NewReader(data))
		done <- answer{resp: resp}
		return nil
	})
	// onAnswer: the status and the headers the Client reads; then the
	// body is read.
	onAnswer = js.FuncOf(func(_ js.Value, args []js.Value) any {
		r := args[0]
		resp.StatusCode = r.Get("status").Int()
		headers := r.Get("headers")
		for _, name := range answerHeaders {
			if v := headers.Call("get", name); v.Type() == js.TypeString {
				resp.Header[name] = v.String()
			}
		}
		r.Call("arrayBuffer").Call("then", onBody, onError)
		return nil
	})
	if err := callFetch(fetch, req.URL, opts, onAnswer, onError); err != nil {
		release()
		return nil, fail(err)
	}
	var err error
	select {
	case a := <-done:
		release()
		if a.err != nil {
			return nil, fail(a.err)
		}
		return a.resp, nil
	case <-timer.C:
		err = errTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	if abort.Truthy() {
		abort.Call("abort")
		// The promise settles (rejected) right after the abort; the
		// functions are released then.
		go func() {
			<-done
			release()
		}()
	}
	// Without AbortController the functions stay: the fetch may still call
	// them.
	return nil, fail(err)
}

// callFetch calls fetch(url, opts).then(onAnswer, onError), turning a
// synchronous exception (a malformed URL, say) into an error.
func callFetch(fetch js.Value, url string, opts js.Value, onAnswer, onError js.Func) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fetch %s: %v", url, r)
		}
	}()
	fetch.Invoke(url, opts).Call("then", onAnswer, onError)
	return nil
}

// jsErrorText is the text of a rejection value (a JavaScript error: its
// name and message), and of its cause when it has one (Node.js says why
// there).
func jsErrorText(v js.Value) string {
	s := js.Global().Call("String", v).String()
	if v.Type() == js.TypeObject {
		if c := v.Get("cause"); c.Type() == js.TypeObject {
			s += ": " + js.Global().Call("String", c).String()
		}
	}
	return s
}
