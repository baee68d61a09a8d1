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

	"github.com/quanteval/quanteval/matrix"
	"github.com/quanteval/quanteval/plan"
)

const matrixUsage = `usage: quanteval matrix PLAN.yaml [--dry-run] [--only NAME,...] [--resume] [--fail-fast]

Runs a whole test plan: for each variant in turn, starts its server (vllm, sglang,
llama-server, ollama, or an external endpoint), waits until it serves, runs the
variant's prepare commands and every eval as 'quanteval run' would, stops the server
and frees its GPU memory; then compares the results into OUTPUT/report/EVAL/ and ends
with the comparison tables and the paths of the HTML reports. Logs go to
OUTPUT/logs/, results to OUTPUT/VARIANT/EVAL.json, and what ran to
OUTPUT/manifest.json.

flags:
`

func cmdMatrix(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, matrixUsage)
		fs.PrintDefaults()
	}
	dryRun := fs.Bool("dry-run", false, "print every command line and environment (secrets as ***) and start nothing")
	only := fs.String("only", "", "comma-separated names of the variants to run (default: all)")
	resume := fs.Bool("resume", false, "skip evals whose result is complete and resume partial ones from their journal")
	failFast := fs.Bool("fail-fast", false, "stop at the first variant that fails (default: record it and go on)")

	// The plan and the flags may come in any order.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return usagef("matrix: %w", err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
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
	if *dryRun {
		return matrix.DryRun(stdout, p, names)
	}
	if err := openPlanEvalsets(ctx, p.Evals, stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return usageError{fmt.Errorf("matrix: %w", err)}
		}
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
		Hurry:    hurryOf(ctx),
	})
	if m != nil {
		if werr := writeReportPaths(stdout, m); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
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

// compareReport makes each eval's comparison as `quanteval compare` does, with the
// variants' names as labels and the plan's reference as the reference. matrix never
// calls it without the reference's result when the plan has one (it records a report
// error instead), so compare's fallback to the last file only serves plans that
// mark no reference.
func compareReport(stdout, stderr io.Writer) matrix.Report {
	return func(ctx context.Context, dir string, results []matrix.ResultRef) error {
		args := make([]string, 0, len(results)+6)
		var labels []string
		for _, r := range results {
			args = append(args, r.Path)
			labels = append(labels, r.Label)
			if r.Reference {
				args = append(args, "--ref", r.Label)
			}
		}
		args = append(args, "--labels", strings.Join(labels, ","), "--out-dir", dir)
		if _, err := fmt.Fprintf(stdout, "\n# eval %s\n\n", lastElem(dir)); err != nil {
			return err
		}
		return cmdCompare(ctx, args, stdout, stderr)
	}
}

func lastElem(dir string) string {
	dir = strings.TrimRight(dir, `/\`)
	if i := strings.LastIndexAny(dir, `/\`); i >= 0 {
		return dir[i+1:]
	}
	return dir
}
