package run

// Code items: their programs run in a pool of their own, apart from the request
// pool, so that a slow test never holds back a request.
//
// Decisions:
//   - The sandbox is opened (and probed) before the journal and before the first
//     request, and only when the set has code items; without bwrap, or where it
//     cannot create namespaces, the run stops with ErrNoSandbox and the sandbox's
//     install hint. Config.UnsafeExec runs the programs without it; the result's
//     params say unsafe_exec and the progress shows a warning.
//   - A stage between the request pool and the consumer hands each code reply to a
//     sandbox.Pool of Sandbox.Workers goroutines (default: the CPUs) whose queue
//     holds every item, so handing on never blocks the requests; other replies go
//     straight through. The consumer then journals the scored record as it does any
//     other: the journal record is written after scoring, so a resumed run never
//     runs a finished item again, and one cut off by a stop runs again.
//   - A program's crash, timeout or sandbox failure is the item's verdict (a
//     codetask reason), never the run's error.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/codetask"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/sandbox"
	"github.com/quanteval/quanteval/score"
)

// ErrNoSandbox stops a run of code items before its first request: bwrap is
// missing or cannot create namespaces (and --unsafe-exec was not given), or the
// python that runs the programs lacks a module the tasks' tests import.
var ErrNoSandbox = errors.New("code items need a sandbox")

// executor runs code items' programs; a nil *executor is a set without code items.
type executor struct {
	runner  sandbox.Runner
	workers int
	unsafe  bool
}

// newExecutor opens the sandbox when items hold a code item; nil otherwise.
func newExecutor(ctx context.Context, cfg Config, items []evalset.Item) (*executor, error) {
	if !hasCode(items) {
		return nil, nil
	}
	opts := cfg.Sandbox
	opts.Unsafe = opts.Unsafe || cfg.UnsafeExec
	ex := &executor{runner: cfg.runner, workers: opts.Workers, unsafe: opts.Unsafe}
	if ex.runner == nil {
		sb, err := sandbox.New(opts)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoSandbox, err)
		}
		ex.runner, ex.workers = sb, sb.Options().Workers
	}
	if err := ex.checkModules(ctx, items, opts.Python); err != nil {
		return nil, err
	}
	if w := cfg.notes(); ex.unsafe && w != nil {
		fmt.Fprintln(w, "warning: --unsafe-exec: the model's programs run WITHOUT a sandbox, "+
			"with your user's access to files and network")
	}
	return ex, nil
}

// checkModules refuses a set whose tests import a module the programs' python
// cannot: every program would fail in the tests, not in the model's code.
// A probe that tells nothing (a runner that does not run it) lets the run go on.
func (ex *executor) checkModules(ctx context.Context, items []evalset.Item, python string) error {
	var modules []string
	for i := range items {
		if items[i].Type != score.TypeCode {
			continue
		}
		c, err := score.CodeCheckOf(&items[i])
		if err != nil {
			continue // scored bad_item when its reply comes
		}
		for _, m := range codetask.Imports(codetask.Task{Kind: c.Kind, Test: c.Test, TestImports: c.TestImports}) {
			if !slices.Contains(modules, m) {
				modules = append(modules, m)
			}
		}
	}
	failed, err := codetask.MissingModules(ctx, ex.runner, modules)
	if err != nil || len(failed) == 0 {
		return nil
	}
	if python == "" {
		python = sandbox.DefaultPython
	}
	var names, pkgs, broken []string
	for _, f := range failed {
		names = append(names, f.Module)
		if f.Installed {
			broken = append(broken, f.Module+" ("+f.Error+")")
		} else {
			pkgs = append(pkgs, "python3-"+strings.ToLower(f.Module))
		}
	}
	msg := fmt.Sprintf("the tasks' tests import %s, which %s cannot import in the sandbox: every program would fail in the tests", strings.Join(names, ", "), python)
	if len(pkgs) > 0 {
		msg += fmt.Sprintf("; install it for that python (Debian/Ubuntu, e.g.: apt-get install -y %s)", strings.Join(pkgs, " "))
	}
	if len(broken) > 0 {
		msg += "; installed but failing to import: " + strings.Join(broken, "; ")
	}
	return fmt.Errorf("%w: %s", ErrNoSandbox, msg)
}

func hasCode(items []evalset.Item) bool {
	for i := range items {
		if items[i].Type == score.TypeCode {
			return true
		}
	}
	return false
}

// note marks the result of a run whose programs ran without a sandbox.
func (ex *executor) note(f *result.File) {
	if ex != nil && ex.unsafe {
		f.Params.UnsafeExec = true
	}
}

// stage passes every outcome of in on; a code item's reply is first scored in the
// pool, on ctx. The returned channel closes once in has closed and every program
// has been judged.
func (ex *executor) stage(ctx context.Context, item func(slot int) *evalset.Item, slots int, in <-chan outcome) <-chan outcome {
	if ex == nil {
		return in
	}
	out := make(chan outcome, cap(in))
	pool := sandbox.NewPool(ctx, ex.workers, slots)
	go func() {
		defer close(out)
		for o := range in {
			it := item(o.index)
			if it.Type != score.TypeCode || o.err != nil {
				out <- o
				continue
			}
			job := func(ctx context.Context) {
				o.code, o.codeErr = ex.score(ctx, it, o)
				if o.codeErr != nil && ctx.Err() != nil {
					o.err = o.codeErr // cut off by a stop: not finished
				}
				out <- o
			}
			// The queue holds every item, so this never blocks the requests; its
			// context never ends, so it never fails.
			if err := pool.Submit(context.WithoutCancel(ctx), job); err != nil {
				o.err = err
				out <- o
			}
		}
		pool.Close() // waits for every program queued
	}()
	return out
}

// score runs the program of one code reply.
func (ex *executor) score(ctx context.Context, it *evalset.Item, o outcome) (*codetask.Record, error) {
	c, err := score.CodeCheckOf(it)
	if err != nil {
		return nil, err
	}
	t := codetask.Task{Kind: c.Kind, Prompt: c.Prompt, EntryPoint: c.EntryPoint, Test: c.Test,
		TestImports: c.TestImports, TestList: c.TestList}
	content := ""
	if o.resp != nil && o.resp.Content != nil {
		content = *o.resp.Content
	}
	rec, err := codetask.Score(ctx, ex.runner, t, content)
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// codeVerdict fills in a code item's record from its program's verdict.
func codeVerdict(r *result.Record, o outcome) {
	switch {
	case o.code != nil:
		rec := *o.code
		r.OK, r.Reason, r.Code = rec.OK, rec.Reason, &rec
		// What compare's agreement holds against the reference's: the verdict and
		// the test that failed.
		switch {
		case rec.OK:
			r.Extracted = "pass"
		case rec.FailedTest != "":
			r.Extracted = rec.FailedTest
		default:
			r.Extracted = rec.Reason
		}
	default:
		// The item's check is unusable: a data problem, not the server's.
		r.OK, r.Reason = false, score.ReasonBadItem
		if o.codeErr != nil {
			r.Extracted = o.codeErr.Error()
		}
	}
}
