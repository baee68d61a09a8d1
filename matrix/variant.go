package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
	"github.com/quanteval/quanteval/server"
)

// pendingEval is an eval still to run for a variant.
type pendingEval struct {
	eval   plan.Eval
	run    *EvalRun
	resume bool
}

// variant runs one variant from start to stop, recording into vr; the error says
// why the variant failed (or that ctx ended). Its steps: plan the evals, start the
// server, wait until it is ready, run the prepare commands, run the evals, stop.
func (r *runner) variant(ctx context.Context, i, n int, v plan.Variant, vr *VariantRun) (err error) {
	say := func(format string, args ...any) { r.say(i, n, v.Name, format, args...) }
	vr.Status = StatusRunning
	vr.StartedAt = now()
	defer func() { err = finishVariant(ctx, vr, err) }()

	todo := r.planEvals(say, v, vr)
	if len(todo) == 0 && !r.moreToDo(v) {
		vr.Status = StatusSkipped
		return nil
	}
	if err := os.MkdirAll(filepath.Join(r.p.Output, v.Name), 0o755); err != nil {
		return err
	}
	srv, spec, err := r.start(say, v, vr)
	if err != nil {
		return err
	}
	defer func() { err = r.stopAfter(ctx, say, srv, spec, vr, err) }()
	if err := r.ready(ctx, say, srv, vr); err != nil {
		return err
	}
	if err := r.prepare(ctx, say, srv, spec, v, vr); err != nil {
		return err
	}
	r.loaded(ctx, spec, v, vr)
	return r.afterEvals(ctx, say, srv, spec, v, vr, r.evals(ctx, say, srv, v, todo))
}

// finishVariant records how the variant ended and returns its error.
func finishVariant(ctx context.Context, vr *VariantRun, err error) error {
	vr.FinishedAt = now()
	switch {
	case ctx.Err() != nil:
		vr.Status = StatusInterrupted
		if err == nil {
			err = ctx.Err()
		}
	case err != nil:
		vr.Status = StatusFailed
		vr.Error = err.Error()
	case vr.Status == StatusRunning:
		vr.Status = StatusOK
	}
	return err
}

// planEvals records every eval of the plan in vr and returns those to run: with
// Resume, a complete result is skipped and a partial one resumed.
func (r *runner) planEvals(say func(string, ...any), v plan.Variant, vr *VariantRun) []pendingEval {
	var todo []pendingEval
	for _, e := range r.p.Evals {
		out := resultPath(r.p, v.Name, e.Name)
		vr.Evals = append(vr.Evals, EvalRun{Name: e.Name, Evalset: e.Evalset, Result: out})
		er := &vr.Evals[len(vr.Evals)-1]
		if r.o.Resume {
			if f, err := result.Read(out); err == nil && f.Complete {
				er.Skipped = true
				noteResult(er, out, f)
				say("%s: complete already, skipped", e.Name)
				continue
			}
		}
		todo = append(todo, pendingEval{eval: e, resume: r.o.Resume && partialExists(out)})
	}
	// vr.Evals is complete now: the pointers into it stay valid.
	k := 0
	for j := range vr.Evals {
		if !vr.Evals[j].Skipped {
			todo[k].run = &vr.Evals[j]
			k++
		}
	}
	return todo
}

// start starts the variant's server (or takes the external endpoint), recording its
// command line and environment, redacted.
func (r *runner) start(say func(string, ...any), v plan.Variant, vr *VariantRun) (serverProc, server.Spec, error) {
	spec := serverSpec(r.p, v)
	spec.PollInterval = r.o.PollInterval
	next := r.o.WaitEvery
	spec.OnWait = func(elapsed time.Duration, line string) {
		if elapsed >= next {
			say("waiting for readiness (%s): %s", elapsed.Round(time.Second), line)
			next = elapsed.Truncate(r.o.WaitEvery) + r.o.WaitEvery
		}
	}
	argv, err := spec.Argv()
	if err != nil {
		return nil, spec, err
	}
	vr.BaseURL = redact.URL(spec.URL())
	vr.Command = redact.Args(argv)
	vr.Env = redact.Env(spec.AddedEnv())
	if spec.Managed() {
		vr.Log = spec.Log
		say("starting: %s", server.Quote(vr.Command))
	} else {
		say("using %s", vr.BaseURL)
	}
	r.checkpoint()
	srv, err := startServers(r.p, v, spec)
	if err != nil {
		return nil, spec, err
	}
	vr.BaseURL = redactURLs(srv.URL()) // the replicas' URLs, when it has several
	vr.PID = srv.PID()
	return srv, spec, nil
}

// ready waits until the server serves and records its version.
func (r *runner) ready(ctx context.Context, say func(string, ...any), srv serverProc, vr *VariantRun) error {
	start := time.Now()
	if err := srv.WaitReady(ctx); err != nil {
		return err
	}
	vr.ReadyAt = now()
	if ver, err := srv.Version(ctx); err == nil {
		vr.ServerVersion = ver
	}
	say("ready after %s (version %q)", time.Since(start).Round(time.Millisecond), vr.ServerVersion)
	r.checkpoint()
	return nil
}

