package matrix

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/server"
)

// DryRun writes what Run would do for the selected variants (every command line,
// environment, log, eval and result path, secrets shown as ***) and starts nothing.
func DryRun(w io.Writer, p *plan.Plan, only []string) error {
	variants, err := Select(p, only)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	ew.printf("plan %s (%s): %d variants x %d evals -> %s\n", p.Name, p.File, len(variants), len(p.Evals), p.Output)
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
			ew.printf("  env:     %s\n", strings.Join(plan.SortedEnv(server.RedactEnv(spec.AddedEnv())), " "))
			ew.printf("  command: %s\n", server.Quote(server.RedactArgs(argv)))
			ew.printf("  log:     %s\n", spec.Log)
			ew.printf("  ready:   %s, within %s\n", spec.Readiness(), spec.ReadyTimeout)
		} else {
			ew.printf("  endpoint: %s (external: nothing is started)\n", server.RedactURL(spec.URL()))
			ew.printf("  ready:   %s, within %s\n", spec.Readiness(), spec.ReadyTimeout)
		}
		for _, c := range v.Prepare {
			ew.printf("  prepare: %s\n", server.Quote(server.RedactArgs(c)))
		}
		for _, e := range p.Evals {
			ew.printf("  eval:    %s -> %s\n", strings.Join(EvalFlags(e), " "), resultPath(p, v.Name, e.Name))
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

// EvalFlags shows an eval as the `quanteval run` flags it stands for (only those
// given).
func EvalFlags(e plan.Eval) []string {
	out := []string{"--evalset " + server.Quote([]string{e.Evalset})}
	add := func(name, val string) { out = append(out, "--"+name+" "+server.Quote([]string{val})) }
	if e.Task != "" {
		add("task", e.Task)
	}
	if e.Concurrency != 0 {
		add("concurrency", strconv.Itoa(e.Concurrency))
	}
	if e.MaxTokens != 0 {
		add("max-tokens", strconv.Itoa(e.MaxTokens))
	}
	add("temperature", strconv.FormatFloat(e.Temperature, 'g', -1, 64))
	if e.Timeout != 0 {
		add("timeout", strconv.FormatFloat(e.Timeout.D().Seconds(), 'g', -1, 64))
	}
	if e.Retries != nil {
		add("retries", strconv.Itoa(*e.Retries))
	}
	if e.Seed != nil {
		add("seed", strconv.FormatInt(*e.Seed, 10))
	}
	if e.System != nil {
		add("system", *e.System)
	}
	if len(e.ExtraBody) > 0 {
		add("extra-body", string(e.ExtraBody))
	}
	if e.APIKeyEnv != "" {
		add("api-key-env", e.APIKeyEnv)
	}
	if e.Limit != 0 {
		add("limit", strconv.Itoa(e.Limit))
	}
	if e.Sample != 0 {
		add("sample", strconv.Itoa(e.Sample))
	}
	if e.SampleSeed != nil {
		add("sample-seed", strconv.FormatInt(*e.SampleSeed, 10))
	}
	if e.Fewshot != nil {
		add("fewshot", strconv.Itoa(*e.Fewshot))
	}
	if e.Revision != "" {
		add("revision", e.Revision)
	}
	if e.Logprobs != 0 {
		add("logprobs", strconv.Itoa(e.Logprobs))
	}
	return out
}

// errWriter keeps the first write error, so that a long listing checks it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
