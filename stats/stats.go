// Package stats owns the statistics quanteval attaches to every accuracy figure: the
// Wilson score interval of a proportion, the exact McNemar test of two variants that
// answered the same items, the Newcombe interval of their paired difference, and the
// smallest difference an eval set of a given size could detect.
//
// Everything here is a plain function of counts and returns plain values; nothing is
// random (the resampling of repeats.go draws from a fixed seed with a generator of
// its own), so reports built from the same results are byte-for-byte the same.
// repeats.go holds the statistics of repeated samples: pass@k, avg@n's interval,
// majority vote, and the paired bootstrap and sign-flip test of per-item rates.
//
// # Decisions
//
// Paired, not independent: two precision variants answer the same items, so a variant
// is held against the reference with the exact McNemar test (a two-sided binomial test
// on the discordant pairs b and c, p = min(1, 2·P(X ≤ min(b,c)) with X ~ Bin(b+c, ½)))
// rather than a two-proportion test, which would ignore the pairing and lose power.
//
// Minimum detectable difference (MDD): Connor's normal approximation for the paired
// design (R. J. Connor, "Sample size for testing differences in proportions for the
// paired-sample design", Biometrics 43:207–211, 1987) gives the items needed to detect
// a difference δ at two-sided level α with power 1−β, when a share ψ of items is
// discordant:
//
//	n = (z_{1−α/2}·√ψ + z_{1−β}·√(ψ − δ²))² / δ²
//
// Solved for δ at the observed n and ψ = (b+c)/n, it is the positive root of
// (n + z_β²)·δ² − 2·z_α·√(nψ)·δ + (z_α² − z_β²)·ψ = 0:
//
//	δ = √ψ · (√n·z_α + z_β·√(n − z_α² + z_β²)) / (n + z_β²)
//
// One honest floor applies: the exact test cannot reject with fewer than k discordant
// pairs, k the least with 2·½^k ≤ α (k = 6 at α = 0.05), so no difference below k/n is
// detectable whatever the discordance; this also keeps an observed ψ = 0 (two
// identical variants) from claiming that any difference would be seen. The result is
// capped at 1.
package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a proportion with a confidence interval.
type Interval struct {
	Center     float64 `json:"value"` // the observed proportion
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Confidence float64 `json:"confidence"` // e.g. 0.95
}

// z returns the standard normal quantile for a two-sided level: z(0.95) = 1.95996.
func z(confidence float64) float64 {
	return distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
}

// Wilson is the Wilson score interval of ok successes out of n (E. B. Wilson,
// "Probable inference, the law of succession, and statistical inference", JASA 22,
// 1927). Unlike the normal (Wald) interval it stays inside [0, 1] and keeps its
// coverage at 0/n and n/n, which are common on small eval sets. With n = 0 it is the
// whole of [0, 1] around 0.
func Wilson(ok, n int, confidence float64) Interval {
	if n <= 0 {
		return Interval{Center: 0, Lo: 0, Hi: 1, Confidence: confidence}
	}
	p := float64(ok) / float64(n)
	zz := z(confidence)
	z2 := zz * zz
	nf := float64(n)
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := zz / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv := Interval{Center: p, Lo: math.Max(0, center-half), Hi: math.Min(1, center+half), Confidence: confidence}
	// Rounding leaves 1 − 1e-16 at n/n; the exact bound is 1 (and 0 at 0/n).
	if ok == n {
		iv.Hi = 1
	}
	if ok == 0 {
		iv.Lo = 0
	}
	return iv
}

// McNemarExact is the two-sided p-value of the exact McNemar test: b and c are the
// discordant pairs (ok in one variant only, each way). With no discordant pair the
// variants cannot be told apart and p is 1.
func McNemarExact(b, c int) float64 {
	n := b + c
	if n == 0 {
		return 1
	}
	k := min(b, c)
	p := 2 * distuv.Binomial{N: float64(n), P: 0.5}.CDF(float64(k))
	return math.Min(1, p)
}

