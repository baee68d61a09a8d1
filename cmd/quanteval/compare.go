package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/report"
)

const compareUsage = `usage: quanteval compare RESULT.json... [--ref LABEL] [--labels A,B,C] [--out-dir DIR]
       [--format md,csv,json,png,svg,html] [--lang en|zh] [--alpha 0.05]
       [--chart-size 960x540] [--bench BENCH.json]... [--speed-level N]
       [--ref-repeat RESULT.json]...

Compares result files of 'quanteval run' over the same eval set: accuracy with its
95% Wilson interval, and for each variant against the reference the difference, the
exact McNemar p-value, the flips and the smallest difference the set could detect,
and how far its outputs drift from the reference's: identical outputs, common prefix,
first divergence and, when both runs kept log-probabilities (run --logprobs K), the
KL divergence and top-1 agreement. A side file that is missing is a warning.
With --bench, or among the files (recognised by their schema, quanteval/bench/v1),
bench results ( of 'quanteval bench' or a matrix plan's bench, matched
to the variants by variant name or model) it adds a speed section: output tokens/s,
TTFT and TPOT against the reference at each concurrency, load time, GPU memory and
cost per million output tokens, an accuracy-throughput chart (speed.png, speed.svg),
speed.csv, and a decision line per variant. With --ref-repeat (the reference run
again with the same settings) it shows the noise floor: the reference's flips
against itself, and whether each variant's flips exceed them.
Prints the table (Markdown) and writes the chosen formats to --out-dir as
compare.md, compare.csv, compare.json, compare.png, compare.svg and compare.html.

flags:
`

func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", compareUsage, stderr)
	ref := fs.String("ref", "", "the `LABEL` of the reference variant (default: the last file)")
	labels := fs.String("labels", "", "comma-separated `LABELS`, one per file (default: short model names)")
	outDir := fs.String("out-dir", "", "the folder (`DIR`) for the report files (default: none, or . when --format is given)")
	formats := fs.String("format", strings.Join(report.Formats, ","), "comma-separated report `FORMATS` to write")
	lang := fs.String("lang", "en", "the language (`LANG`) of headers and verdicts: en or zh")
	alpha := fs.Float64("alpha", report.DefaultAlpha, "significance level (`ALPHA`) of the tests")
	size := fs.String("chart-size", fmt.Sprintf("%dx%d", report.ChartWidth, report.ChartHeight), "size of the PNG and SVG chart in pixels, `WIDTHxHEIGHT`")
	var benches, repeats []string
	fs.Func("bench", "a bench result `FILE` (quanteval/bench/v1) to show beside accuracy; repeat the flag or separate with commas", listFlag(&benches))
	fs.Func("ref-repeat", "a further run (`RESULT.json`) of the reference with the same settings, for the noise floor; repeatable", listFlag(&repeats))
	speedLevel := fs.Int("speed-level", 0, "the concurrency `N` of the accuracy-throughput chart and the decision lines (default: the highest every bench has)")
	files, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("compare: %w", err)
	}
	files, found := splitBenchFiles(files)
	benches = append(benches, found...)
	if len(files) == 0 {
		fs.Usage()
		return usagef("compare: no result files")
	}
	out := report.Output{Table: stdout, Dir: *outDir, Wrote: func(path string) { fmt.Fprintln(stderr, "wrote", path) }}
	if out.Formats, err = report.ParseFormats(*formats); err != nil {
		return usagef("compare: --format %w", err)
	}
	if out.Width, out.Height, err = report.ParseChartSize(*size); err != nil {
		return usagef("compare: --chart-size %w", err)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "format" && out.Dir == "" {
			out.Dir = "."
		}
	})
	opt := report.Options{Ref: *ref, Alpha: *alpha, Lang: *lang, Labels: report.SplitLabels(*labels), SpeedLevel: *speedLevel}
	if opt.Bench, err = report.ReadBench(benches); err != nil {
		return usagef("compare: --bench: %w", err)
	}
	if opt.RefRepeats, err = report.ReadInputs(repeats); err != nil {
		return usagef("compare: --ref-repeat: %w", err)
	}
	c, err := report.Load(files, opt)
	if err != nil {
		return usagef("compare: %w", err)
	}
	if err := c.Write(ctx, out); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return nil
}

// splitBenchFiles sets apart, among compare's positional files, the bench results
// (schema quanteval/bench/v1) from the result files; a file it cannot read or
// whose schema it cannot find stays among the results, whose reader reports it.
func splitBenchFiles(files []string) (results, benches []string) {
	for _, f := range files {
		if schemaOf(f) == loadgen.Schema {
			benches = append(benches, f)
		} else {
			results = append(results, f)
		}
	}
	return results, benches
}

// schemaOf is the top-level "schema" string of the JSON object in path, read up to
// that key only (both writers put it first); "" when there is none.
func schemaOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return ""
		}
		if key == "schema" {
			var s string
			json.Unmarshal(v, &s)
			return s
		}
	}
	return ""
}

// listFlag appends each comma-separated value of a repeatable flag to list.
func listFlag(list *[]string) func(string) error {
	return func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*list = append(*list, s)
			}
		}
		return nil
	}
}
