//go:build unix

package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
)

// fdLimit is the open-file limit the child runs under: low, so that the concurrency
// comes close to it.
const fdLimit = 64

// TestOpenFileLimit runs evaluations in a child process whose open-file limit is
// fdLimit (soft and hard, as `prlimit --nofile=64:64` would), against the stand-in
// holding every request until all are in flight at once, so that each has its own
// connection:
//   - at the largest concurrency the check lets through, the run finishes and writes
//     its result;
//   - one more is refused before anything starts (exit 2), naming the limit;
//   - and the runner itself, at a concurrency that takes every file the process has
//     left beside its journal and lock, finishes and writes its result: it closes its idle
//     connections before the write, which needs a file more.
func TestOpenFileLimit(t *testing.T) {
	for _, tc := range []struct {
		name        string
		mode        string // "eval": through Run and its check; "run": the runner alone
		concurrency int
		refused     bool
	}{
		{"the most the check allows", "eval", fdLimit - FDReserve, false},
		{"one more", "eval", fdLimit - FDReserve + 1, true},
		{"the runner, at the limit", "run", 0, false}, // concurrency: every file the child has left
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.concurrency == 0 {
				// The journal and the output's lock are the files the runner
				// holds open beside its connections until the run ends.
				tc.concurrency = fdLimit - childFiles(t) - 2
			}
			gate := make(chan struct{})
			srv, hs := vllmtest.Start(t, vllmtest.Options{Gate: gate})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			released := make(chan error, 1)
			go func() {
				released <- srv.WaitInFlight(ctx, tc.concurrency)
				close(gate)
			}()
			dir := t.TempDir()
			set := filepath.Join(dir, "set.jsonl")
			var lines strings.Builder
			for i := range 2 * tc.concurrency {
				fmt.Fprintf(&lines, `{"id":"q%03d","type":"number","prompt":"What is %d + 1?","answer":%d}`+"\n", i, i, i+1)
			}
			if err := os.WriteFile(set, []byte(lines.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out", "r.json")
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOpenFileLimitChild$")
			cmd.Env = append(os.Environ(), "QE_FD_CHILD="+tc.mode, "QE_FD_URL="+hs.URL, "QE_FD_SET="+set, "QE_FD_OUT="+out,
				"QE_FD_CONCURRENCY="+strconv.Itoa(tc.concurrency))
			got, err := cmd.CombinedOutput()
			if tc.refused {
				want := fmt.Sprintf("refused: --concurrency %d: the open-file limit (ulimit -n) is %d, and a run needs one per request in flight and %d more; use --concurrency %d or less",
					tc.concurrency, fdLimit, FDReserve, fdLimit-FDReserve)
				if err != nil || !strings.Contains(string(got), want) {
					t.Fatalf("child: %v\n%s\nwant %q", err, got, want)
				}
				if srv.Requests() != 0 {
					t.Errorf("%d requests sent before the refusal", srv.Requests())
				}
				return
			}
			if err != nil {
				t.Fatalf("child: %v\n%s", err, got)
			}
			if err := <-released; err != nil {
				t.Errorf("never %d requests in flight at once: %v", tc.concurrency, err)
			}
			f, err := result.Read(out)
			if err != nil {
				t.Fatalf("no result written: %v\n%s", err, got)
			}
			if !f.Complete || f.Summary.Count != 2*tc.concurrency || f.Summary.Errors != 0 {
				t.Errorf("result: complete %v, %d items, %d errors; want %d without errors\n%s", f.Complete, f.Summary.Count, f.Summary.Errors, 2*tc.concurrency, got)
			}
		})
	}
}

// childFiles is how many files the child holds open at its start.
func childFiles(t *testing.T) int {
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenFileLimitChild$")
	cmd.Env = append(os.Environ(), "QE_FD_CHILD=count")
	got, err := cmd.CombinedOutput()
	var n int
	if _, scanErr := fmt.Sscanf(string(got), "open files: %d", &n); err != nil || scanErr != nil || n < 3 || n > fdLimit/4 {
		t.Fatalf("child: %v %v\n%s", err, scanErr, got)
	}
	return n
}

// TestOpenFileLimitChild is the child of TestOpenFileLimit; it does nothing unless
// that test starts it.
func TestOpenFileLimitChild(t *testing.T) {
	mode := os.Getenv("QE_FD_CHILD")
	if mode == "" {
		return
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: fdLimit, Max: fdLimit}); err != nil {
		t.Fatal(err)
	}
	if mode == "count" {
		ents, err := os.ReadDir("/dev/fd")
		if err != nil {
			t.Fatal(err)
		}
		n := -1 // the one ReadDir read
		for _, e := range ents {
			// An inherited descriptor above the limit takes no place below it.
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd < fdLimit {
				n++
			}
		}
		fmt.Printf("open files: %d\n", n)
		return
	}
	concurrency, _ := strconv.Atoi(os.Getenv("QE_FD_CONCURRENCY"))
	url, setPath, out := os.Getenv("QE_FD_URL"), os.Getenv("QE_FD_SET"), os.Getenv("QE_FD_OUT")
	var err error
	switch mode {
	case "eval":
		o := Defaults()
		o.BaseURL, o.Evalset, o.Concurrency, o.Model = []string{url}, setPath, concurrency, "test-model"
		_, err = Run(context.Background(), o, Output{Path: out})
		if errors.As(err, new(*InputError)) {
			fmt.Println("refused:", err) // exit 2 in the command
			return
		}
	case "run":
		var set *evalset.Set
		if set, err = evalset.Open(setPath); err != nil {
			t.Fatal(err)
		}
		cfg := run.Config{BaseURL: url, Model: "test-model", Out: out, Concurrency: concurrency, Timeout: 10 * time.Second, Retries: 0, MaxTokens: 16}
		_, err = run.Evaluate(context.Background(), cfg, set) // its own client, bounded by the concurrency
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]int{"concurrency": concurrency})
	fmt.Println(string(b))
}
