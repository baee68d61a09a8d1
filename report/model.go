// Package report owns the comparison of precision variants: it builds one model
// (Comparison) from result files, once, and renders it as Markdown, CSV, JSON (schema
// quanteval/compare/v1), a PNG or SVG bar chart, and one self-contained HTML file.
//
// # Decisions
//
// Every variant is held against one reference over the items both have (matched by
// id): the difference in accuracy with Newcombe's paired interval, the exact McNemar
// p-value, the flips each way, the agreement of extracted answers and the smallest
// difference the set could detect (package stats). Newcombe's interval of the
// difference is in the JSON and CSV only: on small sets it can exclude 0 while the
// exact test does not reject (e.g. 4 losses, 0 gains of 12), and a verdict that seems
// to contradict its own interval confuses more than it informs; the verdict is the
// exact test's. Accuracy itself is ok / count over
// the variant's own items, as in the seed; an item that failed with an error counts
// as wrong, and is also counted and warned about.
//
// Differences that make variants less comparable (generation parameters, missing
// items, incomplete runs, errors) do not stop the comparison: they are Warnings, data
// on the model that every renderer shows. What makes a comparison meaningless (other
// eval sets, an unknown reference) is an error from Build.
//
// Secondary metrics (Record.Scores, e.g. gsm8k "flexible") are scored and compared
// like the primary one, over the items that carry them, and shown as extra columns.
//
// Many categories (MMLU has 57 subjects) would drown the Markdown table, so the
// Markdown shows the by-category table only up to MaxMarkdownCategories and
// otherwise the macro average; CSV, JSON and HTML always have every category.
//
// Beyond accuracy, each variant's outputs are held against the reference's (package
// consistency): identical outputs, common prefix, first divergence and, where both
// runs kept log-probabilities, KL divergence and top-1 agreement. Build reads the
// side files the results name; one that is missing or unreadable is a warning, not an
// error, and the figures that need no tokens are still shown. The Markdown and HTML
// share one table of these (consistencyTable), with the token and KL columns only
// when some variant has them.
//
// Extending: a new per-variant section is a field on VsRef or Variant, filled in
// Build, plus one section function per renderer (see the sections lists in
// markdown.go and html.go); nil fields render nothing.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/consistency"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/stats"
)

// Schema is the value of the "schema" field of the JSON report.
const Schema = "quanteval/compare/v1"

// Defaults of Options.
const (
	DefaultAlpha = 0.05
	DefaultPower = 0.8
	// Confidence of every interval in the report.
	Confidence = 0.95
	// MaxMarkdownCategories is the most categories the Markdown lists one by one.
	MaxMarkdownCategories = 12
)

// Options configure Build.
type Options struct {
	// Labels name the variants, one per input; empty: a short form of each model name.
	Labels []string
	// Ref is the label of the reference; empty: the last input.
	Ref string
	// Alpha is the significance level of the tests; 0: DefaultAlpha.
	Alpha float64
	// Power is the power at which the detectable difference is stated; 0: DefaultPower.
	Power float64
	// Lang is the language of the text reports: "en" (default) or "zh".
	Lang string
}

// Input is one result file and where it was read from.
type Input struct {
	Path string
	File *result.File
}

// Comparison is the whole model every renderer draws from.
type Comparison struct {
	Schema     string  `json:"schema"`
	Evalset    Evalset `json:"evalset"`
	Reference  string  `json:"reference"` // label of the reference variant
	Alpha      float64 `json:"alpha"`
	Confidence float64 `json:"confidence"`
	Power      float64 `json:"power"`
	// Metrics names the secondary metrics, in the order of Variant.Metrics.
	Metrics  []string  `json:"metrics,omitempty"`
	Variants []Variant `json:"variants"`
	// ByType and ByCategory are the same accuracy table per slice, sorted by key.
	ByType     []Slice `json:"by_type"`
	ByCategory []Slice `json:"by_category,omitempty"`
	// Warnings say what makes the variants less comparable; every report shows them.
	Warnings []string `json:"warnings"`
	// Items is the item-by-item grid (for the HTML), in the reference's order.
	Items []Item `json:"-"`
	// Lang is the language of the text reports.
	Lang string `json:"-"`
}

