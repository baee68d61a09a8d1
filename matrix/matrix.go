// Package matrix owns the running of a whole test plan: for each variant in turn (or
// several at once on a node of several GPUs: schedule.go) it
// starts the server, waits until it serves the model, runs the prepare commands and
// every eval, stops the server so that nothing of it is left, and at the end hands
// the results to the comparison report. OUTPUT/manifest.json records what ran.
//
// The evaluation and the report are functions given by the caller (the command wires
// the eval and report packages), so this package depends on neither; it reads the
// evals' options (plan.Eval) only to name and show them.
//
// Decisions:
//   - One variant's failure (a server that exits, never becomes ready, crashes in the
//     middle of an eval, or a failing prepare command) is recorded and the plan goes
//     on; FailFast stops instead. An eval that fails while its server is healthy
//     fails the variant but not its other evals.
//   - A server that dies during an eval cancels that eval at once (its partial result
//     stays for --resume) instead of letting the client retry against nothing.
//   - Ctrl-C (ctx ending) stops the running server gracefully (SIGINT first: a
//     context apart from ctx bounds the stop), keeps every finished result, writes
//     the manifest and returns ctx's error.
//   - With Resume, a variant whose evals are all complete starts no server at all.
//   - Secrets (see redact.IsSecret and redact.Args: environment values, flag
//     values, NAME=VALUE words, the same inside sh -c scripts, URL passwords) are
//     redacted in everything shown or written: progress, dry run, manifest, log
//     headers, errors. The server's own environment and argv get them unredacted.
//   - A plan with a reference is compared against it or not at all: an eval whose
//     reference result is missing gets a report error and the plain table, never a
//     comparison against another variant standing in. With --only, the reference's
//     complete result from an earlier run counts.
//   - Nothing is left running: each server's PID, group, port, command and start
//     time are recorded in OUTPUT/servers/VARIANT.json while it runs (removed by
//     a clean stop); a run on the same output first stops a server recorded by a
//     quanteval that is gone. After a stop, processes outside the server's group
//     still holding its port or new GPU memory (server.Stray) are named in the
//     output and the manifest as a warning, and killed only with kill_strays.
//   - The manifest is rewritten after every step, so that it is current even if
//     quanteval itself is killed.
package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/quanteval/quanteval/gpumem"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/server"
)

// Job is one eval of one variant, as the Evaluate function receives it.
type Job struct {
	Variant  string
	Model    string
	BaseURL  string    // the server's base URL, without /v1; a variant's replicas: URL,URL,...
	Eval     plan.Eval // the eval's options, as `quanteval run` takes them
	Out      string    // OUTPUT/VARIANT/EVAL.json
	Resume   bool      // continue from the journal beside Out
	Progress io.Writer // the item progress display (nil: none)
	// Secrets are the plan's secret values (see Secrets): the evaluation hides them
	// in what it records, as the manifest does.
	Secrets []string
}

// Evaluate runs one job as `quanteval run` would, writing its result (and journal)
// to job.Out, and returns the result. When ctx ends it should save what it has and
// return ctx's error.
type Evaluate func(ctx context.Context, job Job) (*result.File, error)

// ResultRef is one variant's result of one eval, given to the report.
type ResultRef struct {
	Label     string // the variant's name
	Path      string // its result file
	Reference bool   // the plan's reference variant
	// Repeat > 1 marks a further run of the reference (reference_repeats): the
	// report's noise floor, not a variant.
	Repeat int
	// Bench is the variant's complete bench result (OUTPUT/bench/VARIANT.json), ""
	// when it has none.
	Bench string
}

// Report compares the results of one eval into dir.
type Report func(ctx context.Context, dir string, results []ResultRef) error

