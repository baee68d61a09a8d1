package matrix

import (
	"slices"
	"testing"

	"github.com/quanteval/quanteval/plan"
)

// TestEvalFlagsBool: a boolean setting the plan gives is shown as the flag takes
// it (--stream=false, not --stream false), and not at all when not given.
func TestEvalFlagsBool(t *testing.T) {
	p, err := plan.Parse("p.yaml", []byte("variants: [{name: A, model: a}]\nevals:\n  - evalset: x.jsonl\n    stream: false\n  - evalset: y.jsonl\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := EvalFlags(p.Evals[0]); !slices.Contains(got, "--stream=false") {
		t.Errorf("given: %q", got)
	}
	for _, f := range EvalFlags(p.Evals[1]) {
		if f == "--stream=true" || f == "--stream=false" {
			t.Errorf("not given, yet shown: %q", f)
		}
	}
}
