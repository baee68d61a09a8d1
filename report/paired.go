package report

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/stats"
)

// Repeated samples (run --repeats N): results whose items were each asked several
// times.
//
// Decisions:
//   - Such a comparison is made item by item on per-item pass rates (right samples
//     over samples), not sample by sample: the samples of one item are not
//     independent. The difference is the mean over the items both have of the
//     variant's rate minus the reference's, with a paired percentile bootstrap
//     interval (stats.PairedBootstrap, stats.BootstrapResamples resamples, seed
//     stats.RandomSeed: the same report every time), and its p-value is the paired
//     sign-flip permutation test's (stats.SignFlipP: exact up to 20 items that
//     differ, Monte Carlo with a fixed seed above). The verdict is that test's, in
//     the words McNemar's verdict uses; lost and gained count the items whose rate
//     fell or rose, and the smallest detectable difference is stats.PairedMDD.
//     Results of one sample each are compared as before (exact McNemar).
//   - Every per-sample view (the item grid, agreement of extracted answers,
//     consistency of outputs, missing-item warnings) pairs sample s of an item with
//     the reference's sample s: Build keys each record by "ID #s" for those.
//   - A repeated variant's accuracy and interval in the summary table are avg@n and
//     its t interval over items (result.AvgAtN), since the Wilson interval would
//     treat N samples of one item as N independent items; "ok / count" still counts
//     samples. The by-type and by-category slices are paired like the whole.
//   - Markdown, HTML, CSV (scopes avg_at_n, pass_at_k, maj_at_n) and JSON
//     (variants[].repeated) show avg@n with its interval, pass@k and maj@n.

// Repeated is a variant's statistics of repeated samples.
type Repeated struct {
	Samples int                `json:"samples"`
	AvgAtN  result.AvgAtN      `json:"avg_at_n"`
	PassAtK map[string]float64 `json:"pass_at_k"`
	MajAtN  float64            `json:"maj_at_n"`
}

// TestSignFlip names the test of a Paired made on per-item pass rates.
const TestSignFlip = "paired_sign_flip"

// sampleSep joins an item's id and its sample number in the per-sample views.
const sampleSep = " #"

// isRepeated reports whether some input has several samples of an item.
func isRepeated(inputs []Input) bool {
	for _, in := range inputs {
		for _, r := range in.File.Items {
			if r.SampleIndex() > 0 {
				return true
			}
		}
	}
	return false
}

// keyBySample returns inputs whose records are keyed "ID #s" (see the decisions),
// or inputs itself when no input has repeated samples. The files are copies.
func keyBySample(inputs []Input) []Input {
	if !isRepeated(inputs) {
		return inputs
	}
	out := make([]Input, len(inputs))
	for i, in := range inputs {
		f := *in.File
		f.Items = slices.Clone(f.Items)
		for j := range f.Items {
			f.Items[j].ID += sampleSep + strconv.Itoa(f.Items[j].SampleIndex())
		}
		out[i] = Input{Path: in.Path, File: &f}
	}
	return out
}

// rates is one input's items: id to the item's samples.
type rates map[string]result.ItemSamples

func ratesOf(f *result.File) rates {
	out := rates{}
	for _, g := range result.GroupByItem(f.Items) {
		out[g.ID] = g
	}
	return out
}

