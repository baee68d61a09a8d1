package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/server"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var fakeVLLM string // the stand-in `vllm` binary, built once by TestMain

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "fakevllm")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if fakeVLLM, err = testenv.BuildFakeVLLM(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var freePort = testenv.FreePort

// items are the questions of the fake evaluator. The fake server answers "[qN]"
// wrong when its model name has a segment qN, so NVFP4 (q1, q3) gets 1/3, FP8 (q2)
// 2/3 and BF16 3/3.
var items = []struct {
	id, prompt string
	answer     int
}{
	{"q1", "[q1] What is 2 + 3?", 5},
	{"q2", "[q2] What is 7 * 6?", 42},
	{"q3", "[q3] What is 10 - 4?", 6},
}

// fakeEval is an Evaluate that asks the server one chat question per item and
// writes a result file, partial when it stops early; with Resume it keeps the
// items of the file already there.
type fakeEval struct {
	mu   sync.Mutex
	jobs []Job
	// onRequest, when set, runs before each request (n counts from 1 within a job).
	onRequest func(job Job, n int)
	// tolerant records a failed request as an item with an error and goes on, as
	// the real runner does once its retries are spent, and ignores ctx.
	tolerant bool
}

func (f *fakeEval) Evaluate(ctx context.Context, job Job) (*result.File, error) {
	f.mu.Lock()
	f.jobs = append(f.jobs, job)
	f.mu.Unlock()
	// The base URL's password hidden, as the real runner does.
	res := &result.File{Schema: result.Schema, Model: job.Model, BaseURL: server.RedactURL(job.BaseURL), StartedAt: time.Now(),
		Evalset: result.Evalset{Name: job.Eval.Name, Path: job.Eval.Evalset, Count: len(items)}}
	done := map[string]bool{}
	if job.Resume {
		if old, err := result.Read(job.Out); err == nil {
			res.Items = old.Items
			for _, r := range old.Items {
				done[r.ID] = true
			}
		}
	}
	var stopErr error
	for n, it := range items {
		if done[it.id] {
			continue
		}
		if f.onRequest != nil {
			f.onRequest(job, n+1)
		}
		rctx := ctx
		if f.tolerant {
			// As a runner that misses the cancellation while it retries.
			rctx = context.WithoutCancel(ctx)
		}
		out, err := ask(rctx, job, it.prompt)
		if err != nil && f.tolerant {
			res.Items = append(res.Items, result.Record{ID: it.id, Type: "number", Error: err.Error()})
			continue
		}
		if err != nil {
			stopErr = err
			break
		}
		rec := result.Record{ID: it.id, Type: "number", Prompt: it.prompt, Expected: it.answer, Output: out, Extracted: out, OK: out == strconv.Itoa(it.answer)}
		res.Items = append(res.Items, rec)
	}
	res.Complete = stopErr == nil
	res.Summary = result.Summarize(res.Items)
	res.FinishedAt = time.Now()
	if err := result.Write(job.Out, res); err != nil {
		return nil, err
	}
	return res, stopErr
}

func ask(ctx context.Context, job Job, prompt string) (string, error) {
	body, _ := json.Marshal(map[string]any{"model": job.Model, "messages": []map[string]string{{"role": "user", "content": prompt}}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.BaseURL+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	if len(out.Choices) == 0 {
		return "", fmt.Errorf("status %d, no choices", resp.StatusCode)
	}
	return out.Choices[0].Message.Content, nil
}

// fixture is a plan of three variants on the fake server, and its files.
type fixture struct {
	dir, events, pids string
	port              int
	plan              *plan.Plan
}

// newFixture writes a plan whose FP8 variant has the extra YAML keys fp8 (one
// flow-mapping fragment such as `env: {FAKEVLLM_EXIT: "3"}`), and top keys extra.
func newFixture(t *testing.T, fp8, extra string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, events: filepath.Join(dir, "events"), pids: filepath.Join(dir, "pids"), port: freePort(t)}
	if fp8 != "" {
		fp8 = ", " + fp8
	}
	src := fmt.Sprintf(`
name: fake-precision
output: %[1]s
server:
  command: [%[2]s, serve]
  port: %[3]d
  args: [--max-model-len, "4096", --api-key, sk-fake-key]
  env: {FAKEVLLM_EVENTS: %[4]s, FAKEVLLM_PIDS: %[5]s, FAKEVLLM_DELAY: 100ms, HF_TOKEN: hf_secret_value}
  ready_timeout: 1m
  stop_grace: 2s
variants:
  - {name: NVFP4, model: test/NVFP4-q1-q3}
  - {name: FP8, model: test/FP8-q2%[6]s}
  - {name: BF16, model: test/BF16, reference: true}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1", concurrency: 4, max_tokens: 256, temperature: 0}
%[7]s`, filepath.Join(dir, "out"), fakeVLLM, f.port, f.events, f.pids, fp8, extra)
	p, err := plan.Parse(filepath.Join(dir, "plan.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f.plan = p
	return f
}

func (f *fixture) out(parts ...string) string {
	return filepath.Join(append([]string{f.plan.Output}, parts...)...)
}

// events are the fake servers' "listen MODEL PORT" and "exit MODEL" lines.
func (f *fixture) eventLines(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(f.events)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// checkNoProcessLeft fails when any process a fake server wrote down is alive.
func (f *fixture) checkNoProcessLeft(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(f.pids)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		role, p, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("pids file line %q", line)
		}
		n++
		if st, err := server.ReadProcStat(pid); err == nil && !st.Zombie() {
			t.Errorf("%s %d is still alive (state %c)", role, pid, st.State)
		}
		if left := server.GroupPIDs(pid); role == "server" && len(left) > 0 {
			t.Errorf("process group %d still has %v", pid, left)
		}
	}
	if n == 0 {
		t.Error("no PIDs recorded: the check checked nothing")
	}
}

func readManifest(t *testing.T, f *fixture) *Manifest {
	t.Helper()
	data, err := os.ReadFile(ManifestPath(f.plan))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func statuses(m *Manifest) []string {
	var out []string
	for _, v := range m.Variants {
		out = append(out, v.Name+"="+v.Status)
	}
	return out
}

func TestRunPlan(t *testing.T) {
	f := newFixture(t, "", "")
	var stdout, progress bytes.Buffer
	fe := &fakeEval{}
	m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate, Stdout: &stdout, Progress: &progress, Tool: "quanteval test"})
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
	}
	f.checkNoProcessLeft(t)

	// In order, one server at a time, on the planned port.
	p := strconv.Itoa(f.port)
	want := []string{
		"listen test/NVFP4-q1-q3 " + p, "exit test/NVFP4-q1-q3",
		"listen test/FP8-q2 " + p, "exit test/FP8-q2",
		"listen test/BF16 " + p, "exit test/BF16",
	}
	if got := f.eventLines(t); !reflect.DeepEqual(got, want) {
		t.Errorf("server events:\n got %q\nwant %q", got, want)
	}

	wantTable := `## qwen3_32b_accuracy_suite_v1

| variant | model | ok / count | accuracy |
|---|---|---:|---:|
| NVFP4 | test/NVFP4-q1-q3 | 1/3 | 0.333 |
| FP8 | test/FP8-q2 | 2/3 | 0.667 |
| BF16 (reference) | test/BF16 | 3/3 | 1.000 |
`
	if stdout.String() != wantTable {
		t.Errorf("summary:\n%s\nwant:\n%s", stdout.String(), wantTable)
	}
	if md, err := os.ReadFile(f.out("report", "summary.md")); err != nil || string(md) != wantTable {
		t.Errorf("report/summary.md = %q, %v", md, err)
	}

	for _, v := range []string{"NVFP4", "FP8", "BF16"} {
		log, err := os.ReadFile(f.out("logs", v+".log"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(log), "Starting vLLM API server 0 on http://127.0.0.1:"+p) || !strings.Contains(string(log), "received interrupt") {
			t.Errorf("%s.log lacks the start-up or the SIGINT:\n%s", v, log)
		}
		if strings.Contains(string(log), "hf_secret_value") || strings.Contains(string(log), "sk-fake-key") {
			t.Errorf("%s.log shows the token", v)
		}
	}

	for _, want := range []string{
		"[1/3 NVFP4] starting: " + fakeVLLM + " serve test/NVFP4-q1-q3 --host 127.0.0.1 --port " + p,
		"[1/3 NVFP4] ready after", `(version "0.0.0-fake")`,
		"[2/3 FP8] evaluating qwen3_32b_accuracy_suite_v1 -> " + f.out("FP8", "qwen3_32b_accuracy_suite_v1.json"),
		"[2/3 FP8] qwen3_32b_accuracy_suite_v1: accuracy 0.667 (2/3), 0 errors",
		"[3/3 BF16] stopping (pid", "[3/3 BF16] stopped (exit status 0)",
	} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}

	// The manifest on disk is the one returned, and vouches for every file.
	disk := readManifest(t, f)
	if disk.Status != StatusComplete || m.Status != StatusComplete || disk.Tool != "quanteval test" || disk.Schema != ManifestSchema {
		t.Errorf("manifest status %q / %q, tool %q", disk.Status, m.Status, disk.Tool)
	}
	if disk.FinishedAt.Before(disk.StartedAt) || disk.Plan.SHA256 != f.plan.SHA256 {
		t.Errorf("manifest times %v..%v, plan sha %q", disk.StartedAt, disk.FinishedAt, disk.Plan.SHA256)
	}
	for _, v := range disk.Variants {
		if v.Status != StatusOK || v.ServerVersion != "0.0.0-fake" || v.ExitStatus != "exit status 0" || v.PID == 0 {
			t.Errorf("variant %s: %+v", v.Name, v)
		}
		if v.StartedAt == nil || v.ReadyAt == nil || v.StoppedAt == nil || v.ReadyAt.Before(*v.StartedAt) || v.StoppedAt.Before(*v.ReadyAt) {
			t.Errorf("variant %s times: %v %v %v", v.Name, v.StartedAt, v.ReadyAt, v.StoppedAt)
		}
		if v.Env["HF_TOKEN"] != "***" || v.Env["FAKEVLLM_DELAY"] != "100ms" {
			t.Errorf("variant %s env %v: want HF_TOKEN redacted, the rest shown", v.Name, v.Env)
		}
		if got := strings.Join(v.Command, " "); !strings.Contains(got, "serve "+v.Model+" --host 127.0.0.1 --port "+p+" --max-model-len 4096 --api-key ***") {
			t.Errorf("variant %s command %q", v.Name, got)
		}
		if v.Log != f.out("logs", v.Name+".log") {
			t.Errorf("variant %s log %q", v.Name, v.Log)
		}
		if len(v.Evals) != 1 {
			t.Fatalf("variant %s evals %+v", v.Name, v.Evals)
		}
		e := v.Evals[0]
		sum, err := fileSHA256(e.Result)
		if err != nil || e.SHA256 != sum || !e.Complete || e.Count != 3 {
			t.Errorf("variant %s eval %+v (file sha %s, %v)", v.Name, e, sum, err)
		}
	}
	if data, _ := os.ReadFile(ManifestPath(f.plan)); bytes.Contains(data, []byte("hf_secret_value")) {
		t.Error("the manifest holds the token")
	}
	if disk.Plan.Server.Env["HF_TOKEN"] != "***" || f.plan.Server.Env["HF_TOKEN"] != "hf_secret_value" {
		t.Errorf("plan redaction: manifest %q, plan %q", disk.Plan.Server.Env["HF_TOKEN"], f.plan.Server.Env["HF_TOKEN"])
	}
	if len(fe.jobs) != 3 || fe.jobs[0].BaseURL != "http://127.0.0.1:"+p || fe.jobs[0].Resume {
		t.Errorf("jobs %+v", fe.jobs)
	}
}

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
		fmt.Sprintf("\nprepared FP8 test/FP8-q2 at http://127.0.0.1:%d with hf_secret_value\n", f.port),
		"prepare: sh -c 'echo second >&2'\nsecond\n",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("FP8.log lacks the prepare output %q:\n%s", want, log)
		}
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

