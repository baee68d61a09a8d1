// Package loadgen owns the load test of one endpoint: levels of load (a concurrency
// sweep, or Poisson arrivals at a rate), the per-request samples they produce, the
// per-level statistics computed from them, and the result file quanteval/bench/v1.
//
// Decisions:
//   - The metrics are vLLM's (vllm/benchmarks/serve.py): TTFT to the first chunk
//     with choices, E2EL to the last, TPOT = (E2EL - TTFT) / (output tokens - 1)
//     over replies of more than one token, ITL every gap between chunks, throughputs
//     over the level's wall time, percentiles interpolated as numpy does, goodput the
//     completed requests that meet every SLO bound given. guidellm
//     (src/guidellm/schemas/request_stats.py) names them otherwise: its
//     inter_token_latency is vLLM's TPOT, (last token - first token) / (output
//     tokens - 1), and its time_per_output_token is (last token - request start) /
//     output tokens, TTFT included; a "TPOT" from guidellm is therefore larger than
//     ours for the same run. Both, like us, count chunks when a server sends no usage.
//   - The sender is a one-method interface, so the runner neither knows HTTP nor
//     streaming; ClientSender adapts client.ChatStream.
//   - A level counts the requests started inside it: by --requests N, exactly N;
//     by --duration D, those started before D ran out, each run to its end. Warmup
//     requests run first, at the level's concurrency, and are not counted.
//   - Poisson arrivals draw exponential gaps from a PCG seeded by Level.Seed, so two
//     runs with the same seed send at the same offsets. Unlike vLLM, the gaps are not
//     rescaled to hit N/R exactly: the rate is the process's, not a schedule's.
//   - Ctrl-C (the context ending) stops new requests; those cut short are dropped,
//     not counted as errors, and the level is marked incomplete.
//   - Forced output (max_tokens with ignore_eos) is checked from what came back: a
//     reply that stopped for another reason than "length", or with fewer tokens
//     than asked, says the server ignored ignore_eos, and the level says so.
package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quanteval/quanteval/client"
)

// Request is one request of the workload.
type Request struct {
	Messages  []client.Message
	MaxTokens int
	IgnoreEOS bool // ask the server to generate MaxTokens whatever the model says
}

// Sample is what one request measured. Latencies are in milliseconds.
type Sample struct {
	TTFTMs          float64   `json:"ttft_ms"`
	TPOTMs          float64   `json:"tpot_ms"`
	E2ELMs          float64   `json:"e2el_ms"`
	ITLMs           []float64 `json:"itl_ms,omitempty"`
	InputTokens     int       `json:"input_tokens"`
	OutputTokens    int       `json:"output_tokens"`
	OutputEstimated bool      `json:"output_estimated,omitempty"`
	FinishReason    string    `json:"finish_reason,omitempty"`
	// ErrorKind is set by the runner for a failed request (see ErrorKind).
	ErrorKind string `json:"error_kind,omitempty"`
}

// Sender sends one request and measures it. It is called concurrently.
type Sender interface {
	Send(ctx context.Context, r Request) (Sample, error)
}

// Workload gives the i-th request; i counts every request the runner sends.
type Workload interface {
	Request(i int) Request
}

// Level is one step of load.
type Level struct {
	// Concurrency is the number of requests in flight (closed loop). With Rate it
	// caps the requests in flight, as vLLM's --max-concurrency does; 0 is no cap.
	Concurrency int
	// Rate > 0 sends requests at Poisson arrivals of Rate per second (open loop).
	Rate float64
	Seed uint64 // of the arrival process
	// Requests counted, or, when 0, requests started within Duration.
	Requests int
	Duration time.Duration
	Warmup   int // requests sent first and not counted
	// Ramp spreads the start of a closed loop's workers evenly over this time, so
	// that they do not all send at the same instant (default 0: all at once).
	Ramp time.Duration
}

