package matrix

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/server"
)

// DryRun writes what Run would do for the selected variants (every command line,
// environment, log, eval and result path, secrets shown as ***) and starts nothing.
// It is DryRunMax without --max-parallel.
func DryRun(w io.Writer, p *plan.Plan, only []string) error { return DryRunMax(w, p, only, 0) }

// DryRunMax is DryRun with --max-parallel (0: not given). On a node with gpus it
// shows how many variants run at once and each variant's devices: those it gets
// at the start when it starts at once, else how many it waits for. A variant with
// replicas shows each replica's command, port, log and devices.
func DryRunMax(w io.Writer, p *plan.Plan, only []string, maxParallel int) error {
	variants, err := Select(p, only)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w, rd: Secrets(p)}
	ew.printf("plan %s (%s): %d variants x %d evals -> %s\n", p.Name, p.File, len(variants), len(p.Evals), p.Output)
	dryRunLeftovers(ew, p)
	par := parallelism(Options{Plan: p, MaxParallel: maxParallel}, variants)
	first := referenceFirst(p, variants)
	startDevices := dryRunStarts(variants, p.GPUs, par, first)
	if len(p.GPUs) > 0 {
		ew.printf("node:    %d GPUs (%s); variants at once: at most %d\n", len(p.GPUs), strings.Join(p.GPUs, ","), par)
	} else if par > 1 {
		ew.printf("node:    GPUs not given; variants at once: at most %d\n", par)
	}
	if len(p.GPUs) > 0 || par > 1 {
		if first >= 0 {
			ew.printf("         the reference %s runs first, alone (the evals compare logprobs against it)\n", variants[first].Name)
		}
	}
	for i, v := range variants {
		devs, starts := startDevices[i]
		spec := serverSpec(p, withDevices(v, devs))
		ref := ""
		if v.Reference {
			ref = ", reference"
		}
		ew.printf("\n[%d/%d] %s: %s (%s%s)\n", i+1, len(variants), v.Name, v.Model, spec.Kind, ref)
		if n := v.GPUCount(); len(p.GPUs) > 0 && n > 0 {
			if starts {
				ew.printf("  gpus:    %d: CUDA_VISIBLE_DEVICES=%s, from the start\n", n, strings.Join(devs, ","))
			} else {
				ew.printf("  gpus:    %d: the lowest free when another variant ends\n", n)
			}
		}
		if err := dryRunServer(ew, p, v, spec); err != nil {
			return err
		}
		dryRunEvals(ew, p, v)
	}
	ref := "none marked"
	if r := p.Reference(); r != nil {
		ref = r.Name
	}
	ew.printf("\nreport:  %s/report/ (reference: %s); manifest %s\n", p.Output, ref, ManifestPath(p))
	return ew.err
}

// dryRunStarts are the devices of the variants that start at once, as Run's
// schedule gives them (true: starts at once; without gpus, devices are nil).
func dryRunStarts(variants []plan.Variant, gpus []string, par, first int) map[int][]string {
	s := newSchedule(variants, gpus, par, first)
	out := map[int][]string{}
	for {
		i, devs, ok := s.next()
		if !ok {
			return out
		}
		out[i] = devs
	}
}

// dryRunServer shows variant v's server(s) from spec: the command of each replica,
// or the external endpoint.
func dryRunServer(ew *errWriter, p *plan.Plan, v plan.Variant, spec server.Spec) error {
	if !spec.Managed() {
		ew.printf("  endpoint: %s (external: nothing is started)\n", redactURLs(spec.URL()))
		ew.printf("  ready:   %s, within %s\n", spec.Readiness(), spec.ReadyTimeout)
		return nil
	}
	specs := []server.Spec{spec}
	if len(v.Replicas) > 0 {
		specs = replicaSpecs(p, v, spec)
	}
	for i, rs := range specs {
		argv, err := rs.Argv()
		if err != nil {
			return err
		}
		indent := "  "
		if len(specs) > 1 {
			ew.printf("  replica %d of %d: port %d\n", i, len(specs), rs.Port)
			indent = "    "
		}
		ew.printf("%senv:     %s\n", indent, strings.Join(plan.SortedEnv(redact.Env(rs.AddedEnv())), " "))
		ew.printf("%scommand: %s\n", indent, server.Quote(redact.Args(argv)))
		ew.printf("%slog:     %s\n", indent, rs.Log)
		ew.printf("%sready:   %s, within %s\n", indent, rs.Readiness(), rs.ReadyTimeout)
	}
	return nil
}

