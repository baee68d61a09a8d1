package matrix

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
)

// markIncomplete writes the result as a run does, under the output's lock: while
// another process (a --resume started meanwhile) holds it, the file is left alone
// and the error names the holder; once free, the file on disk is marked.
func TestMarkIncompleteTakesTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	f := &result.File{Schema: result.Schema, Complete: true, Model: "m", Items: []result.Record{{ID: "a", OK: true}}}
	if err := result.Write(path, f); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	held, err := run.LockOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := markIncomplete(path, f); !errors.As(err, new(*run.LockedError)) {
		t.Errorf("markIncomplete while the output is locked: %v, want a *run.LockedError", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the locked result was rewritten:\n%s", after)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}

	g, err := markIncomplete(path, f)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := result.Read(path)
	if err != nil || disk.Complete || g.Complete || len(disk.Items) != 1 {
		t.Errorf("after markIncomplete: disk %+v (%v), returned complete=%v", disk, err, g.Complete)
	}
	if !f.Complete {
		t.Error("markIncomplete changed the caller's file")
	}
	if _, err := os.Stat(run.LockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is left behind: %v", err)
	}
}