func TestReportIsInjected(t *testing.T) {
	f := newFixture(t, `env: {FAKEVLLM_EXIT: "1"}`, "")
	type call struct {
		dir  string
		refs []ResultRef
	}
	var calls []call
	report := func(ctx context.Context, dir string, refs []ResultRef) error {
		calls = append(calls, call{dir, refs})
		return nil
	}
	var stdout bytes.Buffer
	_, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate, Report: report, Stdout: &stdout})
	if err == nil {
		t.Fatal("FP8 failed but Run did not say so")
	}
	want := []call{{f.out("report", "qwen3_32b_accuracy_suite_v1"), []ResultRef{
		{Label: "NVFP4", Path: f.out("NVFP4", "qwen3_32b_accuracy_suite_v1.json")},
		{Label: "BF16", Path: f.out("BF16", "qwen3_32b_accuracy_suite_v1.json"), Reference: true},
	}}}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("report calls:\n got %+v\nwant %+v", calls, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("the plain summary was written although a report was given:\n%s", stdout.String())
	}
	if m := readManifest(t, f); len(m.Reports) != 1 || len(m.Reports[0].Files) != 2 {
		t.Errorf("manifest reports %+v", m.Reports)
	}

	failing := func(context.Context, string, []ResultRef) error { return errors.New("no chart today") }
	g := newFixture(t, "", "")
	if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: g.plan, Evaluate: (&fakeEval{}).Evaluate, Report: failing}); err == nil || !strings.Contains(err.Error(), "no chart today") {
		t.Errorf("a failing report: err = %v", err)
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

// TestDryRun compares the dry run of a plan with secrets with testdata/dryrun.txt.
func TestDryRun(t *testing.T) {
	src := `
name: secrets
output: results/secrets
server:
  command: [/opt/venv/bin/vllm, serve]
  args: [--api-key, sk-very-secret, --max-model-len, "4096"]
  env: {HF_TOKEN: hf_abcdef, OPENAI_API_KEY: sk-x, MY_DB_PASSWORD: pw, CUDA_VISIBLE_DEVICES: "0"}
variants:
  - {name: FP8, model: Qwen/Qwen3-32B-FP8, env: {WANDB_SECRET: s3}, prepare: [[huggingface-cli, download, --token=hf_abcdef, Qwen/Qwen3-32B-FP8]]}
  - {name: BF16, model: Qwen/Qwen3-32B, reference: true, port: 8001, stop_grace: 30s}
  - {name: API, model: gpt-x, kind: external, base_url: "https://api.example.com/v1"}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1", concurrency: 4, max_tokens: 256, api_key_env: OPENAI_API_KEY}
  - {evalset: gsm8k, sample: 200, sample_seed: 1, fewshot: 5, extra_body: {chat_template_kwargs: {enable_thinking: false}}, system: "Think, then answer."}
`
	p, err := plan.Parse("secrets.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := DryRun(&out, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"sk-very-secret", "hf_abcdef", "sk-x", "pw", "s3"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the dry run shows the secret %q", secret)
		}
	}
	golden := filepath.Join("testdata", "dryrun.txt")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		os.WriteFile(golden+".got", out.Bytes(), 0o644)
		t.Errorf("dry run differs from %s (see .got; -update rewrites):\n%s", golden, out.String())
	}
	if _, err := os.Stat("results"); err == nil {
		t.Error("the dry run created the output folder")
	}
	if err := DryRun(io.Discard, p, []string{"FP4"}); err == nil {
		t.Error("dry run with an unknown --only name succeeded")
	}
}

