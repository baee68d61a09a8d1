package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	// Expected values are numpy.percentile's (linear interpolation).
	for _, tc := range []struct {
		v    []float64
		p    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 50, 2.5},
		{[]float64{1, 2, 3, 4}, 90, 3.7},
		{[]float64{1, 2, 3, 4}, 99, 3.97},
		{[]float64{1, 2, 3, 4}, 0, 1},
		{[]float64{1, 2, 3, 4}, 100, 4},
		{[]float64{10}, 99, 10},
		{[]float64{0, 100}, 25, 25},
	} {
		if got := Percentile(tc.v, tc.p); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.v, tc.p, got, tc.want)
		}
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("Percentile of nothing is not NaN")
	}
}

func TestSummarize(t *testing.T) {
	samples := []Sample{
		{TTFTMs: 100, TPOTMs: 10, E2ELMs: 1090, ITLMs: []float64{10, 10}, InputTokens: 50, OutputTokens: 100, FinishReason: "length"},
		{TTFTMs: 300, TPOTMs: 20, E2ELMs: 2280, ITLMs: []float64{20, 30}, InputTokens: 50, OutputTokens: 100},
		// One token: no TPOT, and a TPOT of 0 for goodput, as vLLM.
		{TTFTMs: 200, E2ELMs: 200, InputTokens: 50, OutputTokens: 1, OutputEstimated: true},
		{ErrorKind: "http_5xx"},
		{ErrorKind: "http_5xx"},
		{ErrorKind: "timeout"},
	}
	st := Summarize(samples, 2*time.Second, SLO{TTFTMs: 250, TPOTMs: 15})
	check := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if st.Completed != 3 || st.Failed != 3 || st.Errors["http_5xx"] != 2 || st.Errors["timeout"] != 1 || st.EstimatedOutputs != 1 {
		t.Errorf("counts = %+v", st)
	}
	check("request throughput", st.RequestThroughput, 1.5)
	check("output throughput", st.OutputThroughput, 100.5)
	check("total throughput", st.TotalThroughput, 175.5)
	check("ttft mean", st.TTFT.Mean, 200)
	check("ttft median", st.TTFT.Median, 200)
	check("ttft p90", st.TTFT.P90, 280)
	check("tpot mean over 2 replies", st.TPOT.Mean, 15)
	check("tpot n", float64(st.TPOT.N), 2)
	check("itl mean over all gaps", st.ITL.Mean, 17.5)
	check("itl p99", st.ITL.P99, 29.7)
	check("e2el median", st.E2EL.Median, 1090)
	// Good: the first (ttft 100, tpot 10) and the one-token reply (ttft 200, tpot 0).
	if g := st.Goodput; g == nil || g.Good != 2 || g.RequestsPerS != 1 || math.Abs(g.Fraction-2.0/6) > 1e-9 {
		t.Errorf("goodput = %+v", st.Goodput)
	}
	if Summarize(samples, time.Second, SLO{}).Goodput != nil {
		t.Error("goodput without an SLO")
	}
	if empty := Summarize(nil, 0, SLO{E2ELMs: 1}); empty.RequestThroughput != 0 || empty.TTFT.N != 0 || empty.Goodput.Fraction != 0 {
		t.Errorf("empty level = %+v", empty)
	}
}
