package matrix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/result"
)

// TestFailureIsIsolated breaks the middle variant in each way a server can fail;
// the others still run, and nothing of any server is left.
func TestFailureIsIsolated(t *testing.T) {
	tests := []struct {
		name, fp8 string
		failFast  bool
		wantErr   []string
		wantEvent []string // FP8's lines in the events file
	}{
		{"exits during start-up", `env: {FAKEVLLM_EXIT: "3"}`, false,
			[]string{"server exited during start-up: exit status 3", "CUDA out of memory"}, nil},
		{"crashes in the middle of an eval", `env: {FAKEVLLM_CRASH_AFTER: "1"}`, false,
			[]string{"qwen3_32b_accuracy_suite_v1: server exited during the evals: exit status 1", "illegal memory access"},
			[]string{"listen test/FP8-q2"}},
		{"never ready", `env: {FAKEVLLM_DELAY: 1h}, ready_timeout: 300ms`, false,
			[]string{"not ready after 300ms", "Loading safetensors"}, []string{"exit test/FP8-q2"}},
		{"prepare fails", `prepare: ["echo about to fail; exit 4"]`, false,
			[]string{"prepare sh -c 'echo about to fail; exit 4': exit status 4"},
			[]string{"listen test/FP8-q2", "exit test/FP8-q2"}},
		{"fail fast", `env: {FAKEVLLM_EXIT: "3"}`, true, []string{"exit status 3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.fp8, "")
			var progress bytes.Buffer
			m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate, Progress: &progress, FailFast: tt.failFast, WaitEvery: 100 * time.Millisecond})
			f.checkNoProcessLeft(t)
			if err == nil || !strings.Contains(err.Error(), "1 of 3 variants failed: FP8") {
				t.Fatalf("err = %v\n%s", err, progress.String())
			}
			want := []string{"NVFP4=ok", "FP8=failed", "BF16=ok"}
			if tt.failFast {
				want[2] = "BF16=not run"
			}
			disk := readManifest(t, f)
			if got := statuses(disk); !reflect.DeepEqual(got, want) {
				t.Errorf("statuses %q, want %q", got, want)
			}
			if disk.Status != StatusFailed || m.Status != StatusFailed {
				t.Errorf("plan status %q", disk.Status)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(disk.Variants[1].Error, w) {
					t.Errorf("FP8 error lacks %q:\n%s", w, disk.Variants[1].Error)
				}
			}
			var fp8 []string
			for _, e := range f.eventLines(t) {
				if strings.Contains(e, "FP8") {
					fp8 = append(fp8, strings.TrimSuffix(e, " "+strconv.Itoa(f.port)))
				}
			}
			if !reflect.DeepEqual(fp8, tt.wantEvent) {
				t.Errorf("FP8 events %q, want %q", fp8, tt.wantEvent)
			}
			if tt.name == "never ready" && !strings.Contains(progress.String(), "[2/3 FP8] waiting for readiness (0s): INFO") {
				t.Errorf("progress does not show the wait with the last log line:\n%s", progress.String())
			}
			if !strings.Contains(progress.String(), "[2/3 FP8] FAILED: ") {
				t.Errorf("progress does not say FP8 failed:\n%s", progress.String())
			}
			if !tt.failFast {
				if _, err := os.Stat(f.out("BF16", "qwen3_32b_accuracy_suite_v1.json")); err != nil {
					t.Errorf("BF16 did not run after FP8 failed: %v", err)
				}
			}
		})
	}
}