// Evalset identifies the items compared.
type Evalset struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Count  int    `json:"count"` // items in the set (the reference's count when a run was limited)
}

// Score is ok out of count with its Wilson interval.
type Score struct {
	OK       int     `json:"ok"`
	Count    int     `json:"count"`
	Accuracy float64 `json:"accuracy"`
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
}

func newScore(ok, count int) Score {
	w := stats.Wilson(ok, count, Confidence)
	return Score{OK: ok, Count: count, Accuracy: w.Center, Lo: w.Lo, Hi: w.Hi}
}

// Verdict codes.
const (
	VerdictSame   = "no_difference"
	VerdictLower  = "lower"
	VerdictHigher = "higher"
)

// Paired is a variant against the reference over the items both have.
type Paired struct {
	Common int `json:"common"` // items both have
	RefOK  int `json:"ref_ok"` // ok in the reference, of Common
	OK     int `json:"ok"`     // ok in this variant, of Common
	// Diff is this variant's accuracy minus the reference's over Common (a proportion;
	// ×100 for points), with Newcombe's interval.
	Diff   float64 `json:"diff"`
	DiffLo float64 `json:"diff_lo"`
	DiffHi float64 `json:"diff_hi"`
	Lost   int     `json:"lost"`   // ok in the reference, wrong here
	Gained int     `json:"gained"` // wrong in the reference, ok here
	// P is the two-sided exact McNemar p-value.
	P           float64 `json:"p"`
	Significant bool    `json:"significant"` // P < alpha
	Verdict     string  `json:"verdict"`     // VerdictSame, VerdictLower or VerdictHigher
	// MDD is the smallest difference (a proportion) detectable at alpha with the
	// comparison's power, from Common and the observed discordance.
	MDD float64 `json:"mdd"`
}

func newPaired(t stats.Table2x2, alpha, power float64) *Paired {
	n := t.N()
	p := &Paired{
		Common: n,
		RefOK:  t.Both + t.Lost,
		OK:     t.Both + t.Gained,
		Diff:   t.Diff(),
		Lost:   t.Lost,
		Gained: t.Gained,
		P:      stats.McNemarExact(t.Lost, t.Gained),
	}
	ci := stats.Newcombe(t, Confidence)
	p.DiffLo, p.DiffHi = ci.Lo, ci.Hi
	psi := 0.0
	if n > 0 {
		psi = float64(t.Lost+t.Gained) / float64(n)
	}
	p.MDD = stats.MDD(n, psi, alpha, power)
	p.Significant = p.P < alpha
	switch {
	case !p.Significant:
		p.Verdict = VerdictSame
	case t.Gained > t.Lost:
		p.Verdict = VerdictHigher
	default:
		p.Verdict = VerdictLower
	}
	return p
}

// VsRef is the full comparison of a variant with the reference.
type VsRef struct {
	Paired
	LostIDs   []string `json:"lost_ids"`
	GainedIDs []string `json:"gained_ids"`
	// Agreement is the share of the common items answered without an error on
	// either side on which both extracted the same answer. An item that errored on
	// either side is left out of the count (an error is no answer to agree with),
	// and two empty extractions (no answer found in either output) are not an
	// agreement; 0 when no common item is free of errors.
	Agreement float64 `json:"agreement"`
	// Consistency is how far the outputs themselves drift from the reference's
	// (identical outputs, common prefix, first divergence and, with the runs'
	// log-probabilities, KL divergence and top-1 agreement); nil when no item could
	// be compared. Further comparisons of outputs belong beside it as pointer fields
	// with omitempty, rendered only when non-nil.
	Consistency *consistency.Metrics `json:"consistency,omitempty"`
}

// Variant is one result file's figures.
type Variant struct {
	Label     string `json:"label"`
	Model     string `json:"model"`
	File      string `json:"file"`
	Reference bool   `json:"reference"`
	Complete  bool   `json:"complete"`
	Score     Score  `json:"score"`
	// Metrics are the secondary metrics, in Comparison.Metrics order.
	Metrics []MetricScore `json:"metrics,omitempty"`
	// VsRef is nil for the reference.
	VsRef *VsRef `json:"vs_ref,omitempty"`
	// What often explains a difference in accuracy.
	Errors               int            `json:"errors"`
	LengthLimited        int            `json:"length_limited"` // finish_reason "length"
	FinishReasons        map[string]int `json:"finish_reasons"`
	MeanCompletionTokens float64        `json:"mean_completion_tokens"`
	MedianLatencyMS      float64        `json:"median_latency_ms"`
	// CategoryMacro is the mean of the per-category accuracies (nil: no categories).
	CategoryMacro *float64      `json:"category_macro_accuracy,omitempty"`
	Params        result.Params `json:"params"`
}