// prepare runs the variant's prepare commands with the server's environment and
// the QUANTEVAL_* variables; a server that lists its model only later (Ollama) must
// list it afterwards.
func (r *runner) prepare(ctx context.Context, say func(string, ...any), srv serverProc, spec server.Spec, v plan.Variant, vr *VariantRun) error {
	env := spec.AddedEnv()
	env["QUANTEVAL_VARIANT"] = v.Name
	env["QUANTEVAL_MODEL"] = v.Model
	env["QUANTEVAL_BASE_URL"] = srv.URL()
	env["QUANTEVAL_OUTPUT"] = filepath.Join(r.p.Output, v.Name)
	for _, c := range v.Prepare {
		shown := redact.Args(c)
		say("prepare: %s", server.Quote(shown))
		vr.Prepare = append(vr.Prepare, CommandRun{Command: shown, StartedAt: time.Now()})
		cr := &vr.Prepare[len(vr.Prepare)-1]
		status, err := runPrepare(ctx, c, env, logPath(r.p, v.Name), r.rd)
		cr.FinishedAt, cr.ExitStatus = now(), status
		r.checkpoint()
		if err != nil {
			return fmt.Errorf("prepare %s: %w (output in %s)", server.Quote(shown), err, logPath(r.p, v.Name))
		}
	}
	if spec.ModelLater() {
		if err := srv.ModelListed(ctx); err != nil {
			return fmt.Errorf("after the prepare commands: %w (a prepare command must make the model, e.g. ollama create)", err)
		}
	}
	return nil
}

// evals runs the evals to do in turn. An eval that fails while the server is
// healthy fails the variant but not its other evals; a server that exited, or ctx
// ending, stops them.
func (r *runner) evals(ctx context.Context, say func(string, ...any), srv serverProc, v plan.Variant, todo []pendingEval) error {
	var evalErrs []error
	for _, pe := range todo {
		err := r.eval(ctx, say, srv, v, pe)
		r.checkpoint()
		var ee *server.ExitError
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.As(err, &ee):
			return err
		default:
			evalErrs = append(evalErrs, fmt.Errorf("%s: %w", pe.eval.Name, err))
		}
	}
	return errors.Join(evalErrs...)
}

// stopAfter stops the server once the variant's steps ended with err, and returns
// the variant's error: err, joined with a failure to stop unless that is the same
// exit.
func (r *runner) stopAfter(ctx context.Context, say func(string, ...any), srv serverProc, spec server.Spec, vr *VariantRun, err error) error {
	serr := r.stop(ctx, say, srv, spec, vr)
	var ee *server.ExitError
	if errors.As(serr, &ee) && errors.As(err, &ee) {
		serr = nil // the exit is already the variant's error
	}
	if serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// eval runs one eval, cancelled early if the server exits under it.
func (r *runner) eval(ctx context.Context, say func(string, ...any), srv serverProc, v plan.Variant, pe pendingEval) error {
	er := pe.run
	er.StartedAt, er.Resumed = now(), pe.resume
	verb := "evaluating"
	if pe.resume {
		verb = "resuming"
	}
	say("%s %s -> %s", verb, pe.eval.Name, er.Result)
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-srv.Done(): // nil for an external server: waits for the eval to end
			cancel()
		case <-ectx.Done():
		}
	}()
	f, err := r.o.Evaluate(ectx, Job{
		Variant: v.Name, Model: v.Model, BaseURL: srv.URL(), Eval: pe.eval,
		Out: er.Result, Resume: pe.resume, Progress: r.o.Progress, Secrets: secretValues(r.p),
	})
	cancel()
	er.FinishedAt = now()
	// The file on disk is what the manifest vouches for, whatever was returned.
	if disk, rerr := result.Read(er.Result); rerr == nil {
		f = disk
	}
	// A run that tolerates failed requests may end with item errors a moment
	// before the dying server that caused them is reaped: give it that moment.
	if (err != nil || f != nil && f.Summary.Errors > 0) && ctx.Err() == nil {
		awaitExit(srv, exitNoticeWait)
	}
	if ee := srv.ExitError("the evals"); ee != nil && ctx.Err() == nil {
		// The items the dying server failed are not the variant's answers: the
		// result is marked incomplete, so that the report leaves it out and
		// --resume continues it.
		if f != nil && f.Complete {
			if g, werr := markIncomplete(er.Result, f); werr != nil {
				ee.Tail = append(ee.Tail, "(marking the result incomplete failed: "+werr.Error()+")")
			} else {
				f = g
			}
		}
		if f != nil {
			noteResult(er, er.Result, f)
		}
		er.Error = ee.Error()
		return fmt.Errorf("%s: %w", pe.eval.Name, ee)
	}
	if f != nil {
		noteResult(er, er.Result, f)
	}
	if err == nil && (f == nil || !f.Complete) {
		err = fmt.Errorf("result %s is not complete", er.Result)
	}
	if err != nil {
		er.Error = err.Error()
		return err
	}
	say("%s: accuracy %.3f (%d/%d), %d errors", pe.eval.Name, f.Summary.Accuracy, f.Summary.OK, f.Summary.Count, f.Summary.Errors)
	return nil
}