// TestCrashUnderAFinishedEval: the evaluator records the dead server's refusals as
// item errors and finishes; the variant still fails and its result is marked
// incomplete, so that the report leaves it out and --resume continues it.
func TestCrashUnderAFinishedEval(t *testing.T) {
	f := newFixture(t, `env: {FAKEVLLM_CRASH_AFTER: "1"}`, "")
	var stdout bytes.Buffer
	_, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{tolerant: true}).Evaluate, Stdout: &stdout})
	f.checkNoProcessLeft(t)
	if err == nil || !strings.Contains(err.Error(), "variants failed: FP8") {
		t.Fatalf("err = %v", err)
	}
	m := readManifest(t, f)
	if e := m.Variants[1].Evals[0]; e.Complete || !strings.Contains(e.Error, "server exited during the evals: exit status 1") {
		t.Errorf("FP8 eval %+v", e)
	}
	r, err := result.Read(f.out("FP8", "qwen3_32b_accuracy_suite_v1.json"))
	if err != nil || r.Complete || len(r.Items) != 3 || r.Items[1].Error == "" {
		t.Errorf("FP8 result: %+v, %v", r, err)
	}
	if !strings.Contains(stdout.String(), "| FP8 | test/FP8-q2 | 1/3 | incomplete |") {
		t.Errorf("summary:\n%s", stdout.String())
	}
}

func TestPrepare(t *testing.T) {
	f := newFixture(t, `prepare: ["echo prepared $QUANTEVAL_VARIANT $QUANTEVAL_MODEL at $QUANTEVAL_BASE_URL with ${HF_TOKEN}", [sh, -c, "echo second >&2"]]`, "")
	if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate}); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(f.out("logs", "FP8.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// The token the command printed is a known secret: hidden in the log.
		fmt.Sprintf("\nprepared FP8 test/FP8-q2 at http://127.0.0.1:%d with ***\n", f.port),
		"prepare: sh -c 'echo second >&2'\nsecond\n",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("FP8.log lacks the prepare output %q:\n%s", want, log)
		}
	}
	if strings.Contains(string(log), "hf_secret_value") {
		t.Errorf("FP8.log shows the token:\n%s", log)
	}
	// The commands ran after the server was ready and before the eval's requests.
	i, j := strings.Index(string(log), "Application startup complete"), strings.Index(string(log), "prepared FP8")
	k := strings.Index(string(log), "POST /v1/chat/completions")
	if i < 0 || j < i || k < j {
		t.Errorf("order in the log: ready at %d, prepare at %d, first request at %d", i, j, k)
	}
	m := readManifest(t, f)
	if pr := m.Variants[1].Prepare; len(pr) != 2 || pr[0].ExitStatus != "exit status 0" || pr[1].Command[2] != "echo second >&2" {
		t.Errorf("manifest prepare %+v", pr)
	}
}

func TestOnly(t *testing.T) {
	f := newFixture(t, "", "")
	fe := &fakeEval{}
	m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate, Only: []string{"FP8"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Variants) != 1 || m.Variants[0].Name != "FP8" || len(fe.jobs) != 1 || len(f.eventLines(t)) != 2 {
		t.Errorf("--only FP8 ran %q, jobs %d, events %q", statuses(m), len(fe.jobs), f.eventLines(t))
	}
	if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate, Only: []string{"FP8", "INT4"}}); err == nil ||
		!strings.Contains(err.Error(), "no variant INT4 in the plan (it has NVFP4, FP8, BF16)") {
		t.Errorf("unknown --only: %v", err)
	}
}

func TestExternal(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"remote"}, Answer: func(vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text("5")}
	}})
	dir := t.TempDir()
	src := fmt.Sprintf(`
output: %s
variants: [{name: R, model: remote, kind: external, base_url: %q}]
evals: [{evalset: x.jsonl}]
`, dir, hs.URL+"/v1")
	p, err := plan.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fe := &fakeEval{}
	m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: p, Evaluate: fe.Evaluate})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Variants[0]
	if v.Status != StatusOK || v.PID != 0 || v.Log != "" || v.Command != nil || v.BaseURL != hs.URL || v.Evals[0].OK != 1 {
		t.Errorf("external variant %+v", v)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs", "R.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a log was made for an external endpoint: %v", err)
	}
}
