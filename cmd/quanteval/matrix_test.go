package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/matrix"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/server"
)

// TestMain removes the fake vLLM that testenv.FakeVLLM builds once for the tests.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// matrixPort is for the fake server, a child process that binds the port itself.
var matrixPort = testenv.FreePort

// matrixPlan writes an eval set and a two-variant plan on the fake server; fp8 adds
// keys to the FP8 variant.
func matrixPlan(t *testing.T, fp8 string) (dir, planPath string) {
	t.Helper()
	return matrixPlanWith(t, fp8, "")
}

// matrixPlanWith is matrixPlan with keys bf16 added to the reference, BF16.
func matrixPlanWith(t *testing.T, fp8, bf16 string) (dir, planPath string) {
	t.Helper()
	dir = t.TempDir()
	set := `{"id": "q1", "type": "number", "prompt": "[q1] What is 2 + 3?", "answer": 5}
{"id": "q2", "type": "number", "prompt": "[q2] What is 7 * 6?", "answer": 42}
{"id": "q3", "type": "number", "prompt": "[q3] What is 10 - 4?", "answer": 6}
`
	if err := os.WriteFile(filepath.Join(dir, "tiny.jsonl"), []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	if fp8 != "" {
		fp8 = ", " + fp8
	}
	if bf16 != "" {
		bf16 = ", " + bf16
	}
	src := fmt.Sprintf(`name: e2e
output: %[1]s/out
server:
  command: [%[2]s, serve]
  port: %[3]d
  env: {FAKEVLLM_PIDS: %[1]s/pids, HF_TOKEN: hf_e2e_secret}
  ready_timeout: 1m
  stop_grace: 2s
variants:
  - {name: FP8, model: test/FP8-q2%[4]s}
  - {name: BF16, model: test/BF16, reference: true%[5]s}
evals:
  - {evalset: %[1]s/tiny.jsonl, concurrency: 2, max_tokens: 16, timeout: 30}
`, dir, testenv.FakeVLLM(t), matrixPort(t), fp8, bf16)
	planPath = filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, planPath
}

// noServerLeft fails when a process the fake servers wrote down is still alive.
func noServerLeft(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		t.Fatalf("no PIDs recorded: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		_, p, _ := strings.Cut(line, " ")
		pid, _ := strconv.Atoi(p)
		if st, err := server.ReadProcStat(pid); err == nil && !st.Zombie() {
			t.Errorf("process %d (%s) still alive", pid, line)
		}
	}
}

// TestMatrixEndToEnd runs a plan through the real evaluator and the real report.
func TestMatrixEndToEnd(t *testing.T) {
	dir, planPath := matrixPlan(t, "")
	var stdout, stderr bytes.Buffer
	err := quanteval(context.Background(), []string{"matrix", planPath}, &stdout, &stderr)
	noServerLeft(t, dir)
	if err != nil {
		t.Fatalf("matrix: %v\nstderr:\n%s", err, stderr.String())
	}
	for v, want := range map[string]int{"FP8": 2, "BF16": 3} {
		r, err := result.Read(filepath.Join(dir, "out", v, "tiny.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Complete || r.Summary.OK != want || r.Summary.Count != 3 || r.Server.Version != "0.0.0-fake" {
			t.Errorf("%s: complete %v, %d/%d, server %q; want %d/3", v, r.Complete, r.Summary.OK, r.Summary.Count, r.Server.Version, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "report", "tiny", "compare.html")); err != nil {
		t.Errorf("no HTML report: %v", err)
	}
	if !strings.Contains(stdout.String(), "FP8") || !strings.Contains(stdout.String(), "BF16") {
		t.Errorf("stdout lacks the comparison:\n%s", stdout.String())
	}
	wantEnd := "\nHTML report:\n  tiny: " + filepath.Join(dir, "out", "report", "tiny", "compare.html") + "\n"
	if !strings.HasSuffix(stdout.String(), wantEnd) {
		t.Errorf("stdout does not end with the report's path %q:\n%s", wantEnd, stdout.String())
	}
	m := readPlanManifest(t, dir)
	if m.Status != matrix.StatusComplete || m.Tool != "quanteval "+version || len(m.Reports) != 1 || m.Reports[0].Error != "" {
		t.Errorf("manifest: status %q, tool %q, reports %+v", m.Status, m.Tool, m.Reports)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "out", "manifest.json")); bytes.Contains(data, []byte("hf_e2e_secret")) {
		t.Error("the manifest holds the token")
	}
}

// TestMatrixReferenceFailed: the reference's server exits during start-up, so the
// eval is not compared (not against FP8 as a stand-in reference): the report's error
// says why, the plain table shows what exists, and the exit status is 1.
func TestMatrixReferenceFailed(t *testing.T) {
	dir, planPath := matrixPlanWith(t, "", `env: {FAKEVLLM_EXIT: "3"}`)
	var stdout, stderr bytes.Buffer
	err := quanteval(context.Background(), []string{"matrix", planPath}, &stdout, &stderr)
	noServerLeft(t, dir)
	const why = "reference variant BF16 has no complete result for tiny; no comparison made"
	if code := exitCode(err, io.Discard); code != 1 || !strings.Contains(err.Error(), why) {
		t.Fatalf("exit %d, err %v\nstderr:\n%s", code, err, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, why) || !strings.Contains(out, "| FP8 | test/FP8-q2 | 2/3 | 0.667 |") || !strings.Contains(out, "| BF16 (reference) | test/BF16 | — | failed |") {
		t.Errorf("stdout lacks the reason or the table:\n%s", out)
	}
	if strings.Contains(out, "(ref)") || strings.Contains(out, "HTML report") {
		t.Errorf("stdout shows a comparison:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "report", "tiny", "compare.html")); err == nil {
		t.Error("a comparison was made without the reference")
	}
	m := readPlanManifest(t, dir)
	if m.Status != matrix.StatusFailed || len(m.Reports) != 1 || m.Reports[0].Error != why {
		t.Errorf("manifest: status %q, reports %+v", m.Status, m.Reports)
	}
}

// TestMatrixInterrupt cancels during FP8's start-up: exit status 130, no process left.
func TestMatrixInterrupt(t *testing.T) {
	dir, planPath := matrixPlan(t, `env: {FAKEVLLM_DELAY: 1h, FAKEVLLM_GRANDCHILD: "1"}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the server is loading, as a user's Ctrl-C would.
		for ctx.Err() == nil {
			if b, _ := os.ReadFile(filepath.Join(dir, "out", "logs", "FP8.log")); bytes.Contains(b, []byte("Loading safetensors")) {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	err := quanteval(ctx, []string{"matrix", planPath}, io.Discard, io.Discard)
	if code := exitCode(err, io.Discard); code != exitInterrupted {
		t.Errorf("exit status %d (%v), want %d", code, err, exitInterrupted)
	}
	noServerLeft(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "out", "logs", "BF16.log")); err == nil {
		t.Error("BF16 started after the interrupt")
	}
}

func TestMatrixDryRun(t *testing.T) {
	dir, planPath := matrixPlan(t, "")
	var stdout bytes.Buffer
	if err := quanteval(context.Background(), []string{"matrix", "--dry-run", planPath, "--only", "BF16"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.Contains(out, "HF_TOKEN=***") || strings.Contains(out, "hf_e2e_secret") || !strings.Contains(out, "serve test/BF16 --host 127.0.0.1") || strings.Contains(out, "FP8") {
		t.Errorf("dry run:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("the dry run created the output folder")
	}
}

func TestMatrixUsage(t *testing.T) {
	dir, planPath := matrixPlan(t, "")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("variants: [{name: A, modle: a}]\nevals: [{evalset: x.jsonl}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"matrix"}, "want one plan file, got 0"},
		{[]string{"matrix", planPath, planPath}, "want one plan file, got 2"},
		{[]string{"matrix", bad}, "bad.yaml:1: variants[0].modle: unknown key"},
		{[]string{"matrix", planPath, "--only", "FP4"}, "no variant FP4 in the plan"},
		{[]string{"matrix", "--bogus", planPath}, "flag provided but not defined"},
		{[]string{"matrix", filepath.Join(dir, "missing.yaml")}, "no such file"},
	}
	// An eval set that cannot be opened stops the plan before any server starts.
	badSet := filepath.Join(dir, "badset.yaml")
	src, _ := os.ReadFile(planPath)
	os.WriteFile(badSet, []byte(strings.Replace(string(src), "/tiny.jsonl", "/nosuch.jsonl", 1)), 0o644)
	tests = append(tests, struct {
		args []string
		want string
	}{[]string{"matrix", badSet}, "matrix: eval nosuch (line 13): evalset: open"})
	for _, tt := range tests {
		err := quanteval(context.Background(), tt.args, io.Discard, io.Discard)
		if code := exitCode(err, io.Discard); code != exitUsage || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: exit %d, err %v; want %d and %q", tt.args, code, err, exitUsage, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pids")); err == nil {
		t.Error("a server was started for a plan whose eval set cannot be opened")
	}
}

// readPlanManifest reads the manifest a test plan's run left in dir/out.
func readPlanManifest(t *testing.T, dir string) matrix.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "out", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m matrix.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