// MarshalJSON writes the duration in seconds.
func (l Level) MarshalJSON() ([]byte, error) {
	type level struct {
		Concurrency int     `json:"concurrency,omitempty"`
		Rate        float64 `json:"rate,omitempty"`
		Seed        uint64  `json:"seed,omitempty"`
		Requests    int     `json:"requests,omitempty"`
		DurationS   float64 `json:"duration_s,omitempty"`
		Warmup      int     `json:"warmup,omitempty"`
		RampS       float64 `json:"ramp_s,omitempty"`
	}
	return json.Marshal(level{l.Concurrency, l.Rate, l.Seed, l.Requests, l.Duration.Seconds(), l.Warmup, l.Ramp.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Level) UnmarshalJSON(b []byte) error {
	var v struct {
		Concurrency int     `json:"concurrency"`
		Rate        float64 `json:"rate"`
		Seed        uint64  `json:"seed"`
		Requests    int     `json:"requests"`
		DurationS   float64 `json:"duration_s"`
		Warmup      int     `json:"warmup"`
		RampS       float64 `json:"ramp_s"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = Level{v.Concurrency, v.Rate, v.Seed, v.Requests, seconds(v.DurationS), v.Warmup, seconds(v.RampS)}
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Validate reports a level that cannot run.
func (l Level) Validate() error {
	switch {
	case l.Concurrency < 0 || l.Rate < 0 || l.Requests < 0 || l.Duration < 0 || l.Warmup < 0 || l.Ramp < 0:
		return fmt.Errorf("level %+v: negative setting", l)
	case l.Concurrency == 0 && l.Rate == 0:
		return errors.New("level: give a concurrency or a rate")
	case (l.Requests > 0) == (l.Duration > 0):
		return errors.New("level: give either a number of requests or a duration")
	}
	return nil
}

// Sweep returns one level per concurrency, each repeats times in a row.
func Sweep(concurrency []int, requests int, duration time.Duration, warmup, repeats int) []Level {
	var ls []Level
	for _, c := range concurrency {
		for range max(repeats, 1) {
			ls = append(ls, Level{Concurrency: c, Requests: requests, Duration: duration, Warmup: warmup})
		}
	}
	return ls
}

// LevelResult is one level as measured.
type LevelResult struct {
	Level        Level     `json:"level"`
	Repeat       int       `json:"repeat"` // 0-based index among repeats of the same level
	Complete     bool      `json:"complete"`
	StartedAt    time.Time `json:"started_at"`
	WarmupErrors int       `json:"warmup_errors,omitempty"`
	Stats        Stats     `json:"stats"`
	// ShortOutputs counts replies to ignore_eos requests that stopped before
	// max_tokens: the server ignored ignore_eos.
	ShortOutputs int      `json:"short_outputs,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
	// Server holds what the server's /metrics said during the level; the caller
	// fills it (see servermetrics).
	Server json.RawMessage `json:"server,omitempty"`
}

// Probe watches the server during a level's counted requests (servermetrics.Watcher
// is one). Begin is called after the warmup, just before the first counted
// request; the function it returns is called after the last one, and its value is
// stored, as JSON, in LevelResult.Server. When that value has a method
// CrossCheck(clientInput, clientOutput int) []string, its notes become warnings.
type Probe interface {
	Begin(ctx context.Context) (end func() any)
}

// Probes runs several probes under names: LevelResult.Server becomes an object with
// one member per name ({"metrics": ..., "gpu": ...}), and the members' cross-checks
// all count.
type Probes map[string]Probe

// Begin implements Probe.
func (ps Probes) Begin(ctx context.Context) func() any {
	ends := make(map[string]func() any, len(ps))
	for name, p := range ps {
		ends[name] = p.Begin(ctx)
	}
	return func() any {
		out := make(probeValues, len(ends))
		for name, end := range ends {
			out[name] = end()
		}
		return out
	}
}

type probeValues map[string]any

type crossChecker interface {
	CrossCheck(clientInput, clientOutput int) []string
}

// CrossCheck gathers the members' notes, in name order.
func (pv probeValues) CrossCheck(in, out int) []string {
	var notes []string
	for _, name := range slices.Sorted(maps.Keys(pv)) {
		if cc, ok := pv[name].(crossChecker); ok {
			notes = append(notes, cc.CrossCheck(in, out)...)
		}
	}
	return notes
}

// Runner runs levels against one sender. Its zero value is not usable: set Sender
// and Workload.
type Runner struct {
	Sender   Sender
	Workload Workload
	SLO      SLO
	Probe    Probe // optional
	// Now reads the clock for the level's duration and paces Poisson arrivals
	// (default time.Now).
	Now func() time.Time
	// Progress, when set, is called after each counted request with how many are
	// done and how many the level counts (0 for a level by duration). It is called
	// from one goroutine at a time.
	Progress func(done, total int)

	next atomic.Int64 // index of the next request into Workload
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// collector gathers a level's samples from its workers.
type collector struct {
	mu       sync.Mutex
	samples  []Sample
	short    int
	progress func(done, total int)
	total    int
}

func (c *collector) add(req Request, s Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples = append(c.samples, s)
	if s.ErrorKind == "" && req.IgnoreEOS && req.MaxTokens > 0 &&
		(s.FinishReason != "" && s.FinishReason != "length" || !s.OutputEstimated && s.OutputTokens < req.MaxTokens) {
		c.short++
	}
	if c.progress != nil {
		c.progress(len(c.samples), c.total)
	}
}

// Run runs one level: its warmup, then its counted requests. The error is for a
// level that cannot run; failed requests are counted in the statistics. When ctx
// ends, Run returns what was measured with Complete false.
func (r *Runner) Run(ctx context.Context, l Level) (LevelResult, error) {
	if err := l.Validate(); err != nil {
		return LevelResult{}, err
	}
	lr := LevelResult{Level: l}
	if l.Warmup > 0 {
		w := &collector{}
		r.closedLoop(ctx, w, max(1, min(l.Concurrency, l.Warmup)), l.Warmup, time.Time{}, l.Ramp)
		for _, s := range w.samples {
			if s.ErrorKind != "" {
				lr.WarmupErrors++
			}
		}
	}
	c := &collector{progress: r.Progress, total: l.Requests}
	var end func() any
	if r.Probe != nil {
		end = r.Probe.Begin(ctx)
	}
	start := r.now()
	lr.StartedAt = start
	var deadline time.Time
	if l.Duration > 0 {
		deadline = start.Add(l.Duration)
	}
	if l.Rate > 0 {
		r.openLoop(ctx, c, l, start, deadline)
	} else {
		r.closedLoop(ctx, c, l.Concurrency, l.Requests, deadline, l.Ramp)
	}
	dur := r.now().Sub(start)
	lr.Complete = ctx.Err() == nil
	lr.Stats = Summarize(c.samples, dur, r.SLO)
	if end != nil {
		r.probeEnd(&lr, end())
	}
	lr.ShortOutputs = c.short
	if c.short > 0 {
		lr.Warnings = append(lr.Warnings, fmt.Sprintf("%d of %d replies stopped before max_tokens although ignore_eos was sent: "+
			"the server ignores ignore_eos, so output lengths vary", c.short, lr.Stats.Completed))
	}
	if lr.Stats.EstimatedOutputs > 0 {
		lr.Warnings = append(lr.Warnings, fmt.Sprintf("%d replies came without usage: their output tokens are counted from chunks", lr.Stats.EstimatedOutputs))
	}
	return lr, nil
}

// RunAll runs levels in order, numbering repeats of the same level, and stops
// after the level the context ended in. complete is false when it stopped early.
func (r *Runner) RunAll(ctx context.Context, levels []Level) (res []LevelResult, complete bool, err error) {
	seen := map[Level]int{}
	for _, l := range levels {
		lr, err := r.Run(ctx, l)
		if err != nil {
			return res, false, err
		}
		lr.Repeat = seen[l]
		seen[l]++
		res = append(res, lr)
		if !lr.Complete {
			return res, false, nil
		}
	}
	return res, true, nil
}

func (r *Runner) probeEnd(lr *LevelResult, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		lr.Warnings = append(lr.Warnings, fmt.Sprintf("server figures: %v", err))
		return
	}
	lr.Server = data
	if cc, ok := v.(crossChecker); ok {
		lr.Warnings = append(lr.Warnings, cc.CrossCheck(lr.Stats.InputTokens, lr.Stats.OutputTokens)...)
	}
}

// send sends the next request of the workload and records it, unless ctx ended
// while it was in flight.
func (r *Runner) send(ctx context.Context, c *collector) {
	req := r.Workload.Request(int(r.next.Add(1) - 1))
	s, err := r.Sender.Send(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		s = Sample{ErrorKind: ErrorKind(err)}
	}
	c.add(req, s)
}

// closedLoop keeps conc requests in flight until n are started (n > 0) or the
// deadline passes, worker k starting k*ramp/conc after the others.
func (r *Runner) closedLoop(ctx context.Context, c *collector, conc, n int, deadline time.Time, ramp time.Duration) {
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for k := range conc {
		wg.Go(func() {
			if client.Sleep(ctx, ramp*time.Duration(k)/time.Duration(conc)) != nil {
				return
			}
			for ctx.Err() == nil {
				if n > 0 && claimed.Add(1) > int64(n) {
					return
				}
				if !deadline.IsZero() && !r.now().Before(deadline) {
					return
				}
				r.send(ctx, c)
			}
		})
	}
	wg.Wait()
}

// openLoop starts requests at Poisson arrivals until l.Requests are started or the
// deadline passes, with at most l.Concurrency in flight when it is set.
func (r *Runner) openLoop(ctx context.Context, c *collector, l Level, start, deadline time.Time) {
	gap := Arrivals(l.Rate, l.Seed)
	var sem chan struct{}
	if l.Concurrency > 0 {
		sem = make(chan struct{}, l.Concurrency)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	at := start
	for i := 0; l.Requests == 0 || i < l.Requests; i++ {
		at = at.Add(gap())
		if !deadline.IsZero() && !at.Before(deadline) {
			return
		}
		if err := client.Sleep(ctx, at.Sub(r.now())); err != nil {
			return
		}
		if sem != nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		wg.Go(func() {
			r.send(ctx, c)
			if sem != nil {
				<-sem
			}
		})
	}
}
