package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/result"
)

// TestMatrixReferenceRepeats runs a plan with reference_repeats: 2 on the fake
// vLLM: the reference evaluates its set twice on the same server, and the report
// shows the noise floor (the fake answers alike every time: no flips) against
// which FP8's one flip stands out.
func TestMatrixReferenceRepeats(t *testing.T) {
	dir, planPath := matrixPlan(t, "")
	f, err := os.OpenFile(planPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("reference_repeats: 2\n")
	f.Close()
	var stdout, stderr bytes.Buffer
	err = quanteval(context.Background(), []string{"matrix", planPath}, &stdout, &stderr)
	noServerLeft(t, dir)
	if err != nil {
		t.Fatalf("matrix: %v\nstderr:\n%s", err, stderr.String())
	}
	r, err := result.Read(filepath.Join(dir, "out", "BF16", "repeat2", "tiny.json"))
	if err != nil || !r.Complete || r.Summary.OK != 3 {
		t.Fatalf("the reference's second run: %+v, %v", r, err)
	}
	for _, want := range []string{"**Noise floor**", "BF16 run 2 times with the same settings flips 0 of 3 items (0.0%)",
		"- FP8: 1 flip of 3 (33.3%), above the floor."} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	m := readPlanManifest(t, dir)
	if len(m.Variants) != 2 || len(m.Variants[1].Repeats) != 1 || !m.Variants[1].Repeats[0].Complete || m.Variants[1].Repeats[0].Repeat != 2 {
		t.Errorf("manifest repeats %+v", m.Variants[1].Repeats)
	}
	if strings.Contains(stdout.String(), "BF16#2") {
		t.Error("the reference's second run is shown as a variant")
	}
}

// TestMatrixNoiseFloorFlips makes the fake vLLM answer q3 differently on its
// second ask (FAKEVLLM_FLIP), as batching does at temperature 0: the reference's
// second run flips q3, a floor of 1 of 3, and FP8's one flip (q2) is within it.
// The evals streamed (the fake answers in SSE): every item has a timing.
func TestMatrixNoiseFloorFlips(t *testing.T) {
	dir, planPath := matrixPlan(t, "")
	src, err := os.ReadFile(planPath)
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte("env: {"), []byte("env: {FAKEVLLM_FLIP: q3, "), 1)
	src = append(src, "reference_repeats: 2\n"...)
	if err := os.WriteFile(planPath, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = quanteval(context.Background(), []string{"matrix", planPath}, &stdout, &stderr)
	noServerLeft(t, dir)
	if err != nil {
		t.Fatalf("matrix: %v\nstderr:\n%s", err, stderr.String())
	}
	first, err := result.Read(filepath.Join(dir, "out", "BF16", "tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := result.Read(filepath.Join(dir, "out", "BF16", "repeat2", "tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Summary.OK != 3 || second.Summary.OK != 2 {
		t.Errorf("reference runs score %d and %d of 3, want 3 and 2", first.Summary.OK, second.Summary.OK)
	}
	for _, r := range append(first.Items, second.Items...) {
		if r.Timing == nil || r.Timing.TTFTMs <= 0 || r.Timing.E2ELMs < r.Timing.TTFTMs {
			t.Errorf("item %s: timing %+v, want a streamed reply's", r.ID, r.Timing)
		}
	}
	for _, want := range []string{"BF16 run 2 times with the same settings flips 1 of 3 items (33.3%)",
		"- FP8: 1 flip of 3 (33.3%), within the floor"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}
