package stats

import (
	"math"
	"math/bits"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Statistics of repeated samples: each item asked N times, its pass rate the share
// of samples that were right.
//
// Decisions:
//   - pass@k is the unbiased estimator of Chen et al. 2021 ("Evaluating large
//     language models trained on code", eq. 1): 1 − C(n−c, k)/C(n, k), computed as
//     the product 1 − ∏_{i=n−c+1}^{n} (1 − k/i), which never forms a binomial
//     coefficient and so neither overflows nor loses precision.
//   - The interval of a mean of per-item pass rates (avg@n) is Student's t interval
//     over items (the items are the independent units; samples of one item are not):
//     mean ± t_{n−1, 1−α/2}·s/√n, clipped to [0, 1], as E. Miller recommends in
//     "Adding error bars to evals" (2024). One item, or none, gives [0, 1].
//   - Majority: the answer given most often; a tie goes to the tied answer that
//     came first (lowest sample index), so that the vote does not depend on map
//     order. Empty answers (nothing extracted, or an error) do not vote.
//   - Paired comparison of per-item rates: the mean difference with a percentile
//     bootstrap interval (items resampled with replacement, BootstrapResamples times,
//     quantiles by linear interpolation, R's type 7) and the two-sided p-value of
//     the paired sign-flip permutation test of the mean difference: exact (all
//     2^m sign patterns of the m non-zero differences) for m ≤ ExactSignFlipMax,
//     otherwise Monte Carlo over SignFlipResamples patterns with p = (1+b)/(1+B)
//     (Phipson & Smyth 2010), never 0. Both draw from a SplitMix64 generator seeded
//     with RandomSeed, written here, so that a report is the same on every machine
//     and Go version.

// Defaults of the resampling methods.
const (
	BootstrapResamples = 10000
	SignFlipResamples  = 10000
	ExactSignFlipMax   = 20
	RandomSeed         = 20260101
)

// PassAtK is the unbiased estimate of pass@k for an item with c right of n samples;
// 0 when k > n or k < 1 (not estimable).
func PassAtK(n, c, k int) float64 {
	if k < 1 || k > n || c <= 0 {
		return 0
	}
	if n-c < k {
		return 1
	}
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod
}

// PassKs are the k at which pass@k is reported for n samples: the powers of two
// below n, and n.
func PassKs(n int) []int {
	var ks []int
	for k := 1; k < n; k *= 2 {
		ks = append(ks, k)
	}
	if n >= 1 {
		ks = append(ks, n)
	}
	return ks
}

// MeanT is the mean of xs with Student's t interval at the given confidence,
// clipped to [0, 1] (xs are rates).
func MeanT(xs []float64, confidence float64) Interval {
	n := len(xs)
	m := Mean(xs)
	if n < 2 {
		return Interval{Center: m, Lo: 0, Hi: 1, Confidence: confidence}
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	se := math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-confidence)/2)
	return Interval{Center: m, Lo: math.Max(0, m-t*se), Hi: math.Min(1, m+t*se), Confidence: confidence}
}

// Majority returns the answer given most often among answers (empty ones do not
// vote) and its votes; a tie goes to the answer that came first. "" and 0 when no
// answer votes.
func Majority(answers []string) (string, int) {
	votes := map[string]int{}
	best, bestVotes := "", 0
	for _, a := range answers {
		if a == "" {
			continue
		}
		votes[a]++
	}
	for _, a := range answers { // in order: the first of the tied wins
		if a != "" && votes[a] > bestVotes {
			best, bestVotes = a, votes[a]
		}
	}
	return best, bestVotes
}

