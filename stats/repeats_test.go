package stats

import (
	"math"
	"slices"
	"testing"
)

func TestPassAtK(t *testing.T) {
	tests := []struct {
		n, c, k int
		want    float64
		why     string
	}{
		{5, 0, 1, 0, "no right sample"},
		{5, 5, 1, 1, "every sample right"},
		{5, 5, 5, 1, "every sample right, k = n"},
		{10, 3, 1, 0.3, "pass@1 is c/n"},
		{10, 3, 5, 1 - 21.0/252, "1 - C(7,5)/C(10,5) = 1 - 21/252"},
		{10, 3, 8, 1, "n - c < k: some right sample is always drawn"},
		{4, 1, 2, 0.5, "1 - C(3,2)/C(4,2) = 1 - 3/6"},
		{4, 2, 2, 1 - 1.0/6, "1 - C(2,2)/C(4,2)"},
		{8, 1, 8, 1, "k = n with one right"},
		{3, 1, 4, 0, "k > n: not estimable"},
		{3, 1, 0, 0, "k < 1"},
		{200, 7, 100, 1 - binomRatio(193, 200, 100), "large n stays exact"},
	}
	for _, tt := range tests {
		if got := PassAtK(tt.n, tt.c, tt.k); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("PassAtK(%d, %d, %d) = %v, want %v (%s)", tt.n, tt.c, tt.k, got, tt.want, tt.why)
		}
	}
}

// binomRatio is C(a, k)/C(b, k) by log-gamma, an independent route to the product.
func binomRatio(a, b, k int) float64 {
	lc := func(n, k int) float64 {
		x, _ := math.Lgamma(float64(n + 1))
		y, _ := math.Lgamma(float64(k + 1))
		z, _ := math.Lgamma(float64(n - k + 1))
		return x - y - z
	}
	return math.Exp(lc(a, k) - lc(b, k))
}

