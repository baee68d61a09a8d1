package consistency

import (
	"math"

	"github.com/quanteval/quanteval/result"
)

// floor stands in for a probability of exactly zero on the variant's side where the
// reference's is not, so that one such cell adds a large but finite term
// (p * ln(p / 1e-10), about 23 p nats) rather than an infinity that would swamp
// every mean. It only matters when a server's top-K carries all of the mass.
const floor = 1e-10

// KL is KL(P_ref || P_var) in nats at one position, from the two top-K lists, and
// false when either list is empty.
//
// llama.cpp's --kl-divergence sums over the full vocabulary, which an
// OpenAI-compatible server does not return: it returns the K most likely tokens with
// their log-probabilities over the full vocabulary. Renormalising each list over its
// own K tokens would throw away how much mass lies outside them and would need an
// arbitrary probability for a token in one list and not the other, on which the
// result then depends. Instead the vocabulary is coarse-grained into the cells whose
// probabilities are known on both sides, one per token in both lists, and one cell
// for everything else, whose mass is 1 minus the known ones:
//
//	KL = sum over shared t of p(t) ln(p(t)/q(t)) + p_rest ln(p_rest/q_rest)
//
// This is the exact KL divergence of the two coarse-grained distributions, so by the
// data-processing inequality it is never more than the full-vocabulary KL that
// llama.cpp reports, and equals it when K covers the vocabulary. It needs no
// epsilon, and two identical lists give exactly 0: every term is p ln(p/p).
//
// Tokens are matched by text; a text listed twice in one list (two token ids that
// decode alike) is one cell holding both probabilities. A total that rounding takes
// a hair below zero is reported as 0.
func KL(ref, variant []result.TopLogprob) (float64, bool) {
	if len(ref) == 0 || len(variant) == 0 {
		return 0, false
	}
	p, order := probs(ref)
	q, _ := probs(variant)
	var kl, sumP, sumQ float64
	// Summing in the reference's order on both sides keeps the two rest masses
	// bit-identical when the lists are.
	for _, t := range order {
		qt, ok := q[t]
		if !ok {
			continue
		}
		pt := p[t]
		sumP += pt
		sumQ += qt
		kl += term(pt, qt)
	}
	kl += term(math.Max(0, 1-sumP), math.Max(0, 1-sumQ))
	return math.Max(0, kl), true
}

// probs turns a top-K list into probabilities by token text, merging repeated texts,
// and the texts in first-seen order.
func probs(top []result.TopLogprob) (map[string]float64, []string) {
	m := make(map[string]float64, len(top))
	order := make([]string, 0, len(top))
	for _, c := range top {
		if _, ok := m[c.Token]; !ok {
			order = append(order, c.Token)
		}
		m[c.Token] += math.Exp(c.Logprob)
	}
	return m, order
}

// term is one cell's p ln(p/q), with 0 ln 0 = 0.
func term(p, q float64) float64 {
	if p <= 0 {
		return 0
	}
	if q <= 0 {
		q = floor
	}
	return p * math.Log(p/q)
}