// rng is SplitMix64 (Steele, Lea & Flood 2014): tiny, fixed, and the same in
// every Go version.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// PairedBootstrap is the mean of the paired differences d with its percentile
// bootstrap interval from resamples resamples drawn with seed (see the decisions
// above). No difference gives 0 in [0, 0].
func PairedBootstrap(d []float64, resamples int, seed uint64, confidence float64) Interval {
	n := len(d)
	iv := Interval{Center: Mean(d), Confidence: confidence}
	if n == 0 || resamples < 1 {
		return iv
	}
	r := rng{s: seed}
	means := make([]float64, resamples)
	un := uint64(n)
	for b := range means {
		// Two indices per draw, each the high half of a 32-bit multiply (n < 2^32;
		// the bias, below n/2^32, is irrelevant).
		s := 0.0
		for j := 0; j < n; j += 2 {
			w := r.next()
			s += d[(w&0xffffffff*un)>>32]
			if j+1 < n {
				s += d[(w>>32*un)>>32]
			}
		}
		means[b] = s / float64(n)
	}
	slices.Sort(means)
	a := (1 - confidence) / 2
	iv.Lo, iv.Hi = quantile7(means, a), quantile7(means, 1-a)
	return iv
}

// quantile7 is R's type-7 quantile of sorted xs.
func quantile7(xs []float64, p float64) float64 {
	h := float64(len(xs)-1) * p
	lo := int(math.Floor(h))
	if lo+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
}

// SignFlipP is the two-sided p-value of the paired sign-flip permutation test of
// mean(d) = 0: exact up to ExactSignFlipMax non-zero differences, Monte Carlo over
// resamples patterns drawn with seed above that. No non-zero difference gives 1.
func SignFlipP(d []float64, resamples int, seed uint64) float64 {
	var nz []float64
	obs := 0.0
	for _, x := range d {
		if x != 0 {
			nz = append(nz, math.Abs(x))
			obs += x
		}
	}
	m := len(nz)
	if m == 0 {
		return 1
	}
	obs = math.Abs(obs)
	tol := 1e-9 * math.Max(1, obs)
	if m <= ExactSignFlipMax {
		extreme := 0
		for mask := range uint64(1) << m {
			s := 0.0
			for i, x := range nz {
				if mask&(1<<i) != 0 {
					s -= x
				} else {
					s += x
				}
			}
			if math.Abs(s) >= obs-tol {
				extreme++
			}
		}
		return float64(extreme) / float64(uint64(1)<<m)
	}
	// Monte Carlo: the items of one magnitude v flip together in distribution: with
	// k of their m signs positive (k the ones among m random bits), they add
	// v·(2k − m). Same test, one random bit per item, 64 items per draw.
	slices.Sort(nz)
	type group struct {
		v float64
		m int
	}
	var groups []group
	for _, x := range nz {
		if len(groups) > 0 && groups[len(groups)-1].v == x {
			groups[len(groups)-1].m++
		} else {
			groups = append(groups, group{x, 1})
		}
	}
	r := rng{s: seed}
	extreme := 0
	for range resamples {
		s := 0.0
		for _, g := range groups {
			k := 0
			for left := g.m; left > 0; left -= 64 {
				w := r.next()
				if left < 64 {
					w &= 1<<left - 1
				}
				k += bits.OnesCount64(w)
			}
			s += g.v * float64(2*k-g.m)
		}
		if math.Abs(s) >= obs-tol {
			extreme++
		}
	}
	return float64(1+extreme) / float64(1+resamples)
}

// PairedMDD is the smallest mean difference of per-item rates that n items, whose
// paired differences have standard deviation sd, could detect at two-sided level
// alpha with the given power, by the normal approximation (z_{1−α/2} + z_{power})·sd/√n;
// never below what the exact sign-flip test can reject at all: MinDiscordant(alpha)
// items each changed by one sample in samples, over n.
func PairedMDD(n, samples int, sd, alpha, power float64) float64 {
	if n <= 0 || samples <= 0 {
		return 1
	}
	za := z(1 - alpha)
	zb := distuv.UnitNormal.Quantile(power)
	d := (za + zb) * sd / math.Sqrt(float64(n))
	floor := float64(MinDiscordant(alpha)) / float64(n*samples)
	return math.Min(1, math.Max(d, floor))
}

// SD is the sample standard deviation of xs (n − 1 in the denominator); 0 for
// fewer than two.
func SD(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := Mean(xs)
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
