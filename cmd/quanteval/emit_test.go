package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `matrix --emit kubernetes` writes the manifests and starts nothing (the plan's
// vllm is not on PATH here: a start would fail).
func TestMatrixEmitKubernetes(t *testing.T) {
	plan := filepath.Join("..", "..", "examples", "kubernetes", "plan.yaml")
	dir := t.TempDir()
	code, stdout, stderr := invoke(t, "matrix", plan, "--emit", "kubernetes", "--out-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"servers/nvfp4.yaml", "servers/fp8.yaml", "servers/bf16.yaml", "evals/bf16.yaml", "merge.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
		if !strings.Contains(stderr, filepath.Join(dir, f)) {
			t.Errorf("stderr does not name %s: %s", f, stderr)
		}
	}
	if !strings.Contains(stdout, "examples/kubernetes/README.md") {
		t.Errorf("stdout: %q", stdout)
	}
	if _, err := os.Stat("results"); err == nil {
		t.Error("emitting created a results folder here")
	}

	code, stdout, _ = invoke(t, "matrix", plan, "--emit", "kubernetes", "--dry-run", "--only", "FP8")
	if code != 0 || !strings.Contains(stdout, "# servers/fp8.yaml") || strings.Contains(stdout, "servers/bf16.yaml") || !strings.Contains(stdout, "kind: Job") {
		t.Errorf("--dry-run --only FP8: exit %d:\n%s", code, stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--emit", "helm", "--out-dir", dir}, `--emit "helm"`},
		{[]string{"--emit", "kubernetes"}, "needs --out-dir"},
		{[]string{"--out-dir", dir}, `--emit ""`},
		{[]string{"--emit", "kubernetes", "--out-dir", dir, "--only", "NOPE"}, "NOPE"},
	} {
		code, _, stderr := invoke(t, append([]string{"matrix", plan}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 with %q", tc.args, code, stderr, tc.want)
		}
	}
}