// MetricScore is one secondary metric of a variant.
type MetricScore struct {
	Name  string  `json:"name"`
	Score Score   `json:"score"`
	VsRef *Paired `json:"vs_ref,omitempty"`
}

// Slice is the accuracy table for one type or category.
type Slice struct {
	Key  string     `json:"key"`
	Rows []SliceRow `json:"variants"` // one per variant, in Comparison.Variants order
}

// SliceRow is a variant's figures in a slice.
type SliceRow struct {
	Label string  `json:"label"`
	Score Score   `json:"score"`
	VsRef *Paired `json:"vs_ref,omitempty"`
}

// Item is one row of the item-by-item grid.
type Item struct {
	ID       string
	Type     string
	Category string
	Prompt   string
	Expected string
	// Flip is true when some variant's ok differs from the reference's.
	Flip  bool
	Cells []Cell // one per variant
}

// Cell is one variant's answer to an item.
type Cell struct {
	Present      bool
	OK           bool
	Flip         bool // differs from the reference
	Output       string
	Extracted    string
	Reason       string
	Error        string
	FinishReason string
	// Consistency is the item's comparison with the reference's output; nil for the
	// reference and for items not compared.
	Consistency *consistency.ItemMetrics
}

// Build makes the comparison of inputs. Its errors are the caller's input errors.
func Build(inputs []Input, opt Options) (*Comparison, error) {
	if len(inputs) == 0 {
		return nil, errors.New("no result files")
	}
	if opt.Alpha == 0 {
		opt.Alpha = DefaultAlpha
	}
	if opt.Alpha <= 0 || opt.Alpha >= 1 {
		return nil, fmt.Errorf("alpha %v: want a level between 0 and 1", opt.Alpha)
	}
	if opt.Power == 0 {
		opt.Power = DefaultPower
	}
	if opt.Power <= 0 || opt.Power >= 1 {
		return nil, fmt.Errorf("power %v: want a value between 0 and 1", opt.Power)
	}
	switch opt.Lang {
	case "":
		opt.Lang = "en"
	case "en", "zh":
	default:
		return nil, fmt.Errorf("language %q: want en or zh", opt.Lang)
	}
	labels, err := makeLabels(inputs, opt.Labels)
	if err != nil {
		return nil, err
	}
	ref := len(inputs) - 1
	if opt.Ref != "" {
		ref = slices.Index(labels, opt.Ref)
		if ref < 0 {
			return nil, fmt.Errorf("reference %q: no such label (labels: %s)", opt.Ref, strings.Join(labels, ", "))
		}
	}
	if err := sameEvalset(inputs, ref); err != nil {
		return nil, err
	}

	rf := inputs[ref].File
	c := &Comparison{
		Schema:     Schema,
		Evalset:    Evalset{Name: rf.Evalset.Name, SHA256: rf.Evalset.SHA256, Count: rf.Evalset.Count},
		Reference:  labels[ref],
		Alpha:      opt.Alpha,
		Confidence: Confidence,
		Power:      opt.Power,
		Warnings:   []string{},
		Lang:       opt.Lang,
	}
	if c.Evalset.Count == 0 {
		c.Evalset.Count = len(rf.Items)
	}
	c.Metrics = metricNames(inputs)

	// byID[i] maps item id to record for input i.
	byID := make([]map[string]*result.Record, len(inputs))
	for i, in := range inputs {
		m := make(map[string]*result.Record, len(in.File.Items))
		for j := range in.File.Items {
			m[in.File.Items[j].ID] = &in.File.Items[j]
		}
		byID[i] = m
	}

	for i, in := range inputs {
		f := in.File
		v := Variant{
			Label:         labels[i],
			Model:         f.Model,
			File:          in.Path,
			Reference:     i == ref,
			Complete:      f.Complete,
			Params:        f.Params,
			FinishReasons: map[string]int{},
		}
		var ok int
		var tokens, latency []float64
		for _, r := range f.Items {
			if r.OK {
				ok++
			}
			if r.Error != "" {
				v.Errors++
				continue
			}
			if r.FinishReason != "" {
				v.FinishReasons[r.FinishReason]++
			}
			if r.FinishReason == "length" {
				v.LengthLimited++
			}
			tokens = append(tokens, float64(r.Usage.CompletionTokens))
			latency = append(latency, float64(r.LatencyMS))
		}
		v.Score = newScore(ok, len(f.Items))
		v.MeanCompletionTokens = stats.Mean(tokens)
		v.MedianLatencyMS = stats.Median(latency)
		for _, name := range c.Metrics {
			var n, k int
			for _, r := range f.Items {
				if s, has := r.Scores[name]; has {
					n++
					if s {
						k++
					}
				}
			}
			v.Metrics = append(v.Metrics, MetricScore{Name: name, Score: newScore(k, n)})
		}
		c.Variants = append(c.Variants, v)
	}

	// Against the reference.
	refRecs := byID[ref]
	var lps []map[string][]result.TokenLogprob
	var lpWarnings []string
	if len(inputs) > 1 {
		lps, lpWarnings = loadLogprobs(inputs, labels)
	}
	for i := range c.Variants {
		if i == ref {
			continue
		}
		v := &c.Variants[i]
		var t stats.Table2x2
		vs := &VsRef{LostIDs: []string{}, GainedIDs: []string{}}
		agree, answered := 0, 0
		for _, r := range inputs[i].File.Items {
			rr, has := refRecs[r.ID]
			if !has {
				continue
			}
			tally(&t, rr.OK, r.OK)
			switch {
			case rr.OK && !r.OK:
				vs.LostIDs = append(vs.LostIDs, r.ID)
			case !rr.OK && r.OK:
				vs.GainedIDs = append(vs.GainedIDs, r.ID)
			}
			if rr.Error == "" && r.Error == "" {
				answered++
				if a := strings.TrimSpace(r.Extracted); a != "" && a == strings.TrimSpace(rr.Extracted) {
					agree++
				}
			}
		}
		vs.Paired = *newPaired(t, c.Alpha, c.Power)
		if answered > 0 {
			vs.Agreement = float64(agree) / float64(answered)
		}
		if m := consistency.Compare(inputs[ref].File, inputs[i].File, lps[ref], lps[i]); m.Items > 0 {
			if m.FirstDivergence.Chars == nil {
				m.FirstDivergence.Chars = []int{} // [] in the JSON, as the id lists
			}
			vs.Consistency = &m
		}
		v.VsRef = vs
		for m := range v.Metrics {
			name := v.Metrics[m].Name
			var mt stats.Table2x2
			for _, r := range inputs[i].File.Items {
				rr, has := refRecs[r.ID]
				if !has {
					continue
				}
				a, okA := rr.Scores[name]
				b, okB := r.Scores[name]
				if okA && okB {
					tally(&mt, a, b)
				}
			}
			v.Metrics[m].VsRef = newPaired(mt, c.Alpha, c.Power)
		}
	}

	c.ByType = c.slices(inputs, refRecs, ref, func(r *result.Record) string { return r.Type })
	c.ByCategory = c.slices(inputs, refRecs, ref, func(r *result.Record) string { return r.Category })
	if len(c.ByCategory) > 0 {
		for i := range c.Variants {
			var accs []float64
			for _, s := range c.ByCategory {
				if s.Rows[i].Score.Count > 0 {
					accs = append(accs, s.Rows[i].Score.Accuracy)
				}
			}
			if len(accs) > 0 {
				m := stats.Mean(accs)
				c.Variants[i].CategoryMacro = &m
			}
		}
	}
	c.Items = buildItems(inputs, byID, ref)
	c.cellConsistency()
	c.Warnings = append(c.Warnings, warnings(c, inputs, byID, ref)...)
	c.Warnings = append(c.Warnings, lpWarnings...)
	return c, nil
}

