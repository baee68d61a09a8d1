// Package score owns the verdict on one reply: whether the answer text a server
// returned for an eval item is correct, what was read from it, and why it failed.
//
// Scoring is a pure function of the item and the answer text; it never sees the
// reasoning a server returns apart from the answer. Every closed <think> block is
// removed first, and an unclosed one means the answer was never written. The rules per
// item type are in README.md (Scoring rules); the decisions taken where a reply is ambiguous
// are there too and in the comments below, each pinned by a test.
package score

import (
	"math"
	"strings"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/ifeval"
)

// Reasons an outcome is not ok. They are written into result files: keep them stable.
const (
	ReasonNoAnswer          = "no_answer"          // empty content after think removal
	ReasonTruncatedThinking = "truncated_thinking" // an unclosed <think>: no final answer
	ReasonNoNumber          = "no_number"          // number: no number in the reply
	ReasonWrongNumber       = "wrong_number"       // number, gsm8k: a number, not the one expected
	ReasonMismatch          = "mismatch"           // exact: the normalised texts differ
	ReasonNotFound          = "not_found"          // contains: no expected string in the reply
	ReasonNoChoice          = "no_choice"          // choice: no letter, or two different ones
	ReasonWrongChoice       = "wrong_choice"       // choice: a letter, not the one expected
	ReasonNoFinalAnswer     = "no_final_answer"    // gsm8k: no "The final answer is N" / "#### N"
	ReasonBadItem           = "bad_item"           // the item's type or answer cannot be scored
	ReasonNoMathAnswer      = "no_math_answer"     // math, aime: no \boxed{} (or one never closed), no "The final answer is"
	ReasonWrongAnswer       = "wrong_answer"       // math, aime: an answer, not equivalent to the one expected
)

// Names of the secondary scores of a gsm8k item, as lm-evaluation-harness names its
// two filters; the primary verdict (Outcome.OK) is the strict one.
const (
	ScoreStrict   = "strict"
	ScoreFlexible = "flexible"
)

// Outcome is the verdict on one reply.
type Outcome struct {
	OK bool
	// Extracted is what was read from the reply: the number as written but normalised
	// (no sign "+", no thousands separators, no wrappers), the letter, the normalised
	// text, or the expected string found.
	Extracted string
	// Reason is "" when OK; otherwise one of the Reason constants.
	Reason string
	// Scores holds secondary metrics by name: {"strict", "flexible"} for gsm8k items,
	// present on every gsm8k outcome so that their tallies cover every item; nil for
	// other types.
	Scores map[string]bool
	// Normalized and NormalizedExpected are the two forms a math or aime item
	// compared: the reply's answer and the expected one, each normalised
	// (NormalizeMath; for aime, a whole number is written in digits). Empty for other
	// types.
	Normalized         string
	NormalizedExpected string
	// IFEval is the per-instruction verdict of an ifeval item; nil for other types.
	IFEval *ifeval.Result
}

// scorer judges the answer text left once think blocks are removed; it is never
// called with blank text.
type scorer func(it *evalset.Item, answer string) Outcome

var scorers = map[string]scorer{
	evalset.TypeNumber:   scoreNumber,
	evalset.TypeExact:    scoreExact,
	evalset.TypeContains: scoreContains,
	evalset.TypeGSM8K:    scoreGSM8K,
	evalset.TypeChoice:   scoreChoice,
	TypeMath:             scoreMath,
	TypeAIME:             scoreAIME,
	TypeIFEval:           scoreIFEval,
}

// Score judges content (the answer text the server returned, reasoning excluded)
// against the item.
func Score(it *evalset.Item, content string) Outcome { return ScoreOptions(it, nil, content) }

// ScoreOptions is Score for an item whose option texts are known, in letter order
// (A first): a choice item then reads letters up to its last option and matches a
// reply that gives one option's full text instead of a letter. Other types ignore
// options.
func ScoreOptions(it *evalset.Item, options []string, content string) Outcome {
	sc, ok := scorers[it.Type]
	if ok && it.Type == evalset.TypeChoice && options != nil {
		sc = func(it *evalset.Item, answer string) Outcome { return scoreChoiceWith(it, options, answer) }
	}
	if !ok {
		return Outcome{Reason: ReasonBadItem}
	}
	answer, truncated := StripThink(content)
	var fail string
	switch {
	case truncated:
		fail = ReasonTruncatedThinking
	case strings.TrimSpace(answer) == "":
		fail = ReasonNoAnswer
	}
	if fail != "" {
		if it.Type == TypeIFEval {
			return ifevalFailed(it, fail)
		}
		o := Outcome{Reason: fail}
		if it.Type == evalset.TypeGSM8K {
			o.Scores = map[string]bool{ScoreStrict: false, ScoreFlexible: false}
		}
		return o
	}
	return sc(it, answer)
}

