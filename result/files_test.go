package result

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deadPID is the PID of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A write killed midway leaves its hidden temporary file; the next write of the same
// output removes it, and only what is provably stale: not the temps of a live writer,
// nor those of another output.
func TestWriteRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	old := time.Now().Add(-2 * time.Hour)
	files := map[string]bool{ // name: removed by the next write of r.json
		fmt.Sprintf(".r.json.tmp-%d-123", deadPID(t)):   true,  // a killed writer
		".r.json.tmp-4242424242":                        true,  // an earlier version's naming, old
		".r.json.tmp-77":                                false, // an earlier version's naming, fresh (age set below)
		fmt.Sprintf(".r.json.tmp-%d-9", os.Getppid()):   false, // a live writer
		fmt.Sprintf(".other.json.tmp-%d-1", deadPID(t)): false, // another output
		".r.json.tmp-notours":                           false, // not our naming
		"r.json.tmp-1-1":                                false, // not hidden: not ours
	}
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != ".r.json.tmp-77" {
			os.Chtimes(p, old, old)
		}
	}
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed=%v, want %v", name, gone, removed)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(files)-2+1 {
		t.Errorf("left in the folder: %v", entries)
	}
}

// A temporary file carries its writer's PID, so that the next write can tell a
// killed writer's litter from a live one's.
func TestTempNameCarriesPID(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	var seen string
	err := writeAtomic(path, func(w io.Writer) error {
		seen = filepath.Base(w.(*os.File).Name())
		return errors.New("killed midway")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if want := fmt.Sprintf(".r.json.tmp-%d-", os.Getpid()); !strings.HasPrefix(seen, want) {
		t.Errorf("temp %q, want prefix %q", seen, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed write left %v", entries)
	}
}

// Read refuses what is not a regular file (a device never ends) and bounds the size,
// instead of reading until memory runs out.
func TestReadRefusesNonRegularAndHuge(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxFileBytes + 1) // sparse: no disk used
	f.Close()
	for path, want := range map[string]string{
		"/dev/zero": "not a regular file (a character device)",
		fifo:        "not a regular file (a named pipe)",
		dir:         "not a regular file (a directory)",
		huge:        fmt.Sprintf("%d bytes, over the limit of", MaxFileBytes+1),
	} {
		done := make(chan error, 1)
		go func() { _, err := Read(path); done <- err }()
		select {
		case err := <-done:
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
				t.Errorf("Read(%s) = %v, want a *RefusedError naming it and %q", path, err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Read(%s) did not return", path)
		}
	}
}

// An output that is also an input is found by file identity, whatever the path.
func TestCheckClash(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "set.jsonl")
	os.WriteFile(in, []byte("{}\n"), 0o644)
	os.Symlink(in, filepath.Join(dir, "link.jsonl"))
	os.Link(in, filepath.Join(dir, "hard.jsonl"))
	other := filepath.Join(dir, "other.jsonl")
	os.WriteFile(other, []byte("{}\n"), 0o644)
	wd, _ := os.Getwd()
	rel, _ := filepath.Rel(wd, in)
	for _, tc := range []struct {
		name    string
		outputs []string
		clash   bool
	}{
		{"same path", []string{in}, true},
		{"./ and .. forms", []string{filepath.Join(dir, ".", "..", filepath.Base(dir), "set.jsonl")}, true},
		{"relative", []string{"./" + rel}, true},
		{"symlink", []string{filepath.Join(dir, "link.jsonl")}, true},
		{"hard link", []string{filepath.Join(dir, "hard.jsonl")}, true},
		{"second output", []string{filepath.Join(dir, "r.json"), in}, true},
		{"other file", []string{other}, false},
		{"not yet there", []string{filepath.Join(dir, "new.json")}, false},
		{"stdout", []string{"-", ""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckClash(tc.outputs, []string{"", "gsm8k", in})
			var ce *ClashError
			if got := errors.As(err, &ce); got != tc.clash {
				t.Fatalf("err = %v, want clash %v", err, tc.clash)
			}
			if tc.clash && (!slices.Contains(tc.outputs, ce.Output) || ce.Input != in ||
				!strings.Contains(err.Error(), ce.Output) || !strings.Contains(err.Error(), in)) {
				t.Errorf("err = %v, want it to name both", err)
			}
		})
	}
}

// The warnings of every shard (damaged journal lines, each naming its journal) reach
// the merged result.
func TestMergeKeepsShardWarnings(t *testing.T) {
	shards := shardsOf(12, 3)
	shards[0].Warnings = []string{"a.journal:3: damaged"}
	shards[2].Warnings = []string{"c.journal:7: damaged"}
	m, err := Merge(shards, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.Warnings) != "[a.journal:3: damaged c.journal:7: damaged]" {
		t.Errorf("warnings %q", m.Warnings)
	}
}
