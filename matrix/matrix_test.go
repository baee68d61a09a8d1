package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/server"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// freePort is for the fake server, a child process that binds the port itself: a
// listener cannot be handed to it, so a port free a moment ago is the best there is.
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
	res := &result.File{Schema: result.Schema, Model: job.Model, BaseURL: redact.URL(job.BaseURL), StartedAt: time.Now(),
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
%[7]s`, filepath.Join(dir, "out"), testenv.FakeVLLM(t), f.port, f.events, f.pids, fp8, extra)
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
		"[1/3 NVFP4] starting: " + testenv.FakeVLLM(t) + " serve test/NVFP4-q1-q3 --host 127.0.0.1 --port " + p,
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
