package report

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/score"
)

// sampleFloat and sampleInt show an optional sampling parameter: "none" when not sent.
func sampleFloat(p *float64) string {
	if p == nil {
		return "none"
	}
	return fmtFloat(*p)
}

func sampleInt(p *int64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatInt(*p, 10)
}

// Thinking is how a variant reasoned: how often it ran out of tokens inside its
// thinking (no answer written: truncated_thinking) and how long its reasoning and
// answers were. Quantized models are reported to think longer; these numbers make
// it visible beside the accuracy.
type Thinking struct {
	// Truncated counts the replies whose thinking was cut off (reason
	// truncated_thinking), out of Replies (the items answered without an error).
	Truncated int `json:"truncated_thinking"`
	Replies   int `json:"replies"`
	// Mean lengths in characters (runes) over the replies: the reasoning (what the
	// server returned apart from the answer, plus any <think> block in the answer)
	// and the answer text.
	MeanReasoningChars float64 `json:"mean_reasoning_chars"`
	MeanAnswerChars    float64 `json:"mean_answer_chars"`
	// Mean tokens over the replies whose usage gives them: the reasoning tokens
	// (usage.completion_tokens_details.reasoning_tokens) and the completion tokens
	// less those. Nil when no reply's usage gives reasoning tokens.
	MeanReasoningTokens *float64 `json:"mean_reasoning_tokens,omitempty"`
	MeanAnswerTokens    *float64 `json:"mean_answer_tokens,omitempty"`
}

// ThinkingOf summarises the replies of records.
func ThinkingOf(records []result.Record) Thinking {
	var t Thinking
	var rChars, aChars, rTok, aTok, withTok int
	for i := range records {
		r := &records[i]
		if r.Error != "" {
			continue
		}
		t.Replies++
		if r.Reason == score.ReasonTruncatedThinking {
			t.Truncated++
		}
		answer, _ := score.StripThink(r.Output)
		rChars += utf8.RuneCountInString(r.Reasoning) + utf8.RuneCountInString(r.Output) - utf8.RuneCountInString(answer)
		aChars += utf8.RuneCountInString(answer)
		if d := r.Usage.CompletionTokensDetails; d != nil {
			withTok++
			rTok += d.ReasoningTokens
			aTok += max(r.Usage.CompletionTokens-d.ReasoningTokens, 0)
		}
	}
	if t.Replies > 0 {
		t.MeanReasoningChars = float64(rChars) / float64(t.Replies)
		t.MeanAnswerChars = float64(aChars) / float64(t.Replies)
	}
	if withTok > 0 {
		mr, ma := float64(rTok)/float64(withTok), float64(aTok)/float64(withTok)
		t.MeanReasoningTokens, t.MeanAnswerTokens = &mr, &ma
	}
	return t
}

// shows reports whether t says anything: some reply reasoned, was cut off in its
// thinking, or had reasoning tokens counted.
func (t Thinking) shows() bool {
	return t.Truncated > 0 || t.MeanReasoningChars > 0 || t.MeanReasoningTokens != nil
}

// thinkingOf is ThinkingOf for a variant's table: nil when no reply reasoned.
func thinkingOf(records []result.Record) *Thinking {
	if t := ThinkingOf(records); t.shows() {
		return &t
	}
	return nil
}

// thinkingTable is the "Reasoning" table, one row per variant: truncated thinking
// beside the mean reasoning and answer lengths; nil when no variant reasoned.
func (c *Comparison) thinkingTable() *textTable {
	found, tokens := false, false
	for i := range c.Variants {
		if t := c.Variants[i].Thinking; t != nil {
			found = true
			tokens = tokens || t.MeanReasoningTokens != nil
		}
	}
	if !found {
		return nil
	}
	t := &textTable{Left: 1, Head: []string{c.T("precision"), c.T("truncthink"), c.T("reasonchars"), c.T("answerchars")}}
	if tokens {
		t.Head = append(t.Head, c.T("reasontokens"), c.T("answertokens"))
	}
	for i := range c.Variants {
		v := &c.Variants[i]
		th := v.Thinking
		if th == nil {
			th = &Thinking{}
		}
		row := []string{c.RefLabel(v), fmt.Sprintf("%d/%d", th.Truncated, th.Replies),
			fmt.Sprintf("%.0f", th.MeanReasoningChars), fmt.Sprintf("%.0f", th.MeanAnswerChars)}
		if tokens {
			row = append(row, meanCell(th.MeanReasoningTokens), meanCell(th.MeanAnswerTokens))
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = []string{c.T("thinknote")}
	return t
}

func meanCell(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f", *p)
}

// mdConsistencyThinking is the consistency section followed by the reasoning one,
// as one section: a report without reasoning reads as it did before.
func mdConsistencyThinking(c *Comparison, w *errWriter) {
	mdConsistency(c, w)
	if c.thinkingTable() == nil {
		return
	}
	if c.consistencyTable() != nil {
		w.printf("\n")
	}
	mdThinking(c, w)
}

func mdThinking(c *Comparison, w *errWriter) {
	if t := c.thinkingTable(); t != nil {
		mdTable(w, c.T("thinking"), t)
	}
}

// csvThinking fills in a variant's overall row's reasoning columns.
func csvThinking(set func(col, val string), t *Thinking) {
	if t == nil {
		return
	}
	set("truncated_thinking", strconv.Itoa(t.Truncated))
	set("mean_reasoning_chars", num(t.MeanReasoningChars))
	set("mean_answer_chars", num(t.MeanAnswerChars))
	if t.MeanReasoningTokens != nil {
		set("mean_reasoning_tokens", num(*t.MeanReasoningTokens))
		set("mean_answer_tokens", num(*t.MeanAnswerTokens))
	}
}
