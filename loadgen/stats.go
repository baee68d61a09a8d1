package loadgen

import (
	"math"
	"slices"
	"time"
)

// Dist summarises one latency in milliseconds over a level's requests.
type Dist struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
}

// SLO bounds a request's latencies in milliseconds; zero means unbounded.
type SLO struct {
	TTFTMs float64 `json:"ttft_ms,omitempty"`
	TPOTMs float64 `json:"tpot_ms,omitempty"`
	E2ELMs float64 `json:"e2el_ms,omitempty"`
}

// IsZero reports an SLO that bounds nothing.
func (s SLO) IsZero() bool { return s == SLO{} }

// met applies vLLM's goodput rule: every bound given holds (a reply of one token
// has a TPOT of 0).
func (s SLO) met(x Sample) bool {
	return (s.TTFTMs <= 0 || x.TTFTMs <= s.TTFTMs) &&
		(s.TPOTMs <= 0 || x.TPOTMs <= s.TPOTMs) &&
		(s.E2ELMs <= 0 || x.E2ELMs <= s.E2ELMs)
}

// Goodput is how many completed requests met the SLO, and their rate.
type Goodput struct {
	SLO          SLO     `json:"slo"`
	Good         int     `json:"good"`
	RequestsPerS float64 `json:"requests_per_s"`
	Fraction     float64 `json:"fraction"` // of all counted requests, failed ones included
}

// Stats are one level's figures, computed by Summarize from its samples.
type Stats struct {
	Completed    int     `json:"completed"`
	Failed       int     `json:"failed"`
	DurationS    float64 `json:"duration_s"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	// EstimatedOutputs counts replies without usage, whose tokens are counted
	// from their chunks.
	EstimatedOutputs int `json:"estimated_outputs,omitempty"`

	RequestThroughput float64 `json:"request_throughput"` // completed requests / s
	OutputThroughput  float64 `json:"output_throughput"`  // output tokens / s
	TotalThroughput   float64 `json:"total_throughput"`   // (input + output tokens) / s

	TTFT Dist `json:"ttft_ms"`
	TPOT Dist `json:"tpot_ms"` // replies of more than one token only, as vLLM
	ITL  Dist `json:"itl_ms"`  // every gap of every reply
	E2EL Dist `json:"e2el_ms"`

	Goodput *Goodput       `json:"goodput,omitempty"`
	Errors  map[string]int `json:"errors,omitempty"` // by ErrorKind
}

// Summarize computes a level's statistics from its counted samples and the time the
// level took, the way vLLM's serve.py does: throughputs over the whole duration,
// percentiles by linear interpolation between order statistics (numpy's default).
func Summarize(samples []Sample, dur time.Duration, slo SLO) Stats {
	st := Stats{DurationS: dur.Seconds()}
	var ttft, tpot, itl, e2el []float64
	good := 0
	for _, x := range samples {
		if x.ErrorKind != "" {
			st.Failed++
			if st.Errors == nil {
				st.Errors = map[string]int{}
			}
			st.Errors[x.ErrorKind]++
			continue
		}
		st.Completed++
		st.InputTokens += x.InputTokens
		st.OutputTokens += x.OutputTokens
		if x.OutputEstimated {
			st.EstimatedOutputs++
		}
		ttft = append(ttft, x.TTFTMs)
		e2el = append(e2el, x.E2ELMs)
		if x.OutputTokens > 1 {
			tpot = append(tpot, x.TPOTMs)
		}
		itl = append(itl, x.ITLMs...)
		if slo.met(x) {
			good++
		}
	}
	if s := dur.Seconds(); s > 0 {
		st.RequestThroughput = float64(st.Completed) / s
		st.OutputThroughput = float64(st.OutputTokens) / s
		st.TotalThroughput = float64(st.InputTokens+st.OutputTokens) / s
	}
	st.TTFT, st.TPOT, st.ITL, st.E2EL = distOf(ttft), distOf(tpot), distOf(itl), distOf(e2el)
	if !slo.IsZero() {
		g := &Goodput{SLO: slo, Good: good}
		if s := dur.Seconds(); s > 0 {
			g.RequestsPerS = float64(good) / s
		}
		if n := st.Completed + st.Failed; n > 0 {
			g.Fraction = float64(good) / float64(n)
		}
		st.Goodput = g
	}
	return st
}

func distOf(v []float64) Dist {
	if len(v) == 0 {
		return Dist{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Dist{N: len(s), Mean: sum / float64(len(s)), Median: Percentile(s, 50), P90: Percentile(s, 90), P99: Percentile(s, 99)}
}

// Percentile returns the p-th percentile (0..100) of sorted values, interpolating
// linearly between the two nearest ranks as numpy.percentile does by default.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}
