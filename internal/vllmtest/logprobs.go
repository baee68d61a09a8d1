package vllmtest

import (
	"hash/fnv"
	"math"
)

// altTokens are the alternatives syntheticLogprobs offers: common tokens, so the
// top lists look like a model's.
var altTokens = [...]string{" the", ",", ".", " a", " and", " to", " of", " is", "\n", " in", " that", " it", "0", "1", " I", ":"}

// splitTokens cuts s into tokens the way a BPE tokenizer roughly does for English:
// each token is a run of white space followed by a run of other characters, so the
// tokens joined give s back.
func splitTokens(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		out = append(out, s[start:i])
		start = i
	}
	return out
}

// syntheticLogprobs makes deterministic per-token log-probabilities for content, with
// k alternatives at each position (none when k <= 0): the chosen token first with a
// log-probability in [-0.5, -0.001], then k-1 other tokens sharing the remaining
// probability mass in halves, so each list decreases and sums to at most 1. The same
// content always gives the same numbers.
func syntheticLogprobs(content string, k int) []TokenLogprob {
	toks := splitTokens(content)
	out := make([]TokenLogprob, len(toks))
	for i, tok := range toks {
		h := fnv.New32a()
		h.Write([]byte(tok))
		lp := -0.001 - float64((h.Sum32()+uint32(i)*2654435761)%500)/1000
		t := TokenLogprob{Token: tok, Logprob: lp}
		if k > 0 {
			t.Top = make([]TopLogprob, 0, k)
			t.Top = append(t.Top, TopLogprob{Token: tok, Logprob: lp})
			rest := 1 - math.Exp(lp)
			for j := 0; len(t.Top) < k; j++ {
				alt := altTokens[(i+j)%len(altTokens)]
				if j >= len(altTokens) {
					alt += string(rune('a' + j/len(altTokens) - 1))
				}
				if alt == tok {
					continue
				}
				rest /= 2
				t.Top = append(t.Top, TopLogprob{Token: alt, Logprob: math.Log(rest)})
			}
		}
		out[i] = t
	}
	return out
}