func tally(t *stats.Table2x2, refOK, ok bool) {
	switch {
	case refOK && ok:
		t.Both++
	case refOK:
		t.Lost++
	case ok:
		t.Gained++
	default:
		t.Neither++
	}
}

// slices groups every variant's items by key (empty keys are left out).
func (c *Comparison) slices(inputs []Input, refRecs map[string]*result.Record, ref int, key func(*result.Record) string) []Slice {
	seen := map[string]bool{}
	for _, in := range inputs {
		for j := range in.File.Items {
			if k := key(&in.File.Items[j]); k != "" {
				seen[k] = true
			}
		}
	}
	keys := result.SortedKeys(seen)
	out := make([]Slice, 0, len(keys))
	for _, k := range keys {
		s := Slice{Key: k}
		for i, in := range inputs {
			var ok, n int
			var t stats.Table2x2
			for j := range in.File.Items {
				r := &in.File.Items[j]
				if key(r) != k {
					continue
				}
				n++
				if r.OK {
					ok++
				}
				// The slice is the reference's: an item whose type changed between
				// files is paired only where the reference puts it.
				if rr, has := refRecs[r.ID]; has && key(rr) == k {
					tally(&t, rr.OK, r.OK)
				}
			}
			row := SliceRow{Label: c.Variants[i].Label, Score: newScore(ok, n)}
			if i != ref {
				row.VsRef = newPaired(t, c.Alpha, c.Power)
			}
			s.Rows = append(s.Rows, row)
		}
		out = append(out, s)
	}
	return out
}