// markIncomplete rewrites the result at path with "complete": false. The run has
// released the output, so this write takes the output's lock as a run does: a
// --resume started meanwhile is not overwritten (the mark then fails, naming it).
// The file on disk is marked when it can be read, else f.
func markIncomplete(path string, f *result.File) (*result.File, error) {
	lock, err := run.LockOutput(path)
	if err != nil {
		return nil, err
	}
	if disk, rerr := result.Read(path); rerr == nil {
		f = disk
	}
	g := *f
	g.Complete = false
	err = result.Write(path, &g)
	return &g, errors.Join(err, lock.Release())
}

// exitNoticeWait bounds how long a failed eval, or one with failed items, waits to
// learn whether its server died: the server's requests fail a moment before its
// exit is reaped.
const exitNoticeWait = 2 * time.Second

// awaitExit waits until srv has exited or d has passed; at once for an external
// endpoint, which has no process.
func awaitExit(srv serverProc, d time.Duration) {
	if srv.Done() == nil {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-srv.Done():
	case <-t.C:
	}
}

func noteResult(er *EvalRun, path string, f *result.File) {
	er.Complete = f.Complete
	er.Count, er.OK, er.Accuracy, er.Errors = f.Summary.Count, f.Summary.OK, f.Summary.Accuracy, f.Summary.Errors
	if sum, err := fileSHA256(path); err == nil {
		er.SHA256 = sum
	}
}

// stop stops the server with a context of its own: after Ctrl-C, ctx has ended but
// the server still deserves its graceful SIGINT.
func (r *runner) stop(ctx context.Context, say func(string, ...any), srv serverProc, spec server.Spec, vr *VariantRun) error {
	if !spec.Managed() {
		return nil
	}
	// A server that exited before it was asked to stop crashed, even if no request
	// noticed (it may die just after the last answer).
	crashed := srv.ExitError("the run")
	say("stopping (pid %d)", srv.PID())
	grace := spec.StopGrace
	if grace <= 0 {
		grace = server.DefaultStopGrace
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*grace+server.DefaultReleaseTimeout+30*time.Second)
	defer cancel()
	if r.o.StopNow != nil {
		go func() { // ends with the stop: sctx is cancelled on return
			select {
			case <-r.o.StopNow:
				cancel() // Stop goes straight to SIGKILL
			case <-sctx.Done():
			}
		}()
	}
	err := srv.Stop(sctx)
	vr.StoppedAt = now()
	vr.ExitStatus = srv.ExitStatus()
	noteStrays(say, srv.Strays(), vr)
	if err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	say("stopped (%s)", vr.ExitStatus)
	if crashed != nil && ctx.Err() == nil {
		return crashed
	}
	return nil
}

// runPrepare runs one prepare command with the server's environment, its output
// appended to the variant's log with rd's secrets hidden; when ctx ends its whole
// process group is killed.
func runPrepare(ctx context.Context, argv []string, env map[string]string, log string, rd *redact.Redactor) (string, error) {
	lf, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return "", err
	}
	defer lf.Close()
	fmt.Fprintf(lf, "----- quanteval %s: prepare: %s\n", time.Now().Format(time.RFC3339), server.Quote(redact.Args(argv)))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = os.Environ()
	for _, kv := range plan.SortedEnv(env) {
		cmd.Env = append(cmd.Env, kv)
	}
	out := rd.NewWriter(lf)
	defer out.Close() // what it held back as the possible start of a secret
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	status := ""
	if cmd.ProcessState != nil {
		status = cmd.ProcessState.String()
	}
	if err != nil {
		if ctx.Err() != nil {
			return status, ctx.Err()
		}
		return status, redact.Error(err, argv) // exec's error names argv[0] as given
	}
	if ps := cmd.ProcessState; ps != nil && !ps.Success() {
		return status, errors.New(strings.TrimSpace(status))
	}
	return status, nil
}

// noteStrays names in the output and the manifest each process that outlived the
// server's group holding what the server held.
func noteStrays(say func(string, ...any), strays []server.Stray, vr *VariantRun) {
	for _, st := range strays {
		w := "process outside the server's process group: " + st.String()
		if !st.Killed {
			w += "; left running (kill_strays: true in the plan kills it)"
		}
		vr.Strays = append(vr.Strays, st)
		vr.Warnings = append(vr.Warnings, w)
		say("WARNING: %s", w)
	}
}