// repeatedStats replaces, when some input has repeated samples, the per-sample
// figures Build made with the per-item ones (see the decisions); inputs are the
// files as read.
func (c *Comparison) repeatedStats(inputs []Input, ref int) {
	if !isRepeated(inputs) {
		return
	}
	all := make([]rates, len(inputs))
	samples := make([]int, len(inputs))
	for i, in := range inputs {
		all[i] = ratesOf(in.File)
		samples[i] = result.MaxSamples(result.GroupByItem(in.File.Items))
	}
	for i, in := range inputs {
		v := &c.Variants[i]
		s := result.Summarize(in.File.Items)
		if s.AvgAtN != nil {
			v.Repeated = &Repeated{Samples: s.Samples, AvgAtN: *s.AvgAtN, PassAtK: s.PassAtK, MajAtN: *s.MajAtN}
			v.Score.Accuracy, v.Score.Lo, v.Score.Hi = s.AvgAtN.Value, s.AvgAtN.Lo, s.AvgAtN.Hi
		}
		if i != ref && samples[i] != samples[ref] {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %d samples per item, reference %s has %d", v.Label, samples[i], c.Variants[ref].Label, samples[ref]))
		}
	}
	n := max(samples[ref], 1)
	all1 := func(*result.ItemSamples) bool { return true }
	for i := range c.Variants {
		v := &c.Variants[i]
		if i == ref {
			continue
		}
		p, lost, gained := c.pairRates(all[ref], all[i], inputs[i].File, n, result.Primary, all1)
		v.VsRef.Paired = *p
		v.VsRef.LostIDs, v.VsRef.GainedIDs = lost, gained
		for m := range v.Metrics {
			name := v.Metrics[m].Name
			ok := func(r *result.Record) (bool, bool) { s, has := r.Scores[name]; return s, has }
			v.Metrics[m].VsRef, _, _ = c.pairRates(all[ref], all[i], inputs[i].File, n, ok, all1)
		}
	}
	for _, group := range []struct {
		slices []Slice
		key    func(*result.Record) string
	}{
		{c.ByType, func(r *result.Record) string { return r.Type }},
		{c.ByCategory, func(r *result.Record) string { return r.Category }},
	} {
		for _, s := range group.slices {
			// The slice is the reference's, as for one sample.
			in := func(g *result.ItemSamples) bool { return group.key(g.Records[0]) == s.Key }
			for i := range s.Rows {
				if i != ref {
					s.Rows[i].VsRef, _, _ = c.pairRates(all[ref], all[i], inputs[i].File, n, result.Primary, in)
				}
			}
		}
	}
}

// pairRates is the paired comparison of the variant's per-item rates (scored by ok)
// with the reference's, over the items both have that keep says to, in the
// variant's order; and the ids of the items whose rate fell and rose.
func (c *Comparison) pairRates(refRates, varRates rates, vf *result.File, samples int, ok func(*result.Record) (bool, bool), keep func(*result.ItemSamples) bool) (p *Paired, lost, gained []string) {
	var d []float64
	p = &Paired{Test: TestSignFlip}
	lost, gained = []string{}, []string{}
	for _, g := range result.GroupByItem(vf.Items) {
		rg, has := refRates[g.ID]
		if !has || !keep(&rg) {
			continue
		}
		vg := varRates[g.ID]
		vc, vn := vg.Count(ok)
		rc, rn := rg.Count(ok)
		if vn == 0 || rn == 0 {
			continue
		}
		p.Common++
		p.OK += vc
		p.RefOK += rc
		x := float64(vc)/float64(vn) - float64(rc)/float64(rn)
		d = append(d, x)
		switch {
		case x < 0:
			lost = append(lost, g.ID)
		case x > 0:
			gained = append(gained, g.ID)
		}
	}
	p.Lost, p.Gained = len(lost), len(gained)
	iv := stats.PairedBootstrap(d, stats.BootstrapResamples, stats.RandomSeed, Confidence)
	p.Diff, p.DiffLo, p.DiffHi = iv.Center, iv.Lo, iv.Hi
	p.P = stats.SignFlipP(d, stats.SignFlipResamples, stats.RandomSeed)
	p.MDD = stats.PairedMDD(p.Common, samples, stats.SD(d), c.Alpha, c.Power)
	p.Significant = p.P < c.Alpha && p.Common >= MinCommon
	switch {
	case p.Common < MinCommon: // as for one sample: no verdict on so few items
		p.Verdict = VerdictTooFew
	case !p.Significant:
		p.Verdict = VerdictSame
	case p.Diff > 0:
		p.Verdict = VerdictHigher
	default:
		p.Verdict = VerdictLower
	}
	return p, lost, gained
}

// repeated reports whether the comparison was made on per-item pass rates.
func (c *Comparison) repeated() bool {
	for i := range c.Variants {
		if c.Variants[i].Repeated != nil {
			return true
		}
	}
	return false
}

