package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"image/png"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/result"
)

const pwned = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`

func rec(id, typ, cat string, ok bool) result.Record {
	r := result.Record{ID: id, Type: typ, Category: cat, Prompt: "prompt " + id, Expected: "yes", Output: "no", Extracted: "no",
		OK: ok, FinishReason: "stop", Usage: result.Usage{CompletionTokens: 10}, LatencyMS: 100}
	if ok {
		r.Output, r.Extracted = "yes", "yes"
	}
	return r
}

func file(model string, recs []result.Record) *result.File {
	return &result.File{
		Schema: result.Schema, Complete: true, Model: model,
		Evalset: result.Evalset{Name: "fixture_v1", SHA256: "abc123", Count: 20},
		Params:  result.Params{Temperature: 0, MaxTokens: 256},
		Items:   recs,
	}
}

// fixture is 20 items; the reference (last) gets 16 right. "low" loses 8 of them
// (p = 2·½^8, significant) and has the script reply; "near" loses 1 and gains 2.
func fixture() []Input {
	var ref, low, near []result.Record
	for i := range 20 {
		id := fmt.Sprintf("i%02d", i+1)
		typ, cat := "number", "math"
		if i%2 == 1 {
			typ, cat = "exact", "words"
		}
		refOK := i < 16
		r := rec(id, typ, cat, refOK)
		r.Scores = map[string]bool{"flexible": refOK}
		ref = append(ref, r)
		l := rec(id, typ, cat, refOK && i >= 8)
		l.Scores = map[string]bool{"flexible": refOK && i >= 4}
		if i == 10 {
			l.Output = "yes " + pwned
		}
		if i == 12 {
			l.FinishReason = "length"
			l.Usage.CompletionTokens = 256
		}
		low = append(low, l)
		n := rec(id, typ, cat, (refOK && i != 0) || i == 16 || i == 17)
		near = append(near, n)
	}
	near = near[:19] // i20 missing
	fNear := file("org/Model-FP8", near)
	seed := int64(7)
	fNear.Params.Seed = &seed
	return []Input{
		{Path: "low.json", File: file("org/Model-NVFP4", low)},
		{Path: "near.json", File: fNear},
		{Path: "ref.json", File: file("org/Model", ref)},
	}
}

func build(t *testing.T, opt Options) *Comparison {
	t.Helper()
	c, err := Build(fixture(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuild(t *testing.T) {
	c := build(t, Options{})
	if got := []string{c.Variants[0].Label, c.Variants[1].Label, c.Variants[2].Label}; !slices.Equal(got, []string{"Model-NVFP4", "Model-FP8", "Model"}) {
		t.Errorf("labels = %v", got)
	}
	if c.Reference != "Model" || !c.Variants[2].Reference || c.Variants[2].VsRef != nil {
		t.Errorf("reference = %q, want the last file", c.Reference)
	}
	low, near, ref := c.Variants[0], c.Variants[1], c.Variants[2]
	if ref.Score.OK != 16 || ref.Score.Count != 20 || low.Score.OK != 8 || near.Score.OK != 17 || near.Score.Count != 19 {
		t.Errorf("scores: ref %+v low %+v near %+v", ref.Score, low.Score, near.Score)
	}
	if p := low.VsRef; p.Lost != 8 || p.Gained != 0 || !p.Significant || p.Verdict != VerdictLower ||
		math.Abs(p.P-2*math.Pow(0.5, 8)) > 1e-12 || p.Diff != -0.4 || p.Common != 20 {
		t.Errorf("low vs ref = %+v", p.Paired)
	}
	if !slices.Equal(low.VsRef.LostIDs, []string{"i01", "i02", "i03", "i04", "i05", "i06", "i07", "i08"}) {
		t.Errorf("lost ids = %v", low.VsRef.LostIDs)
	}
	// near: over the 19 common items, lost i01, gained i17 i18.
	if p := near.VsRef; p.Common != 19 || p.Lost != 1 || p.Gained != 2 || p.Significant || p.Verdict != VerdictSame || p.P != 1 {
		t.Errorf("near vs ref = %+v", p.Paired)
	}
	if !slices.Equal(near.VsRef.GainedIDs, []string{"i17", "i18"}) {
		t.Errorf("gained ids = %v", near.VsRef.GainedIDs)
	}
	// Agreement: same extracted answer on 16 of 19 items (the three flips differ).
	if got := near.VsRef.Agreement; math.Abs(got-16.0/19) > 1e-12 {
		t.Errorf("agreement = %v, want 16/19", got)
	}
	if low.LengthLimited != 1 || low.FinishReasons["length"] != 1 || low.MedianLatencyMS != 100 {
		t.Errorf("low diagnostics = %+v", low)
	}
	if !slices.Equal(c.Metrics, []string{"flexible"}) || low.Metrics[0].Score.OK != 12 || low.Metrics[0].VsRef.Lost != 4 {
		t.Errorf("metrics = %v, low %+v", c.Metrics, low.Metrics)
	}
	if near.Metrics[0].Score.Count != 0 || near.Metrics[0].VsRef.Common != 0 {
		t.Errorf("near has no flexible scores, got %+v", near.Metrics[0])
	}
	// By category: math holds the even items. Reference: 8 of 10 each; macro 0.8.
	if len(c.ByCategory) != 2 || c.ByCategory[0].Key != "math" || c.ByCategory[0].Rows[2].Score.OK != 8 {
		t.Errorf("by category = %+v", c.ByCategory)
	}
	if ref.CategoryMacro == nil || *ref.CategoryMacro != 0.8 {
		t.Errorf("macro = %v", ref.CategoryMacro)
	}
	if len(c.ByType) != 2 || c.ByType[1].Key != "number" {
		t.Errorf("by type = %+v", c.ByType)
	}
	wantWarn := []string{
		"Model-FP8: seed 7, reference Model has none",
		"Model-FP8: 1 of the reference's 20 items missing, 0 not in the reference; compared over the 19 both have",
	}
	if !slices.Equal(c.Warnings, wantWarn) {
		t.Errorf("warnings = %q, want %q", c.Warnings, wantWarn)
	}
	if len(c.Items) != 20 {
		t.Fatalf("items = %d", len(c.Items))
	}
	flips := 0
	for _, it := range c.Items {
		if it.Flip {
			flips++
		}
	}
	// low's 8 losses (i01..i08, i01 also near's) and near's gains i17, i18.
	if flips != 10 || c.Items[19].Cells[1].Present {
		t.Errorf("flips = %d, i20 in near = %v", flips, c.Items[19].Cells[1].Present)
	}
}

// TestAgreement: the agreement counts only items answered without an error on
// both sides, and two empty extractions are no agreement.
func TestAgreement(t *testing.T) {
	type pair struct{ ref, v, refErr, vErr string }
	tests := []struct {
		name  string
		pairs []pair
		want  float64
	}{
		{"same and different", []pair{{"5", "5", "", ""}, {"5", "6", "", ""}}, 0.5},
		{"an error on either side is left out", []pair{{"5", "5", "", ""}, {"5", "", "", "HTTP 500"}, {"", "5", "timeout", ""}}, 1},
		{"both errored is no agreement", []pair{{"5", "6", "", ""}, {"", "", "HTTP 500", "HTTP 500"}, {"", "", "timeout", "timeout"}}, 0},
		{"both empty is no agreement", []pair{{"5", "5", "", ""}, {"", "", "", ""}, {" ", "", "", ""}}, 1.0 / 3},
		{"nothing answered", []pair{{"", "", "x", "y"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ref, v []result.Record
			for i, p := range tt.pairs {
				id := fmt.Sprintf("i%d", i)
				ref = append(ref, result.Record{ID: id, Type: "number", Expected: 5, Extracted: p.ref, OK: p.ref == "5", Error: p.refErr})
				v = append(v, result.Record{ID: id, Type: "number", Expected: 5, Extracted: p.v, OK: p.v == "5", Error: p.vErr})
			}
			c, err := Build([]Input{{Path: "v.json", File: file("org/V", v)}, {Path: "ref.json", File: file("org/Ref", ref)}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Variants[0].VsRef.Agreement; math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("agreement = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBuildOptions(t *testing.T) {
	c := build(t, Options{Labels: []string{"NVFP4", "FP8", "BF16"}, Ref: "FP8", Alpha: 0.01})
	if c.Reference != "FP8" || !c.Variants[1].Reference || c.Variants[2].VsRef == nil || c.Alpha != 0.01 {
		t.Errorf("ref/alpha not applied: %q %v", c.Reference, c.Alpha)
	}
	// Against FP8 over 19 items, BF16 lost i17 i18 and gained i01.
	if p := c.Variants[2].VsRef; p.Lost != 2 || p.Gained != 1 || p.Common != 19 {
		t.Errorf("BF16 vs FP8 = %+v", p.Paired)
	}
}

func TestBuildErrors(t *testing.T) {
	other := fixture()
	other[1].File.Evalset.SHA256 = "fff999"
	other[1].File.Evalset.Name = "other_v1"
	disjoint := fixture()
	for j := range disjoint[0].File.Items {
		disjoint[0].File.Items[j].ID = "other-" + disjoint[0].File.Items[j].ID
	}
	empty := fixture()
	empty[1].File.Items = nil
	tests := []struct {
		name   string
		inputs []Input
		opt    Options
		want   string
	}{
		{"none", nil, Options{}, "no result files"},
		{"no common items", disjoint, Options{}, "no items in common: Model-NVFP4 (low.json, 20 items) and the reference Model (ref.json, 20 items) share no item id"},
		{"no common items, other reference", disjoint, Options{Ref: "Model-FP8"}, "no items in common: Model-NVFP4 (low.json, 20 items) and the reference Model-FP8 (near.json, 19 items)"},
		{"an empty result", empty, Options{}, "no items in common: Model-FP8 (near.json, 0 items)"},
		{"other set", other, Options{}, "results over different eval sets: near.json has other_v1 (sha256 fff999), ref.json has fixture_v1 (sha256 abc123)"},
		{"unknown ref", fixture(), Options{Ref: "FP4"}, `reference "FP4": no such label (labels: Model-NVFP4, Model-FP8, Model)`},
		{"labels count", fixture(), Options{Labels: []string{"a", "b"}}, "2 labels for 3 result files"},
		{"labels twice", fixture(), Options{Labels: []string{"a", "b", "a"}}, `label "a" given twice`},
		{"alpha", fixture(), Options{Alpha: 1.5}, "alpha 1.5"},
		{"alpha NaN", fixture(), Options{Alpha: math.NaN()}, "alpha NaN: want a level between 0 and 1"},
		{"alpha infinite", fixture(), Options{Alpha: math.Inf(1)}, "alpha +Inf"},
		{"power NaN", fixture(), Options{Power: math.NaN()}, "power NaN"},
		{"lang", fixture(), Options{Lang: "fr"}, `language "fr"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.inputs, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTooFewInCommon: below MinCommon items in common the verdict says so instead of