func buildItems(inputs []Input, byID []map[string]*result.Record, ref int) []Item {
	var order []*result.Record
	seen := map[string]bool{}
	for _, i := range append([]int{ref}, seqExcept(len(inputs), ref)...) {
		for j := range inputs[i].File.Items {
			r := &inputs[i].File.Items[j]
			if !seen[r.ID] {
				seen[r.ID] = true
				order = append(order, r)
			}
		}
	}
	items := make([]Item, 0, len(order))
	for _, first := range order {
		it := Item{ID: first.ID, Type: first.Type, Category: first.Category, Prompt: first.Prompt, Expected: FormatExpected(first.Expected)}
		rr := byID[ref][first.ID]
		for i := range inputs {
			r := byID[i][first.ID]
			if r == nil {
				it.Cells = append(it.Cells, Cell{})
				continue
			}
			cell := Cell{Present: true, OK: r.OK, Output: r.Output, Extracted: r.Extracted, Reason: r.Reason, Error: r.Error, FinishReason: r.FinishReason}
			if rr != nil && i != ref && rr.OK != r.OK {
				cell.Flip = true
				it.Flip = true
			}
			it.Cells = append(it.Cells, cell)
		}
		items = append(items, it)
	}
	return items
}

func seqExcept(n, skip int) []int {
	var out []int
	for i := range n {
		if i != skip {
			out = append(out, i)
		}
	}
	return out
}

// FormatExpected renders an item's expected answer for people: numbers without
// exponent, strings as they are, lists joined with " | ".
func FormatExpected(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = FormatExpected(e)
		}
		return strings.Join(parts, " | ")
	case []string:
		return strings.Join(x, " | ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func metricNames(inputs []Input) []string {
	seen := map[string]bool{}
	for _, in := range inputs {
		for _, r := range in.File.Items {
			for name := range r.Scores {
				seen[name] = true
			}
		}
	}
	return result.SortedKeys(seen)
}

// makeLabels returns the given labels or short model names, made unique.
func makeLabels(inputs []Input, given []string) ([]string, error) {
	if len(given) > 0 {
		if len(given) != len(inputs) {
			return nil, fmt.Errorf("%d labels for %d result files", len(given), len(inputs))
		}
		seen := map[string]bool{}
		for _, l := range given {
			if l == "" {
				return nil, errors.New("empty label")
			}
			if seen[l] {
				return nil, fmt.Errorf("label %q given twice", l)
			}
			seen[l] = true
		}
		return given, nil
	}
	labels := make([]string, len(inputs))
	count := map[string]int{}
	for i, in := range inputs {
		labels[i] = ShortModel(in.File.Model)
		if labels[i] == "" {
			labels[i] = strings.TrimSuffix(filepath.Base(in.Path), filepath.Ext(in.Path))
		}
		count[labels[i]]++
	}
	// The same model twice (e.g. two runs) is told apart by file name, then by index.
	seen := map[string]bool{}
	for i, in := range inputs {
		if count[labels[i]] > 1 {
			labels[i] = strings.TrimSuffix(filepath.Base(in.Path), filepath.Ext(in.Path))
		}
		for base, k := labels[i], 2; seen[labels[i]]; k++ {
			labels[i] = fmt.Sprintf("%s#%d", base, k)
		}
		seen[labels[i]] = true
	}
	return labels, nil
}

