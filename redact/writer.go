package redact

import (
	"io"
	"strings"
	"sync"
)

// Writer hides a Redactor's values in a stream as it is written, a server's log
// say: a value split across two writes is still hidden, because the end of each
// write that could begin a value (at most Len()-1 bytes) is held back until the
// next write shows whether it does. Close writes what is held. Its methods are
// safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	r    *Redactor
	w    io.Writer
	held string
	err  error
}

// NewWriter returns a Writer that writes to w what is written to it with r's values
// hidden. With a nil r or one without values it writes through.
func (r *Redactor) NewWriter(w io.Writer) *Writer { return &Writer{r: r, w: w} }

// Write hides the values in what was held and p, writes all but a tail that could
// begin a value, and reports p as written; an error of the underlying writer is
// returned, then and on every later call.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	s := w.r.String(w.held + string(p))
	keep := w.r.prefixTail(s)
	w.held = s[len(s)-keep:]
	if out := s[:len(s)-keep]; out != "" {
		if _, err := io.WriteString(w.w, out); err != nil {
			w.err = err
			return 0, err
		}
	}
	return len(p), nil
}

// Close writes what is held back (it is no value: the stream ended before one
// did). It does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil || w.held == "" {
		return w.err
	}
	_, w.err = io.WriteString(w.w, w.held)
	w.held = ""
	return w.err
}

// prefixTail is the length of the longest end of s that is the start of a value
// (and shorter than it): the bytes a Writer must hold back.
func (r *Redactor) prefixTail(s string) int {
	n := min(r.Len()-1, len(s))
	for ; n > 0; n-- {
		tail := s[len(s)-n:]
		for _, v := range r.values {
			if len(v) > n && strings.HasPrefix(v, tail) {
				return n
			}
		}
	}
	return 0
}
