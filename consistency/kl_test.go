package consistency

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/quanteval/quanteval/result"
)

// top builds a top-K list from token, probability pairs.
func top(pairs ...any) []result.TopLogprob {
	var out []result.TopLogprob
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, result.TopLogprob{Token: pairs[i].(string), Logprob: math.Log(pairs[i+1].(float64))})
	}
	return out
}

func TestKL(t *testing.T) {
	ln2 := math.Ln2
	tests := []struct {
		name         string
		ref, variant []result.TopLogprob
		want         float64
		ok           bool
	}{
		{
			name:    "identical lists give exactly 0",
			ref:     top("a", 0.6, "b", 0.3, "c", 0.05),
			variant: top("a", 0.6, "b", 0.3, "c", 0.05),
			want:    0, ok: true,
		},
		{
			// Shared cells a, b; rest 0.25 on both sides.
			// 0.5 ln(0.5/0.25) + 0.25 ln(0.25/0.5) + 0.25 ln(0.25/0.25)
			// = 0.5 ln2 - 0.25 ln2 + 0 = 0.25 ln2
			name:    "same tokens, probabilities swapped",
			ref:     top("a", 0.5, "b", 0.25),
			variant: top("b", 0.5, "a", 0.25),
			want:    0.25 * ln2, ok: true,
		},
		{
			// Only a is in both lists: b (ref) and c (var) fall into the rest cell.
			// cell a: 0.6 ln(0.6/0.3) = 0.6 ln2
			// rest:   p = 1 - 0.6 = 0.4, q = 1 - 0.3 = 0.7: 0.4 ln(0.4/0.7)
			name:    "partly different tokens",
			ref:     top("a", 0.6, "b", 0.3),
			variant: top("a", 0.3, "c", 0.6),
			want:    0.6*ln2 + 0.4*math.Log(0.4/0.7), ok: true,
		},
		{
			// The variant puts all of its mass on a: its rest is 0 and is floored.
			// cell a: 0.5 ln(0.5/1) = -0.5 ln2
			// rest:   p = 0.5 (b), q = 0 -> 1e-10: 0.5 ln(0.5/1e-10)
			name:    "variant's top-K holds all of the mass",
			ref:     top("a", 0.5, "b", 0.5),
			variant: top("a", 1.0),
			want:    -0.5*ln2 + 0.5*math.Log(0.5/1e-10), ok: true,
		},
		{
			// Disjoint lists leave one cell, the rest, with mass 1 on both sides: the
			// coarse-grained KL is 0, a (loose) lower bound.
			name:    "disjoint lists",
			ref:     top("a", 0.5),
			variant: top("b", 0.5),
			want:    0, ok: true,
		},
		{
			// "a" listed twice on the ref side merges into one cell of 0.25+0.25 = 0.5,
			// exactly the variant's: every term is p ln(p/p).
			name:    "repeated token text merges",
			ref:     top("a", 0.25, "a", 0.25, "b", 0.25),
			variant: top("a", 0.5, "b", 0.25),
			want:    0, ok: true,
		},
		{
			// The reference keeps a cell the variant does not list: it moves to rest.
			// cell a: 0.7 ln(0.7/0.7) = 0; rest: p = 0.3, q = 0.3: 0
			name:    "variant lists fewer tokens with the same shared mass",
			ref:     top("a", 0.7, "b", 0.2),
			variant: top("a", 0.7),
			want:    0, ok: true,
		},
		{name: "empty reference", ref: nil, variant: top("a", 1.0), ok: false},
		{name: "empty variant", ref: top("a", 1.0), variant: nil, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := KL(tt.ref, tt.variant)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if tt.want == 0 {
				if got != 0 {
					t.Fatalf("KL = %g, want exactly 0", got)
				}
				return
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("KL = %.15g, want %.15g", got, tt.want)
			}
		})
	}
}

// TestKLBoundsFullVocabulary checks the property the design rests on: on random
// distributions, the top-K KL never exceeds the full-vocabulary KL, and equals it when
// K is the whole vocabulary.
func TestKLBoundsFullVocabulary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const vocab = 12
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}
	random := func() []float64 {
		p := make([]float64, vocab)
		s := 0.0
		for i := range p {
			p[i] = math.Exp(3 * rng.NormFloat64())
			s += p[i]
		}
		for i := range p {
			p[i] /= s
		}
		return p
	}
	topK := func(p []float64, k int) []result.TopLogprob {
		idx := make([]int, vocab)
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
		out := make([]result.TopLogprob, k)
		for i := range k {
			out[i] = result.TopLogprob{Token: names[idx[i]], Logprob: math.Log(p[idx[i]])}
		}
		return out
	}
	for trial := range 500 {
		p, q := random(), random()
		full := 0.0
		for i := range p {
			full += p[i] * math.Log(p[i]/q[i])
		}
		for _, k := range []int{1, 3, 5, vocab} {
			got, ok := KL(topK(p, k), topK(q, k))
			if !ok {
				t.Fatalf("trial %d, K=%d: not ok", trial, k)
			}
			if got > full+1e-9 {
				t.Fatalf("trial %d, K=%d: top-K KL %g exceeds full KL %g", trial, k, got, full)
			}
			if k == vocab && math.Abs(got-full) > 1e-9 {
				t.Fatalf("trial %d: KL over the whole vocabulary %g, want %g", trial, got, full)
			}
		}
	}
}
