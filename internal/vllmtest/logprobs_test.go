package vllmtest

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSyntheticLogprobs(t *testing.T) {
	for _, tc := range []struct {
		content string
		k       int
		tokens  []string
	}{
		{"", 3, nil},
		{"42", 1, []string{"42"}},
		{"The answer is\n 42.", 5, []string{"The", " answer", " is", "\n 42."}},
		{"  lead and trail  ", 20, []string{"  lead", " and", " trail", "  "}},
		{"the the the", 0, []string{"the", " the", " the"}},
	} {
		lps := syntheticLogprobs(tc.content, tc.k)
		if !reflect.DeepEqual(lps, syntheticLogprobs(tc.content, tc.k)) {
			t.Errorf("%q: not deterministic", tc.content)
		}
		var toks []string
		for _, lp := range lps {
			toks = append(toks, lp.Token)
			if lp.Logprob > -0.001 || lp.Logprob < -0.501 {
				t.Errorf("%q: token %q logprob %v out of [-0.501, -0.001]", tc.content, lp.Token, lp.Logprob)
			}
			if len(lp.Top) != max(tc.k, 0) {
				t.Errorf("%q: %d alternatives, want %d", tc.content, len(lp.Top), tc.k)
				continue
			}
			if tc.k == 0 {
				continue
			}
			if lp.Top[0] != (TopLogprob{lp.Token, lp.Logprob}) {
				t.Errorf("%q: top[0] = %v, want the chosen token", tc.content, lp.Top[0])
			}
			seen := map[string]bool{}
			mass := 0.0
			for j, top := range lp.Top {
				mass += math.Exp(top.Logprob)
				if seen[top.Token] || j > 0 && top.Logprob >= lp.Top[j-1].Logprob {
					t.Errorf("%q: alternatives %v not distinct and decreasing", tc.content, lp.Top)
					break
				}
				seen[top.Token] = true
			}
			if mass > 1+1e-12 {
				t.Errorf("%q: top probabilities sum to %v > 1", tc.content, mass)
			}
		}
		if !slices.Equal(toks, tc.tokens) || strings.Join(toks, "") != tc.content {
			t.Errorf("%q: tokens %q, want %q", tc.content, toks, tc.tokens)
		}
	}
}
