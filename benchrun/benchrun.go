// Package benchrun carries out one bench as a user asks for it: it resolves the
// model, builds the workload (an eval set's prompts or synthetic ones), the levels
// (a concurrency sweep or Poisson arrivals) and the server-side probes, runs the
// levels through loadgen with a progress display, and returns the bench result
// (loadgen.Result, quanteval/bench/v1). `quanteval bench` and a plan's bench block
// go through it, so that both measure alike.
//
// Decisions:
//   - Streaming only: TTFT, TPOT and ITL exist only for a streamed reply. A
//     non-streaming bench would measure E2EL alone and is refused rather than
//     reported with a TTFT equal to its E2EL.
//   - /metrics is scraped once before the first level: a server without it is one
//     note on the result, and no level polls it. With it, every level is watched by
//     a servermetrics.Watcher under the probe name "metrics" (LevelResult.Server is
//     {"metrics": {...}}), beside any probes the caller adds (GPU memory, say).
//   - An eval set's prompts are sent as `run` sends them: the set's system message,
//     none for a standard data set, else run.DefaultSystem; max_tokens is the
//     set's own default unless OutputLen is given. They are not forced to a length:
//     ignore_eos is for synthetic prompts only.
//   - No retries: a failed request is an error of its kind in the level's figures,
//     as in vLLM's benchmark; retrying would hide the failures a load test is for.
//   - Ctrl-C (ctx ending) stops the level in flight; the result keeps the levels
//     measured, that one marked incomplete, and Complete false.
package benchrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/run"
	"github.com/quanteval/quanteval/servermetrics"
)

// Options are the settings of one bench. Zero values mean the defaults in the
// comments.
type Options struct {
	BaseURL string
	Model   string // "": the single model the server lists
	APIKey  string // never written anywhere

	// Evalset, when set, gives the prompts (cycled); else synthetic prompts of
	// InputLen words asking for OutputLen tokens with ignore_eos.
	Evalset   string
	InputLen  int // synthetic prompt length in words (256)
	OutputLen int // max_tokens (synthetic: 128; eval set: the set's default)

	Concurrency []int   // levels of a sweep ([1, 4, 16, 64]); with Rate, its cap when one value
	Rate        float64 // > 0: Poisson arrivals at Rate per second instead of a sweep
	Seed        uint64  // of the arrivals and of the synthetic prompts
	Requests    int     // counted per level; with Duration 0 (default 100)
	Duration    time.Duration
	Warmup      int // uncounted requests before each level (-1: the level's concurrency)
	Repeats     int // each level this many times in a row (1)
	SLO         loadgen.SLO

	Temperature float64
	ExtraBody   json.RawMessage
	Timeout     time.Duration // per request (1200s)

	// Probes are watched during each level beside /metrics (e.g. "gpu").
	Probes loadgen.Probes
	// MetricsEvery is how often /metrics is polled during a level (1s).
	MetricsEvery time.Duration
	Progress     io.Writer // progress display (nil: none)
	Tool         string    // "quanteval VERSION"
}

// Run runs the bench o asks for and returns its result, also when interrupted
// (Complete false, with an error wrapping ctx.Err()). Errors in o are
// *eval.InputError.
func Run(ctx context.Context, o Options) (*loadgen.Result, error) {
	o.defaults()
	levels, err := o.levels()
	if err != nil {
		return nil, &eval.InputError{Err: err}
	}
	c, err := client.New(o.BaseURL, client.Options{APIKey: o.APIKey, Timeout: o.Timeout, Retries: 0})
	if err != nil {
		return nil, &eval.InputError{Err: err}
	}
	model, err := c.ResolveModel(ctx, o.Model)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	work, params, err := o.workload(ctx)
	if err != nil {
		return nil, err
	}
	res := &loadgen.Result{Schema: loadgen.Schema, Tool: o.Tool, Model: model, BaseURL: redact.URL(o.BaseURL),
		Server: loadgen.ServerInfo{Version: c.Version(ctx)}, Params: params, StartedAt: time.Now().UTC(), Levels: []loadgen.LevelResult{}}
	probes := loadgen.Probes{}
	for name, p := range o.Probes {
		probes[name] = p
	}
	scraper := servermetrics.NewScraper(c.Root())
	switch _, err := scraper.Scrape(ctx); {
	case err == nil:
		res.Server.Metrics = true
		probes["metrics"] = &servermetrics.Watcher{Scraper: scraper, Every: o.MetricsEvery}
	case errors.Is(err, servermetrics.ErrNoMetrics):
		res.Notes = append(res.Notes, "no Prometheus /metrics on this server: server-side figures are absent")
	default:
		res.Notes = append(res.Notes, "/metrics could not be read: "+err.Error())
	}
	r := &loadgen.Runner{
		Sender:   &loadgen.ClientSender{Client: c, Model: model, Temperature: o.Temperature, Extra: o.ExtraBody},
		Workload: work,
		SLO:      o.SLO,
	}
	if len(probes) > 0 {
		r.Probe = probes
	}
	complete, runErr := runLevels(ctx, r, levels, res, o.Progress)
	res.Complete = complete && runErr == nil
	res.FinishedAt = time.Now().UTC()
	if runErr != nil {
		return res, runErr
	}
	if !complete && ctx.Err() != nil {
		return res, fmt.Errorf("interrupted after %d of %d levels: %w", len(res.Levels), len(levels), ctx.Err())
	}
	return res, nil
}

