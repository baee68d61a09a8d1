package report

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/quanteval/quanteval/loadgen"
)

// The speed section: what each precision buys. Bench results (quanteval/bench/v1,
// from `quanteval bench` or a matrix plan's bench block) are matched to the
// variants and held against the reference's, level by level.
//
// Decisions:
//   - A bench is matched to a variant by its deployment's variant name (a matrix
//     writes it) equal to the variant's label, else by the bench's model equal to
//     the variant's model; a bench that matches nothing, or a second one for the
//     same variant, is a warning.
//   - Levels are the closed-loop concurrencies; Poisson (rate) levels and
//     incomplete levels are left out, with a note. Repeats of a level give the
//     spread (mean, min, max, sample standard deviation); ratios are of the means.
//   - The level of the chart and the decision lines is Options.SpeedLevel, by
//     default the highest concurrency every benched variant has.
//   - GPU memory is the peak during the bench when measured, else the memory after
//     load. Cost per million output tokens is cost_per_hour / (output tokens/s x
//     3600) x 1e6 at that level: a server running flat out at that concurrency.

// BenchInput is one bench result file and the deployment a matrix wrote into it.
type BenchInput struct {
	Path       string
	Result     *loadgen.Result
	Deployment *loadgen.Deployment
}

// ReadBench reads bench result files.
func ReadBench(paths []string) ([]BenchInput, error) {
	var out []BenchInput
	for _, p := range paths {
		res, dep, err := loadgen.ReadWithDeployment(p)
		if err != nil {
			return nil, err
		}
		out = append(out, BenchInput{Path: p, Result: res, Deployment: dep})
	}
	return out, nil
}

// Speed is the speed section of a comparison.
type Speed struct {
	Level    int            `json:"level"`  // concurrency of the chart and the decision lines
	Levels   []int          `json:"levels"` // concurrencies every benched variant has
	Variants []SpeedVariant `json:"variants"`
	Notes    []string       `json:"notes,omitempty"`
}

// SpeedVariant is one variant's bench. Figures not measured are nil.
type SpeedVariant struct {
	Label          string            `json:"label"`
	File           string            `json:"file"`
	Reference      bool              `json:"reference"`
	Levels         []SpeedLevel      `json:"levels"`
	LoadSeconds    *float64          `json:"load_s,omitempty"`
	AfterLoadMiB   *int              `json:"gpu_after_load_mib,omitempty"`
	PeakMiB        *int              `json:"gpu_peak_mib,omitempty"`
	MemoryNote     string            `json:"gpu_note,omitempty"`
	CostPerHour    *float64          `json:"cost_per_hour,omitempty"`
	CostPerMillion *float64          `json:"cost_per_million_output_tokens,omitempty"` // at Speed.Level
	Determinism    map[string]string `json:"determinism,omitempty"`
	// MemoryRatio is this variant's GPU memory over the reference's.
	MemoryRatio *float64 `json:"gpu_memory_ratio,omitempty"`
}

// SpeedLevel is one concurrency, over its repeats.
type SpeedLevel struct {
	Concurrency int          `json:"concurrency"`
	Repeats     int          `json:"repeats"`
	OutputTPS   Spread       `json:"output_tokens_per_s"`
	TTFTP50     Spread       `json:"ttft_p50_ms"`
	TTFTP99     Spread       `json:"ttft_p99_ms"`
	TPOTP50     Spread       `json:"tpot_p50_ms"`
	TPOTP99     Spread       `json:"tpot_p99_ms"`
	VsRef       *SpeedRatios `json:"vs_ref,omitempty"`
}

// Spread is a figure over the repeats of a level.
type Spread struct {
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	SD   float64 `json:"sd"` // sample standard deviation; 0 for one repeat
	N    int     `json:"n"`
}

