package ifeval

import (
	"math"
	"testing"
)

func res(pairs ...any) Result {
	r := Result{PromptStrict: true, PromptLoose: true}
	for i := 0; i < len(pairs); i += 3 {
		in := InstructionResult{ID: pairs[i].(string), Strict: pairs[i+1].(bool), Loose: pairs[i+2].(bool)}
		r.Instructions = append(r.Instructions, in)
		r.PromptStrict = r.PromptStrict && in.Strict
		r.PromptLoose = r.PromptLoose && in.Loose
	}
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestTally(t *testing.T) {
	var tl Tally
	if s := tl.Summary(); s.Prompts != 0 || s.PromptStrict != 0 || len(s.ByInstruction) != 0 {
		t.Fatalf("empty Summary = %+v", s)
	}
	const comma, title, words = "punctuation:no_comma", "detectable_format:title", "length_constraints:number_words"
	tl.Add(res(comma, true, true, title, true, true))   // strict and loose
	tl.Add(res(comma, false, true, words, true, true))  // loose only
	tl.Add(res(comma, false, false))                    // neither
	tl.Add(res(title, true, true, words, false, false)) // neither
	s := tl.Summary()
	if s.Prompts != 4 || s.Instructions != 7 {
		t.Fatalf("Prompts %d Instructions %d, want 4 7", s.Prompts, s.Instructions)
	}
	// Prompt level: strict 1/4, loose 2/4. Instruction level pooled: strict 4/7, loose 5/7.
	if !near(s.PromptStrict, 0.25) || !near(s.PromptLoose, 0.5) || !near(s.InstStrict, 4.0/7) || !near(s.InstLoose, 5.0/7) {
		t.Errorf("accuracies %v %v %v %v", s.PromptStrict, s.PromptLoose, s.InstStrict, s.InstLoose)
	}
	if s.Primary() != s.PromptStrict {
		t.Errorf("Primary() = %v, want prompt-level strict %v", s.Primary(), s.PromptStrict)
	}
	wantBy := []InstructionAccuracy{
		{ID: title, N: 2, Strict: 2, Loose: 2, StrictAcc: 1, LooseAcc: 1},
		{ID: words, N: 2, Strict: 1, Loose: 1, StrictAcc: 0.5, LooseAcc: 0.5},
		{ID: comma, N: 3, Strict: 1, Loose: 2, StrictAcc: 1.0 / 3, LooseAcc: 2.0 / 3},
	}
	if len(s.ByInstruction) != len(wantBy) {
		t.Fatalf("ByInstruction = %+v", s.ByInstruction)
	}
	for i, w := range wantBy {
		g := s.ByInstruction[i]
		if g.ID != w.ID || g.N != w.N || g.Strict != w.Strict || g.Loose != w.Loose || !near(g.StrictAcc, w.StrictAcc) || !near(g.LooseAcc, w.LooseAcc) {
			t.Errorf("ByInstruction[%d] = %+v, want %+v", i, g, w)
		}
	}
	wantCat := []InstructionAccuracy{
		{ID: "detectable_format", N: 2, Strict: 2, Loose: 2},
		{ID: "length_constraints", N: 2, Strict: 1, Loose: 1},
		{ID: "punctuation", N: 3, Strict: 1, Loose: 2},
	}
	for i, w := range wantCat {
		g := s.ByCategory[i]
		if g.ID != w.ID || g.N != w.N || g.Strict != w.Strict || g.Loose != w.Loose {
			t.Errorf("ByCategory[%d] = %+v, want %+v", i, g, w)
		}
	}
}

func TestByInstructionChange(t *testing.T) {
	var ref, variant Tally
	const comma, title, words, quote = "punctuation:no_comma", "detectable_format:title", "length_constraints:number_words", "startend:quotation"
	ref.Add(res(comma, true, true, title, true, true, words, false, false))
	ref.Add(res(comma, true, true, title, true, true))
	variant.Add(res(comma, false, false, title, true, true, words, true, true, quote, true, true))
	variant.Add(res(comma, true, true, title, false, false))
	got := ByInstructionChange(ref.Summary(), variant.Summary())
	want := []InstructionChange{
		{ID: title, N: 2, RefStrict: 1, VarStrict: 0.5, DeltaStrict: -0.5},
		{ID: comma, N: 2, RefStrict: 1, VarStrict: 0.5, DeltaStrict: -0.5},
		{ID: words, N: 1, RefStrict: 0, VarStrict: 1, DeltaStrict: 1},
		{ID: quote, N: 1, RefStrict: 0, VarStrict: 1, DeltaStrict: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("ByInstructionChange = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}
