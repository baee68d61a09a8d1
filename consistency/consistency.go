// Package consistency owns the measures of how far a variant's outputs drift from the
// reference's on the same items, beyond whether the answers are right: the share of
// identical outputs, the length of the common prefix, where the first difference
// falls and, with per-token log-probabilities, the KL divergence between the two
// next-token distributions and how often their top-1 tokens agree.
//
// It is pure arithmetic on result files and their log-probability side files (turning
// a reference run into an eval set is package freeze).
//
// Decisions:
//
//   - Items are matched by id, in the reference's order. An item that failed with an
//     error on either side has no output to compare: it is left out and counted in
//     Metrics.Errors.
//   - Outputs are compared byte for byte, not normalised: a consistency check asks
//     whether the variant wrote the same thing. Characters are Unicode code points.
//   - Tokens are compared by their text, which is what an OpenAI-compatible server
//     returns; the variants of one model share a tokenizer.
//   - The KL divergence is taken only where the two generations have seen the same
//     context: the positions of the common token prefix and the first divergent
//     position, since the distributions there are both conditioned on identical
//     text. Past it the contexts differ and a divergence says nothing about the
//     quantization. See KL for the top-K treatment.
//   - Statistics over positions pool every position of every item, as llama.cpp's
//     --kl-divergence pools every token: the mean is per token, not per item.
package consistency

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"unicode/utf8"

	"github.com/quanteval/quanteval/result"
)

// Metrics compares a variant's outputs with the reference's over the items both
// have.
type Metrics struct {
	// Items is the number of items compared: in both results, with no error on
	// either side.
	Items int `json:"items"`
	// Missing counts reference items the variant lacks; Errors, items left out
	// because either side failed.
	Missing int `json:"missing"`
	Errors  int `json:"errors"`

	Identical      int     `json:"identical"`
	IdenticalShare float64 `json:"identical_share"` // Identical / Items; 0 when Items is 0

	// MeanPrefixChars is the mean length of the common prefix in characters; an
	// identical pair counts its whole length.
	MeanPrefixChars float64 `json:"mean_prefix_chars"`
	// TokenItems counts the compared items with token data on both sides;
	// MeanPrefixTokens is the mean common token prefix over them (nil when none).
	TokenItems       int      `json:"token_items"`
	MeanPrefixTokens *float64 `json:"mean_prefix_tokens,omitempty"`

	// FirstDivergence says where the outputs that differ first differ.
	FirstDivergence Divergence `json:"first_divergence"`

	// KL is nil when either side has no log-probabilities or no position could be
	// compared.
	KL *KLStats `json:"kl,omitempty"`

	// PerItem holds one entry per compared item, in the reference's order.
	PerItem []ItemMetrics `json:"per_item"`
}

// Divergence summarises the position of the first difference over the items whose
// outputs differ.
type Divergence struct {
	Items       int     `json:"items"` // compared items whose outputs differ
	MeanChars   float64 `json:"mean_chars"`
	MedianChars float64 `json:"median_chars"`
	// Chars lists the character position of the first difference of each
	// diverging item, ascending: ready for a histogram.
	Chars []int `json:"chars"`
	// TokenItems counts the diverging items with token data on both sides; the
	// token fields cover them (nil or empty when none).
	TokenItems   int      `json:"token_items"`
	MeanTokens   *float64 `json:"mean_tokens,omitempty"`
	MedianTokens *float64 `json:"median_tokens,omitempty"`
	Tokens       []int    `json:"tokens,omitempty"`
}

// KLStats summarise the KL divergence KL(P_ref || P_var), in nats, over the compared
// token positions of all items.
type KLStats struct {
	Positions int     `json:"positions"`
	Mean      float64 `json:"mean"`
	P95       float64 `json:"p95"` // linear interpolation between order statistics
	Max       float64 `json:"max"`
	// Top1Agreement is the share of positions whose most likely tokens agree. Under
	// greedy decoding the generated token is the top-1, so it is the share of the
	// compared positions that are not a first divergence.
	Top1Agreement float64 `json:"top1_agreement"`
}

// ItemMetrics is one item's comparison.
type ItemMetrics struct {
	ID          string `json:"id"`
	Identical   bool   `json:"identical"`
	PrefixChars int    `json:"prefix_chars"`
	// PrefixTokens is -1 when either side has no token data for the item.
	PrefixTokens int `json:"prefix_tokens"`
	// KLPositions is the number of positions compared; KLMean their mean KL.
	KLPositions int     `json:"kl_positions,omitempty"`
	KLMean      float64 `json:"kl_mean,omitempty"`
}

// Compare measures variant against ref. refLP and varLP are the log-probability side
// files read into maps by item id (result.ReadLogprobs), or nil when a run kept none.
func Compare(ref, variant *result.File, refLP, varLP map[string][]result.TokenLogprob) Metrics {
	var m Metrics
	byID := make(map[string]*result.Record, len(variant.Items))
	for i := range variant.Items {
		byID[variant.Items[i].ID] = &variant.Items[i]
	}
	var acc accumulator
	for i := range ref.Items {
		r := &ref.Items[i]
		v, ok := byID[r.ID]
		if !ok {
			m.Missing++
			continue
		}
		if r.Error != "" || v.Error != "" {
			m.Errors++
			continue
		}
		m.Items++
		it := ItemMetrics{ID: r.ID, Identical: r.Output == v.Output, PrefixChars: commonPrefixChars(r.Output, v.Output), PrefixTokens: -1}
		if it.Identical {
			m.Identical++
		} else {
			m.FirstDivergence.Chars = append(m.FirstDivergence.Chars, it.PrefixChars)
		}
		acc.prefixChars = append(acc.prefixChars, it.PrefixChars)
		rt, rok := refLP[r.ID]
		vt, vok := varLP[r.ID]
		if rok && vok {
			acc.addTokens(&it, rt, vt)
		}
		m.PerItem = append(m.PerItem, it)
	}
	acc.summarise(&m)
	return m
}

