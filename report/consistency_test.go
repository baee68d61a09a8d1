package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/result"
)

// writeLogprobs writes a side file of one item per id, each of the given tokens,
// every position's top-2 list the token at probability p and "x" at 1-p-0.05.
func writeLogprobs(t *testing.T, path string, p float64, ids []string, tokens ...string) {
	t.Helper()
	var b bytes.Buffer
	for _, id := range ids {
		it := result.ItemLogprobs{ID: id}
		for _, tok := range tokens {
			it.Tokens = append(it.Tokens, result.TokenLogprob{Token: tok, Logprob: math.Log(p),
				Top: []result.TopLogprob{{Token: tok, Logprob: math.Log(p)}, {Token: "x", Logprob: math.Log(1 - p - 0.05)}}})
		}
		line, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sideFixture is the report fixture with log-probabilities: the reference and a copy
// of it ("same") with the same side file content, and "low" whose side file is named
// but is missing, or unreadable when bad is set. Every item's output is the two
// tokens "ye" "s" in the side files; only the text of the outputs decides identity.
func sideFixture(t *testing.T, bad bool) []Input {
	t.Helper()
	dir := t.TempDir()
	ins := fixture()
	ref := ins[2].File
	var ids []string
	for _, r := range ref.Items {
		ids = append(ids, r.ID)
	}
	same := *ref
	same.Model = "org/Model-F16"
	same.Items = slices.Clone(ref.Items)
	ref.Logprobs, same.Logprobs = "ref.logprobs.jsonl", "same.logprobs.jsonl"
	writeLogprobs(t, filepath.Join(dir, ref.Logprobs), 0.9, ids, "ye", "s")
	writeLogprobs(t, filepath.Join(dir, same.Logprobs), 0.9, ids, "ye", "s")
	low := ins[0]
	low.File.Logprobs = "low.logprobs.jsonl"
	if bad {
		if err := os.WriteFile(filepath.Join(dir, low.File.Logprobs), []byte("{\"id\": \"i01\"}\nnot json\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []Input{
		{Path: filepath.Join(dir, "low.json"), File: low.File},
		{Path: filepath.Join(dir, "same.json"), File: &same},
		{Path: filepath.Join(dir, "ref.json"), File: ref},
	}
}

func TestConsistencyIdenticalVariant(t *testing.T) {
	c, err := Build(sideFixture(t, false), Options{Labels: []string{"NVFP4", "F16", "BF16"}})
	if err != nil {
		t.Fatal(err)
	}
	m := c.Variants[1].VsRef.Consistency
	if m == nil {
		t.Fatal("no consistency figures for the identical variant")
	}
	// 20 items of 2 tokens each, every one the same: 100%, 40 positions, KL exactly 0.
	if m.Items != 20 || m.IdenticalShare != 1 || m.FirstDivergence.Items != 0 || m.TokenItems != 20 || *m.MeanPrefixTokens != 2 {
		t.Errorf("identical variant: %+v", m)
	}
	if k := m.KL; k == nil || k.Positions != 40 || k.Mean != 0 || k.P95 != 0 || k.Max != 0 || k.Top1Agreement != 1 {
		t.Errorf("identical variant: KL %+v, want 40 positions, all 0, top-1 agreement 1", m.KL)
	}
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	// Outputs "yes" (16) and "no" (4): mean prefix (16·3 + 4·2)/20 = 2.8 chars.
	for _, want := range []string{
		"**Consistency with the reference (BF16)**",
		"| precision | identical outputs | common prefix, mean (chars) | common prefix, mean (tokens) | first divergence, median (chars) | first divergence, median (tokens) | KL mean (nats) | KL P95 (nats) | top-1 agreement (positions) |",
		"| F16 | 1.000 (20/20) | 2.8 | 2.0 | – | – | 0 | 0 | 1.000 (40/40) |",
		"KL(reference ‖ variant)",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	// The consistency table comes after the verdicts and before the diagnostics.
	if v, k, e := strings.Index(md.String(), "**Verdicts"), strings.Index(md.String(), "**Consistency"), strings.Index(md.String(), "**What may"); !(v < k && k < e) {
		t.Errorf("consistency section out of place: verdicts %d, consistency %d, explain %d", v, k, e)
	}
}

func TestConsistencySideFileWarnings(t *testing.T) {
	for _, tt := range []struct {
		name string
		bad  bool
		want string
	}{
		{"missing", false, `NVFP4: log-probabilities not read, so no token or KL figures: %DIR%/low.json: field "logprobs_file": open %DIR%/low.logprobs.jsonl: no such file or directory`},
		{"unreadable", true, `NVFP4: log-probabilities not read, so no token or KL figures: %DIR%/low.json: field "logprobs_file": %DIR%/low.logprobs.jsonl:2: invalid character`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ins := sideFixture(t, tt.bad)
			c, err := Build(ins, Options{Labels: []string{"NVFP4", "F16", "BF16"}})
			if err != nil {
				t.Fatalf("a side file is not an input error: %v", err)
			}
			want := strings.ReplaceAll(tt.want, "%DIR%", filepath.Dir(ins[0].Path))
			var found []string
			for _, w := range c.Warnings {
				if strings.Contains(w, "log-probabilities") {
					found = append(found, w)
				}
			}
			if len(found) != 1 || !strings.HasPrefix(found[0], want) {
				t.Errorf("warnings %q, want one starting %q", found, want)
			}
			// The rest is still measured: low's outputs differ on its 8 losses and
			// the <script> reply (i11), all from the first character.
			m := c.Variants[0].VsRef.Consistency
			if m == nil || m.Items != 20 || m.Identical != 11 || m.KL != nil || m.TokenItems != 0 || m.FirstDivergence.MedianChars != 0 {
				t.Fatalf("low without a side file: %+v", m)
			}
			var md bytes.Buffer
			if err := c.Markdown(&md); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md.String(), "| NVFP4 | 0.550 (11/20) | 1.6 | – | 0 | – | – | – | – |") {
				t.Errorf("Markdown row of low:\n%s", md.String())
			}
		})
	}
}

func TestConsistencyWithoutSideFiles(t *testing.T) {
	c := build(t, Options{})
	low, near := c.Variants[0].VsRef.Consistency, c.Variants[1].VsRef.Consistency
	// near differs from the reference on its 3 flips (i01, i17, i18) of 19 common;
	// the mean prefix is the 15 other "yes" and one "no": (15·3 + 2)/19 = 2.47 chars.
	if low == nil || near == nil || low.Identical != 11 || near.Items != 19 || near.Missing != 1 || near.Identical != 16 || near.KL != nil {
		t.Fatalf("consistency: low %+v near %+v", low, near)
	}
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	// Without token data, neither token nor KL columns.
	for _, want := range []string{
		"| precision | identical outputs | common prefix, mean (chars) | first divergence, median (chars) |\n| --- | ---: | ---: | ---: |\n",
		"| Model-FP8 | 0.842 (16/19) | 2.5 | 0 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "KL") {
		t.Error("KL mentioned without log-probabilities")
	}

	rows := csvRows(t, c)
	var cons [][]string
	for _, r := range rows {
		if r[0] == "consistency" {
			cons = append(cons, r)
		}
	}
	if len(cons) != 2 || cons[1][colIndex("label")] != "Model-FP8" || cons[1][colIndex("compared")] != "19" ||
		cons[1][colIndex("identical_share")] != "0.842105" || cons[1][colIndex("kl_mean")] != "" {
		t.Errorf("consistency rows = %q", cons)
	}

	var j bytes.Buffer
	if err := c.JSON(&j); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Variants []struct {
			VsRef *struct {
				Consistency *struct {
					Identical int             `json:"identical"`
					KL        json.RawMessage `json:"kl"`
				} `json:"consistency"`
			} `json:"vs_ref"`
		}
	}
	if err := json.Unmarshal(j.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if cs := got.Variants[1].VsRef.Consistency; cs == nil || cs.Identical != 16 || cs.KL != nil {
		t.Errorf("JSON consistency of near = %+v", cs)
	}

	var h bytes.Buffer
	if err := c.HTML(&h); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	for _, want := range []string{`<section id="consistency">`, `<td class="num">0.842 (16/19)</td>`, "same output as the reference", "departs from the reference after 0 characters"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestConsistencySingleVariant(t *testing.T) {
	// A lone result has nothing to be consistent with, and its side file is not read.
	ins := sideFixture(t, false)[2:]
	ins[0].File.Logprobs = "gone.jsonl"
	c, err := Build(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "Consistency") || len(c.Warnings) != 0 {
		t.Errorf("single variant: warnings %q\n%s", c.Warnings, md.String())
	}
}
