package matrix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/plan"
)

// nodePlan is a plan of four variants (A, B, C, D) on a node declared with 4 GPUs,
// each on a free port of its own; variant B gets the extra flow-mapping keys b, the
// plan the top-level keys extra.
func nodePlan(t *testing.T, b, extra string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, events: filepath.Join(dir, "events"), pids: filepath.Join(dir, "pids")}
	if b != "" {
		b = ", " + b
	}
	src := fmt.Sprintf(`
name: node
output: %[1]s
gpus: 4
server:
  command: [%[2]s, serve]
  env: {FAKEVLLM_EVENTS: %[3]s, FAKEVLLM_PIDS: %[4]s, FAKEVLLM_DELAY: 50ms}
  ready_timeout: 1m
  stop_grace: 2s
variants:
  - {name: A, model: test/A, port: %[5]d}
  - {name: B, model: test/B-q1, port: %[6]d%[9]s}
  - {name: C, model: test/C-q2, port: %[7]d}
  - {name: D, model: test/D-q3, port: %[8]d, reference: true}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1", concurrency: 4}
%[10]s`, filepath.Join(dir, "out"), testenv.FakeVLLM(t), f.events, f.pids, freePort(t), freePort(t), freePort(t), freePort(t), b, extra)
	p, err := plan.Parse(filepath.Join(dir, "plan.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f.plan = p
	return f
}

// barrier holds each job's first request until n jobs have reached it, so that a
// test sees them run at once without measuring time; a job that waits in vain (the
// variants ran one after another) is noted after a long bound.
type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
	vain    []string
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait(job Job, n int) {
	if n != 1 {
		return
	}
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(20 * time.Second):
		b.mu.Lock()
		b.vain = append(b.vain, job.Variant)
		b.mu.Unlock()
	}
}

// TestParallelVariants: four variants on four GPUs run at once, each with its own
// device, port and log; the summary is a sequential run's; --max-parallel 1 runs
// them one after another.
func TestParallelVariants(t *testing.T) {
	f := nodePlan(t, "", "")
	b := newBarrier(4)
	fe := &fakeEval{onRequest: b.wait}
	var stdout, progress bytes.Buffer
	m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate, Stdout: &stdout, Progress: &progress})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, progress.String())
	}
	f.checkNoProcessLeft(t)
	if len(b.vain) > 0 {
		t.Errorf("variants %v waited in vain for the others: they did not run at once", b.vain)
	}
	events := f.eventLines(t)
	if len(events) != 8 {
		t.Fatalf("events %q", events)
	}
	for _, e := range events[:4] {
		if !strings.HasPrefix(e, "listen ") {
			t.Errorf("a server exited before all four listened: %q", events)
			break
		}
	}
	seen := map[string]string{}
	for i, v := range m.Variants {
		if v.Status != StatusOK || len(v.Devices) != 1 {
			t.Fatalf("variant %s: status %s, devices %q", v.Name, v.Status, v.Devices)
		}
		if other, dup := seen[v.Devices[0]]; dup {
			t.Errorf("%s and %s both had device %s", other, v.Name, v.Devices[0])
		}
		seen[v.Devices[0]] = v.Name
		log, err := os.ReadFile(f.out("logs", v.Name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "CUDA_VISIBLE_DEVICES=" + v.Devices[0] + "\n"; !strings.Contains(string(log), want) {
			t.Errorf("%s's server did not see %q:\n%s", v.Name, want, log)
		}
		if v.Env["CUDA_VISIBLE_DEVICES"] != v.Devices[0] || !strings.HasSuffix(v.BaseURL, fmt.Sprint(f.plan.Variants[i].Server.Port)) {
			t.Errorf("%s: env %v, base URL %s", v.Name, v.Env, v.BaseURL)
		}
	}

	// The same plan one variant at a time: servers one after another, the same table.
	seq := nodePlan(t, "", "")
	var seqOut bytes.Buffer
	if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: seq.plan, Evaluate: (&fakeEval{}).Evaluate, Stdout: &seqOut, MaxParallel: 1}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range seq.plan.Variants {
		want = append(want, "listen "+v.Model+" "+fmt.Sprint(v.Server.Port), "exit "+v.Model)
	}
	if got := seq.eventLines(t); !reflect.DeepEqual(got, want) {
		t.Errorf("--max-parallel 1: events\n got %q\nwant %q", got, want)
	}
	if seqOut.String() != stdout.String() || !strings.Contains(stdout.String(), "| D (reference) | test/D-q3 | 2/3 |") {
		t.Errorf("parallel summary:\n%s\nsequential:\n%s", stdout.String(), seqOut.String())
	}
}

// TestParallelFailureIsolated: a variant whose server fails to start fails alone;
// the others run to the end.
func TestParallelFailureIsolated(t *testing.T) {
	f := nodePlan(t, `env: {FAKEVLLM_EXIT: "3"}`, "")
	fe := &fakeEval{}
	m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate})
	if err == nil || !strings.Contains(err.Error(), "1 of 4 variants failed: B") {
		t.Errorf("err = %v", err)
	}
	f.checkNoProcessLeft(t)
	if got, want := statuses(m), []string{"A=ok", "B=failed", "C=ok", "D=ok"}; !reflect.DeepEqual(got, want) {
		t.Errorf("statuses %q, want %q", got, want)
	}
}

// TestParallelInterrupt: Ctrl-C while four variants run stops every server and
// keeps the manifest whole.
func TestParallelInterrupt(t *testing.T) {
	f := nodePlan(t, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := newBarrier(4)
	fe := &fakeEval{onRequest: func(job Job, n int) {
		b.wait(job, n)
		if n == 2 {
			cancel()
		}
	}}
	m, err := Run(ctx, Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	f.checkNoProcessLeft(t)
	if got := readManifest(t, f); got.Status != StatusInterrupted {
		t.Errorf("manifest status %s", got.Status)
	}
	exits := 0
	for _, e := range f.eventLines(t) {
		if strings.HasPrefix(e, "exit ") {
			exits++
		}
	}
	if exits != 4 {
		t.Errorf("%d servers exited gracefully, want 4: %q", exits, f.eventLines(t))
	}
	for _, v := range m.Variants {
		if v.Status != StatusInterrupted && v.Status != StatusOK {
			t.Errorf("%s: status %s", v.Name, v.Status)
		}
	}
}