// Options configures Run. Zero values mean the defaults in the comments.
type Options struct {
	Plan     *plan.Plan // required
	Evaluate Evaluate   // required
	// Report makes the comparison of each eval into OUTPUT/report/EVAL/; nil writes
	// the plain summary table (variant, model, ok / count, accuracy) instead.
	Report Report

	Only     []string // variant names to run (all)
	Resume   bool     // skip complete evals, resume partial ones
	FailFast bool     // stop at the first failed variant
	// MaxParallel caps the variants running at once (0: the plan's max_parallel,
	// else as its gpus allow, else 1); see schedule.go.
	MaxParallel int

	Stdout   io.Writer // the summary table (io.Discard)
	Progress io.Writer // progress lines and the evals' progress display (none)
	Tool     string    // "quanteval VERSION", written into the manifest
	// WaitEvery is how often the wait for readiness is reported (10s).
	WaitEvery time.Duration
	// PollInterval is the time between readiness polls (the server package's 500ms).
	PollInterval time.Duration
	// GPU reads the GPU memory for the bench (default: the nvidia-smi on PATH).
	GPU *gpumem.Reader
	// StopNow, when closed (a second Ctrl-C), makes a server being stopped get
	// SIGKILL at once instead of its graceful SIGINT and SIGTERM.
	StopNow <-chan struct{}
}

