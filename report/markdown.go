package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// markdownSections are written in order; a section with nothing to say writes
// nothing. A new section (e.g. consistency) is one more function here.
var markdownSections = []func(c *Comparison, w *errWriter){
	mdTitle,
	mdWarnings,
	mdSummary, // and the table of repeated samples, when there is one
	withOptional(mdVerdicts, mdNoiseFloor, mdSpeed),
	mdConsistencyThinking,
	withTasks(mdExplain),
	mdByType,
	mdByCategory,
}

// Markdown writes the report as Markdown: the seed's summary table with the interval,
// the difference, p and flips as extra columns, then the verdicts and the slices.
func (c *Comparison) Markdown(w io.Writer) error {
	ew := &errWriter{w: w}
	for i, section := range markdownSections {
		if i > 0 {
			ew.printf("\n")
		}
		section(c, ew)
	}
	return ew.err
}

// withOptional writes section, then each optional section that has something to
// say after a blank line of its own: a report without them (no repeats of the
// reference, no bench) is byte for byte what it was before they existed.
func withOptional(section func(*Comparison, *errWriter), optional ...func(*Comparison, *errWriter)) func(*Comparison, *errWriter) {
	return func(c *Comparison, w *errWriter) {
		section(c, w)
		for _, o := range optional {
			var buf strings.Builder
			ow := &errWriter{w: &buf}
			o(c, ow)
			if buf.Len() > 0 {
				w.printf("\n%s", buf.String())
			}
		}
	}
}

func mdRow(w *errWriter, cells ...string) {
	w.printf("| %s |\n", strings.Join(cells, " | "))
}

func mdAlign(w *errWriter, left int, total int) {
	cells := make([]string, total)
	for i := range cells {
		cells[i] = "---:"
		if i < left {
			cells[i] = "---"
		}
	}
	mdRow(w, cells...)
}

func mdTitle(c *Comparison, w *errWriter) {
	w.printf("## %s\n", c.Tf("title", mdEscape(c.Evalset.Name), c.Evalset.Count))
}

func mdWarnings(c *Comparison, w *errWriter) {
	if len(c.Warnings) == 0 {
		return
	}
	w.printf("**%s**\n\n", c.T("warnings"))
	for _, s := range c.Warnings {
		w.printf("- %s\n", mdEscape(s))
	}
}

func mdSummary(c *Comparison, w *errWriter) {
	head := []string{c.T("precision"), c.T("model"), "ok / count", "accuracy", c.T("ci")}
	for _, m := range c.Metrics {
		head = append(head, mdEscape(m))
	}
	head = append(head, c.Tf("diff", mdEscape(c.Reference)), "p", c.T("flips"))
	mdRow(w, head...)
	mdAlign(w, 2, len(head))
	for i := range c.Variants {
		v := &c.Variants[i]
		row := []string{
			mdEscape(c.RefLabel(v)), mdEscape(v.Model),
			fmt.Sprintf("%d/%d", v.Score.OK, v.Score.Count),
			FormatAcc(v.Score.Accuracy), formatCI(v.Score.Lo, v.Score.Hi),
		}
		for _, m := range v.Metrics {
			row = append(row, scoreCell(m.Score))
		}
		if p := v.VsRef; p != nil {
			row = append(row, FormatPoints(p.Diff), FormatP(p.P), fmt.Sprintf("%d/%d", p.Lost, p.Gained))
		} else {
			row = append(row, "", "", "")
		}
		mdRow(w, row...)
	}
	mdRepeated(c, w)
}

func mdVerdicts(c *Comparison, w *errWriter) {
	if len(c.Variants) < 2 {
		return
	}
	w.printf("**%s**\n\n", c.Tf(c.verdictsKey(), mdEscape(c.Reference), formatAlpha(c.Alpha)))
	for i := range c.Variants {
		v := &c.Variants[i]
		if v.VsRef == nil {
			continue
		}
		w.printf("- %s\n", c.verdictLine(v, mdEscape))
		for _, m := range v.Metrics {
			if m.VsRef != nil && m.VsRef.Common > 0 {
				w.printf("  - %s\n", c.Tf("metricline", mdEscape(m.Name), c.VerdictText(m.VsRef), FormatPoints(m.VsRef.Diff)))
			}
		}
	}
}

// mdRepeated follows the summary table, in its section: an empty section would
// still leave a blank line.
func mdRepeated(c *Comparison, w *errWriter) {
	if t := c.repeatedTable(); t != nil {
		w.printf("\n")
		mdTable(w, c.T("repeated"), t)
	}
}

