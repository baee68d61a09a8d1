package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/matrix"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/report"
	"github.com/quanteval/quanteval/result"
)

const matrixUsage = `usage: quanteval matrix PLAN.yaml [--dry-run] [--only NAME,...] [--resume] [--fail-fast]
       [--max-parallel N] [--emit kubernetes] [--out-dir DIR]

Runs a whole test plan: for each variant in turn, starts its server (vllm, sglang,
llama-server, ollama, or an external endpoint), waits until it serves, runs the
variant's prepare commands and every eval as 'quanteval run' would, stops the server
and frees its GPU memory; then compares the results into OUTPUT/report/EVAL/ and ends
with the comparison tables and the paths of the HTML reports. Logs go to
OUTPUT/logs/, results to OUTPUT/VARIANT/EVAL.json, and what ran to
OUTPUT/manifest.json.

With --emit kubernetes it starts nothing and writes the plan as Kubernetes objects
to --out-dir: a Deployment and Service per variant, an Indexed Job per variant and
eval running the shards of 'quanteval run', and a Job that merges and compares
(see examples/kubernetes/README.md).

flags:
`

func cmdMatrix(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("matrix", matrixUsage, stderr)
	dryRun := fs.Bool("dry-run", false, "print every command line and environment (secrets as ***) and start nothing")
	only := fs.String("only", "", "comma-separated `NAMES` of the variants to run (default: all)")
	resume := fs.Bool("resume", false, "skip evals whose result is complete and resume partial ones from their journal")
	failFast := fs.Bool("fail-fast", false, "stop at the first variant that fails (default: record it and go on)")
	emit := fs.String("emit", "", "write the plan for `TARGET` (kubernetes) to --out-dir instead of running it")
	outDir := fs.String("out-dir", "", "the folder (`DIR`) --emit writes to")
	maxParallel := fs.Int("max-parallel", 0, "run at most `N` variants at once (default: the plan's max_parallel, else as its gpus allow, else 1)")
	files, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("matrix: %w", err)
	}
	if len(files) != 1 {
		fs.Usage()
		return usagef("matrix: want one plan file, got %d", len(files))
	}
	p, err := plan.Read(files[0])
	if err != nil {
		return usageError{err}
	}
	var names []string
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if _, err := matrix.Select(p, names); err != nil {
		return usageError{err}
	}
	if *maxParallel < 0 {
		return usagef("matrix: --max-parallel must be at least 1 (got %d)", *maxParallel)
	}
	if *emit != "" || *outDir != "" {
		return emitPlan(stdout, stderr, p, names, *emit, *outDir, *dryRun)
	}
	if *dryRun {
		return matrix.DryRunMax(stdout, p, names, *maxParallel)
	}
	if err := openPlanEvalsets(ctx, p.Evals, stderr); err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	m, err := matrix.Run(ctx, matrix.Options{
		Plan:     p,
		Evaluate: evaluateJob,
		Report:   compareReport(stdout, stderr),
		Only:     names,
		Resume:   *resume,
		FailFast: *failFast,
		Stdout:   stdout,
		Progress: stderr,
		Tool:     "quanteval " + version,
		StopNow:  stopNowOf(ctx),

		MaxParallel: *maxParallel, // the plan's GPUs decide how many run at once, capped by this
	})
	if m != nil {
		if werr := writeReportPaths(stdout, m); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
}

// openPlanEvalsets opens every eval set of a plan once before any server starts: a
// bad subject, a cache miss offline or a gated repo is found before a model load,
// and a download lands in the cache the evals then read.
func openPlanEvalsets(ctx context.Context, evals []plan.Eval, progress io.Writer) error {
	for _, e := range evals {
		if _, err := eval.OpenSet(ctx, e.Options, progress); err != nil {
			return fmt.Errorf("eval %s (line %d): %w", e.Name, e.Line, err)
		}
	}
	return nil
}

// evaluateJob runs one eval of a matrix plan exactly as `quanteval run` would.
func evaluateJob(ctx context.Context, job matrix.Job) (*result.File, error) {
	o := job.Eval.Options
	o.BaseURL, o.Model = strings.Split(job.BaseURL, ","), job.Model // replicas: A,B,...
	return eval.Run(ctx, o, eval.Output{Path: job.Out, Resume: job.Resume, Progress: job.Progress, Stdout: io.Discard,
		Tool: "quanteval " + version, StopNow: stopNowOf(ctx), Secrets: job.Secrets})
}

// writeReportPaths ends the output with where each eval's HTML report is, so that
// the last lines of a long run say where to look.
func writeReportPaths(w io.Writer, m *matrix.Manifest) error {
	var lines []string
	for _, r := range m.Reports {
		html := filepath.Join(r.Dir, "compare.html")
		if _, err := os.Stat(html); r.Error == "" && err == nil {
			lines = append(lines, fmt.Sprintf("  %s: %s\n", r.Eval, html))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "\nHTML report:\n%s", strings.Join(lines, ""))
	return err
}

// compareReport compares each eval's results as `quanteval compare` does, with the
// variants' names as labels and the plan's reference as the reference. matrix never
// calls it without the reference's result when the plan has one (it records a report
// error instead), so the fallback to the last file only serves plans that mark no
// reference.
func compareReport(stdout, stderr io.Writer) matrix.Report {
	return func(ctx context.Context, dir string, results []matrix.ResultRef) error {
		var paths, benches, repeats []string
		var opt report.Options
		for _, r := range results {
			if r.Repeat > 1 {
				repeats = append(repeats, r.Path)
				continue
			}
			paths = append(paths, r.Path)
			opt.Labels = append(opt.Labels, r.Label)
			if r.Reference {
				opt.Ref = r.Label
			}
			if r.Bench != "" {
				benches = append(benches, r.Bench)
			}
		}
		var err error
		if opt.Bench, err = report.ReadBench(benches); err != nil {
			return err
		}
		if opt.RefRepeats, err = report.ReadInputs(repeats); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(stdout, "\n# eval %s\n\n", filepath.Base(dir)); err != nil {
			return err
		}
		return report.Compare(ctx, paths, opt, report.Output{Table: stdout, Dir: dir,
			Wrote: func(path string) { fmt.Fprintln(stderr, "wrote", path) }})
	}
}
