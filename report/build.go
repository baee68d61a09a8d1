package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/consistency"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/stats"
)

// Build makes the comparison of inputs. Its errors are the caller's input errors.
func Build(inputs []Input, opt Options) (*Comparison, error) {
	labels, ref, err := check(inputs, &opt)
	if err != nil {
		return nil, err
	}
	c := newComparison(inputs[ref].File, labels[ref], opt)
	read := inputs
	inputs = keyBySample(inputs) // repeated samples: records keyed "ID #s" (paired.go)
	c.Metrics = metricNames(inputs)
	byID := indexByID(inputs)
	for i, in := range inputs {
		c.Variants = append(c.Variants, c.variant(in, labels[i], i == ref))
	}

	var lps []map[string][]result.TokenLogprob
	var lpWarnings []string
	if len(inputs) > 1 {
		lps, lpWarnings = loadLogprobs(inputs, labels)
	}
	for i := range c.Variants {
		if i != ref {
			c.againstReference(&c.Variants[i], inputs, byID[ref], ref, i, lps)
			if c.Variants[i].VsRef.Common == 0 {
				return nil, noCommonItems(inputs, labels, ref, i)
			}
		}
	}

	c.ByType = c.slices(inputs, byID[ref], ref, func(r *result.Record) string { return r.Type })
	c.ByCategory = c.slices(inputs, byID[ref], ref, func(r *result.Record) string { return r.Category })
	c.categoryMacro()
	c.IFEval = c.ifevalSummary(inputs, ref)
	c.Items = buildItems(inputs, byID, ref)
	c.cellConsistency()
	c.Warnings = append(c.Warnings, warnings(c, inputs, byID, ref)...)
	c.Warnings = append(c.Warnings, lpWarnings...)
	c.Warnings = append(c.Warnings, unsafeWarnings(inputs, c.Variants)...)
	c.repeatedStats(read, ref)
	c.Code = c.codeSummary(read) // after repeatedStats: its paired test is the slice's
	var speedWarn, floorWarn []string
	c.Speed, speedWarn = c.buildSpeed(opt.Bench, opt.SpeedLevel)
	c.NoiseFloor, floorWarn = c.buildNoiseFloor(inputs[ref], opt.RefRepeats)
	c.Warnings = append(c.Warnings, speedWarn...)
	c.Warnings = append(c.Warnings, floorWarn...)
	return c, nil
}

// check fills in opt's defaults and refuses what cannot be compared; it returns the
// variants' labels and the index of the reference.
func check(inputs []Input, opt *Options) (labels []string, ref int, err error) {
	if len(inputs) == 0 {
		return nil, 0, errors.New("no result files")
	}
	if opt.Alpha == 0 {
		opt.Alpha = DefaultAlpha
	}
	if !(opt.Alpha > 0 && opt.Alpha < 1) { // NaN too
		return nil, 0, fmt.Errorf("alpha %v: want a level between 0 and 1", opt.Alpha)
	}
	if opt.Power == 0 {
		opt.Power = DefaultPower
	}
	if !(opt.Power > 0 && opt.Power < 1) {
		return nil, 0, fmt.Errorf("power %v: want a value between 0 and 1", opt.Power)
	}
	switch opt.Lang {
	case "":
		opt.Lang = "en"
	case "en", "zh":
	default:
		return nil, 0, fmt.Errorf("language %q: want en or zh", opt.Lang)
	}
	if labels, err = makeLabels(inputs, opt.Labels); err != nil {
		return nil, 0, err
	}
	ref = len(inputs) - 1
	if opt.Ref != "" {
		ref = slices.Index(labels, opt.Ref)
		if ref < 0 {
			return nil, 0, fmt.Errorf("reference %q: no such label (labels: %s)", opt.Ref, strings.Join(labels, ", "))
		}
	}
	if err := sameEvalset(inputs, ref); err != nil {
		return nil, 0, err
	}
	return labels, ref, nil
}

// noCommonItems is the error of a variant i that shares no item with the reference:
// the same eval set, but other items (another --sample, --sample-seed or --limit, or
// a run that kept nothing). No verdict can be drawn from nothing.
func noCommonItems(inputs []Input, labels []string, ref, i int) error {
	return fmt.Errorf("no items in common: %s (%s, %d %s) and the reference %s (%s, %d %s) share no item id; nothing to compare (were they sampled or limited differently?)",
		labels[i], inputs[i].Path, len(inputs[i].File.Items), plural(len(inputs[i].File.Items), "item", "items"),
		labels[ref], inputs[ref].Path, len(inputs[ref].File.Items), plural(len(inputs[ref].File.Items), "item", "items"))
}

// newComparison is the comparison's header, taken from the reference's file rf.
func newComparison(rf *result.File, refLabel string, opt Options) *Comparison {
	c := &Comparison{
		Schema:     Schema,
		Evalset:    Evalset{Name: rf.Evalset.Name, SHA256: rf.Evalset.SHA256, Count: rf.Evalset.Count},
		Reference:  refLabel,
		Alpha:      opt.Alpha,
		Confidence: Confidence,
		Power:      opt.Power,
		Warnings:   []string{},
		Lang:       opt.Lang,
	}
	if c.Evalset.Count == 0 {
		c.Evalset.Count = len(rf.Items)
	}
	return c
}

// indexByID maps, for each input, item id to record.
func indexByID(inputs []Input) []map[string]*result.Record {
	byID := make([]map[string]*result.Record, len(inputs))
	for i, in := range inputs {
		m := make(map[string]*result.Record, len(in.File.Items))
		for j := range in.File.Items {
			m[in.File.Items[j].ID] = &in.File.Items[j]
		}
		byID[i] = m
	}
	return byID
}

// variant is one input's own figures: score, errors, finish reasons, tokens, latency
// and each secondary metric.
func (c *Comparison) variant(in Input, label string, isRef bool) Variant {
	f := in.File
	v := Variant{
		Label:         label,
		Model:         f.Model,
		File:          in.Path,
		Reference:     isRef,
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
	v.Thinking = thinkingOf(f.Items)
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
	return v
}

// againstReference fills in v.VsRef (input i held against the reference over the
// items both have) and each metric's paired test.
func (c *Comparison) againstReference(v *Variant, inputs []Input, refRecs map[string]*result.Record, ref, i int, lps []map[string][]result.TokenLogprob) {
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
	c.metricsAgainstReference(v, inputs[i].File.Items, refRecs)
}

// metricsAgainstReference is the paired test of each secondary metric of v over the
// items where both v and the reference have it.
func (c *Comparison) metricsAgainstReference(v *Variant, items []result.Record, refRecs map[string]*result.Record) {
	for m := range v.Metrics {
		name := v.Metrics[m].Name
		var mt stats.Table2x2
		for _, r := range items {
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

// categoryMacro is each variant's mean of its by-category accuracies (categories where
// it has items), left nil without categories.
func (c *Comparison) categoryMacro() {
	if len(c.ByCategory) == 0 {
		return
	}
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