// TestSecretsNotShown gives secrets in every form a command line passes them and
// looks for them in everything written: the output folder (manifest, logs,
// results), the progress, the summary, the error and the dry run.
func TestSecretsNotShown(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"remote"}, Answer: func(vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text("5")}
	}})
	remote := strings.Replace(hs.URL, "http://", "http://user:pw_leak5@", 1) + "/v1"
	dir := t.TempDir()
	src := fmt.Sprintf(`
name: secrets
output: %[1]s
server:
  command: [%[2]s, serve]
  port: %[3]d
  args: [--hf-token=hf_abcdef, -e, HF_TOKEN=hf_leak1, --api-key, -dashkey]
  env: {HF_TOKEN: hf_envleak, FAKEVLLM_PIDS: %[4]s}
  ready_timeout: 1m
  stop_grace: 2s
variants:
  - {name: OK, model: test/OK, reference: true, prepare: ["HF_TOKEN=hf_leak2 true", [env, API_TOKEN=hf_leak3, "true"]]}
  - {name: BAD, model: test/BAD, prepare: [[HF_TOKEN=hf_leak4, "true"]]}
  - {name: API, model: remote, kind: external, base_url: %[5]q}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1"}
`, filepath.Join(dir, "out"), fakeVLLM, freePort(t), filepath.Join(dir, "pids"), remote)
	p, err := plan.Parse(filepath.Join(dir, "plan.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"hf_abcdef", "hf_leak1", "dashkey", "hf_leak2", "hf_leak3", "hf_leak4", "pw_leak5", "hf_envleak"}
	leaks := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q:\n%s", what, s, text)
			}
		}
	}

	var dry bytes.Buffer
	if err := DryRun(&dry, p, nil); err != nil {
		t.Fatal(err)
	}
	leaks("the dry run", dry.String())
	if !strings.Contains(dry.String(), "--hf-token=*** -e HF_TOKEN=*** --api-key ***") || !strings.Contains(dry.String(), "prepare: sh -c 'HF_TOKEN=*** true'") ||
		!strings.Contains(dry.String(), "prepare: env API_TOKEN=*** true") || !strings.Contains(dry.String(), "user:xxxxx@127.0.0.1") {
		t.Errorf("the dry run does not show the commands redacted:\n%s", dry.String())
	}

	var stdout, progress bytes.Buffer
	_, err = Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: p, Evaluate: (&fakeEval{}).Evaluate, Stdout: &stdout, Progress: &progress})
	if err == nil || !strings.Contains(err.Error(), "1 of 3 variants failed: BAD") {
		t.Fatalf("err = %v\n%s", err, progress.String())
	}
	leaks("the error", err.Error())
	leaks("the progress", progress.String())
	leaks("the summary", stdout.String())
	if !strings.Contains(progress.String(), "starting: "+fakeVLLM+" serve test/OK --host 127.0.0.1 --port") || !strings.Contains(progress.String(), "--hf-token=*** -e HF_TOKEN=*** --api-key ***") {
		t.Errorf("progress does not show the command redacted:\n%s", progress.String())
	}
	files := 0
	err = filepath.WalkDir(p.Output, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		leaks(path, string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, &fixture{plan: p})
	if files < 6 || len(m.Variants) != 3 {
		t.Fatalf("%d files, manifest variants %+v: the check checked too little", files, m.Variants)
	}
	if e := m.Variants[1].Error; !strings.Contains(e, `"HF_TOKEN=***"`) || !strings.Contains(e, "executable file not found") {
		t.Errorf("BAD's error %q: want exec's error, redacted", e)
	}
	if got := m.Plan.Variants[0].Server.Args; !reflect.DeepEqual(got, []string{"--hf-token=***", "-e", "HF_TOKEN=***", "--api-key", "***"}) {
		t.Errorf("the manifest's plan args %q", got)
	}
}