// MinDiscordant is the fewest discordant pairs, all one way, with which the exact
// McNemar test can reject at two-sided level alpha: the least k with 2·½^k ≤ alpha.
func MinDiscordant(alpha float64) int {
	if alpha <= 0 {
		return math.MaxInt32
	}
	k := 1
	for 2*math.Pow(0.5, float64(k)) > alpha {
		k++
	}
	return k
}

// MDD is the smallest difference in accuracy (a proportion, not points) that n paired
// items with discordant share psi could detect with the given power at two-sided
// level alpha; see the package doc for the formula and its floors.
func MDD(n int, psi, alpha, power float64) float64 {
	if n <= 0 {
		return 1
	}
	nf := float64(n)
	floor := float64(MinDiscordant(alpha)) / nf
	za := z(1 - alpha)
	zb := distuv.UnitNormal.Quantile(power)
	psi = math.Max(0, math.Min(1, psi))
	d := 0.0
	if rad := nf - za*za + zb*zb; rad > 0 {
		d = math.Sqrt(psi) * (math.Sqrt(nf)*za + zb*math.Sqrt(rad)) / (nf + zb*zb)
	} else {
		d = 1
	}
	return math.Min(1, math.Max(d, floor))
}

// Table2x2 counts paired outcomes of a variant against a reference over the items
// both answered: Both ok in both, Lost ok in the reference only, Gained ok in the
// variant only, Neither ok in neither.
type Table2x2 struct {
	Both, Lost, Gained, Neither int
}

// N is the number of paired items.
func (t Table2x2) N() int { return t.Both + t.Lost + t.Gained + t.Neither }

// Diff is the variant's accuracy minus the reference's.
func (t Table2x2) Diff() float64 {
	if t.N() == 0 {
		return 0
	}
	return float64(t.Gained-t.Lost) / float64(t.N())
}

// Newcombe is the confidence interval of the paired difference Diff, by Newcombe's
// method 10 (R. G. Newcombe, "Improved confidence intervals for the difference between
// binomial proportions based on paired data", Statistics in Medicine 17:2635–2650,
// 1998): the two marginal Wilson intervals combined with the phi correlation of the
// 2×2 table. It stays inside [−1, 1] and behaves at zero cells, where the Wald
// interval does not.
func Newcombe(t Table2x2, confidence float64) Interval {
	n := t.N()
	if n == 0 {
		return Interval{Center: 0, Lo: -1, Hi: 1, Confidence: confidence}
	}
	nf := float64(n)
	// p1 is the variant, p2 the reference, so that the interval is of p1 − p2.
	a, b, c, d := float64(t.Both), float64(t.Gained), float64(t.Lost), float64(t.Neither)
	p1, p2 := (a+b)/nf, (a+c)/nf
	w1 := Wilson(t.Both+t.Gained, n, confidence)
	w2 := Wilson(t.Both+t.Lost, n, confidence)
	// Newcombe shrinks a positive association by n/2, as a continuity correction of
	// phi, so that the interval does not collapse on tables with few discordant pairs.
	phi := 0.0
	if den := (a + b) * (c + d) * (a + c) * (b + d); den > 0 {
		num := a*d - b*c
		switch {
		case num > nf/2:
			num -= nf / 2
		case num > 0:
			num = 0
		}
		phi = num / math.Sqrt(den)
	}
	theta := p1 - p2
	dl := math.Sqrt(math.Max(0, sq(p1-w1.Lo)-2*phi*(p1-w1.Lo)*(w2.Hi-p2)+sq(w2.Hi-p2)))
	du := math.Sqrt(math.Max(0, sq(w1.Hi-p1)-2*phi*(w1.Hi-p1)*(p2-w2.Lo)+sq(p2-w2.Lo)))
	return Interval{
		Center:     theta,
		Lo:         math.Max(-1, theta-dl),
		Hi:         math.Min(1, theta+du),
		Confidence: confidence,
	}
}

func sq(x float64) float64 { return x * x }

// Median of xs (sorted in place); 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

// Mean of xs; 0 for none.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
