// Package deadline keeps long answers going under a server's write
// deadline.
package deadline

import (
	"net/http"
	"time"
)

// chunk is the most written between two moves of the deadline.
const chunk = 64 << 10

// Extending returns w, whose write deadline moves to idle from now before
// each chunk it writes: an answer that keeps going (a large file to a slow
// client) is never cut, one whose client stopped reading is cut idle after
// the last progress. The first move happens now. Writers that cannot set a
// deadline are written to as they are; idle <= 0 returns w itself.
func Extending(w http.ResponseWriter, idle time.Duration) http.ResponseWriter {
	if idle <= 0 {
		return w
	}
	e := &extending{ResponseWriter: w, rc: http.NewResponseController(w), idle: idle}
	e.extend()
	return e
}

type extending struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (e *extending) extend() {
	_ = e.rc.SetWriteDeadline(time.Now().Add(e.idle))
}

func (e *extending) Write(p []byte) (int, error) {
	var n int
	for len(p) > 0 {
		e.extend()
		k, err := e.ResponseWriter.Write(p[:min(len(p), chunk)])
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// Unwrap lets http.ResponseController reach the real writer.
func (e *extending) Unwrap() http.ResponseWriter { return e.ResponseWriter }
