package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = format
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.txt")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, path, []byte("same\n"))
	if r.failed {
		t.Fatalf("equal bytes failed: %s", r.msg)
	}
	if _, err := os.Stat(path + ".got"); !os.IsNotExist(err) {
		t.Errorf("a match left a .got file: %v", err)
	}

	r = &recorder{TB: t}
	Check(r, path, []byte("other\n"))
	if !r.failed || !strings.Contains(r.msg, "differs") {
		t.Fatalf("a mismatch did not fail (%q)", r.msg)
	}
	if got, err := os.ReadFile(path + ".got"); err != nil || string(got) != "other\n" {
		t.Errorf(".got = %q, %v", got, err)
	}

	r = &recorder{TB: t}
	Check(r, filepath.Join(dir, "absent.txt"), []byte("x"))
	if !r.failed || !strings.Contains(r.msg, "-update") {
		t.Errorf("a missing file did not fail with the -update hint (%q)", r.msg)
	}
}
