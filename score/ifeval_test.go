package score

import (
	"encoding/json"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/ifeval"
)

func ifevalItem(t *testing.T, check string) *evalset.Item {
	t.Helper()
	return &evalset.Item{ID: "ifeval-1", Type: TypeIFEval, Answer: "x", Check: json.RawMessage(check)}
}

func TestScoreIFEval(t *testing.T) {
	const lowerNoComma = `{"instruction_id_list":["change_case:english_lowercase","punctuation:no_comma"],"kwargs":[{},{}]}`
	for _, tc := range []struct {
		name, check, reply string
		ok                 bool
		reason             string
		strict, loose      []bool // per instruction; nil: no instructions recorded
		extracted          string
	}{
		{"followed", lowerNoComma, "the sea is wide", true, "", []bool{true, true}, []bool{true, true}, "all followed"},
		{"think removed first", lowerNoComma, "<think>Upper, Case</think>the sea is wide", true, "", []bool{true, true}, []bool{true, true}, "all followed"},
		{"one broken", lowerNoComma, "the sea, wide", false, ifeval.ReasonNotFollowed, []bool{true, false}, []bool{true, false}, "punctuation:no_comma"},
		{"loose only", lowerNoComma, "Sure Here It Is\nthe sea is wide", false, ifeval.ReasonNotFollowed, []bool{false, true}, []bool{true, true}, "change_case:english_lowercase"},
		{"thinking never closed", lowerNoComma, "<think>the sea is", false, ReasonTruncatedThinking, []bool{false, false}, []bool{false, false}, ""},
		{"blank", lowerNoComma, "  \n", false, ReasonNoAnswer, []bool{false, false}, []bool{false, false}, ""},
		{"no check", "", "the sea", false, ReasonBadItem, nil, nil, ""},
		{"unknown instruction", `{"instruction_id_list":["no:such"],"kwargs":[{}]}`, "the sea", false, ReasonBadItem, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Score(ifevalItem(t, tc.check), tc.reply)
			if o.OK != tc.ok || o.Reason != tc.reason || o.Extracted != tc.extracted {
				t.Fatalf("outcome %+v, want ok %v reason %q extracted %q", o, tc.ok, tc.reason, tc.extracted)
			}
			if tc.strict == nil {
				if o.IFEval != nil || o.Scores != nil {
					t.Errorf("verdicts for an unusable item: %+v", o)
				}
				return
			}
			if o.IFEval == nil || len(o.IFEval.Instructions) != len(tc.strict) {
				t.Fatalf("instructions %+v", o.IFEval)
			}
			for i, in := range o.IFEval.Instructions {
				if in.Strict != tc.strict[i] || in.Loose != tc.loose[i] {
					t.Errorf("instruction %d %+v, want strict %v loose %v", i, in, tc.strict[i], tc.loose[i])
				}
			}
			// Both prompt-level scores are on every outcome, so their tallies cover every item.
			if _, ok := o.Scores[ifeval.ScorePromptLoose]; !ok || o.Scores[ifeval.ScorePromptStrict] != tc.ok {
				t.Errorf("scores %v", o.Scores)
			}
		})
	}
}

func TestCodeCheckOf(t *testing.T) {
	it := &evalset.Item{ID: "mbpp-2", Type: TypeCode, Check: json.RawMessage(`{"kind":"mbpp","test_list":["assert f()"]}`)}
	c, err := CodeCheckOf(it)
	if err != nil || c.Kind != "mbpp" || len(c.TestList) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []*evalset.Item{
		{ID: "a", Type: TypeCode},
		{ID: "b", Type: TypeCode, Check: json.RawMessage(`{"test_list":["assert f()"]}`)},
		{ID: "c", Type: TypeCode, Check: json.RawMessage(`[1]`)},
		{ID: "d", Type: TypeIFEval, Check: json.RawMessage(`{"kind":"mbpp"}`)},
	} {
		if _, err := CodeCheckOf(bad); err == nil {
			t.Errorf("%s: accepted", bad.ID)
		}
	}
	// A code item alone cannot be scored here: the runner runs it.
	if o := Score(it, "```python\ndef f(): return True\n```"); o.OK || o.Reason != ReasonBadItem {
		t.Errorf("Score of a code item: %+v", o)
	}
}