// accumulator gathers the per-item figures Compare summarises.
type accumulator struct {
	prefixChars, prefixTokens, divTokens []int
	kls                                  []float64
	agree                                int // positions whose top-1 tokens agree
}

// addTokens fills in it's token prefix and KL figures from the two items' tokens and
// keeps them for the summary.
func (a *accumulator) addTokens(it *ItemMetrics, rt, vt []result.TokenLogprob) {
	it.PrefixTokens = commonPrefixTokens(rt, vt)
	a.prefixTokens = append(a.prefixTokens, it.PrefixTokens)
	if !it.Identical {
		a.divTokens = append(a.divTokens, it.PrefixTokens)
	}
	var sum float64
	for _, pos := range sharedPositions(rt, vt, it.PrefixTokens) {
		kl, ok := KL(rt[pos].Top, vt[pos].Top)
		if !ok {
			continue
		}
		a.kls = append(a.kls, kl)
		sum += kl
		it.KLPositions++
		if top1(rt[pos].Top) == top1(vt[pos].Top) {
			a.agree++
		}
	}
	if it.KLPositions > 0 {
		it.KLMean = sum / float64(it.KLPositions)
	}
}

// summarise fills in m's shares, means, first divergence and KL statistics.
func (a *accumulator) summarise(m *Metrics) {
	if m.Items > 0 {
		m.IdenticalShare = float64(m.Identical) / float64(m.Items)
		m.MeanPrefixChars = meanInts(a.prefixChars)
	}
	m.TokenItems = len(a.prefixTokens)
	if len(a.prefixTokens) > 0 {
		x := meanInts(a.prefixTokens)
		m.MeanPrefixTokens = &x
	}

	d := &m.FirstDivergence
	d.Items = len(d.Chars)
	sort.Ints(d.Chars)
	if d.Items > 0 {
		d.MeanChars = meanInts(d.Chars)
		d.MedianChars = quantile(floats(d.Chars), 0.5)
	}
	d.TokenItems = len(a.divTokens)
	if len(a.divTokens) > 0 {
		sort.Ints(a.divTokens)
		mean, median := meanInts(a.divTokens), quantile(floats(a.divTokens), 0.5)
		d.MeanTokens, d.MedianTokens, d.Tokens = &mean, &median, a.divTokens
	}

	if kls := a.kls; len(kls) > 0 {
		s := &KLStats{Positions: len(kls), Top1Agreement: float64(a.agree) / float64(len(kls))}
		for _, x := range kls {
			s.Mean += x
			s.Max = math.Max(s.Max, x)
		}
		s.Mean /= float64(len(kls))
		sort.Float64s(kls)
		s.P95 = quantile(kls, 0.95)
		m.KL = s
	}
}

// LoadLogprobs reads the side file a result names in "logprobs_file", relative to the
// result file at resultPath. It returns nil and no error when the run kept none.
func LoadLogprobs(resultPath string, f *result.File) (map[string][]result.TokenLogprob, error) {
	if f.Logprobs == "" {
		return nil, nil
	}
	p := f.Logprobs
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(resultPath), p)
	}
	lp, err := result.ReadLogprobs(p)
	if err != nil {
		return nil, fmt.Errorf("%s: field \"logprobs_file\": %w", resultPath, err)
	}
	return lp, nil
}

// commonPrefixChars is the number of leading code points a and b share.
func commonPrefixChars(a, b string) int {
	n := 0
	for len(a) > 0 && len(b) > 0 {
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if ra != rb || sa != sb || a[:sa] != b[:sb] {
			break
		}
		a, b = a[sa:], b[sb:]
		n++
	}
	return n
}

// commonPrefixTokens is the number of leading tokens a and b share.
func commonPrefixTokens(a, b []result.TokenLogprob) int {
	n := 0
	for n < len(a) && n < len(b) && a[n].Token == b[n].Token {
		n++
	}
	return n
}

// sharedPositions are the positions whose contexts are the same on both sides: the
// common prefix of length prefix and the first divergent position after it, where
// both sides generated a token.
func sharedPositions(a, b []result.TokenLogprob, prefix int) []int {
	last := min(prefix, len(a)-1, len(b)-1)
	pos := make([]int, 0, last+1)
	for i := 0; i <= last; i++ {
		pos = append(pos, i)
	}
	return pos
}

// top1 is the most likely token of a top-K list (the first of equals).
func top1(top []result.TopLogprob) string {
	best := 0
	for i := range top {
		if top[i].Logprob > top[best].Logprob {
			best = i
		}
	}
	return top[best].Token
}

func meanInts(xs []int) float64 {
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

func floats(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// quantile of sorted xs by linear interpolation between order statistics (the
// default of R and NumPy): the q-quantile sits at index q*(n-1).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
