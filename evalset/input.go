package evalset

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unicode/utf8"

	"github.com/quanteval/quanteval/internal/boundedfile"
)

// The limits of the JSONL readers (eval sets here, the hub's JSONL exports in
// package datasets). A file is read whole before any request is sent, so its size is
// bounded: a file over MaxFileBytes, or a line over MaxLineBytes, is refused with an
// error naming it and the limit instead of filling memory.
const (
	MaxFileBytes = 256 << 20
	MaxLineBytes = 16 << 20
)

// ReadInput reads a whole input file of at most MaxFileBytes. Only regular files (or
// symbolic links to them) are read: a device such as /dev/zero never ends, and a named
// pipe is refused too. The file is opened without blocking (an open of a named pipe
// would wait for a writer) and its kind is checked on the open file; the read itself
// is bounded too, for a file that grows.
func ReadInput(path string) ([]byte, error) {
	f, st, err := boundedfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := regular(path, st); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, &RefusedError{File: path, Reason: fmt.Sprintf("more than %d bytes, over the limit of %s", MaxFileBytes, mib(MaxFileBytes))}
	}
	return data, nil
}

// RefusedError is an input that ReadInput refuses to read: not a regular file, or
// over MaxFileBytes. Like a *SyntaxError it is bad input (exit status 2).
type RefusedError struct {
	File   string
	Reason string
}

func (e *RefusedError) Error() string { return e.File + ": " + e.Reason }

// CheckInput returns the *RefusedError that ReadInput would return for path, without
// opening it, for a caller with a reader of its own (a parquet file, a hash of the
// file): it refuses whatever is not a regular file of at most MaxFileBytes.
func CheckInput(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return regular(path, st)
}

func regular(path string, st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return &RefusedError{File: path, Reason: "not a regular file (" + boundedfile.Kind(st.Mode()) + "); give a file"}
	}
	if st.Size() > MaxFileBytes {
		return &RefusedError{File: path, Reason: fmt.Sprintf("%d bytes, over the limit of %s", st.Size(), mib(MaxFileBytes))}
	}
	return nil
}

func mib(n int) string { return fmt.Sprintf("%d MiB", n>>20) }

// Lines splits JSONL data into its lines for fn, numbered from 1, without the line
// end (LF or CRLF). A UTF-8 byte-order mark at the start is skipped; a line that is
// not valid UTF-8 or is longer than MaxLineBytes stops the split with a *SyntaxError
// naming file and line (nothing is silently replaced). An error from fn stops it too
// and is returned as it is.
func Lines(file string, data []byte, fn func(line int, text []byte) error) error {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	for n := 1; len(data) > 0; n++ {
		text, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		if len(text) > MaxLineBytes {
			return &SyntaxError{File: file, Line: n, Err: fmt.Errorf("%d bytes, longer than the limit of %s", len(text), mib(MaxLineBytes))}
		}
		text = bytes.TrimSuffix(text, []byte("\r"))
		if !utf8.Valid(text) {
			return &SyntaxError{File: file, Line: n, Err: fmt.Errorf("not valid UTF-8 (byte %d); eval sets are UTF-8 text", invalidAt(text)+1)}
		}
		if err := fn(n, text); err != nil {
			return err
		}
	}
	return nil
}

// invalidAt is the offset of the first byte of text that does not start a valid
// UTF-8 sequence.
func invalidAt(text []byte) int {
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(text)
}