func mdConsistency(c *Comparison, w *errWriter) {
	t := c.consistencyTable()
	if t == nil {
		return
	}
	mdTable(w, c.Tf("consistency", mdEscape(c.Reference)), t)
}

// mdTable writes a textTable under a bold title; title is already escaped.
func mdTable(w *errWriter, title string, t *textTable) {
	w.printf("**%s**\n\n", title)
	// The text columns hold labels; the figures are ours ("< 0.0001").
	mdGrid(w, t, t.Left)
	w.printf("\n%s\n", strings.Join(t.Notes, " "))
}

// allColumns asks mdGrid to escape every cell.
const allColumns = -1

// mdGrid writes a textTable's head, alignment row and rows, escaping the head and
// the first escape cells of each row (allColumns: every cell).
func mdGrid(w *errWriter, t *textTable, escape int) {
	head := make([]string, len(t.Head))
	for i, h := range t.Head {
		head[i] = mdEscape(h)
	}
	mdRow(w, head...)
	mdAlign(w, t.Left, len(head))
	for _, r := range t.Rows {
		row := slices.Clone(r)
		n := len(row)
		if escape != allColumns {
			n = min(escape, n)
		}
		for i := range n {
			row[i] = mdEscape(row[i])
		}
		mdRow(w, row...)
	}
}

func mdExplain(c *Comparison, w *errWriter) {
	w.printf("**%s**\n\n", c.T("explain"))
	head := []string{c.T("precision"), c.T("errors"), c.T("length"), c.T("tokens"), c.T("latency"), c.T("agreement"), c.T("mdd")}
	mdRow(w, head...)
	mdAlign(w, 1, len(head))
	for i := range c.Variants {
		v := &c.Variants[i]
		agree, mdd := "", ""
		if v.VsRef != nil {
			agree = FormatAcc(v.VsRef.Agreement)
			mdd = fmt.Sprintf("%.1f", v.VsRef.MDD*100)
		}
		mdRow(w, mdEscape(c.RefLabel(v)), fmt.Sprint(v.Errors), fmt.Sprint(v.LengthLimited),
			fmt.Sprintf("%.1f", v.MeanCompletionTokens), fmt.Sprintf("%.0f", v.MedianLatencyMS), agree, mdd)
	}
}

func mdByType(c *Comparison, w *errWriter) {
	mdSlices(c, w, c.T("bytype"), c.T("type"), c.ByType)
}

func mdByCategory(c *Comparison, w *errWriter) {
	if len(c.ByCategory) == 0 {
		return
	}
	if len(c.ByCategory) <= MaxMarkdownCategories {
		mdSlices(c, w, c.T("bycategory"), c.T("category"), c.ByCategory)
		w.printf("\n%s%s %s\n", c.T("macro"), c.T("colon"), c.macroList())
		return
	}
	w.printf("### %s\n\n%s\n", c.T("bycategory"), c.Tf("manycats", len(c.ByCategory), c.macroList()))
}

func (c *Comparison) macroList() string {
	var parts []string
	for i := range c.Variants {
		v := &c.Variants[i]
		if v.CategoryMacro != nil {
			parts = append(parts, mdEscape(v.Label)+" "+FormatAcc(*v.CategoryMacro))
		}
	}
	return strings.Join(parts, ", ")
}

func mdSlices(c *Comparison, w *errWriter, title, keyName string, slices []Slice) {
	if len(slices) == 0 {
		return
	}
	w.printf("### %s\n\n", title)
	head := []string{keyName}
	for i := range c.Variants {
		head = append(head, mdEscape(c.RefLabel(&c.Variants[i])))
	}
	mdRow(w, head...)
	mdAlign(w, 1, len(head))
	anySig := false
	for _, s := range slices {
		row := []string{mdEscape(s.Key)}
		for _, r := range s.Rows {
			cell := scoreCell(r.Score)
			if r.VsRef != nil && r.VsRef.Significant {
				cell += " \\*"
				anySig = true
			}
			row = append(row, cell)
		}
		mdRow(w, row...)
	}
	if anySig {
		w.printf("\n%s\n", c.Tf(c.sigfootKey(), mdEscape(c.Reference), formatAlpha(c.Alpha)))
	}
}

// scoreCell is "accuracy (ok/count)", or a dash when there is nothing to score.
func scoreCell(s Score) string {
	if s.Count == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%d/%d)", FormatAcc(s.Accuracy), s.OK, s.Count)
}
