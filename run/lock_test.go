package run

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// One output under two names (a symbolic link to it, a linked folder, a ./ form) is
// one output: while one name is locked, the others are refused.
func TestLockSeesThroughLinks(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "results", "r.json")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(out, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "results"), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	held, err := LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{
		filepath.Join(dir, "link.json"),
		filepath.Join(dir, "linkdir", "r.json"),
		filepath.Join(dir, "results", ".", "r.json"),
	} {
		l, err := LockOutput(other)
		var le *LockedError
		if !errors.As(err, &le) || le.Out != other {
			l.Release()
			t.Errorf("LockOutput(%s) while %s is locked: %v, want a *LockedError naming %s", other, out, err, other)
		}
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	// A new output in a linked folder is locked where it will be written.
	l, err := LockOutput(filepath.Join(dir, "linkdir", "new.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(LockPath(filepath.Join(dir, "results", "new.json"))); err != nil {
		t.Errorf("the lock of a new output in a linked folder is not beside it: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}
