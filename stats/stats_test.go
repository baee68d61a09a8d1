package stats

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestWilson(t *testing.T) {
	tests := []struct {
		ok, n  int
		lo, hi float64
		source string
	}{
		// The seed's NVFP4 row; issue 3 states "about [0.709, 0.929]". R gives the same
		// with prop.test(34, 40, correct = FALSE)$conf.int (the Wilson score interval).
		{34, 40, 0.7093, 0.9294, "issue 3; R prop.test(34, 40, correct=FALSE)"},
		// Newcombe, "Two-sided confidence intervals for the single proportion: comparison
		// of seven methods", Statistics in Medicine 17:857-872 (1998), Table I, method 3
		// (score interval without continuity correction).
		{81, 263, 0.2553, 0.3662, "Newcombe 1998a Table I"},
		{15, 148, 0.0624, 0.1605, "Newcombe 1998a Table I"},
		{0, 20, 0.0000, 0.1611, "Newcombe 1998a Table I"},
		{1, 29, 0.0061, 0.1718, "Newcombe 1998a Table I"},
	}
	for _, tt := range tests {
		got := Wilson(tt.ok, tt.n, 0.95)
		if !near(got.Lo, tt.lo, 5e-5) || !near(got.Hi, tt.hi, 5e-5) {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f] (%s)", tt.ok, tt.n, got.Lo, got.Hi, tt.lo, tt.hi, tt.source)
		}
		if want := float64(tt.ok) / float64(tt.n); got.Center != want {
			t.Errorf("Wilson(%d, %d).Center = %v, want %v", tt.ok, tt.n, got.Center, want)
		}
	}
	if got := Wilson(40, 40, 0.95); got.Hi != 1 || got.Lo >= 1 {
		t.Errorf("Wilson(40, 40) = %+v, want hi 1 and lo below 1", got)
	}
	if got := Wilson(0, 0, 0.95); got.Lo != 0 || got.Hi != 1 || math.IsNaN(got.Center) {
		t.Errorf("Wilson(0, 0) = %+v, want [0, 1] and no NaN", got)
	}
}

func TestMcNemarExact(t *testing.T) {
	tests := []struct {
		b, c   int
		want   float64
		source string
	}{
		// Issue 3: 1 and 2 discordant pairs give p = 1.0: 2·P(X ≤ 1 | Bin(3, ½)) = 2·4/8,
		// capped at 1. R: binom.test(1, 3)$p.value = 1.
		{1, 2, 1, "issue 3; R binom.test(1, 3)"},
		{2, 1, 1, "symmetric"},
		// Issue 3: 0 and 10 give p ≈ 0.002: 2·½^10 = 0.001953125.
		// R: binom.test(0, 10)$p.value = 0.001953.
		{0, 10, 0.001953125, "issue 3; R binom.test(0, 10)"},
		// 2·(1+14+91+364)/2^14 = 940/16384, worked by hand from the binomial pmf;
		// R: binom.test(3, 14)$p.value = 0.05737.
		{3, 11, 940.0 / 16384, "hand; R binom.test(3, 14)"},
		{0, 0, 1, "no discordance"},
		{5, 5, 1, "balanced"},
	}
	for _, tt := range tests {
		if got := McNemarExact(tt.b, tt.c); !near(got, tt.want, 1e-9) {
			t.Errorf("McNemarExact(%d, %d) = %.6f, want %.6f (%s)", tt.b, tt.c, got, tt.want, tt.source)
		}
	}
}

func TestMinDiscordant(t *testing.T) {
	// 2·½^5 = 0.0625 > 0.05 ≥ 2·½^6 = 0.03125; 2·½^7 = 0.0156 > 0.01 ≥ 2·½^8.
	for alpha, want := range map[float64]int{0.05: 6, 0.01: 8, 0.5: 2} {
		if got := MinDiscordant(alpha); got != want {
			t.Errorf("MinDiscordant(%v) = %d, want %d", alpha, got, want)
		}
	}
}

