package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/score"
)

func TestThinkingOf(t *testing.T) {
	tokens := func(completion, reasoning int) result.Usage {
		return result.Usage{CompletionTokens: completion, CompletionTokensDetails: &result.TokensDetails{ReasoningTokens: reasoning}}
	}
	f := func(x float64) *float64 { return &x }
	for _, tc := range []struct {
		name string
		recs []result.Record
		want Thinking
	}{
		{"no reasoning", []result.Record{{Output: "42"}, {Output: "1234"}},
			Thinking{Replies: 2, MeanAnswerChars: 3}},
		{"reasoning field and think block counted, answer without it", []result.Record{
			{Reasoning: "abcd", Output: "42"},
			{Output: "<think>xy</think>éé"}, // 19 runes, the answer 2
		}, Thinking{Replies: 2, MeanReasoningChars: 10.5, MeanAnswerChars: 2}},
		{"truncated thinking, errors left out", []result.Record{
			{Output: "<think>never closed", Reason: score.ReasonTruncatedThinking},
			{Error: "timeout", Reason: "error"},
			{Output: "7", Reason: ""},
		}, Thinking{Truncated: 1, Replies: 2, MeanReasoningChars: 9.5, MeanAnswerChars: 0.5}},
		{"tokens only where usage gives them", []result.Record{
			{Output: "a", Usage: tokens(100, 90)},
			{Output: "b", Usage: tokens(50, 10)},
			{Output: "c", Usage: result.Usage{CompletionTokens: 999}},
		}, Thinking{Replies: 3, MeanAnswerChars: 1, MeanReasoningTokens: f(50), MeanAnswerTokens: f(25)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ThinkingOf(tc.recs)
			if got.Truncated != tc.want.Truncated || got.Replies != tc.want.Replies ||
				got.MeanReasoningChars != tc.want.MeanReasoningChars || got.MeanAnswerChars != tc.want.MeanAnswerChars ||
				!sameOpt(got.MeanReasoningTokens, tc.want.MeanReasoningTokens) || !sameOpt(got.MeanAnswerTokens, tc.want.MeanAnswerTokens) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func sameOpt(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// The reasoning table shows each variant's truncated thinking and lengths in every
// format, and is left out when no variant reasoned.
func TestThinkingInReports(t *testing.T) {
	plain := fixture()
	c, err := Build(plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "Reasoning") || c.Variants[0].Thinking != nil {
		t.Fatalf("a reasoning section without reasoning:\n%s", md.String())
	}

	in := fixture()
	for j := range in {
		items := append([]result.Record(nil), in[j].File.Items...)
		for i := range items {
			items[i].Reasoning = strings.Repeat("r", 10*(j+1))
			items[i].Usage.CompletionTokensDetails = &result.TokensDetails{ReasoningTokens: 4}
		}
		if j == 0 {
			items[0].Reason, items[0].Output = score.ReasonTruncatedThinking, "<think>cut"
		}
		f := *in[j].File
		f.Items = items
		in[j].File = &f
	}
	if c, err = Build(in, Options{}); err != nil {
		t.Fatal(err)
	}
	md.Reset()
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**Reasoning**", "truncated thinking", "| 1/20 |", "reasoning, mean (tokens)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var csvOut bytes.Buffer
	if err := c.CSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if r[0] == "overall" && r[colIndex("label")] == c.Variants[0].Label {
			found = true
			if got := r[colIndex("truncated_thinking")]; got != "1" {
				t.Errorf("csv row %v: truncated_thinking %q, want 1", r, got)
			}
		}
	}
	if !found {
		t.Errorf("no overall csv row of %s", c.Variants[0].Label)
	}
	var js bytes.Buffer
	if err := c.JSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"truncated_thinking": 1`) {
		t.Error("json lacks truncated_thinking")
	}
	var page bytes.Buffer
	if err := c.HTML(&page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `<section id="thinking">`) {
		t.Error("html lacks the reasoning section")
	}
}

// compare warns when a variant's sampling parameters differ from the reference's.
func TestSamplingParamWarnings(t *testing.T) {
	in := fixture()
	p := 0.95
	k := int64(20)
	f := *in[0].File
	f.Params.TopP, f.Params.TopK = &p, &k
	in[0].File = &f
	c, err := Build(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"top_p 0.95", "top_k 20", "has none"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "min_p") {
		t.Errorf("min_p warned though no run sent it:\n%s", all)
	}
}