// SpeedRatios are a variant's means over the reference's at one level (0: the
// reference has no such figure).
type SpeedRatios struct {
	OutputTPS float64 `json:"output_tokens_per_s"`
	TTFTP50   float64 `json:"ttft_p50"`
	TTFTP99   float64 `json:"ttft_p99"`
	TPOTP50   float64 `json:"tpot_p50"`
	TPOTP99   float64 `json:"tpot_p99"`
}

func spreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := Spread{N: len(xs), Min: slices.Min(xs), Max: slices.Max(xs)}
	for _, x := range xs {
		s.Mean += x
	}
	s.Mean /= float64(len(xs))
	if len(xs) > 1 {
		ss := 0.0
		for _, x := range xs {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.SD = math.Sqrt(ss / float64(len(xs)-1))
	}
	return s
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// buildSpeed makes the speed section, or nil without bench results; the strings
// are warnings.
func (c *Comparison) buildSpeed(benches []BenchInput, level int) (*Speed, []string) {
	if len(benches) == 0 {
		return nil, nil
	}
	var warn []string
	matched := make([]*BenchInput, len(c.Variants))
	for i := range benches {
		b := &benches[i]
		v := c.matchBench(b)
		switch {
		case v < 0:
			warn = append(warn, fmt.Sprintf("bench %s (model %s) matches no variant: not shown", b.Path, b.Result.Model))
		case matched[v] != nil:
			warn = append(warn, fmt.Sprintf("bench %s: %s has a bench already (%s): not shown", b.Path, c.Variants[v].Label, matched[v].Path))
		default:
			matched[v] = b
		}
	}
	s := &Speed{}
	for i, b := range matched {
		if b == nil {
			continue
		}
		sv, notes := speedVariant(&c.Variants[i], b)
		s.Variants = append(s.Variants, sv)
		s.Notes = append(s.Notes, notes...)
	}
	if len(s.Variants) == 0 {
		return nil, warn
	}
	s.Levels = commonLevels(s.Variants)
	s.Level = level
	if level == 0 && len(s.Levels) > 0 {
		s.Level = s.Levels[len(s.Levels)-1]
	}
	if level != 0 && !slices.Contains(s.Levels, level) {
		warn = append(warn, fmt.Sprintf("speed level %d: not a concurrency every benched variant has (%v)", level, s.Levels))
	}
	c.speedAgainstReference(s)
	return s, warn
}

// matchBench is the index of the variant bench b belongs to, -1 for none.
func (c *Comparison) matchBench(b *BenchInput) int {
	if b.Deployment != nil && b.Deployment.Variant != "" {
		for i := range c.Variants {
			if c.Variants[i].Label == b.Deployment.Variant {
				return i
			}
		}
	}
	for i := range c.Variants {
		if c.Variants[i].Model == b.Result.Model {
			return i
		}
	}
	return -1
}

// speedVariant gathers one variant's levels and deployment.
func speedVariant(v *Variant, b *BenchInput) (SpeedVariant, []string) {
	sv := SpeedVariant{Label: v.Label, File: b.Path, Reference: v.Reference}
	var notes []string
	type acc struct{ tps, t50, t99, p50, p99 []float64 }
	by := map[int]*acc{}
	skipped := 0
	for _, lr := range b.Result.Levels {
		if lr.Level.Rate > 0 || !lr.Complete || lr.Stats.Completed == 0 {
			skipped++
			continue
		}
		a := by[lr.Level.Concurrency]
		if a == nil {
			a = &acc{}
			by[lr.Level.Concurrency] = a
		}
		st := lr.Stats
		a.tps = append(a.tps, st.OutputThroughput)
		a.t50, a.t99 = append(a.t50, st.TTFT.Median), append(a.t99, st.TTFT.P99)
		a.p50, a.p99 = append(a.p50, st.TPOT.Median), append(a.p99, st.TPOT.P99)
	}
	if skipped > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d bench levels left out (by rate, incomplete, or nothing answered)", v.Label, skipped))
	}
	conc := make([]int, 0, len(by))
	for k := range by {
		conc = append(conc, k)
	}
	sort.Ints(conc)
	for _, k := range conc {
		a := by[k]
		sv.Levels = append(sv.Levels, SpeedLevel{Concurrency: k, Repeats: len(a.tps), OutputTPS: spreadOf(a.tps),
			TTFTP50: spreadOf(a.t50), TTFTP99: spreadOf(a.t99), TPOTP50: spreadOf(a.p50), TPOTP99: spreadOf(a.p99)})
	}
	if d := b.Deployment; d != nil {
		if d.LoadSeconds > 0 {
			sv.LoadSeconds = &d.LoadSeconds
		}
		if d.CostPerHour > 0 {
			sv.CostPerHour = &d.CostPerHour
		}
		if m := d.Memory; m != nil {
			if m.Known() {
				after, peak := m.AfterLoadMiB, m.PeakMiB
				sv.AfterLoadMiB, sv.PeakMiB = &after, &peak
			} else {
				sv.MemoryNote = m.Note
			}
		}
		sv.Determinism = d.Determinism
	}
	return sv, notes
}