// wantNumber reads a numeric answer. The reader stores float64; other numeric kinds
// are accepted so that items built in code need not convert.
func wantNumber(it *evalset.Item) (float64, bool) {
	switch v := it.Answer.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// equalNumber says whether got is want within the item's absolute tolerance, or
// within a relative 1e-9 (of at least 1, so that 0 has a tolerance too) when the item
// gives none: wide enough for "0.1 + 0.2", far too narrow to pass a wrong answer.
func equalNumber(it *evalset.Item, got, want float64) bool {
	tol := 1e-9 * math.Max(1, math.Abs(want))
	if it.Tolerance != nil {
		tol = *it.Tolerance
	}
	return math.Abs(got-want) <= tol
}

func scoreNumber(it *evalset.Item, answer string) Outcome {
	want, ok := wantNumber(it)
	if !ok {
		return Outcome{Reason: ReasonBadItem}
	}
	text, got, ok := LastNumber(answer)
	if !ok {
		return Outcome{Reason: ReasonNoNumber}
	}
	o := Outcome{Extracted: text, OK: equalNumber(it, got, want)}
	if !o.OK {
		o.Reason = ReasonWrongNumber
	}
	return o
}

// scoreGSM8K follows lm-evaluation-harness's two filters: strict reads the number
// after the last "The final answer is" or "####", flexible the last number anywhere.
// Extracted is the strict reading, so that it always explains OK.
func scoreGSM8K(it *evalset.Item, answer string) Outcome {
	want, ok := wantNumber(it)
	if !ok {
		return Outcome{Reason: ReasonBadItem}
	}
	o := Outcome{Scores: map[string]bool{}}
	if _, v, ok := LastNumber(answer); ok {
		o.Scores[ScoreFlexible] = equalNumber(it, v, want)
	} else {
		o.Scores[ScoreFlexible] = false
	}
	text, v, ok := FinalNumber(answer)
	switch {
	case !ok:
		o.Reason = ReasonNoFinalAnswer
	case equalNumber(it, v, want):
		o.OK = true
	default:
		o.Reason = ReasonWrongNumber
	}
	o.Extracted = text
	o.Scores[ScoreStrict] = o.OK
	return o
}

func scoreExact(it *evalset.Item, answer string) Outcome {
	want, ok := it.Answer.(string)
	if !ok {
		return Outcome{Reason: ReasonBadItem}
	}
	got := normalizeExact(answer)
	o := Outcome{Extracted: got, OK: got == normalizeExact(want)}
	if !o.OK {
		o.Reason = ReasonMismatch
	}
	return o
}

func scoreContains(it *evalset.Item, answer string) Outcome {
	var wants []string
	switch v := it.Answer.(type) {
	case []string:
		wants = v
	case string:
		wants = []string{v}
	}
	if len(wants) == 0 {
		return Outcome{Reason: ReasonBadItem}
	}
	hay := normalizeContains(answer)
	for _, w := range wants {
		if n := normalizeContains(w); n != "" && strings.Contains(hay, n) {
			return Outcome{OK: true, Extracted: w}
		}
	}
	return Outcome{Reason: ReasonNotFound}
}

func scoreChoice(it *evalset.Item, answer string) Outcome { return scoreChoiceWith(it, nil, answer) }

// scoreChoiceWith reads letters up to the last option (the item's option count
// when the texts are known, else J, and at least the expected letter); a reply
// with no letter at all may give one option's full text instead.
func scoreChoiceWith(it *evalset.Item, options []string, answer string) Outcome {
	want, ok := it.Answer.(string)
	if !ok || len(want) != 1 || want[0] < 'A' || want[0] > 'Z' {
		return Outcome{Reason: ReasonBadItem}
	}
	last := byte(lastOption)
	if n := len(options); n > 0 && n <= 26 {
		last = byte('A' + n - 1)
	}
	letters := readChoice(answer, max(last, want[0]))
	if len(letters) == 0 && len(options) > 0 {
		if i, ok := optionText(answer, options); ok {
			letters = []string{string(rune('A' + i))}
		}
	}
	switch {
	case len(letters) != 1:
		return Outcome{Reason: ReasonNoChoice, Extracted: strings.Join(letters, ",")}
	case letters[0] != want:
		return Outcome{Reason: ReasonWrongChoice, Extracted: letters[0]}
	}
	return Outcome{OK: true, Extracted: want}
}
