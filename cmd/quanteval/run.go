package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/result"
)

const runUsage = `usage: quanteval run [--base-url URL] [--model NAME] [--evalset SPEC] [--out PATH] [flags]

Evaluates one OpenAI-compatible endpoint on an eval set and writes a result file.
The flags of the seed's eval_openai_accuracy.py keep their names and meaning.

flags:
`

// runFlags are the flags of `run`: every setting of an evaluation, then where the
// result goes; order is the order help lists them in (the README's).
func runFlags(stderr io.Writer) (fs *flag.FlagSet, o *eval.Options, out *string, resume, quiet *bool) {
	var order []string
	for _, s := range eval.Settings {
		order = append(order, s.Flag)
	}
	order = append(order, "out", "resume", "quiet")
	fs = newFlagSet("run", runUsage, stderr, order...)
	opts := eval.Defaults()
	eval.Register(fs, &opts)
	out = fs.String("out", "", "the result file `PATH`; - writes it to stdout (default results/EVALSET__MODEL.json)")
	resume = fs.Bool("resume", false, "continue from the journal beside --out without repeating finished items")
	quiet = fs.Bool("quiet", false, "no progress display (notices and warnings still go to stderr)")
	return fs, &opts, out, resume, quiet
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o, out, resume, quiet := runFlags(stderr)
	rest, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if len(rest) > 0 {
		return usagef("run: unexpected argument %q", rest[0])
	}
	progress := stderr
	if *quiet {
		progress = nil
	}
	f, err := eval.Run(ctx, *o, eval.Output{Path: *out, Resume: *resume, Progress: progress, Notes: stderr, Stdout: stdout,
		Tool: "quanteval " + version, StopNow: stopNowOf(ctx)})
	if f != nil {
		w := stdout
		if *out == "-" {
			w = stderr
		}
		writeSummary(w, f)
	}
	return err
}

// writeSummary ends a run with its accuracy: one line per secondary metric, the
// statistics of repeated samples (avg@n with its interval, pass@k, maj@n), the
// streamed replies' median latencies when the run streamed
// ("latency p50: TTFT 41.2 ms, TPOT 12.0 ms, E2EL 802.5 ms (40 streamed items)"),
// then, last, "accuracy = 0.850 (34/40), 0 errors".
func writeSummary(w io.Writer, f *result.File) {
	s := f.Summary
	line := fmt.Sprintf("accuracy = %.3f (%d/%d), %d errors", s.Accuracy, s.OK, s.Count, s.Errors)
	if !f.Complete {
		line += fmt.Sprintf(", incomplete (%d of %d items)", s.Count, f.Evalset.Count)
	}
	for _, name := range result.SortedKeys(s.Metrics) {
		fmt.Fprintf(w, "%s = %.3f (%d/%d)\n", name, s.Metrics[name].Accuracy, s.Metrics[name].OK, s.Metrics[name].Count)
	}
	writeRepeated(w, s)
	if t := s.Timing; t != nil && t.Items > 0 {
		tpot := "n/a (one-token replies)"
		if t.TPOT.N > 0 {
			tpot = fmt.Sprintf("%.1f ms", t.TPOT.P50)
		}
		fmt.Fprintf(w, "latency p50: TTFT %.1f ms, TPOT %s, E2EL %.1f ms (%d streamed items)\n", t.TTFT.P50, tpot, t.E2EL.P50, t.Items)
	}
	fmt.Fprintln(w, line)
}

// writeRepeated writes the statistics of repeated samples, if the run has them:
// "avg@4 = 0.500 (95% CI 0.213-0.787, 3 items)", "pass@1 = 0.500, pass@4 = 0.667",
// "maj@4 = 0.667".
func writeRepeated(w io.Writer, s result.Summary) {
	if s.AvgAtN == nil {
		return
	}
	a := s.AvgAtN
	fmt.Fprintf(w, "avg@%d = %.3f (%.0f%% CI %.3f-%.3f, %d items)\n", s.Samples, a.Value, 100*a.Confidence, a.Lo, a.Hi, a.Items)
	ks := make([]int, 0, len(s.PassAtK))
	for k := range s.PassAtK {
		if n, err := strconv.Atoi(k); err == nil {
			ks = append(ks, n)
		}
	}
	slices.Sort(ks)
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("pass@%d = %.3f", k, s.PassAtK[strconv.Itoa(k)])
	}
	if len(parts) > 0 {
		fmt.Fprintln(w, strings.Join(parts, ", "))
	}
	if s.MajAtN != nil {
		fmt.Fprintf(w, "maj@%d = %.3f\n", s.Samples, *s.MajAtN)
	}
}
