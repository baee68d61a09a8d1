package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/run"
)

// Freezing a result into itself (by any path to it) is exit 2 and leaves it whole.
func TestEvalsetFreezeRefusesItsOwnInput(t *testing.T) {
	dir := t.TempDir()
	ref := writeRef(t, dir)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(ref, link); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(ref)
	for _, out := range []string{ref, link} {
		var stdout, stderr bytes.Buffer
		err := quanteval(context.Background(), []string{"evalset", "freeze", "--out", out, ref}, &stdout, &stderr)
		if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), "same file as "+ref) {
			t.Errorf("--out %s: exit %d, stderr %q; want 2 naming %s", out, code, stderr.String(), ref)
		}
		if after, _ := os.ReadFile(ref); !bytes.Equal(after, before) {
			t.Fatalf("--out %s: the result was overwritten", out)
		}
	}
}

// compare of a device is refused at once (exit 2), not read until memory runs out.
func TestCompareRefusesDevice(t *testing.T) {
	ref := writeRef(t, t.TempDir())
	var stdout, stderr bytes.Buffer
	err := quanteval(context.Background(), []string{"compare", ref, "/dev/zero"}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), "/dev/zero: not a regular file") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// run exits 2 before any request when its output is an input, or is being written
// by another run.
func TestRunRefusesOutputExit2(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{})
	dir, set := oneItemSet(t)
	locked := filepath.Join(dir, "r.json")
	lock, err := run.LockOutput(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	for out, want := range map[string]string{
		set:    "is also an input: it is the same file as " + set,
		locked: "is writing " + locked,
	} {
		var stdout, stderr bytes.Buffer
		err := quanteval(context.Background(), []string{"run", "--base-url", hs.URL, "--evalset", set, "--out", out}, &stdout, &stderr)
		if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), want) {
			t.Errorf("--out %s: exit %d, stderr %q; want 2 and %q", out, code, stderr.String(), want)
		}
	}
	if srv.Requests() != 0 {
		t.Errorf("%d requests sent", srv.Requests())
	}
}

// --quiet drops the progress display, not what the user must read: a --resume of an
// empty journal says it starts from scratch, and exits 0.
func TestQuietResumeOfEmptyJournalSaysSo(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{})
	dir, set := oneItemSet(t)
	out := filepath.Join(dir, "r.json")
	if err := os.WriteFile(run.JournalPath(out), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := quanteval(context.Background(), []string{"run", "--quiet", "--resume", "--base-url", hs.URL, "--evalset", set, "--out", out}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 0 || !strings.Contains(stderr.String(), "is empty: nothing had finished; starting from scratch") {
		t.Errorf("exit %d, stderr %q; want 0 and the notice", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "items/s") {
		t.Errorf("--quiet shows progress: %q", stderr.String())
	}
}

// oneItemSet writes an eval set of one item into a new folder, and returns both.
func oneItemSet(t *testing.T) (dir, set string) {
	t.Helper()
	dir = t.TempDir()
	set = filepath.Join(dir, "set.jsonl")
	if err := os.WriteFile(set, []byte(`{"id": "a", "type": "exact", "prompt": "hi", "answer": "hi"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, set
}