// runLevels runs the levels in order into res, numbering repeats, and stops after
// the level ctx ended in.
func runLevels(ctx context.Context, r *loadgen.Runner, levels []loadgen.Level, res *loadgen.Result, w io.Writer) (bool, error) {
	seen := map[loadgen.Level]int{}
	for i, l := range levels {
		p := newProgress(w, l, i, len(levels))
		r.Progress = p.add
		lr, err := r.Run(ctx, l)
		p.finish(lr)
		if err != nil {
			return false, err
		}
		lr.Repeat = seen[l]
		seen[l]++
		res.Levels = append(res.Levels, lr)
		if !lr.Complete {
			return false, nil
		}
	}
	return true, nil
}

func (o *Options) defaults() {
	if o.BaseURL == "" {
		o.BaseURL = "http://127.0.0.1:8000"
	}
	if len(o.Concurrency) == 0 && o.Rate == 0 {
		o.Concurrency = []int{1, 4, 16, 64}
	}
	if o.Requests == 0 && o.Duration == 0 {
		o.Requests = 100
	}
	if o.InputLen == 0 {
		o.InputLen = 256
	}
	if o.Repeats <= 0 {
		o.Repeats = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 1200 * time.Second
	}
}

// levels are the levels o asks for, each checked.
func (o *Options) levels() ([]loadgen.Level, error) {
	if o.Requests > 0 && o.Duration > 0 {
		return nil, errors.New("give --requests or --duration, not both")
	}
	if o.Rate < 0 {
		return nil, fmt.Errorf("--rate %g: must be positive", o.Rate)
	}
	warmup := func(conc int) int {
		if o.Warmup < 0 {
			return max(conc, 1)
		}
		return o.Warmup
	}
	var ls []loadgen.Level
	if o.Rate > 0 {
		if len(o.Concurrency) > 1 {
			return nil, errors.New("--rate takes at most one --concurrency, the cap on requests in flight")
		}
		l := loadgen.Level{Rate: o.Rate, Seed: o.Seed, Requests: o.Requests, Duration: o.Duration}
		if len(o.Concurrency) == 1 {
			l.Concurrency = o.Concurrency[0]
		}
		l.Warmup = warmup(l.Concurrency)
		for range o.Repeats {
			ls = append(ls, l)
		}
	} else {
		for _, c := range o.Concurrency {
			for range o.Repeats {
				ls = append(ls, loadgen.Level{Concurrency: c, Requests: o.Requests, Duration: o.Duration, Warmup: warmup(c)})
			}
		}
	}
	for _, l := range ls {
		if err := l.Validate(); err != nil {
			return nil, err
		}
		if l.Concurrency < 0 || l.Rate == 0 && l.Concurrency == 0 {
			return nil, fmt.Errorf("--concurrency %d: must be at least 1", l.Concurrency)
		}
	}
	return ls, nil
}

// workload builds the requests and the parameters that describe them.
func (o *Options) workload(ctx context.Context) (loadgen.Workload, loadgen.Params, error) {
	p := loadgen.Params{Temperature: o.Temperature, Stream: true, Concurrency: o.Concurrency, Rate: o.Rate, Seed: o.Seed,
		Requests: o.Requests, DurationS: o.Duration.Seconds(), Warmup: max(o.Warmup, 0), Repeats: o.Repeats, SLO: o.SLO}
	if o.Rate > 0 && len(o.Concurrency) == 0 {
		p.Concurrency = nil
	}
	if o.Evalset == "" {
		out := o.OutputLen
		if out <= 0 {
			out = 128
		}
		p.Workload, p.InputLen, p.OutputLen, p.IgnoreEOS = "synthetic", o.InputLen, out, true
		return loadgen.Synthetic{InputLen: o.InputLen, OutputLen: out, Seed: o.Seed}, p, nil
	}
	opts := eval.Defaults()
	opts.Evalset = o.Evalset
	set, err := eval.OpenSet(ctx, opts, o.Progress)
	if err != nil {
		return nil, p, err
	}
	if len(set.Items) == 0 {
		return nil, p, &eval.InputError{Err: fmt.Errorf("eval set %s has no items", o.Evalset)}
	}
	maxTokens := o.OutputLen
	if maxTokens <= 0 {
		maxTokens = eval.DefaultMaxTokens
		if set.MaxTokens > 0 {
			maxTokens = set.MaxTokens
		}
	}
	prompts := make(loadgen.Prompts, len(set.Items))
	for i := range set.Items {
		prompts[i] = loadgen.Request{Messages: messages(set, &set.Items[i]), MaxTokens: maxTokens}
	}
	p.Workload, p.OutputLen = set.Path, maxTokens
	if p.Workload == "" {
		p.Workload = set.Name
	}
	return prompts, p, nil
}

// messages are the chat messages `run` sends for an item (see the package doc).
func messages(set *evalset.Set, it *evalset.Item) []client.Message {
	sys := run.DefaultSystem
	switch {
	case set.System != nil:
		sys = *set.System
	case set.Source != nil:
		sys = ""
	}
	cfg := run.Config{Model: "-", System: &sys, MaxTokens: 1}
	return run.Request(cfg, it).Messages
}
