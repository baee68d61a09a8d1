package report

import (
	"fmt"
	"math"

	"github.com/quanteval/quanteval/consistency"
	"github.com/quanteval/quanteval/result"
)

// loadLogprobs reads each input's log-probability side file (package consistency
// owns the format). A side file that is named but cannot be read does not stop the
// comparison: the figures that need no tokens are still computed, and the returned
// warning says which file and why.
func loadLogprobs(inputs []Input, labels []string) ([]map[string][]result.TokenLogprob, []string) {
	lps := make([]map[string][]result.TokenLogprob, len(inputs))
	var warn []string
	for i, in := range inputs {
		lp, err := consistency.LoadLogprobs(in.Path, in.File)
		if err != nil {
			warn = append(warn, fmt.Sprintf("%s: log-probabilities not read, so no token or KL figures: %v", labels[i], err))
			continue
		}
		lps[i] = lp
	}
	return lps, warn
}

// cellConsistency puts each compared item's figures on the grid's cells.
func (c *Comparison) cellConsistency() {
	row := make(map[string]int, len(c.Items))
	for i := range c.Items {
		row[c.Items[i].ID] = i
	}
	for v := range c.Variants {
		vs := c.Variants[v].VsRef
		if vs == nil || vs.Consistency == nil {
			continue
		}
		for k := range vs.Consistency.PerItem {
			it := &vs.Consistency.PerItem[k]
			if i, ok := row[it.ID]; ok {
				c.Items[i].Cells[v].Consistency = it
			}
		}
	}
}

// textTable is a table of display strings, shared by the Markdown and HTML renderers
// so that both show the same figures.
type textTable struct {
	Head []string
	// Left is the number of leading text columns; the rest are numbers.
	Left  int
	Rows  [][]string
	Notes []string
}

// consistencyTable is the "Consistency with the reference" table, one row per variant
// with figures, or nil when none has any. The token and KL columns appear only when
// some variant has token data or log-probabilities; a variant without them shows a
// dash there.
func (c *Comparison) consistencyTable() *textTable {
	var rows []*Variant
	tokens, kl := false, false
	for i := range c.Variants {
		v := &c.Variants[i]
		if v.VsRef == nil || v.VsRef.Consistency == nil {
			continue
		}
		rows = append(rows, v)
		m := v.VsRef.Consistency
		tokens = tokens || m.TokenItems > 0
		kl = kl || m.KL != nil
	}
	if len(rows) == 0 {
		return nil
	}
	t := &textTable{Left: 1, Head: []string{c.T("precision"), c.T("identical"), c.T("prefixchars")}}
	if tokens {
		t.Head = append(t.Head, c.T("prefixtokens"))
	}
	t.Head = append(t.Head, c.T("divchars"))
	if tokens {
		t.Head = append(t.Head, c.T("divtokens"))
	}
	if kl {
		t.Head = append(t.Head, c.T("klmean"), c.T("klp95"), c.T("top1"))
	}
	for _, v := range rows {
		m := v.VsRef.Consistency
		d := m.FirstDivergence
		row := []string{v.Label, shareCell(m.Identical, m.Items), fmt.Sprintf("%.1f", m.MeanPrefixChars)}
		if tokens {
			row = append(row, optFloat(m.MeanPrefixTokens))
		}
		if d.Items > 0 {
			row = append(row, fmtFloat(d.MedianChars))
		} else {
			row = append(row, "–")
		}
		if tokens {
			// A median of positions is whole or a half: printed as it is.
			if d.MedianTokens != nil {
				row = append(row, fmtFloat(*d.MedianTokens))
			} else {
				row = append(row, "–")
			}
		}
		if kl {
			if k := m.KL; k != nil {
				agree := int(math.Round(k.Top1Agreement * float64(k.Positions)))
				row = append(row, FormatKL(k.Mean), FormatKL(k.P95), shareCell(agree, k.Positions))
			} else {
				row = append(row, "–", "–", "–")
			}
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = append(t.Notes, c.T("consnote"))
	if kl {
		t.Notes = append(t.Notes, c.T("klnote"))
	}
	return t
}

// shareCell is "share (k/n)", like an accuracy, or a dash when n is 0.
func shareCell(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%d/%d)", FormatAcc(float64(k)/float64(n)), k, n)
}

func optFloat(x *float64) string {
	if x == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f", *x)
}

// FormatKL prints a KL divergence in nats: exactly "0" for identical distributions,
// four decimals, and "< 0.0001" below that, as FormatP does for small p-values.
func FormatKL(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x < 0.0001:
		return "< 0.0001"
	}
	return fmt.Sprintf("%.4f", x)
}
