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
