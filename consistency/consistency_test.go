package consistency

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/quanteval/quanteval/result"
)

func file(records ...result.Record) *result.File {
	return &result.File{Schema: result.Schema, Items: records}
}

// tok is a generated token whose top-K list is given as token, probability pairs;
// the generated token is the first of them.
func tok(pairs ...any) result.TokenLogprob {
	tl := top(pairs...)
	return result.TokenLogprob{Token: tl[0].Token, Logprob: tl[0].Logprob, Top: tl}
}

// The hand-made pair used by several tests:
//
//	s1  ref "ab cd"        variant "ab cd"        identical, 2 tokens, same lists
//	s2  ref "hello world"  variant "hello there"  differ after "hello " (6 chars),
//	    tokens [hello, " world"] vs [hello, " there"]: 1 shared token
//	s3  the variant failed                          left out, counted in Errors
//	s4  only in the reference                       counted in Missing
//	s5  only in the variant                         ignored
func fixture() (ref, variant *result.File, refLP, varLP map[string][]result.TokenLogprob) {
	ref = file(
		result.Record{ID: "s1", Output: "ab cd"},
		result.Record{ID: "s2", Output: "hello world"},
		result.Record{ID: "s3", Output: "xyz"},
		result.Record{ID: "s4", Output: "only here"},
	)
	variant = file(
		result.Record{ID: "s5", Output: "extra"},
		result.Record{ID: "s2", Output: "hello there"},
		result.Record{ID: "s1", Output: "ab cd"},
		result.Record{ID: "s3", Error: "timeout"},
	)
	refLP = map[string][]result.TokenLogprob{
		"s1": {tok("ab", 0.9, "a", 0.05), tok(" cd", 0.8, " c", 0.1)},
		"s2": {tok("hello", 0.7, "hi", 0.2), tok(" world", 0.5, " there", 0.25)},
		"s3": {tok("xyz", 1.0)},
	}
	varLP = map[string][]result.TokenLogprob{
		"s1": {tok("ab", 0.9, "a", 0.05), tok(" cd", 0.8, " c", 0.1)},
		"s2": {tok("hello", 0.7, "hi", 0.2), tok(" there", 0.5, " world", 0.25)},
	}
	return ref, variant, refLP, varLP
}

func TestCompare(t *testing.T) {
	ref, variant, refLP, varLP := fixture()
	m := Compare(ref, variant, refLP, varLP)

	// Compared: s1 and s2. Identical: s1 only, so 1/2.
	if m.Items != 2 || m.Missing != 1 || m.Errors != 1 || m.Identical != 1 || m.IdenticalShare != 0.5 {
		t.Errorf("items %d missing %d errors %d identical %d share %g, want 2 1 1 1 0.5",
			m.Items, m.Missing, m.Errors, m.Identical, m.IdenticalShare)
	}
	// Prefix in chars: s1 whole "ab cd" = 5, s2 "hello " = 6; mean (5+6)/2 = 5.5.
	if m.MeanPrefixChars != 5.5 {
		t.Errorf("MeanPrefixChars = %g, want 5.5", m.MeanPrefixChars)
	}
	// Prefix in tokens: s1 2, s2 1; mean 1.5 over 2 items with token data.
	if m.TokenItems != 2 || m.MeanPrefixTokens == nil || *m.MeanPrefixTokens != 1.5 {
		t.Errorf("TokenItems %d MeanPrefixTokens %v, want 2 and 1.5", m.TokenItems, m.MeanPrefixTokens)
	}
	// One diverging item, s2: at char 6, token 1.
	d := m.FirstDivergence
	if d.Items != 1 || d.MeanChars != 6 || d.MedianChars != 6 || !reflect.DeepEqual(d.Chars, []int{6}) {
		t.Errorf("divergence chars: %+v, want 1 item at 6", d)
	}
	if d.TokenItems != 1 || d.MeanTokens == nil || *d.MeanTokens != 1 || *d.MedianTokens != 1 || !reflect.DeepEqual(d.Tokens, []int{1}) {
		t.Errorf("divergence tokens: %+v, want 1 item at 1", d)
	}

	// KL positions: s1 positions 0 and 1 (identical lists: 0, 0); s2 position 0
	// (identical: 0) and 1, the first divergent position, where the shared cells are
	// " world" 0.5 vs 0.25 and " there" 0.25 vs 0.5, rest 0.25 on both sides:
	//   0.5 ln(0.5/0.25) + 0.25 ln(0.25/0.5) = 0.25 ln2
	// Four positions: mean 0.25 ln2 / 4 = ln2 / 16.
	// P95 of [0, 0, 0, 0.25 ln2]: index 0.95*3 = 2.85, so 0 + 0.85 * 0.25 ln2.
	// Top-1 agrees at 3 of 4 positions (" world" vs " there" at s2's position 1).
	k := m.KL
	if k == nil {
		t.Fatal("KL is nil")
	}
	x := 0.25 * math.Ln2
	if k.Positions != 4 || !near(k.Mean, x/4) || !near(k.P95, 0.85*x) || !near(k.Max, x) || k.Top1Agreement != 0.75 {
		t.Errorf("KL = %+v, want positions 4 mean %g p95 %g max %g top1 0.75", *k, x/4, 0.85*x, x)
	}

	want := []ItemMetrics{
		{ID: "s1", Identical: true, PrefixChars: 5, PrefixTokens: 2, KLPositions: 2, KLMean: 0},
		{ID: "s2", Identical: false, PrefixChars: 6, PrefixTokens: 1, KLPositions: 2, KLMean: x / 2},
	}
	if len(m.PerItem) != 2 || m.PerItem[0] != want[0] || m.PerItem[1].KLPositions != 2 || !near(m.PerItem[1].KLMean, x/2) ||
		m.PerItem[1].PrefixChars != 6 || m.PerItem[1].PrefixTokens != 1 || m.PerItem[1].Identical {
		t.Errorf("PerItem = %+v, want %+v", m.PerItem, want)
	}
}

