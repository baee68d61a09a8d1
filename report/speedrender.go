package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// speedTables are the speed section's two tables, shared by the Markdown and the
// HTML: throughput and latency per level, then load time, memory and cost.
func (c *Comparison) speedTables() []*textTable {
	s := c.Speed
	if s == nil {
		return nil
	}
	x := c.T("sp_xref")
	lat := &textTable{Left: 1, Head: []string{c.T("precision"), c.T("sp_conc"), c.T("sp_otps"), x,
		c.T("sp_ttft50"), x, c.T("sp_ttft99"), x, c.T("sp_tpot50"), x, c.T("sp_tpot99"), x}}
	repeats := 1
	for _, sv := range s.Variants {
		for _, l := range sv.Levels {
			repeats = max(repeats, l.Repeats)
			row := []string{c.speedLabel(&sv), strconv.Itoa(l.Concurrency)}
			var r SpeedRatios
			if l.VsRef != nil {
				r = *l.VsRef
			}
			for _, f := range []struct {
				s Spread
				r float64
			}{{l.OutputTPS, r.OutputTPS}, {l.TTFTP50, r.TTFTP50}, {l.TTFTP99, r.TTFTP99}, {l.TPOTP50, r.TPOTP50}, {l.TPOTP99, r.TPOTP99}} {
				row = append(row, spreadCell(f.s), ratioCell(f.r, sv.Reference))
			}
			lat.Rows = append(lat.Rows, row)
		}
	}
	lat.Notes = append(lat.Notes, c.T("sp_rationote"))
	if repeats > 1 {
		lat.Notes = append(lat.Notes, c.Tf("sp_repnote", repeats))
	}
	lat.Notes = append(lat.Notes, c.T("sp_defnote"))
	lat.Notes = append(lat.Notes, s.Notes...)

	dep := &textTable{Left: 1, Head: []string{c.T("precision"), c.T("sp_load"), c.T("sp_mem"), c.T("sp_vsref"), c.T("sp_costh"),
		c.Tf("sp_costm", s.Level)}}
	for _, sv := range s.Variants {
		row := []string{c.speedLabel(&sv), "–", "–", "", "–", "–"}
		if sv.LoadSeconds != nil {
			row[1] = fmt.Sprintf("%.1f", *sv.LoadSeconds)
		}
		if m := sv.MemoryMiB(); m != nil {
			row[2] = strconv.Itoa(*m)
		} else if sv.MemoryNote != "" {
			row[2] = c.T("sp_notmeas")
		}
		if sv.MemoryRatio != nil {
			row[3] = signedPct(*sv.MemoryRatio - 1)
		}
		if sv.CostPerHour != nil {
			row[4] = fmt.Sprintf("%.4g", *sv.CostPerHour)
		}
		if sv.CostPerMillion != nil {
			row[5] = fmt.Sprintf("%.4g", *sv.CostPerMillion)
		}
		dep.Rows = append(dep.Rows, row)
	}
	dep.Notes = append(dep.Notes, c.T("sp_memnote"))
	for _, sv := range s.Variants {
		if sv.MemoryNote != "" {
			dep.Notes = append(dep.Notes, c.Tf("sp_varnote", sv.Label, strings.TrimSuffix(sv.MemoryNote, ".")))
		}
		if len(sv.Determinism) > 0 {
			var kv []string
			for _, k := range sortedKeys(sv.Determinism) {
				kv = append(kv, k+"="+sv.Determinism[k])
			}
			dep.Notes = append(dep.Notes, c.Tf("sp_ranwith", sv.Label, strings.Join(kv, ", ")))
		}
	}
	return []*textTable{lat, dep}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func (c *Comparison) speedLabel(sv *SpeedVariant) string {
	if sv.Reference {
		return sv.Label + " (" + c.T("ref") + ")"
	}
	return sv.Label
}

// fmtFig prints a figure with three significant digits or more.
func fmtFig(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func spreadCell(s Spread) string {
	if s.N == 0 {
		return "–"
	}
	if s.N > 1 {
		return fmtFig(s.Mean) + " ± " + fmtFig(s.SD)
	}
	return fmtFig(s.Mean)
}

func ratioCell(r float64, isRef bool) string {
	if isRef || r == 0 {
		return ""
	}
	return formatRatio(r)
}

func mdSpeed(c *Comparison, w *errWriter) {
	tables := c.speedTables()
	if tables == nil {
		return
	}
	w.printf("**%s**\n\n", c.Tf("sp_title", mdEscape(c.Reference)))
	for i, t := range tables {
		if i > 0 {
			w.printf("\n")
		}
		mdPlainTable(w, t)
	}
	w.printf("\n**%s**\n\n", c.T("sp_decisions"))
	for i := range c.Variants {
		if line := c.decisionLine(&c.Variants[i], mdEscape); line != "" {
			w.printf("- %s\n", line)
		}
	}
}

func mdNoiseFloor(c *Comparison, w *errWriter) {
	lines := c.floorLines(mdEscape)
	if lines == nil {
		return
	}
	w.printf("**%s**\n\n%s\n\n", c.T("sp_floor"), lines[0])
	for _, l := range lines[1:] {
		w.printf("- %s\n", l)
	}
}

// mdPlainTable writes a textTable, without a title, with its notes below.
func mdPlainTable(w *errWriter, t *textTable) {
	mdGrid(w, t, t.Left)
	if len(t.Notes) > 0 {
		notes := make([]string, len(t.Notes))
		for i, n := range t.Notes {
			notes[i] = mdEscape(n)
		}
		w.printf("\n%s\n", strings.Join(notes, " "))
	}
}

// speedCSVHeader is speed.csv's one table: one row per variant and level.
var speedCSVHeader = []string{"label", "reference", "concurrency", "repeats",
	"output_tps", "output_tps_min", "output_tps_max", "output_tps_sd",
	"ttft_p50_ms", "ttft_p50_sd", "ttft_p99_ms", "ttft_p99_sd", "tpot_p50_ms", "tpot_p50_sd", "tpot_p99_ms", "tpot_p99_sd",
	"output_tps_ratio", "ttft_p50_ratio", "ttft_p99_ratio", "tpot_p50_ratio", "tpot_p99_ratio",
	"load_s", "gpu_after_load_mib", "gpu_peak_mib", "gpu_memory_ratio", "cost_per_hour", "cost_per_million_output_tokens"}

// SpeedCSV writes the speed section as one tidy table (nothing without one).
func (c *Comparison) SpeedCSV(w io.Writer) error {
	if c.Speed == nil {
		return nil
	}
	rows := [][]string{speedCSVHeader}
	optF := func(x *float64) string {
		if x == nil {
			return ""
		}
		return num(*x)
	}
	optI := func(x *int) string {
		if x == nil {
			return ""
		}
		return strconv.Itoa(*x)
	}
	for _, sv := range c.Speed.Variants {
		for _, l := range sv.Levels {
			row := []string{csvText(sv.Label), strconv.FormatBool(sv.Reference), strconv.Itoa(l.Concurrency), strconv.Itoa(l.Repeats),
				num(l.OutputTPS.Mean), num(l.OutputTPS.Min), num(l.OutputTPS.Max), num(l.OutputTPS.SD),
				num(l.TTFTP50.Mean), num(l.TTFTP50.SD), num(l.TTFTP99.Mean), num(l.TTFTP99.SD),
				num(l.TPOTP50.Mean), num(l.TPOTP50.SD), num(l.TPOTP99.Mean), num(l.TPOTP99.SD)}
			if r := l.VsRef; r != nil {
				row = append(row, num(r.OutputTPS), num(r.TTFTP50), num(r.TTFTP99), num(r.TPOTP50), num(r.TPOTP99))
			} else {
				row = append(row, "", "", "", "", "")
			}
			var cpm *float64
			if l.Concurrency == c.Speed.Level {
				cpm = sv.CostPerMillion
			}
			row = append(row, optF(sv.LoadSeconds), optI(sv.AfterLoadMiB), optI(sv.PeakMiB), optF(sv.MemoryRatio), optF(sv.CostPerHour), optF(cpm))
			rows = append(rows, row)
		}
	}
	if err := csv.NewWriter(w).WriteAll(rows); err != nil {
		return fmt.Errorf("speed csv: %w", err)
	}
	return nil
}
