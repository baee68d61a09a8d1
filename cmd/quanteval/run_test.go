package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// invoke runs the command as main would and returns its exit status and output.
func invoke(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := quanteval(context.Background(), args, &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

// seedAnswers answers the built-in suite right except for the given prompts.
func seedAnswers(t *testing.T, wrong int) func(vllmtest.ChatRequest) vllmtest.Reply {
	s, err := evalset.Open(evalset.DefaultSuite)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i, it := range s.Items {
		var a string
		switch v := it.Answer.(type) {
		case float64:
			a = "<think>working it out: 1, 2, 3</think>The answer is **" + strings.TrimSuffix(strings.TrimRight(strings.TrimRight(
				jsonNumber(v), "0"), "."), ".") + "**"
		case string:
			a = v
		case []string:
			a = "I think it is " + v[0] + "."
		}
		if i < wrong {
			a = "no idea"
		}
		want[it.Prompt] = a
	}
	return func(r vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text(want[r.LastUser()])}
	}
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	s := string(b)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func TestRunCommand(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"Qwen/Qwen3-32B"}, Answer: seedAnswers(t, 6), APIKey: "sk-very-secret", Capture: true})
	t.Setenv("MY_KEY", "sk-very-secret")
	out := filepath.Join(t.TempDir(), "acc_bf16.json")
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL+"/v1", "--out", out, "--api-key-env", "MY_KEY",
		"--concurrency", "4", "--max-tokens", "256", "--temperature", "0.0", "--timeout", "1200", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasSuffix(stdout, "accuracy = 0.850 (34/40), 0 errors\n") {
		t.Errorf("stdout %q", stdout)
	}
	f, err := result.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Model != "Qwen/Qwen3-32B" || f.Summary.OK != 34 || !f.Complete {
		t.Errorf("result: model %q ok %d complete %v", f.Model, f.Summary.OK, f.Complete)
	}
	if srv.LastAuth() != "Bearer sk-very-secret" {
		t.Errorf("auth header %q", srv.LastAuth())
	}
	// The key reaches the server and nothing else.
	for _, p := range []string{out, out + ".journal"} {
		data, _ := os.ReadFile(p)
		if bytes.Contains(data, []byte("sk-very-secret")) {
			t.Errorf("%s contains the API key", p)
		}
	}
	if strings.Contains(stdout+stderr, "sk-very-secret") {
		t.Error("output contains the API key")
	}
}

func TestRunStdoutJSON(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: seedAnswers(t, 0)})
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--out", "-", "--limit", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var f result.File
	if err := json.Unmarshal([]byte(stdout), &f); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if len(f.Items) != 5 || f.Summary.Accuracy != 1 {
		t.Errorf("items %d accuracy %v", len(f.Items), f.Summary.Accuracy)
	}
	if !strings.Contains(stderr, "accuracy = 1.000 (5/5), 0 errors") {
		t.Errorf("summary line not on stderr: %q", stderr)
	}
}