// dryRunEvals shows what runs against variant v's server, and how it stops.
func dryRunEvals(ew *errWriter, p *plan.Plan, v plan.Variant) {
	spec := serverSpec(p, v)
	for _, c := range v.Prepare {
		ew.printf("  prepare: %s\n", server.Quote(redact.Args(c)))
	}
	for _, e := range p.Evals {
		ew.printf("  eval:    %s -> %s\n", strings.Join(EvalFlags(e), " "), resultPath(p, v.Name, e.Name))
	}
	for k := 2; v.Reference && k <= p.ReferenceRepeats; k++ {
		for _, e := range p.Evals {
			ew.printf("  again:   %s -> %s (noise floor)\n", e.Name, RepeatPath(p.Output, v.Name, e.Name, k))
		}
	}
	if b := p.Bench; b != nil {
		ew.printf("  bench:   %d levels (concurrency %s, %s, %d words in, %d tokens out, %d repeats) -> %s\n",
			len(b.Levels()), intList(b.Concurrency), benchSize(b), b.InputLen, b.OutputLen, b.Repeats, BenchPath(p.Output, v.Name))
	}
	if !spec.Managed() {
		return
	}
	ports := []string{strconv.Itoa(spec.Port)}
	if len(v.Replicas) > 0 {
		ports = ports[:0]
		for _, r := range v.Replicas {
			ports = append(ports, strconv.Itoa(r.Port))
		}
	}
	ew.printf("  stop:    SIGINT to the process group, SIGTERM after %s, SIGKILL after %s more; then port %s free and GPU memory released\n",
		spec.StopGrace, spec.StopGrace, strings.Join(ports, ", "))
}

// EvalFlags shows an eval as the `quanteval run` flags it stands for, in the order
// of eval.Settings: every setting the plan gives, and every other one whose value
// says something: not empty, not "none", and for whole numbers not 0 (which means
// none, all or the set's default); a temperature of 0 is shown.
func EvalFlags(e plan.Eval) []string {
	var out []string
	for i := range eval.Settings {
		s := &eval.Settings[i]
		if !s.InPlan() {
			continue
		}
		text := s.Format(e.Options)
		if !slices.Contains(e.Given, s.Flag) && (text == "" || text == "0" && s.Kind() != eval.Float) {
			continue
		}
		if s.Kind() == eval.Bool {
			out = append(out, "--"+s.Flag+"="+text) // a boolean flag takes its value after =
			continue
		}
		out = append(out, "--"+s.Flag+" "+server.Quote([]string{text}))
	}
	return out
}

// errWriter keeps the first write error, so that a long listing checks it once.
type errWriter struct {
	w   io.Writer
	rd  *redact.Redactor // hides the secrets in every line
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, e.rd.String(fmt.Sprintf(format, args...)))
	}
}

// dryRunLeftovers names the servers an earlier, dead quanteval left running on the
// plan's output, which a run would stop before starting anything.
func dryRunLeftovers(ew *errWriter, p *plan.Plan) {
	found, _, err := server.FindLeftovers(serversDir(p))
	if err != nil {
		ew.printf("leftover servers: cannot tell: %v\n", err)
	}
	for _, l := range found {
		ew.printf("leftover: %s; the run stops it first\n", l)
	}
}
