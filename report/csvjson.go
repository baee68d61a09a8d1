package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/consistency"
)

// csvHeader is the one table the CSV holds: one row per variant and scope, tidy so
// that a spreadsheet can filter it. Scopes: "overall", "metric" (slice = the metric's
// name), "consistency" (the columns from "compared" on), "type", "category",
// "category_macro", and "warning" (slice = the message).
var csvHeader = []string{
	"scope", "slice", "label", "model", "reference",
	"ok", "count", "accuracy", "lo", "hi",
	"common", "diff", "diff_lo", "diff_hi", "p", "significant", "verdict", "lost", "gained", "mdd",
	"agreement", "errors", "length_limited", "mean_completion_tokens", "median_latency_ms",
	"lost_ids", "gained_ids",
	"compared", "identical", "identical_share", "mean_prefix_chars", "token_items", "mean_prefix_tokens",
	"divergent", "mean_divergence_chars", "median_divergence_chars", "mean_divergence_tokens", "median_divergence_tokens",
	"kl_positions", "kl_mean", "kl_p95", "kl_max", "top1_agreement",
	"truncated_thinking", "mean_reasoning_chars", "mean_answer_chars", "mean_reasoning_tokens", "mean_answer_tokens",
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }

// sig prints six significant digits, for figures that may be very small.
func sig(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

// CSV writes every figure of the comparison as one tidy table. Text from the
// result files is guarded against formula injection (see csvText); the figures are
// written as computed, a negative difference included.
func (c *Comparison) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{csvHeader}
	for _, msg := range c.Warnings {
		rows = append(rows, csvRow("warning", csvText(msg), nil, nil, nil, nil))
	}
	for i := range c.Variants {
		v := &c.Variants[i]
		var vs *Paired
		if v.VsRef != nil {
			vs = &v.VsRef.Paired
		}
		row := csvRow("overall", "", v, &v.Score, vs, nil)
		set := func(col, val string) { row[colIndex(col)] = val }
		set("errors", strconv.Itoa(v.Errors))
		set("length_limited", strconv.Itoa(v.LengthLimited))
		set("mean_completion_tokens", num(v.MeanCompletionTokens))
		set("median_latency_ms", num(v.MedianLatencyMS))
		csvThinking(set, v.Thinking)
		if v.VsRef != nil {
			set("agreement", num(v.VsRef.Agreement))
			set("lost_ids", csvText(strings.Join(v.VsRef.LostIDs, " ")))
			set("gained_ids", csvText(strings.Join(v.VsRef.GainedIDs, " ")))
		}
		rows = append(rows, row)
	}
	for i := range c.Variants {
		v := &c.Variants[i]
		for _, m := range v.Metrics {
			rows = append(rows, csvRow("metric", csvText(m.Name), v, &m.Score, m.VsRef, nil))
		}
	}
	for i := range c.Variants {
		v := &c.Variants[i]
		if v.VsRef != nil && v.VsRef.Consistency != nil {
			rows = append(rows, csvConsistency(v, v.VsRef.Consistency))
		}
	}
	for _, group := range []struct {
		scope  string
		slices []Slice
	}{{"type", c.ByType}, {"category", c.ByCategory}} {
		for _, s := range group.slices {
			for i, r := range s.Rows {
				rows = append(rows, csvRow(group.scope, csvText(s.Key), &c.Variants[i], &r.Score, r.VsRef, nil))
			}
		}
	}
	for i := range c.Variants {
		v := &c.Variants[i]
		if v.CategoryMacro != nil {
			rows = append(rows, csvRow("category_macro", "", v, nil, nil, v.CategoryMacro))
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

func colIndex(name string) int {
	for i, h := range csvHeader {
		if h == name {
			return i
		}
	}
	panic("report: no CSV column " + name)
}

func csvRow(scope, slice string, v *Variant, s *Score, p *Paired, acc *float64) []string {
	row := make([]string, len(csvHeader))
	set := func(col, val string) { row[colIndex(col)] = val }
	set("scope", scope)
	set("slice", slice)
	if v != nil {
		set("label", csvText(v.Label))
		set("model", csvText(v.Model))
		set("reference", strconv.FormatBool(v.Reference))
	}
	if s != nil {
		set("ok", strconv.Itoa(s.OK))
		set("count", strconv.Itoa(s.Count))
		set("accuracy", num(s.Accuracy))
		set("lo", num(s.Lo))
		set("hi", num(s.Hi))
	}
	if acc != nil {
		set("accuracy", num(*acc))
	}
	if p != nil {
		set("common", strconv.Itoa(p.Common))
		set("diff", num(p.Diff))
		set("diff_lo", num(p.DiffLo))
		set("diff_hi", num(p.DiffHi))
		set("p", num(p.P))
		set("significant", strconv.FormatBool(p.Significant))
		set("verdict", p.Verdict)
		set("lost", strconv.Itoa(p.Lost))
		set("gained", strconv.Itoa(p.Gained))
		set("mdd", num(p.MDD))
	}
	return row
}

// csvConsistency is a variant's consistency row; a figure without its data (no
// diverging item, no tokens, no log-probabilities) is left empty.
func csvConsistency(v *Variant, m *consistency.Metrics) []string {
	row := csvRow("consistency", "", v, nil, nil, nil)
	set := func(col, val string) { row[colIndex(col)] = val }
	opt := func(col string, x *float64) {
		if x != nil {
			set(col, num(*x))
		}
	}
	set("compared", strconv.Itoa(m.Items))
	set("identical", strconv.Itoa(m.Identical))
	set("identical_share", num(m.IdenticalShare))
	set("mean_prefix_chars", num(m.MeanPrefixChars))
	set("token_items", strconv.Itoa(m.TokenItems))
	opt("mean_prefix_tokens", m.MeanPrefixTokens)
	d := m.FirstDivergence
	set("divergent", strconv.Itoa(d.Items))
	if d.Items > 0 {
		set("mean_divergence_chars", num(d.MeanChars))
		set("median_divergence_chars", num(d.MedianChars))
	}
	opt("mean_divergence_tokens", d.MeanTokens)
	opt("median_divergence_tokens", d.MedianTokens)
	if k := m.KL; k != nil {
		set("kl_positions", strconv.Itoa(k.Positions))
		// KL divergences are often far below num's six decimals.
		set("kl_mean", sig(k.Mean))
		set("kl_p95", sig(k.P95))
		set("kl_max", sig(k.Max))
		set("top1_agreement", num(k.Top1Agreement))
	}
	return row
}

// JSON writes the comparison (schema quanteval/compare/v1), indented, with model
// text left unescaped for reading.
func (c *Comparison) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	return nil
}
