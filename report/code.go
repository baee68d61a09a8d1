package report

// Code items (type code: HumanEval, MBPP) are compared as pass@1, which is their
// accuracy over the code items, with the same paired statistics as any slice (the
// by-type slice "code"); the section adds why programs failed, pass@k when the runs
// sampled (the result summary's pass_at_k, read as it is), and a warning for a run
// whose programs ran without a sandbox. With repeated samples pass@1 is avg@n over
// the code items (with its t interval over items), pass@k is over the code items,
// and the paired test is the slice's sign-flip test on per-item pass rates.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/score"
)

// CodeSummary is the comparison of the code items; nil when the set has none.
type CodeSummary struct {
	Variants []CodeVariant `json:"variants"` // in Comparison.Variants order
}

// CodeVariant is one variant's code results.
type CodeVariant struct {
	Label string `json:"label"`
	// PassAt1 is ok / count over the code items (pass@1 of one sample per task);
	// with repeated samples, avg@n over the code items and its t interval.
	PassAt1 Score   `json:"pass_at_1"`
	VsRef   *Paired `json:"vs_ref,omitempty"`
	// Reasons counts the programs that failed, by codetask reason.
	Reasons map[string]int `json:"reasons"`
	// PassAtK is the result summary's pass_at_k, when the run sampled.
	PassAtK map[string]float64 `json:"pass_at_k,omitempty"`
	// Unsafe: the programs ran without a sandbox (--unsafe-exec).
	Unsafe bool `json:"unsafe_exec,omitempty"`
}

// codeSummary builds the code section from the by-type slice "code".
func (c *Comparison) codeSummary(inputs []Input) *CodeSummary {
	var slice *Slice
	for i := range c.ByType {
		if c.ByType[i].Key == score.TypeCode {
			slice = &c.ByType[i]
		}
	}
	if slice == nil {
		return nil
	}
	s := &CodeSummary{}
	for i, in := range inputs {
		row := slice.Rows[i]
		v := CodeVariant{Label: row.Label, PassAt1: row.Score, VsRef: row.VsRef, Reasons: map[string]int{},
			PassAtK: passAtK(in.File.Summary), Unsafe: in.File.Params.UnsafeExec}
		var code []result.Record
		for _, r := range in.File.Items {
			if r.Type == score.TypeCode {
				code = append(code, r)
			}
			if r.Type == score.TypeCode && !r.OK {
				reason := r.Reason
				if r.Error != "" {
					reason = "error"
				}
				v.Reasons[reason]++
			}
		}
		if sum := result.Summarize(code); sum.AvgAtN != nil {
			v.PassAt1.Accuracy, v.PassAt1.Lo, v.PassAt1.Hi = sum.AvgAtN.Value, sum.AvgAtN.Lo, sum.AvgAtN.Hi
			v.PassAtK = sum.PassAtK
		}
		s.Variants = append(s.Variants, v)
	}
	return s
}

// passAtK reads a summary's pass_at_k object of numbers, if it has one.
func passAtK(sum result.Summary) map[string]float64 {
	b, err := json.Marshal(sum)
	if err != nil {
		return nil
	}
	var v struct {
		PassAtK map[string]float64 `json:"pass_at_k"`
	}
	if json.Unmarshal(b, &v) != nil || len(v.PassAtK) == 0 {
		return nil
	}
	return v.PassAtK
}

// unsafeWarnings name the variants whose programs ran without a sandbox.
func unsafeWarnings(inputs []Input, variants []Variant) []string {
	var out []string
	for i, in := range inputs {
		if in.File.Params.UnsafeExec {
			out = append(out, fmt.Sprintf("%s: code ran WITHOUT a sandbox (--unsafe-exec)", variants[i].Label))
		}
	}
	return out
}

// codeTable is the "Code: pass@1" table; nil without code items.
func (c *Comparison) codeTable() *textTable {
	s := c.Code
	if s == nil {
		return nil
	}
	var ks []string
	seen := map[string]bool{}
	for _, v := range s.Variants {
		for k := range v.PassAtK {
			if !seen[k] && k != "1" { // pass@1 has its column
				seen[k] = true
				ks = append(ks, k)
			}
		}
	}
	sort.Slice(ks, func(i, j int) bool { // "2" before "16"
		return len(ks[i]) < len(ks[j]) || len(ks[i]) == len(ks[j]) && ks[i] < ks[j]
	})
	t := &textTable{Left: 1, Head: []string{c.T("precision"), "pass@1", c.T("ci")}}
	for _, k := range ks {
		t.Head = append(t.Head, "pass@"+k)
	}
	t.Head = append(t.Head, fmt.Sprintf(c.T("diff"), c.Reference), "p", c.T("flips"), c.T("failedprogs"))
	for i, v := range s.Variants {
		label := c.RefLabel(&c.Variants[i])
		if v.Unsafe {
			label += c.T("unsafeexec")
		}
		row := []string{label, shareCell(v.PassAt1.OK, v.PassAt1.Count), formatCI(v.PassAt1.Lo, v.PassAt1.Hi)}
		for _, k := range ks {
			if x, ok := v.PassAtK[k]; ok {
				row = append(row, FormatAcc(x))
			} else {
				row = append(row, "–")
			}
		}
		if p := v.VsRef; p != nil {
			row = append(row, FormatPoints(p.Diff), FormatP(p.P), fmt.Sprintf("%d/%d", p.Lost, p.Gained))
		} else {
			row = append(row, "", "", "")
		}
		row = append(row, reasonList(v.Reasons))
		t.Rows = append(t.Rows, row)
	}
	note := c.T("codenote")
	if c.repeated() {
		note = c.T("codenoterep")
	}
	t.Notes = append(t.Notes, note)
	return t
}

// reasonList is "test_failed 3, timeout 1", most frequent first.
func reasonList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}