// TestReferenceFailed: with the reference's server dead at start-up there is no
// comparison against a stand-in, but an error in the eval's report and the plain
// table of what exists. A later --only run without the reference compares against
// the reference's result left on disk.
func TestReferenceFailed(t *testing.T) {
	f := newFixture(t, "", "")
	bf16 := &f.plan.Variants[2]
	env := map[string]string{"FAKEVLLM_EXIT": "3"}
	for k, v := range bf16.Server.Env {
		env[k] = v
	}
	bf16.Server.Env = env
	var calls [][]ResultRef
	report := func(ctx context.Context, dir string, refs []ResultRef) error {
		calls = append(calls, refs)
		return nil
	}
	var stdout bytes.Buffer
	_, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate, Report: report, Stdout: &stdout})
	const why = "reference variant BF16 has no complete result for qwen3_32b_accuracy_suite_v1; no comparison made"
	if err == nil || !strings.Contains(err.Error(), "variants failed: BF16") || !strings.Contains(err.Error(), why) {
		t.Fatalf("err = %v", err)
	}
	if len(calls) != 0 {
		t.Errorf("compared without the reference: %+v", calls)
	}
	m := readManifest(t, f)
	wantFiles := []string{f.out("NVFP4", "qwen3_32b_accuracy_suite_v1.json"), f.out("FP8", "qwen3_32b_accuracy_suite_v1.json")}
	if len(m.Reports) != 1 || m.Reports[0].Error != why || !reflect.DeepEqual(m.Reports[0].Files, wantFiles) {
		t.Errorf("manifest reports %+v", m.Reports)
	}
	wantTable := "## qwen3_32b_accuracy_suite_v1\n\n" + why + ".\n\n" + `| variant | model | ok / count | accuracy |
|---|---|---:|---:|
| NVFP4 | test/NVFP4-q1-q3 | 1/3 | 0.333 |
| FP8 | test/FP8-q2 | 2/3 | 0.667 |
| BF16 (reference) | test/BF16 | — | failed |
`
	if stdout.String() != "\n"+wantTable {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), wantTable)
	}
	if md, err := os.ReadFile(f.out("report", "qwen3_32b_accuracy_suite_v1", "summary.md")); err != nil || string(md) != wantTable {
		t.Errorf("report/EVAL/summary.md = %q, %v", md, err)
	}

	// The reference fixed and run alone, then FP8 alone: compared with BF16's result.
	delete(env, "FAKEVLLM_EXIT")
	for _, only := range []string{"BF16", "FP8"} {
		calls = nil
		if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate, Report: report, Only: []string{only}}); err != nil {
			t.Fatalf("--only %s: %v", only, err)
		}
	}
	want := [][]ResultRef{{
		{Label: "FP8", Path: f.out("FP8", "qwen3_32b_accuracy_suite_v1.json")},
		{Label: "BF16", Path: f.out("BF16", "qwen3_32b_accuracy_suite_v1.json"), Reference: true},
	}}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("--only FP8 report calls:\n got %+v\nwant %+v", calls, want)
	}
}