func TestPassKs(t *testing.T) {
	for n, want := range map[int][]int{1: {1}, 2: {1, 2}, 5: {1, 2, 4, 5}, 8: {1, 2, 4, 8}, 0: nil} {
		if got := PassKs(n); !slices.Equal(got, want) {
			t.Errorf("PassKs(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestMeanT(t *testing.T) {
	// Mean 0.5, s = sqrt(((.25)^2*2 + (.25)^2*2)/3) = 0.288675, se = 0.144338;
	// t(0.975, 3) = 3.182446: half-width 0.459347.
	got := MeanT([]float64{0.25, 0.75, 0.25, 0.75}, 0.95)
	if !near(got.Center, 0.5, 1e-12) || !near(got.Lo, 0.5-0.459347, 1e-5) || !near(got.Hi, 0.5+0.459347, 1e-5) {
		t.Errorf("MeanT = %+v", got)
	}
	if got := MeanT([]float64{1, 1, 0.9}, 0.95); got.Hi != 1 {
		t.Errorf("MeanT near 1 = %+v, want hi clipped to 1", got)
	}
	if got := MeanT([]float64{0.4}, 0.95); got.Lo != 0 || got.Hi != 1 || got.Center != 0.4 {
		t.Errorf("MeanT of one item = %+v, want 0.4 in [0, 1]", got)
	}
}

func TestMajority(t *testing.T) {
	tests := []struct {
		in    []string
		want  string
		votes int
	}{
		{[]string{"4", "5", "4"}, "4", 2},
		{[]string{"5", "4", "4", "5"}, "5", 2}, // tie: the first given wins
		{[]string{"4", "5", "5", "4"}, "4", 2},
		{[]string{"", "", "7"}, "7", 1}, // empty answers do not vote
		{[]string{"", ""}, "", 0},
		{nil, "", 0},
	}
	for _, tt := range tests {
		if got, v := Majority(tt.in); got != tt.want || v != tt.votes {
			t.Errorf("Majority(%q) = %q, %d; want %q, %d", tt.in, got, v, tt.want, tt.votes)
		}
	}
}

func TestSignFlipExact(t *testing.T) {
	// Five items all lower by 1: only the two all-same-sign patterns are as extreme,
	// p = 2/32.
	if got := SignFlipP([]float64{-1, -1, -1, -1, -1, 0, 0}, 0, 1); got != 2.0/32 {
		t.Errorf("p = %v, want 2/32", got)
	}
	// {+1, -1}: every pattern is as extreme as 0: p = 1.
	if got := SignFlipP([]float64{1, -1}, 0, 1); got != 1 {
		t.Errorf("p = %v, want 1", got)
	}
	// {0.5, 0.25, 0.25}: sums ±1 (2 patterns), ±0.5 (4), 0 (2): |s| >= 1 in 2 of 8.
	if got := SignFlipP([]float64{0.5, 0.25, 0.25}, 0, 1); got != 0.25 {
		t.Errorf("p = %v, want 0.25", got)
	}
	if got := SignFlipP([]float64{0, 0}, 0, 1); got != 1 {
		t.Errorf("no difference: p = %v, want 1", got)
	}
}

func TestSignFlipMonteCarlo(t *testing.T) {
	// 30 items all lower by 0.5: exact p = 2/2^30; Monte Carlo gives its floor 1/(1+B).
	d := make([]float64, 30)
	for i := range d {
		d[i] = -0.5
	}
	if got := SignFlipP(d, 999, RandomSeed); got != 1.0/1000 {
		t.Errorf("p = %v, want 1/1000", got)
	}
	// Balanced: 15 up, 15 down; p near 1, and reproducible.
	for i := 0; i < 15; i++ {
		d[i] = 0.5
	}
	a, b := SignFlipP(d, 2000, RandomSeed), SignFlipP(d, 2000, RandomSeed)
	if a != b || a < 0.9 {
		t.Errorf("balanced p = %v then %v, want the same and near 1", a, b)
	}
}

func TestPairedBootstrap(t *testing.T) {
	d := []float64{-0.5, -0.25, 0, 0, -0.25, 0.25, -0.5, 0, -0.25, 0}
	a := PairedBootstrap(d, 5000, RandomSeed, 0.95)
	b := PairedBootstrap(d, 5000, RandomSeed, 0.95)
	if a != b {
		t.Fatalf("not reproducible: %+v vs %+v", a, b)
	}
	if !near(a.Center, -0.15, 1e-12) || a.Lo >= a.Center || a.Hi <= a.Center || a.Lo < -0.5 || a.Hi > 0.25 {
		t.Errorf("bootstrap %+v: want -0.15 inside, within the data's range", a)
	}
	// The interval's half-width is about 1.96 standard errors of the mean.
	se := SD(d) / math.Sqrt(float64(len(d)))
	if w := (a.Hi - a.Lo) / 2; w < 1.5*se || w > 2.4*se {
		t.Errorf("half-width %v, want about 1.96 x %v", w, se)
	}
	if c := PairedBootstrap([]float64{0.2, 0.2}, 100, 1, 0.95); c.Lo != 0.2 || c.Hi != 0.2 {
		t.Errorf("constant differences: %+v", c)
	}
}

func TestPairedMDD(t *testing.T) {
	// (1.959964 + 0.841621) * 0.5 / 10 = 0.140079.
	if got := PairedMDD(100, 4, 0.5, 0.05, 0.8); !near(got, 0.140079, 1e-5) {
		t.Errorf("PairedMDD = %v", got)
	}
	// Identical variants: the floor, 6 items of 100 moved by one of 4 samples.
	if got := PairedMDD(100, 4, 0, 0.05, 0.8); !near(got, 6.0/400, 1e-12) {
		t.Errorf("PairedMDD floor = %v", got)
	}
}

// A 14,042-item MMLU comparison of per-item rates: the cost of one pairing.
func BenchmarkPairedMMLU(b *testing.B) {
	d := make([]float64, 14042)
	r := rng{s: 1}
	for i := range d {
		d[i] = float64(int(r.next()%9)-4) / 8
	}
	for b.Loop() {
		PairedBootstrap(d, BootstrapResamples, RandomSeed, 0.95)
		SignFlipP(d, SignFlipResamples, RandomSeed)
	}
}