// Select returns the plan's variants named in only (all when only is empty), in the
// plan's order; an unknown name is an error.
func Select(p *plan.Plan, only []string) ([]plan.Variant, error) {
	if len(only) == 0 {
		return p.Variants, nil
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []plan.Variant
	for _, v := range p.Variants {
		if want[v.Name] {
			out = append(out, v)
			delete(want, v.Name)
		}
	}
	if len(want) > 0 {
		var names, have []string
		for _, n := range only {
			if want[n] {
				names = append(names, n)
			}
		}
		for _, v := range p.Variants {
			have = append(have, v.Name)
		}
		return nil, fmt.Errorf("matrix: --only: no variant %s in the plan (it has %s)", strings.Join(names, ", "), strings.Join(have, ", "))
	}
	return out, nil
}

// Paths of a plan's outputs.
func logPath(p *plan.Plan, v string) string       { return filepath.Join(p.Output, "logs", v+".log") }
func resultPath(p *plan.Plan, v, e string) string { return filepath.Join(p.Output, v, e+".json") }

// serverSpec is the server.Spec of variant v, with its log and the run's own folder
// for server state (Ollama's model store: OUTPUT/ollama-models).
func serverSpec(p *plan.Plan, v plan.Variant) server.Spec {
	spec := v.Spec(logPath(p, v.Name))
	spec.StateDir = p.Output
	if spec.Managed() {
		spec.Record = recordPath(p, v.Name)
	}
	return spec
}

// ManifestPath is where Run records the run.
func ManifestPath(p *plan.Plan) string { return filepath.Join(p.Output, "manifest.json") }

// runner is one Run.
type runner struct {
	o        Options
	p        *plan.Plan
	m        *Manifest
	progress io.Writer
	rd       *redact.Redactor
	st       *runState // shared by the variants running at once

	own      *VariantRun // the variant this runner runs (runOne), published on save
	ownIndex int
}

// runState is what the variants running at once share.
type runState struct {
	mu      sync.Mutex // the manifest and saveErr
	saveErr error      // the first failed checkpoint, reported at the end
}

// Run runs the plan. It returns the manifest (also written to OUTPUT/manifest.json)
// and an error when a variant failed, the report failed, or ctx ended (then the
// error wraps ctx's). The secrets the plan and the environment hold (Secrets) are
// hidden in the progress lines, the manifest, the prepare commands' output and the
// error.
func Run(ctx context.Context, o Options) (_ *Manifest, err error) {
	var rd *redact.Redactor
	if o.Plan != nil {
		rd = Secrets(o.Plan)
	}
	defer func() { err = rd.Error(err, nil) }()
	if o.Plan == nil || o.Evaluate == nil {
		return nil, errors.New("matrix: Options.Plan and Options.Evaluate are required")
	}
	variants, err := Select(o.Plan, o.Only)
	if err != nil {
		return nil, err
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.WaitEvery <= 0 {
		o.WaitEvery = 10 * time.Second
	}
	r := &runner{o: o, p: o.Plan, progress: o.Progress, rd: rd, st: &runState{}}
	if r.progress == nil {
		r.progress = io.Discard
	}
	if err := os.MkdirAll(filepath.Join(r.p.Output, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	r.m = newManifest(o, variants)
	if err := r.save(); err != nil {
		return r.m, err
	}
	if err := r.stopLeftovers(ctx); err != nil {
		r.m.Status = StatusFailed
		return r.m, errors.Join(err, r.save())
	}

	failed, err := r.runVariants(ctx, variants)
	if err != nil {
		return r.m, err
	}

	repErr := r.report(ctx)
	if ctx.Err() != nil {
		return r.m, r.interrupted(ctx, "the report")
	}
	r.m.FinishedAt = time.Now()
	r.m.Status = StatusComplete
	if len(failed) > 0 || repErr != nil {
		r.m.Status = StatusFailed
	}
	if err := r.save(); err != nil {
		return r.m, err
	}
	fmt.Fprintf(r.progress, "matrix: manifest %s\n", ManifestPath(r.p))
	var errs []error
	if len(failed) > 0 {
		errs = append(errs, fmt.Errorf("matrix: %d of %d variants failed: %s (see %s)", len(failed), len(variants), strings.Join(failed, ", "), ManifestPath(r.p)))
	}
	if repErr != nil {
		errs = append(errs, repErr)
	}
	if r.st.saveErr != nil {
		errs = append(errs, r.st.saveErr)
	}
	return r.m, errors.Join(errs...)
}

func (r *runner) interrupted(ctx context.Context, during string) error {
	r.m.Status = StatusInterrupted
	r.m.FinishedAt = time.Now()
	for i := range r.m.Variants {
		if r.m.Variants[i].Status == StatusPending {
			r.m.Variants[i].Status = StatusNotRun
		}
	}
	if err := r.save(); err != nil {
		return errors.Join(fmt.Errorf("matrix: interrupted during %s: %w", during, ctx.Err()), err)
	}
	fmt.Fprintf(r.progress, "matrix: interrupted; finished results kept, manifest %s\n", ManifestPath(r.p))
	return fmt.Errorf("matrix: interrupted during %s: %w", during, ctx.Err())
}

func (r *runner) say(i, n int, variant, format string, args ...any) {
	fmt.Fprintf(r.progress, "matrix: [%d/%d %s] %s\n", i+1, n, variant, r.rd.String(fmt.Sprintf(format, args...)))
}

func firstLine(s string) string {
	first, rest, _ := strings.Cut(s, "\n")
	if rest != "" {
		return first + " ..."
	}
	return first
}

// checkpoint saves the manifest in the middle of a variant; a failure is kept for
// the end rather than stopping a server in mid-eval.
func (r *runner) checkpoint() {
	if err := r.save(); err != nil {
		r.st.mu.Lock()
		if r.st.saveErr == nil {
			r.st.saveErr = err
		}
		r.st.mu.Unlock()
	}
}

func (r *runner) save() error {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	if r.own != nil {
		r.m.Variants[r.ownIndex] = r.own.snapshot()
	}
	data, err := json.MarshalIndent(r.m, "", "  ")
	if err != nil {
		return fmt.Errorf("matrix: manifest: %w", err)
	}
	data = []byte(r.rd.String(string(data))) // an error may quote a secret (a log tail, a 401)
	if err := result.WriteFileAtomic(ManifestPath(r.p), append(data, '\n')); err != nil {
		return fmt.Errorf("matrix: manifest: %w", err)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// partialExists reports a result or a journal left by an earlier run of out: out
// itself or a file beside it named like it (EVAL.json.journal, EVAL.journal.jsonl).
func partialExists(out string) bool {
	if _, err := os.Stat(out); err == nil {
		return true
	}
	dir, base := filepath.Dir(out), filepath.Base(out)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	stem := strings.TrimSuffix(base, ".json") + "."
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), stem) && e.Name() != base {
			return true
		}
	}
	return false
}

// now is a time for the manifest; a pointer so that "not yet" is omitted.
func now() *time.Time { t := time.Now(); return &t }
