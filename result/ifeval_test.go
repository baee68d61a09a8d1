package result

import (
	"testing"

	"github.com/quanteval/quanteval/ifeval"
)

// IFEval's four accuracies: prompt level from each record's scores, instruction
// level pooled over every instruction of every prompt.
func TestSummarizeIFEval(t *testing.T) {
	in := func(strict, loose bool) ifeval.InstructionResult {
		return ifeval.InstructionResult{ID: "punctuation:no_comma", Strict: strict, Loose: loose}
	}
	recs := []Record{
		{ID: "a", Type: "ifeval", OK: true, Scores: map[string]bool{ifeval.ScorePromptStrict: true, ifeval.ScorePromptLoose: true},
			Instructions: []ifeval.InstructionResult{in(true, true)}},
		{ID: "b", Type: "ifeval", Scores: map[string]bool{ifeval.ScorePromptStrict: false, ifeval.ScorePromptLoose: true},
			Instructions: []ifeval.InstructionResult{in(true, true), in(false, true), in(false, true)}},
	}
	s := Summarize(recs)
	want := map[string]Tally{
		ifeval.ScorePromptStrict: {Count: 2, OK: 1, Accuracy: 0.5},
		ifeval.ScorePromptLoose:  {Count: 2, OK: 2, Accuracy: 1},
		ifeval.ScoreInstStrict:   {Count: 4, OK: 2, Accuracy: 0.5},
		ifeval.ScoreInstLoose:    {Count: 4, OK: 4, Accuracy: 1},
	}
	for name, w := range want {
		if got := s.Metrics[name]; got != w {
			t.Errorf("%s: %+v, want %+v", name, got, w)
		}
	}
	if s.Accuracy != 0.5 {
		t.Errorf("accuracy %v, want prompt-level strict 0.5", s.Accuracy)
	}
}
