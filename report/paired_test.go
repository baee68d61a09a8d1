package report

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/stats"
)

// repeatedFixture is 24 items of 4 samples each. Item i of the reference has
// right(i) = i mod 5 right samples (sample s right when s < right(i)); "LOW" has one
// right sample fewer on the items where the reference has one or more (19 items
// lower by 1/4); "SAME" has the reference's rates, with other samples right on
// half of the items (no item's rate changes).
func repeatedFixture() []Input {
	const items, n = 24, 4
	mk := func(model string, right func(i int) int, shift bool) Input {
		seed := int64(7)
		f := &result.File{Schema: result.Schema, Complete: true, Model: model,
			Evalset: result.Evalset{Name: "reasoning_v1", SHA256: "feed", Count: items},
			Params:  result.Params{Temperature: 0.6, MaxTokens: 32768, Seed: &seed, Repeats: n}}
		for i := range items {
			typ, cat := "math", "algebra"
			if i%3 == 0 {
				typ, cat = "math", "geometry"
			}
			for s := range n {
				ok := s < right(i)
				if shift && i%2 == 0 {
					ok = n-1-s < right(i) // the same count, on other samples
				}
				ans := fmt.Sprintf("%d", 100+i)
				if !ok {
					ans = fmt.Sprintf("%d", s) // wrong answers differ by sample
				}
				r := result.Record{ID: fmt.Sprintf("p%02d", i), Sample: result.SampleNo(s), Type: typ, Category: cat, Prompt: fmt.Sprintf("problem %d", i),
					Expected: fmt.Sprintf("%d", 100+i), Output: "\\boxed{" + ans + "}", Extracted: ans, OK: ok,
					FinishReason: "stop", Usage: result.Usage{CompletionTokens: 100 + s}, LatencyMS: 1000}
				f.Items = append(f.Items, r)
			}
		}
		f.Summary = result.Summarize(f.Items)
		return Input{Path: model + ".json", File: f}
	}
	ref := func(i int) int { return i % 5 }
	return []Input{
		mk("low", func(i int) int { return max(0, ref(i)-1) }, false),
		mk("same", ref, true),
		mk("ref", ref, false),
	}
}

func TestRepeatedComparison(t *testing.T) {
	c, err := Build(repeatedFixture(), Options{Labels: []string{"LOW", "SAME", "REF"}})
	if err != nil {
		t.Fatal(err)
	}
	low, same, ref := &c.Variants[0], &c.Variants[1], &c.Variants[2]
	// Rates per item cycle 0, 1/4, 2/4, 3/4, 1 (24 items: 5 cycles minus the last 1):
	// sum of right samples = 4·(0+1+2+3+4) + 0+1+2+3 = 46 of 96.
	if r := ref.Repeated; r == nil || r.Samples != 4 || math.Abs(r.AvgAtN.Value-46.0/96) > 1e-12 || ref.Score.Accuracy != r.AvgAtN.Value {
		t.Fatalf("reference repeated %+v score %+v", ref.Repeated, ref.Score)
	}
	// LOW: 19 items (right >= 1) each lower by 1/4: Diff = -19/96; all 19
	// differences the same sign: the sign-flip test is exact (<= 20), p = 2/2^19.
	p := low.VsRef
	if p.Test != TestSignFlip || p.Common != 24 || p.Lost != 19 || p.Gained != 0 || math.Abs(p.Diff+19.0/96) > 1e-12 {
		t.Fatalf("LOW vs REF %+v", p.Paired)
	}
	if p.P != 2.0/(1<<19) || p.Verdict != VerdictLower || p.DiffLo > p.Diff || p.DiffHi < p.Diff || p.DiffHi >= 0 {
		t.Errorf("LOW: p %v verdict %s interval [%v, %v]", p.P, p.Verdict, p.DiffLo, p.DiffHi)
	}
	// SAME: no item's rate changes: p = 1, the interval is [0, 0], no verdict.
	if q := same.VsRef; q.P != 1 || q.Diff != 0 || q.DiffLo != 0 || q.DiffHi != 0 || q.Verdict != VerdictSame || q.Lost+q.Gained != 0 {
		t.Errorf("SAME vs REF %+v", q.Paired)
	}
	// The per-sample agreement of SAME is below 1: its right samples moved.
	if same.VsRef.Agreement >= 1 {
		t.Errorf("SAME agreement %v, want below 1", same.VsRef.Agreement)
	}
	// The slices are paired on rates too.
	for _, s := range c.ByCategory {
		if r := s.Rows[0].VsRef; r == nil || r.Test != TestSignFlip {
			t.Errorf("slice %s: %+v", s.Key, r)
		}
	}
	// The verdict keeps its words; the title names the test.
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"LOW vs REF: significantly lower (p < 0.001); -19.8 points over 24 items; 19 lost",
		"paired sign-flip permutation test on per-item pass rates",
		"**Repeated samples**",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	var csvOut, jsonOut, htmlOut bytes.Buffer
	if err := c.CSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(&jsonOut); err != nil {
		t.Fatal(err)
	}
	if err := c.HTML(&htmlOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(htmlOut.String(), `<section id="repeated">`) || !strings.Contains(htmlOut.String(), "pass@4") {
		t.Error("HTML has no table of repeated samples")
	}
	golden.Check(t, filepath.Join("testdata", "repeated.md"), md.Bytes())
	golden.Check(t, filepath.Join("testdata", "repeated.csv"), csvOut.Bytes())
	golden.Check(t, filepath.Join("testdata", "repeated.json"), jsonOut.Bytes())
}

// The same comparison is the same report every time: the resampling is seeded.
func TestRepeatedReproducible(t *testing.T) {
	a, _ := Build(repeatedFixture(), Options{})
	b, _ := Build(repeatedFixture(), Options{})
	var x, y bytes.Buffer
	a.JSON(&x)
	b.JSON(&y)
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		t.Error("two builds of one comparison differ")
	}
	if stats.BootstrapResamples != 10000 {
		t.Errorf("resamples %d: the README says 10,000", stats.BootstrapResamples)
	}
}

// A reference of one sample against a variant of four: pairs on rates (the
// reference's 0 or 1), and warns that the samples differ.
func TestRepeatedAgainstOneSample(t *testing.T) {
	in := repeatedFixture()
	one := *in[2].File
	one.Items = nil
	one.Params.Repeats = 0
	for _, r := range in[2].File.Items {
		if r.SampleIndex() == 0 {
			r.Sample = nil
			one.Items = append(one.Items, r)
		}
	}
	c, err := Build([]Input{in[0], {Path: "one.json", File: &one}}, Options{Labels: []string{"LOW", "ONE"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Warnings, "LOW: 4 samples per item, reference ONE has 1") {
		t.Errorf("warnings %q", c.Warnings)
	}
	// ONE is right on the 19 items whose reference had a right sample 0; LOW's rates
	// there are (r-1)/4 for r = right(i): mean over items of LOW - ONE.
	p := c.Variants[0].VsRef
	if p.Test != TestSignFlip || p.Common != 24 || c.Variants[1].Repeated != nil {
		t.Fatalf("%+v", p.Paired)
	}
	want := 0.0
	for i := range 24 {
		r := i % 5
		low := float64(max(0, r-1)) / 4
		ref := 0.0
		if r > 0 {
			ref = 1
		}
		want += low - ref
	}
	if want /= 24; math.Abs(p.Diff-want) > 1e-12 || p.Verdict != VerdictLower {
		t.Errorf("diff %v, want %v; verdict %s", p.Diff, want, p.Verdict)
	}
}
