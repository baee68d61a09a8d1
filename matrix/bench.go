package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/gpumem"
	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/server"
	"github.com/quanteval/quanteval/servermetrics"
)

// The steps of a variant beyond its evals: what its load cost (loaded), the
// reference's repeated evals (the noise floor) and the plan's bench, run on the
// same server after the evals (afterEvals).
//
// Decisions:
//   - The bench calls package loadgen directly (a Runner with a ClientSender over
//     the server's base URL), with /metrics and nvidia-smi as probes, and writes
//     OUTPUT/bench/VARIANT.json, a quanteval/bench/v1 result with the variant's
//     deployment (load time, GPU memory, cost, determinism settings) under
//     "deployment", so that `quanteval compare` can show all of it from the file.
//   - Load time is from the variant's start (the server's launch) to ready. GPU
//     memory "after load" is read once the prepare commands ran (Ollama creates its
//     model there), before the evals; its peak is the bench's. The devices are those
//     CUDA_VISIBLE_DEVICES names in the server's environment (the plan's, else
//     quanteval's own), MIG instances included. No nvidia-smi is a note, not an
//     error; an external endpoint's GPU is not measured.
//   - A failed bench (no request answered, the server gone) fails the variant; its
//     evals stay complete.
//   - The reference's repeated evals go to OUTPUT/REF/repeatN/EVAL.json, run right
//     after its evals on the same server, with the same settings.
//   - With Resume, a complete bench result and complete repeats are not run again.
//   - The bench sends the API key of the first eval whose api_key_env is set in
//     the environment, so that a server started with --api-key is benched too.

// DeterminismEnv are the environment variables recorded as determinism settings
// when a server's environment sets them.
var DeterminismEnv = []string{
	"VLLM_BATCH_INVARIANT", "CUBLAS_WORKSPACE_CONFIG", "VLLM_ENABLE_V1_MULTIPROCESSING", "PYTHONHASHSEED",
	"CUDA_LAUNCH_BLOCKING", "VLLM_ATTENTION_BACKEND", "NCCL_ALGO", "TORCH_DETERMINISTIC", "OLLAMA_NUM_PARALLEL",
}