// verdictsKey and sigfootKey name the test the verdicts and the slices' stars use.
func (c *Comparison) verdictsKey() string {
	if c.repeated() {
		return "verdictsrep"
	}
	return "verdicts"
}

func (c *Comparison) sigfootKey() string {
	if c.repeated() {
		return "sigfootrep"
	}
	return "sigfoot"
}

// chartTerms name the chart's interval and test (its labels are English only).
func (c *Comparison) chartTerms() [2]string {
	if c.repeated() {
		return [2]string{"avg@n t", "paired sign-flip test on per-item pass rates"}
	}
	return [2]string{"Wilson", "exact McNemar"}
}

// passKs are the k of pass@k some variant has, in order.
func (c *Comparison) passKs() []int {
	var ks []int
	for i := range c.Variants {
		if r := c.Variants[i].Repeated; r != nil {
			for k := range r.PassAtK {
				if n, err := strconv.Atoi(k); err == nil && !slices.Contains(ks, n) {
					ks = append(ks, n)
				}
			}
		}
	}
	slices.Sort(ks)
	return ks
}

// repeatedTable is the "Repeated samples" table, one row per variant, or nil when
// no variant has repeated samples. Labels are the first column, unescaped.
func (c *Comparison) repeatedTable() *textTable {
	if !c.repeated() {
		return nil
	}
	ks := c.passKs()
	t := &textTable{Left: 1, Head: []string{c.T("precision"), c.T("samples"), "avg@n", c.T("ci")}}
	for _, k := range ks {
		t.Head = append(t.Head, "pass@"+strconv.Itoa(k))
	}
	t.Head = append(t.Head, "maj@n", c.Tf("diff", c.Reference), c.T("diffci"), "p")
	for i := range c.Variants {
		v := &c.Variants[i]
		row := []string{c.RefLabel(v)}
		if r := v.Repeated; r != nil {
			row = append(row, strconv.Itoa(r.Samples), FormatAcc(r.AvgAtN.Value), formatCI(r.AvgAtN.Lo, r.AvgAtN.Hi))
			for _, k := range ks {
				if x, has := r.PassAtK[strconv.Itoa(k)]; has {
					row = append(row, FormatAcc(x))
				} else {
					row = append(row, "–")
				}
			}
			row = append(row, FormatAcc(r.MajAtN))
		} else {
			row = append(row, "1", FormatAcc(v.Score.Accuracy), formatCI(v.Score.Lo, v.Score.Hi))
			for range ks {
				row = append(row, "–")
			}
			row = append(row, "–")
		}
		if p := v.VsRef; p != nil {
			row = append(row, FormatPoints(p.Diff), "["+FormatPoints(p.DiffLo)+", "+FormatPoints(p.DiffHi)+"]", FormatP(p.P))
		} else {
			row = append(row, "", "", "")
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = []string{c.T("repnote")}
	return t
}

// csvRepeated are the CSV rows of repeated samples: scopes avg_at_n (with the
// paired difference), pass_at_k (slice k) and maj_at_n.
func (c *Comparison) csvRepeated() [][]string {
	var rows [][]string
	for i := range c.Variants {
		v := &c.Variants[i]
		r := v.Repeated
		if r == nil {
			continue
		}
		var vs *Paired
		if v.VsRef != nil {
			vs = &v.VsRef.Paired
		}
		row := csvRow("avg_at_n", strconv.Itoa(r.Samples), v, nil, vs, &r.AvgAtN.Value)
		row[colIndex("lo")], row[colIndex("hi")] = num(r.AvgAtN.Lo), num(r.AvgAtN.Hi)
		row[colIndex("count")] = strconv.Itoa(r.AvgAtN.Items)
		rows = append(rows, row)
		for _, k := range c.passKs() {
			if x, has := r.PassAtK[strconv.Itoa(k)]; has {
				rows = append(rows, csvRow("pass_at_k", strconv.Itoa(k), v, nil, nil, &x))
			}
		}
		rows = append(rows, csvRow("maj_at_n", strconv.Itoa(r.Samples), v, nil, nil, &r.MajAtN))
	}
	return rows
}
