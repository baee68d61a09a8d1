package datasets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadJSONLBytes checks the hub-style JSONL reader against the same odd input as
// the eval-set reader: a byte-order mark, bytes that are not UTF-8, a device that
// never ends.
func TestReadJSONLBytes(t *testing.T) {
	dir := t.TempDir()
	row := `{"question":"q","answer":"#### 4"}`
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	zero := filepath.Join(dir, "zero.jsonl")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		rows       int
		want       string
	}{
		{"BOM", write("bom.jsonl", "\uFEFF"+row+"\n"+row+"\n"), 2, ""},
		{"invalid UTF-8", write("latin1.jsonl", row+"\n"+`{"question":"caf`+"\xe9"+`","answer":"#### 4"}`+"\n"), 0, "latin1.jsonl:2: not valid UTF-8 (byte 17)"},
		{"/dev/zero", "/dev/zero", 0, "/dev/zero: not a regular file (a character device)"},
		{"link to /dev/zero", zero, 0, "zero.jsonl: not a regular file (a character device)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := readJSONL(tc.path, gsm8kColumns)
			if tc.want == "" {
				if err != nil || len(recs) != tc.rows {
					t.Fatalf("got %d rows, %v; want %d rows", len(recs), err, tc.rows)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestOpenRefusesNonRegular: a local data-set file that is a device or a named pipe
// is refused before it is hashed or read (hashing /dev/zero would never end, opening
// a FIFO would block).
func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.jsonl")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "gsm8k.parquet")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{zero, "zero.jsonl: not a regular file (a character device)"},
		{fifo, "gsm8k.parquet: not a regular file (a named pipe)"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, _, err := Open(context.Background(), tc.path, Options{Task: TaskGSM8K})
				done <- err
			}()
			// A guard against a hang, not a timing test.
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Open(%s) = %v, want an error containing %q", tc.path, err, tc.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("Open(%s) still running after 30 s", tc.path)
			}
		})
	}
}