func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"a","type":"number","prompt":"q","answer":1}`+"\n"+`{"id":"b","type":"number","prompt":"q","answer":"x"}`+"\n"), 0o644)
	_, two := vllmtest.Start(t, vllmtest.Options{Models: []string{"a", "b"}})
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad eval set line", []string{"run", "--evalset", bad}, 2, `bad.jsonl:2: field "answer": want a JSON number`},
		{"missing eval set", []string{"run", "--evalset", filepath.Join(dir, "nope.jsonl")}, 2, "no such file"},
		{"unknown builtin", []string{"run", "--evalset", "builtin:nope"}, 2, `no built-in suite "nope"`},
		{"bad extra body", []string{"run", "--extra-body", "[1]"}, 2, "--extra-body: want a JSON object"},
		{"bad flag", []string{"run", "--concurency", "4"}, 2, "flag provided but not defined"},
		{"zero concurrency", []string{"run", "--concurrency", "0"}, 2, "--concurrency: must be at least 1"},
		{"several models", []string{"run", "--base-url", two.URL, "--limit", "1"}, 1, "the server lists 2 models (a, b): choose one with --model"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := invoke(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func TestRunResumeFlag(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: seedAnswers(t, 0)})
	out := filepath.Join(t.TempDir(), "r.json")
	if code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--out", out, "--limit", "10", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	// A wider run resumes the first ten from the journal.
	before := srv.Requests()
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--out", out, "--resume", "--quiet")
	if code != 0 {
		t.Fatal(stderr)
	}
	if sent := srv.Requests() - before; sent != 30 {
		t.Errorf("resume sent %d requests, want 30", sent)
	}
	if !strings.Contains(stdout, "(40/40)") {
		t.Errorf("stdout %q", stdout)
	}
}

// TestEvalsetList: `evalset list`, and `evalsets` (with or without list) as before.
func TestEvalsetList(t *testing.T) {
	var first string
	for _, args := range [][]string{{"evalset", "list"}, {"evalsets"}, {"evalsets", "list"}} {
		code, stdout, _ := invoke(t, args...)
		if code != 0 || !strings.Contains(stdout, "builtin:qwen3_32b_accuracy_suite_v1\t40 items\tcontains 5, exact 12, number 23") ||
			!strings.Contains(stdout, "\ngsm8k\t") {
			t.Fatalf("%v: %d %q", args, code, stdout)
		}
		if first == "" {
			first = stdout
		} else if stdout != first {
			t.Errorf("%v lists otherwise than evalset list:\n%s", args, stdout)
		}
	}
	if code, _, stderr := invoke(t, "evalset", "list", "extra"); code != 2 || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("evalset list extra: %d %q", code, stderr)
	}
}

// TestRunRetries: --retries 0 is one attempt, the default three more; the result
// records the number asked for.
func TestRunRetries(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		attempts int
	}{
		{[]string{"--retries", "0"}, 1},
		{[]string{"--retries", "1"}, 2},
		{nil, 4},
	} {
		_, hs := vllmtest.Start(t, vllmtest.Options{Answer: seedAnswers(t, 0),
			Faults: func(n int, req vllmtest.ChatRequest) vllmtest.Fault { return vllmtest.Fault500 }})
		out := filepath.Join(t.TempDir(), "r.json")
		args := append([]string{"run", "--base-url", hs.URL, "--out", out, "--limit", "1", "--quiet"}, tc.args...)
		code, _, stderr := invoke(t, args...)
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1 (every request failed): %s", tc.args, code, stderr)
		}
		f, err := result.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Items[0].Attempts; got != tc.attempts || f.Params.Retries != tc.attempts-1 {
			t.Errorf("%v: %d attempts, params.retries %d; want %d and %d", tc.args, got, f.Params.Retries, tc.attempts, tc.attempts-1)
		}
	}
	if code, _, stderr := invoke(t, "run", "--retries", "-1"); code != 2 || !strings.Contains(stderr, "--retries: must be at least 0") {
		t.Errorf("--retries -1: %d %q", code, stderr)
	}
}

func TestRunInterruptedExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	answers := seedAnswers(t, 0)
	var n atomic.Int32
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(r vllmtest.ChatRequest) vllmtest.Reply {
		if n.Add(1) == 10 {
			cancel() // SIGINT in the middle of the run
		}
		return answers(r)
	}})
	out := filepath.Join(t.TempDir(), "r.json")
	var stdout, stderr bytes.Buffer
	err := quanteval(ctx, []string{"run", "--base-url", hs.URL, "--out", out, "--concurrency", "1", "--quiet"}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 130 {
		t.Fatalf("exit %d, want 130: %v", code, err)
	}
	if !strings.Contains(stderr.String(), "continue with --resume") || !strings.Contains(stdout.String(), "incomplete (10 of 40 items)") {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
	f, err := result.Read(out)
	if err != nil || f.Complete || len(f.Items) != 10 {
		t.Fatalf("partial result: %v complete=%v items=%d", err, f != nil && f.Complete, len(f.Items))
	}
}

// TestRunSummaryLatency: a streamed run's closing lines give the median TTFT, TPOT
// and E2EL just before the accuracy line, which stays last; a run with
// --stream=false has no timings and no such line. The result's params say which
// ("stream": true, absent when not streamed).
func TestRunSummaryLatency(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: seedAnswers(t, 0)})
	dir := t.TempDir()
	streamed := func(name string) bool {
		f, err := result.Read(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return f.Params.Stream
	}
	latency := regexp.MustCompile(`(?m)^latency p50: TTFT (\d+\.\d) ms, TPOT (\d+\.\d) ms, E2EL (\d+\.\d) ms \(5 streamed items\)\naccuracy = 1\.000 \(5/5\), 0 errors\n$`)
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--out", filepath.Join(dir, "s.json"), "--limit", "5", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !latency.MatchString(stdout) || !streamed("s.json") {
		t.Errorf("streamed run's summary %q, params.stream %v", stdout, streamed("s.json"))
	}
	code, stdout, stderr = invoke(t, "run", "--base-url", hs.URL, "--out", filepath.Join(dir, "n.json"), "--limit", "5", "--quiet", "--stream=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "latency") || !strings.HasSuffix(stdout, "accuracy = 1.000 (5/5), 0 errors\n") {
		t.Errorf("non-streamed run's summary %q", stdout)
	}
	if streamed("n.json") {
		t.Error("params.stream of a run with --stream=false")
	}
}
