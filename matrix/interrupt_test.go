package matrix

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/result"
)

// TestInterrupt cancels the run in the middle of FP8's eval: the server (and its
// stubborn grandchild) is stopped, finished results stay, the manifest says so.
func TestInterrupt(t *testing.T) {
	f := newFixture(t, `env: {FAKEVLLM_GRANDCHILD: "1"}`, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fe := &fakeEval{onRequest: func(job Job, n int) {
		if job.Variant == "FP8" && n == 2 {
			cancel()
		}
	}}
	var progress bytes.Buffer
	_, err := Run(ctx, Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate, Progress: &progress})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	f.checkNoProcessLeft(t)
	m := readManifest(t, f)
	if got, want := statuses(m), []string{"NVFP4=ok", "FP8=interrupted", "BF16=not run"}; !reflect.DeepEqual(got, want) || m.Status != StatusInterrupted {
		t.Errorf("statuses %q (%s), want %q", got, m.Status, want)
	}
	if m.Variants[1].ExitStatus != "exit status 0" {
		t.Errorf("FP8 exit %q: want a graceful SIGINT stop after Ctrl-C", m.Variants[1].ExitStatus)
	}
	if r, err := result.Read(f.out("NVFP4", "qwen3_32b_accuracy_suite_v1.json")); err != nil || !r.Complete {
		t.Errorf("NVFP4's finished result lost: %v", err)
	}
	if r, err := result.Read(f.out("FP8", "qwen3_32b_accuracy_suite_v1.json")); err != nil || r.Complete || len(r.Items) != 1 {
		t.Errorf("FP8's partial result: %+v, %v", r, err)
	}
	for _, e := range f.eventLines(t) {
		if strings.Contains(e, "BF16") {
			t.Errorf("BF16 started after the interrupt: %q", e)
		}
	}
	if !strings.Contains(progress.String(), "interrupted; finished results kept") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

// TestInterruptStopNow: a server that ignores SIGINT and SIGTERM would hold the stop
// for two stop graces; a second Ctrl-C (StopNow) sends SIGKILL at once.
func TestInterruptStopNow(t *testing.T) {
	f := newFixture(t, `env: {FAKEVLLM_IGNORE: "INT,TERM"}, stop_grace: 1h`, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hurry := make(chan struct{})
	fe := &fakeEval{onRequest: func(job Job, n int) {
		if job.Variant == "FP8" && n == 2 {
			cancel()
			go func() { time.Sleep(300 * time.Millisecond); close(hurry) }()
		}
	}}
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate, StopNow: hurry})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the second interrupt did not end the stop")
	}
	f.checkNoProcessLeft(t)
	if m := readManifest(t, f); !strings.Contains(m.Variants[1].ExitStatus, "killed") {
		t.Errorf("FP8 exit %q, want killed", m.Variants[1].ExitStatus)
	}
}

func TestResume(t *testing.T) {
	// First run: FP8 crashes after one answer and leaves a partial result.
	f := newFixture(t, `env: {FAKEVLLM_CRASH_AFTER: "1"}`, "")
	if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate}); err == nil {
		t.Fatal("the crashing run succeeded")
	}
	if r, err := result.Read(f.out("FP8", "qwen3_32b_accuracy_suite_v1.json")); err != nil || r.Complete || len(r.Items) != 1 {
		t.Fatalf("FP8 partial: %+v %v", r, err)
	}
	bf16, _ := fileSHA256(f.out("BF16", "qwen3_32b_accuracy_suite_v1.json"))
	os.Remove(f.events)

	// Second run, the crash fixed: only FP8's server starts, and it resumes.
	g := newFixture(t, "", "")
	g.plan.Output, g.events, g.pids = f.plan.Output, f.events, f.pids
	for i := range g.plan.Variants {
		g.plan.Variants[i].Server.Env["FAKEVLLM_EVENTS"] = f.events
		g.plan.Variants[i].Server.Env["FAKEVLLM_PIDS"] = f.pids
		g.plan.Variants[i].Server.Port = f.port
	}
	fe := &fakeEval{}
	var stdout bytes.Buffer
	if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: g.plan, Evaluate: fe.Evaluate, Resume: true, Stdout: &stdout}); err != nil {
		t.Fatal(err)
	}
	g.checkNoProcessLeft(t)
	if got := g.eventLines(t); len(got) != 2 || !strings.HasPrefix(got[0], "listen test/FP8-q2") {
		t.Errorf("events %q: want FP8's server only", got)
	}
	if len(fe.jobs) != 1 || fe.jobs[0].Variant != "FP8" || !fe.jobs[0].Resume {
		t.Errorf("jobs %+v: want FP8 resumed", fe.jobs)
	}
	m := readManifest(t, g)
	if got, want := statuses(m), []string{"NVFP4=skipped", "FP8=ok", "BF16=skipped"}; !reflect.DeepEqual(got, want) {
		t.Errorf("statuses %q, want %q", got, want)
	}
	if e := m.Variants[2].Evals[0]; !e.Skipped || e.SHA256 != bf16 || !e.Complete {
		t.Errorf("BF16 eval %+v, want skipped with its sha256 %s", e, bf16)
	}
	if e := m.Variants[1].Evals[0]; !e.Resumed || !e.Complete || e.OK != 2 || e.Count != 3 {
		t.Errorf("FP8 eval %+v", e)
	}
	if !strings.Contains(stdout.String(), "| FP8 | test/FP8-q2 | 2/3 | 0.667 |") || !strings.Contains(stdout.String(), "| NVFP4 | test/NVFP4-q1-q3 | 1/3 | 0.333 |") {
		t.Errorf("summary after resume:\n%s", stdout.String())
	}
}