// a p-value verdict, in every renderer; at MinCommon the test speaks again.
func TestTooFewInCommon(t *testing.T) {
	for _, tc := range []struct {
		common int
		want   string // the verdict code
		text   string
	}{
		{4, VerdictTooFew, "only 4 items in common: too few for a verdict"},
		{1, VerdictTooFew, "only 1 item in common: too few for a verdict"},
		{MinCommon - 1, VerdictTooFew, "only 9 items in common: too few for a verdict"},
		{MinCommon, VerdictLower, "significantly lower (p = 0.002)"},
	} {
		t.Run(fmt.Sprint(tc.common), func(t *testing.T) {
			// The reference gets all right; the variant gets every common item wrong,
			// which over 4 items would be "no significant difference (p = 0.12)".
			var ref, low []result.Record
			for i := range 20 {
				ref = append(ref, rec(fmt.Sprintf("i%02d", i), "exact", "", true))
				id := fmt.Sprintf("i%02d", i)
				if i >= tc.common {
					id = fmt.Sprintf("x%02d", i)
				}
				low = append(low, rec(id, "exact", "", false))
			}
			c, err := Build([]Input{{Path: "low.json", File: file("org/M-FP4", low)}, {Path: "ref.json", File: file("org/M", ref)}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := c.Variants[0].VsRef
			if p.Common != tc.common || p.Verdict != tc.want || p.Significant != (tc.want != VerdictTooFew) {
				t.Errorf("common %d verdict %q significant %v; want %d %q", p.Common, p.Verdict, p.Significant, tc.common, tc.want)
			}
			var md, js, cs bytes.Buffer
			if err := errors.Join(c.Markdown(&md), c.JSON(&js), c.CSV(&cs)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md.String(), "M-FP4 vs M: "+tc.text+";") {
				t.Errorf("Markdown verdict: want %q in\n%s", tc.text, md.String())
			}
			if tc.want == VerdictTooFew && (strings.Contains(md.String(), "no significant difference") || strings.Contains(md.String(), "significantly")) {
				t.Errorf("Markdown gives a verdict over %d items:\n%s", tc.common, md.String())
			}
			if !strings.Contains(js.String(), `"verdict": "`+tc.want+`"`) || !strings.Contains(cs.String(), ","+tc.want+",") {
				t.Errorf("JSON or CSV verdict is not %q:\n%s\n%s", tc.want, js.String(), cs.String())
			}
			if got := barColor(&c.Variants[0]); tc.want == VerdictTooFew && got == barColor(&Variant{VsRef: &VsRef{Paired: Paired{Verdict: VerdictLower}}}) {
				t.Error("the chart colours a variant without a verdict as lower")
			}
		})
	}
	c := &Comparison{Lang: "zh"}
	if got := c.VerdictText(&Paired{Common: 3, Verdict: VerdictTooFew}); got != "共同题目仅 3 道：太少，无法得出结论" {
		t.Errorf("zh: %q", got)
	}
}

func TestLabels(t *testing.T) {
	ins := fixture()
	ins[0].File.Model = "org/Model"
	ins[0].Path = "dir/run-a.json"
	ins[1].File.Model = ""
	got, err := makeLabels(ins, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two runs of one model are told apart by file name; no model: the file name.
	if want := []string{"run-a", "near", "ref"}; !slices.Equal(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
}

func TestParamWarnings(t *testing.T) {
	ins := fixture()
	p := &ins[0].File.Params
	p.Temperature, p.MaxTokens, p.System, p.ExtraBody = 0.7, 512, "Be brief.", json.RawMessage(`{"top_k": 20}`)
	ins[2].File.Params.ExtraBody = json.RawMessage(`null`)
	ins[0].File.Params.Stream = true // the others were not streamed
	ins[0].File.Complete = false
	ins[0].File.Items[3].Error = "HTTP 500"
	c, err := Build(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Model-NVFP4: the run is incomplete (20 items of 20)",
		"Model-NVFP4: 1 item failed with an error and count as wrong",
		"Model-NVFP4: temperature 0.7, reference Model has 0",
		"Model-NVFP4: max_tokens 512, reference Model has 256",
		`Model-NVFP4: system message "Be brief.", reference Model has ""`,
		`Model-NVFP4: extra_body {"top_k":20}, reference Model has none`,
		"Model-NVFP4: stream true, reference Model has false",
	} {
		if !slices.Contains(c.Warnings, want) {
			t.Errorf("warnings %q lack %q", c.Warnings, want)
		}
	}
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	// Warnings come above the table.
	if w, tab := strings.Index(md.String(), "max_tokens 512"), strings.Index(md.String(), "| precision |"); w < 0 || w > tab {
		t.Errorf("warning not above the table:\n%s", md.String())
	}
}

func TestMarkdown(t *testing.T) {
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"en", []string{
			"| precision | model | ok / count | accuracy | 95% CI | flexible | Δ vs Model (points) | p | flips (lost/gained) |",
			"| Model-NVFP4 | org/Model-NVFP4 | 8/20 | 0.400 | [0.219, 0.613] | 0.600 (12/20) | -40.0 | 0.008 | 8/0 |",
			"| Model (ref) | org/Model | 16/20 | 0.800 |",
			"Model-NVFP4 vs Model: significantly lower (p = 0.008)",
			"Model-FP8 vs Model: no significant difference (p = 1.00)",
		}},
		{"zh", []string{
			"| 精度 | 模型 | ok / count | accuracy |",
			"显著更低 (p = 0.008)",
			"无显著差异 (p = 1.00)",
			"## 精度：fixture_v1（20 题）",
		}},
	} {
		c := build(t, Options{Lang: tt.lang})
		var b bytes.Buffer
		if err := c.Markdown(&b); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "%!") {
			t.Errorf("%s Markdown has a formatting error:\n%s", tt.lang, b.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s Markdown lacks %q:\n%s", tt.lang, w, b.String())
			}
		}
	}
}

func TestMarkdownSliceSignificance(t *testing.T) {
	// In each category the NVFP4 fixture loses 4 of 10 with no gain: p = 2·½^4 = 0.125,
	// significant at α = 0.2 only.
	for _, tt := range []struct {
		alpha float64
		want  bool
	}{{0.05, false}, {0.2, true}} {
		c := build(t, Options{Alpha: tt.alpha})
		var b bytes.Buffer
		if err := c.Markdown(&b); err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(b.String(), "| math | 0.400 (4/10) \\* |") && strings.Contains(b.String(), "significantly different from Model in this slice")
		if got != tt.want {
			t.Errorf("alpha %v: slice marked significant = %v, want %v:\n%s", tt.alpha, got, tt.want, b.String())
		}
	}
}

func TestMarkdownManyCategories(t *testing.T) {
	ins := fixture()
	for _, in := range ins {
		for i := range in.File.Items {
			in.File.Items[i].Category = fmt.Sprintf("subject_%02d", i)
		}
	}
	c, err := Build(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := c.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "| subject_01 |") || !strings.Contains(b.String(), "20 categories; every one is in the CSV, JSON and HTML reports. Macro average over categories: Model-NVFP4 0.400") {
		t.Errorf("many categories not collapsed:\n%s", b.String())
	}
	var h bytes.Buffer
	if err := c.HTML(&h); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "<td>subject_19</td>") {
		t.Error("HTML lacks a category row")
	}
}

