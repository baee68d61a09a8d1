package evalset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const goodLine = `{"id": "a", "type": "exact", "prompt": "q", "answer": "x"}`

// TestParseBytes covers what a text editor or a hostile file puts into a line: a
// byte-order mark, bytes that are not UTF-8, a line longer than the reader takes.
func TestParseBytes(t *testing.T) {
	long := `{"id": "b", "type": "exact", "prompt": "` + strings.Repeat("a", 16<<20) + `", "answer": "x"}`
	for _, tc := range []struct {
		name  string
		data  string
		items int    // when no error is wanted
		line  int    // of the *SyntaxError wanted
		want  string // in its message
	}{
		{"BOM skipped", "\uFEFF" + goodLine + "\n", 1, 0, ""},
		{"BOM before a comment", "\uFEFF// c\n" + goodLine + "\n", 1, 0, ""},
		{"BOM only at the start", goodLine + "\n\uFEFF" + `{"id": "b", "type": "exact", "prompt": "q", "answer": "x"}` + "\n", 0, 2, "invalid JSON"},
		{"invalid UTF-8 in a string", goodLine + "\n" + `{"id": "b", "type": "exact", "prompt": "caf` + "\xe9" + `", "answer": "x"}` + "\n", 0, 2, "not valid UTF-8 (byte 44)"},
		{"invalid UTF-8 in a comment", "// \xff\xfe\n" + goodLine + "\n", 0, 1, "not valid UTF-8 (byte 4)"},
		{"UTF-16 file", "\xff\xfe{\x00\"\x00", 0, 1, "not valid UTF-8 (byte 1)"},
		{"line over the limit", goodLine + "\n" + long + "\n", 0, 2, "longer than the limit of 16 MiB"},
		{"last line over the limit", goodLine + "\n" + long, 0, 2, "longer than the limit of 16 MiB"},
		{"CRLF line ends", goodLine + "\r\n" + `{"id": "b", "type": "exact", "prompt": "q", "answer": "x"}` + "\r\n", 2, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := Parse("set.jsonl", []byte(tc.data))
			if tc.want == "" {
				if err != nil || len(items) != tc.items {
					t.Fatalf("got %d items, %v; want %d items", len(items), err, tc.items)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.File != "set.jsonl" || se.Line != tc.line || !strings.Contains(se.Error(), tc.want) {
				t.Fatalf("err = %.200q (line %d), want line %d containing %q", se.Error(), se.Line, tc.line, tc.want)
			}
		})
	}
}

// TestReadFileRefuses checks that inputs which are not files of bounded size are
// refused with an error naming them, before anything is read: a device that never
// ends, a FIFO that would block, a directory, a file over the size limit.
func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "set.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.jsonl")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk space and no memory, but one byte over the limit.
	if err := f.Truncate(256<<20 + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	link := filepath.Join(dir, "zero.jsonl")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
	}{
		{"/dev/zero", "/dev/zero: not a regular file (a character device)"},
		{link, "zero.jsonl: not a regular file (a character device)"},
		{fifo, "set.fifo: not a regular file (a named pipe)"},
		{dir, ": not a regular file (a directory)"},
		{huge, "huge.jsonl: 268435457 bytes, over the limit of 256 MiB"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadFile(tc.path)
				done <- err
			}()
			// A guard against a hang (a FIFO blocks an open), not a timing test.
			select {
			case err := <-done:
				var re *RefusedError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("ReadFile(%s) = %v, want a *RefusedError containing %q", tc.path, err, tc.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("ReadFile(%s) still blocked after 30 s", tc.path)
			}
		})
	}
}