func TestMDD(t *testing.T) {
	// Worked by hand from the closed form in the package doc, with z_.975 = 1.959964 and
	// z_.80 = 0.841621: n = 1000, ψ = 0.1 gives
	// √0.1·(√1000·1.959964 + 0.841621·√(1000 − 3.841459 + 0.708326)) / 1000.708326
	// = 0.316228·(61.97944 + 26.57075)/1000.708326 = 0.027983.
	if got := MDD(1000, 0.1, 0.05, 0.8); !near(got, 0.027983, 2e-6) {
		t.Errorf("MDD(1000, 0.1) = %.6f, want 0.027983", got)
	}
	// The seed's 40 items: the formula gives 0.136 for ψ = 0.1, but the exact test needs
	// 6 discordant pairs all one way, so nothing below 6/40 = 0.15 can be detected.
	for _, psi := range []float64{0, 0.05, 0.1} {
		if got := MDD(40, psi, 0.05, 0.8); got != 0.15 {
			t.Errorf("MDD(40, %v) = %v, want the floor 0.15", psi, got)
		}
	}
	if got := MDD(0, 0.1, 0.05, 0.8); got != 1 {
		t.Errorf("MDD(0) = %v, want 1", got)
	}
	// MDD inverts Connor's sample size formula.
	for _, c := range []struct {
		n   int
		psi float64
	}{{200, 0.2}, {1319, 0.08}, {14042, 0.05}} {
		d := MDD(c.n, c.psi, 0.05, 0.8)
		if n := connorN(d, c.psi, 0.05, 0.8); !near(n, float64(c.n), 1e-6*float64(c.n)) {
			t.Errorf("connorN(MDD(%d, %v) = %v) = %v, want %d", c.n, c.psi, d, n, c.n)
		}
	}
}

// TestMDDPower checks the approximation against the exact power of the exact test:
// at the MDD the chance that McNemarExact rejects should be close to 80%.
func TestMDDPower(t *testing.T) {
	const n, psi, alpha = 600, 0.12, 0.05
	d := MDD(n, psi, alpha, 0.8)
	// Discordant pairs K ~ Bin(n, ψ); given K, the pairs lost B ~ Bin(K, (ψ+d)/(2ψ)).
	pk := distuv.Binomial{N: n, P: psi}
	power := 0.0
	for k := 1; k <= n; k++ {
		wk := pk.Prob(float64(k))
		if wk < 1e-12 {
			continue
		}
		pb := distuv.Binomial{N: float64(k), P: (psi + d) / (2 * psi)}
		for b := 0; b <= k; b++ {
			if McNemarExact(b, k-b) <= alpha {
				power += wk * pb.Prob(float64(b))
			}
		}
	}
	if power < 0.75 || power > 0.85 {
		t.Errorf("exact power at MDD(%d, %v) = %.3f is %.3f, want about 0.80", n, psi, d, power)
	}
}

func TestNewcombe(t *testing.T) {
	// The paired table of Altman et al., Statistics with Confidence (2000), Table 6.2
	// (14 both, 5 first only, 0 second only, 22 neither). Expected limits worked out
	// from Newcombe's method 10 (Statistics in Medicine 17:2635-2650, 1998): Wilson
	// intervals 19/41 → [0.32056, 0.61254], 14/41 → [0.21559, 0.49450]; phi with the
	// n/2 correction = (308 − 20.5)/√(19·22·14·27) = 0.72328; then
	// θ − √(0.14285² − 2φ·0.14285·0.15304 + 0.15304²) = 0.011483 and
	// θ + √(0.14912² − 2φ·0.14912·0.12588 + 0.12588²) = 0.226493.
	tab := Table2x2{Both: 14, Gained: 5, Lost: 0, Neither: 22}
	got := Newcombe(tab, 0.95)
	if !near(got.Center, 5.0/41, 1e-12) || !near(got.Lo, 0.011483, 2e-6) || !near(got.Hi, 0.226493, 2e-6) {
		t.Errorf("Newcombe(%+v) = %+v, want 0.121951 [0.011483, 0.226493]", tab, got)
	}
	// Swapping the variants mirrors the interval.
	sw := Newcombe(Table2x2{Both: 14, Gained: 0, Lost: 5, Neither: 22}, 0.95)
	if !near(sw.Lo, -got.Hi, 1e-12) || !near(sw.Hi, -got.Lo, 1e-12) {
		t.Errorf("swapped = %+v, want the mirror of %+v", sw, got)
	}
	// Identical variants: centre 0, interval around it, inside [-1, 1].
	id := Newcombe(Table2x2{Both: 30, Neither: 10}, 0.95)
	if id.Center != 0 || id.Lo >= 0 || id.Hi <= 0 || id.Lo < -1 || id.Hi > 1 {
		t.Errorf("identical = %+v, want 0 inside (lo, hi) within [-1, 1]", id)
	}
}

func TestMedianMean(t *testing.T) {
	if got := Median([]float64{5, 1, 3}); got != 3 {
		t.Errorf("Median odd = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("Median even = %v", got)
	}
	if got := Mean([]float64{1, 2, 6}); got != 3 {
		t.Errorf("Mean = %v", got)
	}
	if Median(nil) != 0 || Mean(nil) != 0 {
		t.Error("empty not 0")
	}
}

// connorN is Connor's sample size: the paired items needed to detect difference d at
// level alpha with the given power when a share psi is discordant. MDD inverts it.
func connorN(d, psi, alpha, power float64) float64 {
	za := z(1 - alpha)
	zb := distuv.UnitNormal.Quantile(power)
	s := za*math.Sqrt(psi) + zb*math.Sqrt(math.Max(0, psi-d*d))
	return s * s / (d * d)
}
