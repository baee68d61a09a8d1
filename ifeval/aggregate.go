package ifeval

import (
	"sort"
	"strings"
)

// Tally accumulates results into IFEval's four accuracies and per-instruction
// accuracies. The zero value is ready; Add is not safe for concurrent use.
type Tally struct {
	prompts, promptStrict, promptLoose int
	insts, instStrict, instLoose       int
	byID                               map[string]*InstructionAccuracy
}

// InstructionAccuracy is how often one instruction id (or category) was followed.
type InstructionAccuracy struct {
	ID        string  `json:"id"`     // an instruction id, or a category such as "keywords"
	N         int     `json:"n"`      // instructions of this id checked
	Strict    int     `json:"strict"` // followed, strict
	Loose     int     `json:"loose"`  // followed, loose
	StrictAcc float64 `json:"strict_acc"`
	LooseAcc  float64 `json:"loose_acc"`
}

// Summary is the aggregate over a set of replies: the four accuracies as lm-eval
// reports them (prompt level: share of prompts with every instruction followed;
// instruction level: share of all instructions followed, pooled over prompts), and
// the per-instruction and per-category accuracies, sorted by id.
type Summary struct {
	Prompts       int                   `json:"prompts"`
	Instructions  int                   `json:"instructions"`
	PromptStrict  float64               `json:"prompt_level_strict_acc"`
	PromptLoose   float64               `json:"prompt_level_loose_acc"`
	InstStrict    float64               `json:"inst_level_strict_acc"`
	InstLoose     float64               `json:"inst_level_loose_acc"`
	ByInstruction []InstructionAccuracy `json:"by_instruction"`
	ByCategory    []InstructionAccuracy `json:"by_category"`
}

// Primary is the primary score: prompt-level strict accuracy.
func (s Summary) Primary() float64 { return s.PromptStrict }

// Add counts one reply's result.
func (t *Tally) Add(r Result) {
	m := r.Metrics()
	t.prompts++
	t.promptStrict += b2i(m.PromptStrict)
	t.promptLoose += b2i(m.PromptLoose)
	t.insts += m.Instructions
	t.instStrict += m.InstStrict
	t.instLoose += m.InstLoose
	if t.byID == nil {
		t.byID = map[string]*InstructionAccuracy{}
	}
	for _, in := range r.Instructions {
		a := t.byID[in.ID]
		if a == nil {
			a = &InstructionAccuracy{ID: in.ID}
			t.byID[in.ID] = a
		}
		a.N++
		a.Strict += b2i(in.Strict)
		a.Loose += b2i(in.Loose)
	}
}

// Summary computes the accuracies of what was added; with nothing added every
// accuracy is 0.
func (t *Tally) Summary() Summary {
	s := Summary{
		Prompts: t.prompts, Instructions: t.insts,
		PromptStrict: ratio(t.promptStrict, t.prompts), PromptLoose: ratio(t.promptLoose, t.prompts),
		InstStrict: ratio(t.instStrict, t.insts), InstLoose: ratio(t.instLoose, t.insts),
	}
	cats := map[string]*InstructionAccuracy{}
	for id, a := range t.byID {
		s.ByInstruction = append(s.ByInstruction, finish(*a))
		cat, _, _ := strings.Cut(id, ":")
		c := cats[cat]
		if c == nil {
			c = &InstructionAccuracy{ID: cat}
			cats[cat] = c
		}
		c.N += a.N
		c.Strict += a.Strict
		c.Loose += a.Loose
	}
	for _, c := range cats {
		s.ByCategory = append(s.ByCategory, finish(*c))
	}
	sort.Slice(s.ByInstruction, func(i, j int) bool { return s.ByInstruction[i].ID < s.ByInstruction[j].ID })
	sort.Slice(s.ByCategory, func(i, j int) bool { return s.ByCategory[i].ID < s.ByCategory[j].ID })
	return s
}

func finish(a InstructionAccuracy) InstructionAccuracy {
	a.StrictAcc = ratio(a.Strict, a.N)
	a.LooseAcc = ratio(a.Loose, a.N)
	return a
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// InstructionChange is how one instruction id's strict accuracy moved from a
// reference's replies to a variant's.
type InstructionChange struct {
	ID          string  `json:"id"`
	N           int     `json:"n"` // the reference's count; the variant's when the reference has none
	RefStrict   float64 `json:"ref_strict_acc"`
	VarStrict   float64 `json:"variant_strict_acc"`
	DeltaStrict float64 `json:"delta_strict_acc"` // variant minus reference
}

// ByInstructionChange pairs two summaries' per-instruction accuracies, largest drop
// first (ties by id), so a report can list what a variant stopped following. An id
// only one side has counts as accuracy 0 on the other.
func ByInstructionChange(ref, variant Summary) []InstructionChange {
	m := map[string]*InstructionChange{}
	get := func(id string) *InstructionChange {
		if c, ok := m[id]; ok {
			return c
		}
		c := &InstructionChange{ID: id}
		m[id] = c
		return c
	}
	for _, a := range variant.ByInstruction {
		c := get(a.ID)
		c.N, c.VarStrict = a.N, a.StrictAcc
	}
	for _, a := range ref.ByInstruction {
		c := get(a.ID)
		c.N, c.RefStrict = a.N, a.StrictAcc
	}
	out := make([]InstructionChange, 0, len(m))
	for _, c := range m {
		c.DeltaStrict = c.VarStrict - c.RefStrict
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DeltaStrict != out[j].DeltaStrict {
			return out[i].DeltaStrict < out[j].DeltaStrict
		}
		return out[i].ID < out[j].ID
	})
	return out
}
