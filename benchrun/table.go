package benchrun

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/result"
)

// WriteTable writes one Markdown row per level measured: load, request and output
// token throughput, TTFT and TPOT p50/p99, E2EL p50 (milliseconds), goodput and
// errors by kind; then the result's notes and the levels' warnings.
func WriteTable(w io.Writer, res *loadgen.Result) error {
	var b strings.Builder
	b.WriteString("| level | req/s | output tok/s | TTFT p50 | TTFT p99 | TPOT p50 | TPOT p99 | E2EL p50 | goodput | errors |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, lr := range res.Levels {
		st := lr.Stats
		name := LevelName(lr.Level)
		if res.Params.Repeats > 1 {
			name += fmt.Sprintf(" #%d", lr.Repeat+1)
		}
		if !lr.Complete {
			name += " (interrupted)"
		}
		fmt.Fprintf(&b, "| %s | %.2f | %.1f | %s | %s | %s | %s | %s | %s | %s |\n", name,
			st.RequestThroughput, st.OutputThroughput, msCell(st.TTFT.N, st.TTFT.Median), msCell(st.TTFT.N, st.TTFT.P99),
			msCell(st.TPOT.N, st.TPOT.Median), msCell(st.TPOT.N, st.TPOT.P99), msCell(st.E2EL.N, st.E2EL.Median),
			goodputCell(st.Goodput), errorsCell(st))
	}
	b.WriteString("\nLatencies in ms (vLLM's definitions: TTFT to the first chunk, TPOT = (E2EL - TTFT) / (output tokens - 1)).\n")
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, lr := range res.Levels {
		for _, warn := range lr.Warnings {
			fmt.Fprintf(&b, "note (%s): %s\n", LevelName(lr.Level), warn)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func msCell(n int, v float64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func goodputCell(g *loadgen.Goodput) string {
	if g == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f req/s (%.0f%%)", g.RequestsPerS, 100*g.Fraction)
}

func errorsCell(st loadgen.Stats) string {
	if st.Failed == 0 {
		return "0"
	}
	var kinds []string
	for _, k := range result.SortedKeys(st.Errors) {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, st.Errors[k]))
	}
	return fmt.Sprintf("%d (%s)", st.Failed, strings.Join(kinds, ", "))
}

// ParseSLO reads "ttft:MS,tpot:MS,e2el:MS" (any of the three, in any order).
func ParseSLO(s string) (loadgen.SLO, error) {
	var slo loadgen.SLO
	if strings.TrimSpace(s) == "" {
		return slo, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || ms <= 0 {
			return slo, fmt.Errorf("--slo %q: want ttft:MS,tpot:MS,e2el:MS with positive milliseconds", s)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "ttft":
			slo.TTFTMs = ms
		case "tpot":
			slo.TPOTMs = ms
		case "e2el":
			slo.E2ELMs = ms
		default:
			return slo, fmt.Errorf("--slo %q: unknown bound %q (want ttft, tpot or e2el)", s, k)
		}
	}
	return slo, nil
}

// ParseInts reads a comma-separated list of positive whole numbers ("1,4,16,64").
func ParseInts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive whole numbers separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}