func TestCSV(t *testing.T) {
	c := build(t, Options{})
	rows := csvRows(t, c)
	scopes := map[string]int{}
	for _, r := range rows[1:] {
		if len(r) != len(csvHeader) {
			t.Fatalf("row %v has %d fields", r, len(r))
		}
		scopes[r[0]]++
	}
	// 2 warnings, 3 overall, 3 metric, 2 types × 3, 2 categories × 3, 3 macro.
	want := map[string]int{"warning": 2, "overall": 3, "metric": 3, "type": 6, "category": 6, "category_macro": 3}
	for k, n := range want {
		if scopes[k] != n {
			t.Errorf("scope %s: %d rows, want %d", k, scopes[k], n)
		}
	}
	low := rows[3]
	if low[colIndex("label")] != "Model-NVFP4" || low[colIndex("p")] != "0.007813" || low[colIndex("lost_ids")] != "i01 i02 i03 i04 i05 i06 i07 i08" {
		t.Errorf("low row = %v", low)
	}
}

func TestJSON(t *testing.T) {
	c := build(t, Options{})
	var b bytes.Buffer
	if err := c.JSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Schema   string
		Variants []struct {
			Label string
			VsRef *struct {
				P       float64
				Verdict string
			} `json:"vs_ref"`
			Macro *float64 `json:"category_macro_accuracy"`
		}
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Schema != Schema || len(got.Variants) != 3 || got.Variants[0].VsRef.Verdict != VerdictLower ||
		got.Variants[2].VsRef != nil || got.Variants[2].Macro == nil {
		t.Errorf("json = %+v", got)
	}
}

