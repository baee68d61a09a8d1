package result

import "testing"

func TestSummarizeTiming(t *testing.T) {
	recs := []Record{
		{ID: "a", Timing: &Timing{TTFTMs: 100, E2ELMs: 1000, OutputTokens: 10, TPOTMs: 100}},
		{ID: "b", Timing: &Timing{TTFTMs: 200, E2ELMs: 200, OutputTokens: 1}}, // one token: no TPOT
		{ID: "c", Timing: &Timing{TTFTMs: 300, E2ELMs: 3300, OutputTokens: 11, TPOTMs: 300}},
		{ID: "d", Error: "HTTP 500", Timing: &Timing{TTFTMs: 9999}}, // failed: not counted
		{ID: "e"}, // not streamed
	}
	s := Summarize(recs).Timing
	if s == nil {
		t.Fatal("no timing summary")
	}
	want := TimingSummary{Items: 3,
		TTFT: Percentiles{N: 3, Mean: 200, P50: 200, P90: 280},
		TPOT: Percentiles{N: 2, Mean: 200, P50: 200, P90: 280},
		E2EL: Percentiles{N: 3, Mean: 1500, P50: 1000, P90: 2840}}
	if *s != want {
		t.Errorf("timing summary\n got %+v\nwant %+v", *s, want)
	}
	if Summarize(recs[4:]).Timing != nil {
		t.Error("a run without timings has a timing summary")
	}
}
