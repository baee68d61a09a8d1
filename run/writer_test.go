package run

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// One output has one writer: a second run on the same --out is refused before it
// asks anything, naming the holder; the lock goes with the first run.
func TestSecondRunOnOneOutputIsRefused(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")

	held, err := LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, resume := range []bool{false, true} {
		cfg := config(hs.URL, out)
		cfg.Resume = resume
		_, err = Evaluate(context.Background(), cfg, set)
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("resume=%v: err = %v, want a *LockedError", resume, err)
		}
		host, _ := os.Hostname()
		for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), "on host " + host, "started ", "is writing " + out} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to contain %q", err, want)
			}
		}
	}
	if srv.Requests() != 0 {
		t.Fatalf("the refused runs sent %d requests", srv.Requests())
	}
	if _, err := os.Stat(JournalPath(out)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused runs touched the journal: %v", err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := Evaluate(context.Background(), config(hs.URL, out), set); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := os.Stat(LockPath(out)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind after the run: %v", err)
	}
}

// A lock file left by a process that died (SIGKILL: no cleanup ran) does not block:
// flock goes with its holder.
func TestStaleLockFileDoesNotBlock(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(LockPath(out), []byte(`{"pid":999999,"host":"gone","started":"2026-01-01T00:00:00Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := LockOutput(out)
	if err != nil {
		t.Fatalf("a stale lock file blocked: %v", err)
	}
	data, _ := os.ReadFile(LockPath(out))
	if !bytes.Contains(data, fmt.Appendf(nil, `"pid":%d`, os.Getpid())) {
		t.Errorf("lock file does not name this process: %s", data)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// The lock is held by a process, not by a file: one that is killed (no cleanup
// runs) frees it, and its lock file, left behind, names it while it lives.
func TestLockOfAKilledProcessIsFree(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockHolder$")
	cmd.Env = append(os.Environ(), "QUANTEVAL_TEST_LOCK="+out)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child: %q %v", line, err)
	}
	_, err = LockOutput(out)
	if want := fmt.Sprintf("pid %d", cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want one naming %s", err, want)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := LockOutput(out)
	if err != nil {
		t.Fatalf("the lock of a killed process blocks: %v", err)
	}
	l.Release()
}

// TestHelperLockHolder is the child of TestLockOfAKilledProcessIsFree: it takes the
// lock, says so and waits to be killed. Run otherwise, it does nothing.
func TestHelperLockHolder(t *testing.T) {
	out := os.Getenv("QUANTEVAL_TEST_LOCK")
	if out == "" {
		return
	}
	if _, err := LockOutput(out); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(1)
}

// Two writers appending to one journal through their own handles write whole lines:
// every line reads back, none is lost.
func TestConcurrentAppendsWriteWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json.journal")
	fp := fingerprint{Fingerprint: result.Fingerprint{Model: "m"}}
	a, err := createJournal(path, fp)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := openJournal(path, fp)
	if err != nil {
		t.Fatal(err)
	}
	const per = 200
	big := strings.Repeat("x", 100<<10) // larger than any buffer in the way
	var wg sync.WaitGroup
	for w, j := range []*journal{a, b} {
		wg.Go(func() {
			for i := range per {
				if err := j.append(result.Record{ID: fmt.Sprintf("w%d-%d", w, i), Output: big}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	a.close()
	b.close()
	data, _ := os.ReadFile(path)
	recs, _, warns, err := parseJournal(path, data, fp)
	if err != nil || len(warns) > 0 {
		t.Fatalf("journal does not read back: %v %v", err, warns)
	}
	if len(recs) != 2*per {
		t.Fatalf("read %d records, want %d", len(recs), 2*per)
	}
}

// A damaged line in the middle of a journal (two writers without the lock, a disk
// error) costs that line only: the others are kept, and the run says which line.
func TestDamagedMiddleLineIsSkipped(t *testing.T) {
	set := suite(t)
	set.Limit(4)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	if _, err := Evaluate(context.Background(), config(hs.URL, out), set); err != nil {
		t.Fatal(err)
	}
	j := JournalPath(out)
	data, _ := os.ReadFile(j)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = lines[2][:15] + lines[3] // line 3 cut short and glued to the next
	lines[3] = ""
	if err := os.WriteFile(j, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	var progress bytes.Buffer
	cfg := config(hs.URL, out)
	cfg.Resume, cfg.Progress = true, &progress
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatalf("resume refused: %v", err)
	}
	if !f.Complete || srv.Requests()-before != 2 {
		t.Errorf("complete=%v, sent %d, want the two items of the damaged line again", f.Complete, srv.Requests()-before)
	}
	want := j + ":3: "
	if !strings.Contains(progress.String(), want) {
		t.Errorf("progress %q does not name %s", progress.String(), want)
	}
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], want) {
		t.Errorf("result warnings %q, want one naming %s", f.Warnings, want)
	}
}

// An empty journal, or one cut inside its header, means nothing had finished: resume
// starts from scratch and says so. Something else is still refused.
func TestResumeEmptyOrCutHeader(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	header, _ := json.Marshal(journalHeader{Journal: journalSchema, Fingerprint: fingerprint{Fingerprint: result.Fingerprint{Model: "test-model"}}})
	for _, tc := range []struct {
		name, journal string
		refused       bool
	}{
		{"empty", "", false},
		{"cut inside the header", string(header[:25]), false},
		{"cut right after the schema", string(header[:40]), false},
		{"not a journal", "hello, no newline", true},
		{"a whole line that is no journal", "{\"a\": 1}\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			if err := os.WriteFile(JournalPath(out), []byte(tc.journal), 0o644); err != nil {
				t.Fatal(err)
			}
			var progress bytes.Buffer
			cfg := config(hs.URL, out)
			cfg.Resume, cfg.Progress = true, &progress
			before := srv.Requests()
			f, err := Evaluate(context.Background(), cfg, set)
			if tc.refused {
				if err == nil || !strings.Contains(err.Error(), "not a quanteval journal") {
					t.Fatalf("err = %v, want a refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !f.Complete || srv.Requests()-before != 3 {
				t.Errorf("complete=%v, sent %d, want all 3", f.Complete, srv.Requests()-before)
			}
			if !strings.Contains(progress.String(), "starting from scratch") {
				t.Errorf("progress does not say so: %q", progress.String())
			}
			data, _ := os.ReadFile(JournalPath(out))
			if strings.Count(string(data), "\n") != 4 {
				t.Errorf("new journal has %d lines, want header + 3", strings.Count(string(data), "\n"))
			}
		})
	}
}

func TestOutputFiles(t *testing.T) {
	got := OutputFiles("res/x.json", 0)
	want := []string{"res/x.json", "res/x.json.journal", "res/x.json.journal.prev", "res/x.json.lock"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("OutputFiles = %q, want %q", got, want)
	}
	if got := OutputFiles("res/x.json", 5); got[len(got)-1] != "res/x.logprobs.jsonl" {
		t.Errorf("with logprobs: %q", got)
	}
}
