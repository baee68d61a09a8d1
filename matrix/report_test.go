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
)

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