func TestPNG(t *testing.T) {
	c := build(t, Options{})
	for _, size := range [][2]int{{ChartWidth, ChartHeight}, {640, 400}} {
		var b bytes.Buffer
		if err := c.PNG(&b, size[0], size[1]); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&b)
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got.X != size[0] || got.Y != size[1] {
			t.Errorf("PNG size = %v, want %v", got, size)
		}
	}
}

func TestSVG(t *testing.T) {
	c := build(t, Options{Labels: []string{"A<&>", "FP8", "BF16"}})
	var b bytes.Buffer
	if err := c.SVG(&b, ChartWidth, ChartHeight); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		}
	}
	joined := strings.Join(texts, "\n")
	for _, want := range []string{"fixture_v1 (20 items)", "A<&>", "BF16", "40.0%"} {
		if !strings.Contains(joined, want) {
			t.Errorf("SVG text lacks %q: %q", want, joined)
		}
	}
}

func TestHTMLStatic(t *testing.T) {
	c := build(t, Options{})
	var b bytes.Buffer
	if err := c.HTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script>window.__pwned") || strings.Contains(page, `onerror="window`) {
		t.Error("model text not escaped")
	}
	// Model text is in the data block, JSON with <, > and & escaped.
	if !strings.Contains(page, `\u003cscript\u003ewindow.__pwned=1\u003c/script\u003e`) {
		t.Error("escaped model text missing")
	}
	data := pageData(t, page)
	if len(data.Items) != 20 || !slices.Contains(data.Texts, any("yes "+pwned)) {
		t.Errorf("data block: %d items, texts %q", len(data.Items), data.Texts)
	}
	for _, bad := range []string{"http://", "https://", "//cdn", "src=\"/"} {
		if strings.Contains(page, bad) {
			t.Errorf("page refers to %q: it must be self-contained", bad)
		}
	}
	if !strings.Contains(html.UnescapeString(page), cspHash(htmlScript)) || strings.Count(page, "<script>") != 1 {
		t.Error("script or its CSP hash missing")
	}
	if got := strings.Count(page, `<tr class="item"`); got != 20 {
		t.Errorf("grid rows = %d, want 20", got)
	}
}

func TestSingleVariant(t *testing.T) {
	c, err := Build(fixture()[2:], Options{})
	if err != nil {
		t.Fatal(err)
	}
	var md, h, img bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := c.HTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := c.PNG(&img, 320, 200); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "Verdicts") || !strings.Contains(md.String(), "| Model (ref) | org/Model | 16/20 |") {
		t.Errorf("one variant:\n%s", md.String())
	}
}

// failWriter fails every write, as a full disk would.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestWriteErrors(t *testing.T) {
	c := build(t, Options{})
	for name, render := range map[string]func(io.Writer) error{
		"markdown": c.Markdown,
		"csv":      c.CSV,
		"json":     c.JSON,
		"html":     c.HTML,
		"png":      func(w io.Writer) error { return c.PNG(w, 100, 100) },
		"svg":      func(w io.Writer) error { return c.SVG(w, 100, 100) },
	} {
		if err := render(failWriter{}); err == nil {
			t.Errorf("%s: a failed write was not reported", name)
		}
	}
}

func TestPEquals(t *testing.T) {
	for p, want := range map[float64]string{1: "p = 1.00", 0.127: "p = 0.13", 0.0039: "p = 0.004", 0.0002: "p < 0.001"} {
		if got := PEquals(p); got != want {
			t.Errorf("PEquals(%v) = %q, want %q", p, got, want)
		}
	}
}

// csvRows renders c as CSV and reads it back.
func csvRows(t *testing.T, c *Comparison) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := c.CSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// pageData reads the HTML page's JSON data block back.
func pageData(t *testing.T, page string) htmlData {
	t.Helper()
	const open = `<script type="application/json" id="report-data">`
	_, rest, ok := strings.Cut(page, open)
	block, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 {
		t.Fatal("page has no data block")
	}
	var d htmlData
	if err := json.Unmarshal([]byte(block), &d); err != nil {
		t.Fatalf("data block: %v", err)
	}
	return d
}