// commonLevels are the concurrencies every variant has, ascending.
func commonLevels(vs []SpeedVariant) []int {
	count := map[int]int{}
	for _, v := range vs {
		for _, l := range v.Levels {
			count[l.Concurrency]++
		}
	}
	var out []int
	for k, n := range count {
		if n == len(vs) {
			out = append(out, k)
		}
	}
	sort.Ints(out)
	return out
}

// At is the variant's figures at concurrency k, nil when it has none.
func (sv *SpeedVariant) At(k int) *SpeedLevel {
	for i := range sv.Levels {
		if sv.Levels[i].Concurrency == k {
			return &sv.Levels[i]
		}
	}
	return nil
}

// MemoryMiB is the GPU memory shown: the peak during the bench, else after load.
func (sv *SpeedVariant) MemoryMiB() *int {
	if sv.PeakMiB != nil && *sv.PeakMiB > 0 {
		return sv.PeakMiB
	}
	return sv.AfterLoadMiB
}

// speedAgainstReference fills the ratios to the reference, the memory ratio and
// the cost per million output tokens.
func (c *Comparison) speedAgainstReference(s *Speed) {
	var ref *SpeedVariant
	for i := range s.Variants {
		if s.Variants[i].Reference {
			ref = &s.Variants[i]
		}
	}
	for i := range s.Variants {
		sv := &s.Variants[i]
		if l := sv.At(s.Level); l != nil && sv.CostPerHour != nil && l.OutputTPS.Mean > 0 {
			cpm := *sv.CostPerHour / (l.OutputTPS.Mean * 3600) * 1e6
			sv.CostPerMillion = &cpm
		}
		if ref == nil || sv.Reference {
			continue
		}
		if m, rm := sv.MemoryMiB(), ref.MemoryMiB(); m != nil && rm != nil && *rm > 0 {
			r := float64(*m) / float64(*rm)
			sv.MemoryRatio = &r
		}
		for j := range sv.Levels {
			l := &sv.Levels[j]
			rl := ref.At(l.Concurrency)
			if rl == nil {
				continue
			}
			l.VsRef = &SpeedRatios{OutputTPS: ratio(l.OutputTPS.Mean, rl.OutputTPS.Mean),
				TTFTP50: ratio(l.TTFTP50.Mean, rl.TTFTP50.Mean), TTFTP99: ratio(l.TTFTP99.Mean, rl.TTFTP99.Mean),
				TPOTP50: ratio(l.TPOTP50.Mean, rl.TPOTP50.Mean), TPOTP99: ratio(l.TPOTP99.Mean, rl.TPOTP99.Mean)}
		}
	}
	if ref == nil {
		s.Notes = append(s.Notes, fmt.Sprintf("the reference %s has no bench: no ratios", c.Reference))
	}
}
