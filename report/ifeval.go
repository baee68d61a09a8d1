package report

// IFEval items are compared by their four accuracies and per instruction id: how
// often each variant followed each instruction (strict), and the change against the
// reference, largest drop first (ifeval.ByInstructionChange), so that a reader sees
// which instructions a quantized model stopped following. The prompt-level
// accuracies also get the paired test, as secondary metrics (Comparison.Metrics).

import (
	"fmt"

	"github.com/quanteval/quanteval/ifeval"
)

// MaxMarkdownInstructions is the most instruction rows the Markdown lists per
// variant; JSON and HTML have them all.
const MaxMarkdownInstructions = 15

// IFEvalSummary is the comparison of the ifeval items; nil when the set has none.
type IFEvalSummary struct {
	// Variants are each run's accuracies, in Comparison.Variants order.
	Variants []IFEvalVariant `json:"variants"`
	// Changes hold, per variant other than the reference, the per-instruction
	// change against the reference, largest drop first.
	Changes []IFEvalChanges `json:"changes"`
}

// IFEvalVariant is one run's IFEval accuracies.
type IFEvalVariant struct {
	Label   string         `json:"label"`
	Summary ifeval.Summary `json:"summary"`
}

// IFEvalChanges is one variant's per-instruction change against the reference.
type IFEvalChanges struct {
	Label   string                     `json:"label"`
	Changes []ifeval.InstructionChange `json:"by_instruction"`
}

// ifevalSummary tallies each run's records that carry instructions.
func (c *Comparison) ifevalSummary(inputs []Input, ref int) *IFEvalSummary {
	sums := make([]ifeval.Summary, len(inputs))
	any := false
	for i, in := range inputs {
		var t ifeval.Tally
		for _, r := range in.File.Items {
			if len(r.Instructions) > 0 {
				t.Add(ifeval.Result{Instructions: r.Instructions, PromptStrict: allFollowed(r.Instructions, true),
					PromptLoose: allFollowed(r.Instructions, false)})
				any = true
			}
		}
		sums[i] = t.Summary()
	}
	if !any {
		return nil
	}
	s := &IFEvalSummary{}
	for i := range inputs {
		s.Variants = append(s.Variants, IFEvalVariant{Label: c.Variants[i].Label, Summary: sums[i]})
		if i != ref {
			s.Changes = append(s.Changes, IFEvalChanges{Label: c.Variants[i].Label, Changes: ifeval.ByInstructionChange(sums[ref], sums[i])})
		}
	}
	return s
}

func allFollowed(ins []ifeval.InstructionResult, strict bool) bool {
	for _, in := range ins {
		if (strict && !in.Strict) || (!strict && !in.Loose) {
			return false
		}
	}
	return true
}

// ifevalTables are the accuracies table and, per variant, its per-instruction
// changes (at most limit rows each; 0: all).
func (c *Comparison) ifevalTables(limit int) []titledTable {
	s := c.IFEval
	if s == nil {
		return nil
	}
	acc := &textTable{Left: 1, Head: []string{c.T("precision"), c.T("prompts"), c.T("pstrict"), c.T("ploose"), c.T("istrict"), c.T("iloose")}}
	for i, v := range s.Variants {
		m := v.Summary
		acc.Rows = append(acc.Rows, []string{c.RefLabel(&c.Variants[i]), fmt.Sprint(m.Prompts), FormatAcc(m.PromptStrict),
			FormatAcc(m.PromptLoose), FormatAcc(m.InstStrict), FormatAcc(m.InstLoose)})
	}
	acc.Notes = []string{c.T("ifevalnote")}
	out := []titledTable{{ID: "ifeval", Title: c.T("ifevaltitle"), Table: acc}}
	for _, ch := range s.Changes {
		t := &textTable{Left: 1, Head: []string{c.T("instruction"), "n", c.Reference, ch.Label, c.T("deltapoints")}}
		for j, x := range ch.Changes {
			if limit > 0 && j == limit {
				t.Notes = append(t.Notes, c.Tf("moreinst", len(ch.Changes)-limit))
				break
			}
			t.Rows = append(t.Rows, []string{x.ID, fmt.Sprint(x.N), FormatAcc(x.RefStrict), FormatAcc(x.VarStrict), FormatPoints(x.DeltaStrict)})
		}
		out = append(out, titledTable{ID: fmt.Sprintf("ifeval-change-%d", len(out)), Title: c.Tf("ifevalchange", ch.Label, c.Reference), Table: t})
	}
	return out
}

// titledTable is a section of its own: a title over a textTable.
type titledTable struct {
	ID, Title string
	Table     *textTable
}

// taskTables are the task sections (code, IFEval) every text renderer shows;
// limit caps the IFEval instruction rows (0: all).
func (c *Comparison) taskTables(limit int) []titledTable {
	var out []titledTable
	if t := c.codeTable(); t != nil {
		out = append(out, titledTable{ID: "code", Title: c.T("codetitle"), Table: t})
	}
	return append(out, c.ifevalTables(limit)...)
}

// withTasks writes the task sections, when there are any, before next: a section
// of its own would add a blank line to every report without them.
func withTasks(next func(c *Comparison, w *errWriter)) func(c *Comparison, w *errWriter) {
	return func(c *Comparison, w *errWriter) {
		if len(c.taskTables(MaxMarkdownInstructions)) > 0 {
			mdTasks(c, w)
			w.printf("\n")
		}
		next(c, w)
	}
}

// mdTasks writes the task sections as Markdown.
func mdTasks(c *Comparison, w *errWriter) {
	for i, tt := range c.taskTables(MaxMarkdownInstructions) {
		if i > 0 {
			w.printf("\n")
		}
		w.printf("**%s**\n\n", mdEscape(tt.Title))
		t := tt.Table
		mdGrid(w, t, allColumns)
		for _, n := range t.Notes {
			w.printf("\n%s\n", mdEscape(n))
		}
	}
}
