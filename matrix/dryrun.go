package matrix

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/server"
)

// DryRun writes what Run would do for the selected variants (every command line,
// environment, log, eval and result path, secrets shown as ***) and starts nothing.
func DryRun(w io.Writer, p *plan.Plan, only []string) error {
	variants, err := Select(p, only)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w, rd: Secrets(p)}
	ew.printf("plan %s (%s): %d variants x %d evals -> %s\n", p.Name, p.File, len(variants), len(p.Evals), p.Output)
	dryRunLeftovers(ew, p)
	for i, v := range variants {
		spec := serverSpec(p, v)
		argv, err := spec.Argv()
		if err != nil {
			return err
		}
		ref := ""
		if v.Reference {
			ref = ", reference"
		}
		ew.printf("\n[%d/%d] %s: %s (%s%s)\n", i+1, len(variants), v.Name, v.Model, spec.Kind, ref)
		if spec.Managed() {
			ew.printf("  env:     %s\n", strings.Join(plan.SortedEnv(redact.Env(spec.AddedEnv())), " "))
			ew.printf("  command: %s\n", server.Quote(redact.Args(argv)))
			ew.printf("  log:     %s\n", spec.Log)
			ew.printf("  ready:   %s, within %s\n", spec.Readiness(), spec.ReadyTimeout)
		} else {
			ew.printf("  endpoint: %s (external: nothing is started)\n", redactURLs(spec.URL()))
			ew.printf("  ready:   %s, within %s\n", spec.Readiness(), spec.ReadyTimeout)
		}
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
		if spec.Managed() {
			ew.printf("  stop:    SIGINT to the process group, SIGTERM after %s, SIGKILL after %s more; then port %d free and GPU memory released\n",
				spec.StopGrace, spec.StopGrace, spec.Port)
		}
	}
	ref := "none marked"
	if r := p.Reference(); r != nil {
		ref = r.Name
	}
	ew.printf("\nreport:  %s/report/ (reference: %s); manifest %s\n", p.Output, ref, ManifestPath(p))
	return ew.err
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