// ShortModel is the last path element of a model name: "RedHatAI/Qwen3-32B-NVFP4"
// becomes "Qwen3-32B-NVFP4".
func ShortModel(model string) string {
	model = strings.TrimRight(model, "/")
	if i := strings.LastIndex(model, "/"); i >= 0 {
		return model[i+1:]
	}
	return model
}

func sameEvalset(inputs []Input, ref int) error {
	rf := inputs[ref]
	for i, in := range inputs {
		if i == ref {
			continue
		}
		if in.File.Evalset.SHA256 != rf.File.Evalset.SHA256 {
			return fmt.Errorf("results over different eval sets: %s has %s (sha256 %s), %s has %s (sha256 %s)",
				in.Path, in.File.Evalset.Name, short(in.File.Evalset.SHA256),
				rf.Path, rf.File.Evalset.Name, short(rf.File.Evalset.SHA256))
		}
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	if sha == "" {
		return "none"
	}
	return sha
}

// warnings lists what makes the variants less comparable, reference first.
func warnings(c *Comparison, inputs []Input, byID []map[string]*result.Record, ref int) []string {
	var out []string
	refV := c.Variants[ref]
	for i, in := range inputs {
		v := c.Variants[i]
		f := in.File
		if !f.Complete {
			out = append(out, fmt.Sprintf("%s: the run is incomplete (%d items of %d)", v.Label, len(f.Items), f.Evalset.Count))
		}
		if v.Errors > 0 {
			out = append(out, fmt.Sprintf("%s: %d %s failed with an error and count as wrong", v.Label, v.Errors, plural(v.Errors, "item", "items")))
		}
		if f.Evalset.Name != inputs[ref].File.Evalset.Name {
			out = append(out, fmt.Sprintf("%s: eval set named %q, reference %s has %q (same sha256)", v.Label, f.Evalset.Name, refV.Label, inputs[ref].File.Evalset.Name))
		}
		if i == ref {
			continue
		}
		out = append(out, paramDiffs(v.Label, refV.Label, f.Params, inputs[ref].File.Params)...)
		missing := 0
		for id := range byID[ref] {
			if byID[i][id] == nil {
				missing++
			}
		}
		extra := len(f.Items) - v.VsRef.Common
		if missing > 0 || extra > 0 {
			out = append(out, fmt.Sprintf("%s: %d of the reference's %d items missing, %d not in the reference; compared over the %d both have",
				v.Label, missing, len(byID[ref]), extra, v.VsRef.Common))
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// paramDiffs names each generation parameter that differs from the reference's.
func paramDiffs(label, refLabel string, p, r result.Params) []string {
	var out []string
	diff := func(name, got, want string) {
		if got != want {
			out = append(out, fmt.Sprintf("%s: %s %s, reference %s has %s", label, name, got, refLabel, want))
		}
	}
	diff("temperature", fmtFloat(p.Temperature), fmtFloat(r.Temperature))
	diff("max_tokens", strconv.Itoa(p.MaxTokens), strconv.Itoa(r.MaxTokens))
	diff("system message", strconv.Quote(p.System), strconv.Quote(r.System))
	diff("extra_body", compactJSON(p.ExtraBody), compactJSON(r.ExtraBody))
	diff("seed", fmtSeed(p.Seed), fmtSeed(r.Seed))
	diff("limit", limitString(p.Limit), limitString(r.Limit))
	return out
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func fmtSeed(s *int64) string {
	if s == nil {
		return "none"
	}
	return strconv.FormatInt(*s, 10)
}

func limitString(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n)
}

func compactJSON(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return "none"
	}
	// Re-encode through a value so that key order and spacing do not count.
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	if string(b) == "{}" {
		return "none"
	}
	return string(b)
}
