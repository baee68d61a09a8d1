// Package boundedfile owns the first steps of reading a whole input file safely: it
// opens a file without blocking (an open of a named pipe would otherwise wait for a
// writer) and names the kind of a file that is not regular. The size limits and the
// errors that refuse a file stay with the callers (evalset, result), which word them
// for their own inputs.
package boundedfile

import (
	"io/fs"
	"os"
	"syscall"
)

// Open opens path read-only without blocking and returns the open file with its
// FileInfo, taken from the open file so the kind checked is the kind read. The
// caller closes the file; on error no file is returned.
func Open(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// Kind names the kind of a file that is not regular, for an error message:
// "a directory", "a named pipe", "a character device", "a block device",
// "a socket", or "mode " and the mode bits for anything else.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