// BenchRun is the bench of one variant.
type BenchRun struct {
	Result     string     `json:"result"` // OUTPUT/bench/VARIANT.json
	SHA256     string     `json:"sha256,omitempty"`
	Complete   bool       `json:"complete"`
	Skipped    bool       `json:"skipped,omitempty"` // complete before this run (--resume)
	Levels     int        `json:"levels"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// BenchPath is where the bench result of variant v goes.
func BenchPath(outDir, v string) string { return filepath.Join(outDir, "bench", v+".json") }

// RepeatPath is the result of the k-th run (k >= 2) of eval e by the reference ref.
func RepeatPath(outDir, ref, e string, k int) string {
	return filepath.Join(outDir, ref, fmt.Sprintf("repeat%d", k), e+".json")
}

// moreToDo reports whether variant v has a bench or repeats left when its evals are
// all complete (--resume).
func (r *runner) moreToDo(v plan.Variant) bool {
	if r.p.Bench != nil && !benchComplete(BenchPath(r.p.Output, v.Name)) {
		return true
	}
	for k := 2; v.Reference && k <= r.p.ReferenceRepeats; k++ {
		for _, e := range r.p.Evals {
			if f, err := result.Read(RepeatPath(r.p.Output, v.Name, e.Name, k)); err != nil || !f.Complete {
				return true
			}
		}
	}
	return false
}

func benchComplete(path string) bool {
	res, err := loadgen.Read(path)
	return err == nil && res.Complete
}

// loaded records the variant's load time, its determinism settings and cost, and
// the GPU memory its server holds once loaded.
func (r *runner) loaded(ctx context.Context, spec server.Spec, v plan.Variant, vr *VariantRun) {
	if vr.StartedAt != nil && vr.ReadyAt != nil {
		vr.LoadSeconds = vr.ReadyAt.Sub(*vr.StartedAt).Seconds()
	}
	vr.CostPerHour = v.Server.CostPerHour
	vr.Determinism = determinism(v.Server.Env, spec.Managed())
	if r.p.Bench == nil {
		return
	}
	vr.GPUMemory = r.readMemory(ctx, spec, v)
	r.checkpoint()
}

// determinism picks the determinism settings out of env, the server's environment
// in the plan; with inherit (a server quanteval starts, which inherits quanteval's
// environment) also those of quanteval's own environment the plan does not set.
func determinism(env map[string]string, inherit bool) map[string]string {
	var out map[string]string
	for _, k := range DeterminismEnv {
		val, ok := env[k]
		if !ok && inherit {
			val, ok = os.LookupEnv(k)
		}
		if ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = val
		}
	}
	return redact.Env(out)
}

// visibleDevices is CUDA_VISIBLE_DEVICES as the server sees it.
func visibleDevices(v plan.Variant) string {
	if d, ok := v.Server.Env["CUDA_VISIBLE_DEVICES"]; ok {
		return d
	}
	return os.Getenv("CUDA_VISIBLE_DEVICES")
}

func (r *runner) gpuReader() *gpumem.Reader {
	if r.o.GPU != nil {
		return r.o.GPU
	}
	return &gpumem.Reader{}
}

// readMemory is the memory of the server's devices now.
func (r *runner) readMemory(ctx context.Context, spec server.Spec, v plan.Variant) *loadgen.Memory {
	if !spec.Managed() {
		return &loadgen.Memory{Note: "external endpoint: its GPU memory is not measured"}
	}
	ds, err := r.gpuReader().Read(ctx, visibleDevices(v))
	if err != nil {
		return &loadgen.Memory{Note: err.Error()}
	}
	m := &loadgen.Memory{}
	for _, d := range ds {
		if !d.Memory.Known {
			m.Note = fmt.Sprintf("nvidia-smi gives no memory figure for %s", d.ID)
		}
		m.AfterLoadMiB += d.Memory.UsedMiB
		m.PeakMiB += d.Memory.UsedMiB
		m.TotalMiB += d.Memory.TotalMiB
		m.Devices = append(m.Devices, fmt.Sprintf("%s %s (%s)", d.Kind, d.ID, d.Name))
	}
	if len(ds) == 0 {
		m.Note = "nvidia-smi lists no device"
	}
	return m
}

// afterEvals runs the reference's repeats and the bench once the evals ended with
// evalErr, unless ctx ended or the server died; it returns the variant's error.
func (r *runner) afterEvals(ctx context.Context, say func(string, ...any), srv serverProc, spec server.Spec, v plan.Variant, vr *VariantRun, evalErr error) error {
	var ee *server.ExitError
	if ctx.Err() != nil || errors.As(evalErr, &ee) {
		return evalErr
	}
	errs := []error{evalErr}
	if v.Reference && r.p.ReferenceRepeats > 1 {
		err := r.repeats(ctx, say, srv, v, vr)
		if ctx.Err() != nil || errors.As(err, &ee) {
			return errors.Join(evalErr, err)
		}
		errs = append(errs, err)
	}
	if r.p.Bench != nil {
		errs = append(errs, r.bench(ctx, say, srv, spec, v, vr))
	}
	return errors.Join(errs...)
}

// repeats runs every eval of the reference again, ReferenceRepeats-1 times.
func (r *runner) repeats(ctx context.Context, say func(string, ...any), srv serverProc, v plan.Variant, vr *VariantRun) error {
	var todo []pendingEval
	for k := 2; k <= r.p.ReferenceRepeats; k++ {
		for _, e := range r.p.Evals {
			out := RepeatPath(r.p.Output, v.Name, e.Name, k)
			er := EvalRun{Name: e.Name, Evalset: e.Evalset, Result: out, Repeat: k}
			if f, err := result.Read(out); err == nil && f.Complete && r.o.Resume {
				er.Skipped = true
				noteResult(&er, out, f)
			}
			vr.Repeats = append(vr.Repeats, er)
		}
	}
	for j := range vr.Repeats {
		er := &vr.Repeats[j]
		if er.Skipped {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(er.Result), 0o755); err != nil {
			return err
		}
		e := r.evalNamed(er.Name)
		todo = append(todo, pendingEval{eval: e, run: er, resume: r.o.Resume && partialExists(er.Result)})
	}
	if len(todo) > 0 {
		say("running the reference's evals again (%d runs in all) for the noise floor", r.p.ReferenceRepeats)
	}
	return r.evals(ctx, say, srv, v, todo)
}

func (r *runner) evalNamed(name string) plan.Eval {
	for _, e := range r.p.Evals {
		if e.Name == name {
			return e
		}
	}
	return plan.Eval{Name: name}
}

// bench runs the plan's bench against the variant's server and writes its result.
func (r *runner) bench(ctx context.Context, say func(string, ...any), srv serverProc, spec server.Spec, v plan.Variant, vr *VariantRun) error {
	b := r.p.Bench
	out := BenchPath(r.p.Output, v.Name)
	vr.Bench = &BenchRun{Result: out, StartedAt: now()}
	br := vr.Bench
	if r.o.Resume && benchComplete(out) {
		br.Skipped, br.Complete = true, true
		br.SHA256, _ = fileSHA256(out)
		say("bench: complete already, skipped")
		return nil
	}
	err := r.runBench(ctx, say, srv, spec, v, vr, b, out)
	br.FinishedAt = now()
	if err != nil {
		br.Error = err.Error()
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

func (r *runner) runBench(ctx context.Context, say func(string, ...any), srv serverProc, spec server.Spec, v plan.Variant, vr *VariantRun, b *plan.Bench, out string) error {
	// A variant of several replicas is benched on its first: the figures are one
	// server's.
	url, _, _ := strings.Cut(srv.URL(), ",")
	c, err := client.New(url, client.Options{APIKey: r.benchAPIKey()})
	if err != nil {
		return err
	}
	res := &loadgen.Result{Tool: r.o.Tool, Model: v.Model, BaseURL: redact.URL(url), Params: b.Params(), StartedAt: time.Now()}
	res.Server.Version = vr.ServerVersion
	scraper := servermetrics.NewScraper(c.Root())
	if _, err := scraper.Scrape(ctx); err == nil {
		res.Server.Metrics = true
	} else {
		res.Notes = append(res.Notes, "server-side figures absent: "+err.Error())
	}
	probes := loadgen.Probes{"metrics": &servermetrics.Watcher{Scraper: scraper}}
	peak := &gpuPeak{}
	if spec.Managed() && vr.GPUMemory != nil && vr.GPUMemory.Note == "" {
		peak.w = &gpumem.Watcher{Reader: r.gpuReader(), Visible: visibleDevices(v)}
		probes["gpu"] = peak
	} else if vr.GPUMemory != nil {
		res.Notes = append(res.Notes, "GPU memory: "+vr.GPUMemory.Note)
	}
	levels := b.Levels()
	runner := &loadgen.Runner{Sender: &loadgen.ClientSender{Client: c, Model: v.Model}, Workload: b.Workload(), SLO: b.SLO, Probe: probes}
	say("bench: %d levels (concurrency %s, %s) -> %s", len(levels), intList(b.Concurrency), benchSize(b), out)
	res.Levels, res.Complete, err = runner.RunAll(ctx, levels)
	res.FinishedAt = time.Now()
	if vr.GPUMemory != nil && peak.seen {
		vr.GPUMemory.PeakMiB = max(vr.GPUMemory.PeakMiB, peak.peakMiB)
	}
	dep := &loadgen.Deployment{Variant: v.Name, Reference: v.Reference, LoadSeconds: vr.LoadSeconds, Memory: vr.GPUMemory,
		CostPerHour: vr.CostPerHour, Determinism: vr.Determinism}
	if werr := loadgen.WriteWithDeployment(out, res, dep); werr != nil {
		return errors.Join(err, werr)
	}
	br := vr.Bench
	br.Complete, br.Levels = res.Complete, len(res.Levels)
	br.SHA256, _ = fileSHA256(out)
	if err != nil {
		return err
	}
	for _, lr := range res.Levels {
		st := lr.Stats
		say("bench: concurrency %d: %.1f output tokens/s, TTFT p50 %.0f ms, TPOT p50 %.1f ms, %d/%d ok",
			lr.Level.Concurrency, st.OutputThroughput, st.TTFT.Median, st.TPOT.Median, st.Completed, st.Completed+st.Failed)
		if st.Completed == 0 && ctx.Err() == nil {
			return fmt.Errorf("concurrency %d: no request answered (%v)", lr.Level.Concurrency, st.Errors)
		}
	}
	return nil
}

// benchAPIKey is the key the bench sends: that of the first eval whose api_key_env
// (by default OPENAI_API_KEY) is set, as the evals on the same server send theirs.
func (r *runner) benchAPIKey() string {
	for _, e := range r.p.Evals {
		if e.APIKeyEnv != "" {
			if k := os.Getenv(e.APIKeyEnv); k != "" {
				return k
			}
		}
	}
	return ""
}

func benchSize(b *plan.Bench) string {
	if b.Requests > 0 {
		return fmt.Sprintf("%d requests each", b.Requests)
	}
	return b.Duration.String() + " each"
}

func intList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// gpuPeak is a loadgen.Probe around gpumem.Watcher that also keeps the highest
// summed peak of the devices over the levels it watched.
type gpuPeak struct {
	w       *gpumem.Watcher
	mu      sync.Mutex
	peakMiB int
	seen    bool
}

// Begin implements loadgen.Probe.
func (g *gpuPeak) Begin(ctx context.Context) func() any {
	end := g.w.Begin(ctx)
	return func() any {
		v := end()
		if u, ok := v.(gpumem.Usage); ok && len(u.Devices) > 0 {
			sum := 0
			for _, d := range u.Devices {
				sum += d.PeakUsedMiB
			}
			g.mu.Lock()
			g.peakMiB, g.seen = max(g.peakMiB, sum), true
			g.mu.Unlock()
		}
		return v
	}
}
