package report

import (
	"fmt"
	"math"
	"strings"
)

// The decision line of a variant puts its accuracy change beside what it buys:
// "NVFP4: -0.6 points (not significant; this set detects 3.1 or more), 1.9x output
// tokens/s at concurrency 64, -45% GPU memory". And the noise floor: how much the
// reference disagrees with itself when run again with the same settings, the
// measure of what a variant's flips must exceed before they mean anything.
//
// Decisions:
//   - The floor is the most flips between the reference's first run and any of its
//     further runs, over the items both have, as a share of those items. A variant
//     exceeds the floor when its share of flips against the reference is larger.
//     This is a description, not a test: with one repeat the floor is itself one
//     noisy draw, which the report says.

// NoiseFloor is the reference against its own further runs.
type NoiseFloor struct {
	Runs     int          `json:"runs"` // of the reference, the first included
	Pairs    []FloorPair  `json:"pairs"`
	Flips    int          `json:"flips"` // the most of Pairs
	Common   int          `json:"common"`
	Share    float64      `json:"share"` // Flips / Common
	Variants []FloorCheck `json:"variants"`
}

// FloorPair is the reference's first run against a further one.
type FloorPair struct {
	File   string `json:"file"`
	Common int    `json:"common"`
	Flips  int    `json:"flips"`
}

// FloorCheck is a variant's flips against the floor.
type FloorCheck struct {
	Label   string  `json:"label"`
	Flips   int     `json:"flips"`
	Common  int     `json:"common"`
	Share   float64 `json:"share"`
	Exceeds bool    `json:"exceeds"`
}

// buildNoiseFloor compares the reference with its repeats; nil without repeats.
func (c *Comparison) buildNoiseFloor(ref Input, repeats []Input) (*NoiseFloor, []string) {
	if len(repeats) == 0 {
		return nil, nil
	}
	var warn []string
	nf := &NoiseFloor{Runs: 1 + len(repeats)}
	refByID := indexByID([]Input{ref})[0]
	for _, rp := range repeats {
		if rp.File.Evalset.SHA256 != ref.File.Evalset.SHA256 {
			warn = append(warn, fmt.Sprintf("reference repeat %s: another eval set (sha256 %s); left out of the noise floor", rp.Path, rp.File.Evalset.SHA256))
			continue
		}
		p := FloorPair{File: rp.Path}
		for _, r := range rp.File.Items {
			if rr, ok := refByID[r.ID]; ok {
				p.Common++
				if rr.OK != r.OK {
					p.Flips++
				}
			}
		}
		nf.Pairs = append(nf.Pairs, p)
		if p.Common > 0 && (nf.Common == 0 || float64(p.Flips)/float64(p.Common) > nf.Share) {
			nf.Flips, nf.Common, nf.Share = p.Flips, p.Common, float64(p.Flips)/float64(p.Common)
		}
	}
	if len(nf.Pairs) == 0 {
		return nil, warn
	}
	for i := range c.Variants {
		v := &c.Variants[i]
		if v.VsRef == nil {
			continue
		}
		fc := FloorCheck{Label: v.Label, Flips: v.VsRef.Lost + v.VsRef.Gained, Common: v.VsRef.Common}
		if fc.Common > 0 {
			fc.Share = float64(fc.Flips) / float64(fc.Common)
		}
		fc.Exceeds = fc.Share > nf.Share
		nf.Variants = append(nf.Variants, fc)
	}
	return nf, warn
}

// floorLines are the noise floor as sentences: the floor, then one per variant.
func (c *Comparison) floorLines(esc func(string) string) []string {
	nf := c.NoiseFloor
	if nf == nil {
		return nil
	}
	oneDraw := ""
	if nf.Runs == 2 {
		oneDraw = c.T("fl_onedraw")
	}
	lines := []string{c.Tf("fl_floor", esc(c.Reference), nf.Runs, nf.Flips, nf.Common, pct(nf.Share), oneDraw)}
	for _, fc := range nf.Variants {
		verdict := c.T("fl_within")
		if fc.Exceeds {
			verdict = c.T("fl_above")
		}
		lines = append(lines, c.Tf("fl_variant", esc(fc.Label), fc.Flips, plural(fc.Flips, c.T("fl_flip"), c.T("fl_flips")), fc.Common, pct(fc.Share), verdict))
	}
	return lines
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// DecisionLine is variant v's accuracy change beside its speed, memory and cost
// against the reference; "" for the reference or without a speed section.
func (c *Comparison) DecisionLine(v *Variant) string {
	return c.decisionLine(v, func(s string) string { return s })
}

func (c *Comparison) decisionLine(v *Variant, esc func(string) string) string {
	if v.VsRef == nil || c.Speed == nil {
		return ""
	}
	p := v.VsRef.Paired
	var acc string
	if p.Significant {
		acc = c.Tf("sp_sig", FormatPoints(p.Diff), map[bool]string{true: c.T("sp_sighigher"), false: c.T("sp_siglower")}[p.Verdict == VerdictHigher], PEquals(p.P))
	} else {
		acc = c.Tf("sp_notsig", FormatPoints(p.Diff), p.MDD*100)
	}
	parts := []string{acc}
	if sv := c.Speed.variant(v.Label); sv != nil {
		if l := sv.At(c.Speed.Level); l != nil && l.VsRef != nil && l.VsRef.OutputTPS > 0 {
			parts = append(parts, c.Tf("sp_tpsat", formatRatio(l.VsRef.OutputTPS), c.Speed.Level))
		} else {
			parts = append(parts, c.Tf("sp_notps", c.Speed.Level))
		}
		if sv.MemoryRatio != nil {
			parts = append(parts, c.Tf("sp_gpumem", signedPct(*sv.MemoryRatio-1)))
		}
		if sv.CostPerMillion != nil {
			parts = append(parts, c.Tf("sp_permil", *sv.CostPerMillion))
		}
	} else {
		parts = append(parts, c.T("sp_nobench"))
	}
	if nf := c.NoiseFloor; nf != nil {
		for _, fc := range nf.Variants {
			if fc.Label == v.Label {
				parts = append(parts, map[bool]string{true: c.T("sp_flipsabove"), false: c.T("sp_flipswithi")}[fc.Exceeds])
			}
		}
	}
	return esc(v.Label) + c.T("sp_labelsep") + strings.Join(parts, c.T("sp_join"))
}

func (s *Speed) variant(label string) *SpeedVariant {
	for i := range s.Variants {
		if s.Variants[i].Label == label {
			return &s.Variants[i]
		}
	}
	return nil
}

// formatRatio is "1.9x", "0.55x" or "12x".
func formatRatio(r float64) string {
	switch {
	case r >= 10:
		return fmt.Sprintf("%.0fx", r)
	case r >= 1:
		return fmt.Sprintf("%.1fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

// signedPct is "-45%" or "+3%".
func signedPct(x float64) string {
	v := math.Round(x * 100)
	if v == 0 {
		return "±0%"
	}
	return fmt.Sprintf("%+.0f%%", v)
}
