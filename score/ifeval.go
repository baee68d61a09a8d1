package score

import (
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/ifeval"
)

// scoreIFEval checks the answer (think blocks already removed) against the item's
// instructions. OK is prompt-level strict; Scores carry both prompt-level
// verdicts; IFEval the per-instruction ones.
func scoreIFEval(it *evalset.Item, answer string) Outcome {
	p, err := IFEvalPrompt(it)
	if err != nil {
		return Outcome{Reason: ReasonBadItem}
	}
	r := p.Check(answer)
	return Outcome{OK: r.OK(), Reason: r.Reason(), Scores: r.Scores(), IFEval: &r,
		Extracted: failedList(r)}
}

// ifevalFailed is the outcome of an ifeval reply with no answer (blank, or thinking
// never closed): every instruction unfollowed, so that the tallies count it.
func ifevalFailed(it *evalset.Item, reason string) Outcome {
	o := Outcome{Reason: reason}
	if p, err := IFEvalPrompt(it); err == nil {
		r := p.Check("")
		o.Scores, o.IFEval = r.Scores(), &r
	}
	return o
}

// failedList names the instructions not followed (strict), for the record's
// extracted field; "all followed" when none failed, so that two replies that follow
// everything agree in compare.
func failedList(r ifeval.Result) string {
	if r.PromptStrict {
		return "all followed"
	}
	out := ""
	for i, id := range r.Failed() {
		if i > 0 {
			out += ","
		}
		out += id
	}
	return out
}