func TestCompareWithItselfIsPerfect(t *testing.T) {
	ref, _, refLP, _ := fixture()
	m := Compare(ref, ref, refLP, refLP)
	// s1 2 positions, s2 2, s3 1 (one token each side: position 0 only).
	if m.Items != 4 || m.IdenticalShare != 1 || m.FirstDivergence.Items != 0 {
		t.Errorf("items %d share %g diverging %d, want 4 1 0", m.Items, m.IdenticalShare, m.FirstDivergence.Items)
	}
	if m.KL == nil || m.KL.Positions != 5 || m.KL.Mean != 0 || m.KL.P95 != 0 || m.KL.Max != 0 || m.KL.Top1Agreement != 1 {
		t.Errorf("KL = %+v, want 5 positions, all exactly 0, top-1 agreement 1", m.KL)
	}
}

func TestCompareWithoutLogprobs(t *testing.T) {
	ref, variant, refLP, _ := fixture()
	for name, lp := range map[string][2]map[string][]result.TokenLogprob{
		"neither side": {nil, nil},
		"variant only": {refLP, nil},
	} {
		t.Run(name, func(t *testing.T) {
			m := Compare(ref, variant, lp[0], lp[1])
			if m.KL != nil || m.MeanPrefixTokens != nil || m.TokenItems != 0 || m.FirstDivergence.MeanTokens != nil {
				t.Errorf("token measures without token data: KL %v prefix %v items %d", m.KL, m.MeanPrefixTokens, m.TokenItems)
			}
			if m.PerItem[0].PrefixTokens != -1 {
				t.Errorf("PrefixTokens = %d, want -1", m.PerItem[0].PrefixTokens)
			}
			if m.MeanPrefixChars != 5.5 {
				t.Errorf("MeanPrefixChars = %g, want 5.5", m.MeanPrefixChars)
			}
		})
	}
}

func TestCompareNothingInCommon(t *testing.T) {
	m := Compare(file(result.Record{ID: "a"}), file(result.Record{ID: "b"}), nil, nil)
	if m.Items != 0 || m.Missing != 1 || m.IdenticalShare != 0 || m.MeanPrefixChars != 0 || m.KL != nil {
		t.Errorf("got %+v, want nothing compared", m)
	}
}

func TestCommonPrefixChars(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 3},
		{"abc", "abd", 2},
		{"ab", "abc", 2},
		{"héllo", "hélp", 3}, // é is one character of two bytes
		{"é", "è", 0},        // same first byte, different characters
		{"日本語", "日本人", 2},    // three bytes a character
	}
	for _, tt := range tests {
		if got := commonPrefixChars(tt.a, tt.b); got != tt.want {
			t.Errorf("commonPrefixChars(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSharedPositions(t *testing.T) {
	toks := func(s ...string) []result.TokenLogprob {
		out := make([]result.TokenLogprob, len(s))
		for i, x := range s {
			out[i].Token = x
		}
		return out
	}
	tests := []struct {
		name string
		a, b []result.TokenLogprob
		want []int
	}{
		{"identical", toks("a", "b", "c"), toks("a", "b", "c"), []int{0, 1, 2}},
		{"diverge at 1: the divergent position counts", toks("a", "b", "c"), toks("a", "x", "c"), []int{0, 1}},
		{"diverge at 0", toks("a", "b"), toks("x", "b"), []int{0}},
		{"variant stopped early: no position past its end", toks("a", "b", "c"), toks("a", "b"), []int{0, 1}},
		{"empty", nil, toks("a"), []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sharedPositions(tt.a, tt.b, commonPrefixTokens(tt.a, tt.b))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		xs   []float64
		q    float64
		want float64
	}{
		{[]float64{7}, 0.95, 7},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},   // index 1.5
		{[]float64{1, 2, 3, 4}, 0.95, 3.85}, // index 2.85: 3 + 0.85
		{[]float64{1, 2, 3, 4}, 1, 4},
		{nil, 0.5, 0},
	}
	for _, tt := range tests {
		if got := quantile(tt.xs, tt.q); !near(got, tt.want) {
			t.Errorf("quantile(%v, %g) = %g, want %g", tt.xs, tt.q, got, tt.want)
		}
	}
}

func TestLoadLogprobs(t *testing.T) {
	dir := t.TempDir()
	side := `{"id":"s1","tokens":[{"token":"ab","logprob":-0.1,"top_logprobs":[{"token":"ab","logprob":-0.1}]}]}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "ref.logprobs.jsonl"), []byte(side), 0o644); err != nil {
		t.Fatal(err)
	}
	resPath := filepath.Join(dir, "ref.json")

	lp, err := LoadLogprobs(resPath, &result.File{Logprobs: "ref.logprobs.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp["s1"]) != 1 || lp["s1"][0].Top[0].Token != "ab" {
		t.Errorf("read %+v", lp)
	}
	if lp, err := LoadLogprobs(resPath, &result.File{}); lp != nil || err != nil {
		t.Errorf("no side file: got %v, %v; want nil, nil", lp, err)
	}
	if _, err := LoadLogprobs(resPath, &result.File{Logprobs: "gone.jsonl"}); err == nil {
		t.Error("missing side file: no error")
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
