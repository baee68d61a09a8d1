package plan

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/internal/yamltree"

	"github.com/quanteval/quanteval/loadgen"
)

// Bench is the plan's `bench:` block: a load test run on every variant's server
// after its evals, measured the way `quanteval bench` measures (package loadgen).
// The workload is synthetic: prompts of InputLen words, each asking for OutputLen
// tokens with ignore_eos (a server that ignores it is noted from what came back).
type Bench struct {
	// Concurrency is the sweep of closed-loop levels (default [1]); with Rate, the
	// cap on requests in flight, as vLLM's --max-concurrency.
	Concurrency []int `json:"concurrency"`
	// Rate > 0 sends Poisson arrivals of Rate requests per second instead.
	Rate float64 `json:"rate,omitempty"`
	Seed uint64  `json:"seed,omitempty"` // of the arrivals and the prompts
	// Requests counted per level (default DefaultBenchRequests), or, when Duration
	// is given, those started within it.
	Requests  int         `json:"requests,omitempty"`
	Duration  Duration    `json:"duration,omitempty"`
	Warmup    int         `json:"warmup,omitempty"` // requests per level sent first, not counted
	InputLen  int         `json:"input_len"`        // words (default DefaultBenchInputLen)
	OutputLen int         `json:"output_len"`       // tokens (default DefaultBenchOutputLen)
	Repeats   int         `json:"repeats"`          // measurements per level (default 1)
	SLO       loadgen.SLO `json:"slo,omitzero"`     // for goodput
	Line      int         `json:"-"`
}

// Defaults of the bench block.
const (
	DefaultBenchRequests  = 64
	DefaultBenchInputLen  = 128
	DefaultBenchOutputLen = 128
)

var benchKeys = []string{"concurrency", "rate", "seed", "requests", "duration", "warmup", "input_len", "output_len", "repeats", "slo"}

// Levels are the bench's load levels in the order they run, each level repeated
// Repeats times in a row.
func (b *Bench) Levels() []loadgen.Level {
	if b.Rate > 0 {
		var ls []loadgen.Level
		for _, c := range b.Concurrency {
			for range max(b.Repeats, 1) {
				ls = append(ls, loadgen.Level{Concurrency: c, Rate: b.Rate, Seed: b.Seed, Requests: b.Requests, Duration: b.Duration.D(), Warmup: b.Warmup})
			}
		}
		return ls
	}
	return loadgen.Sweep(b.Concurrency, b.Requests, b.Duration.D(), b.Warmup, b.Repeats)
}

// Params are the bench's settings as a bench result records them.
func (b *Bench) Params() loadgen.Params {
	return loadgen.Params{Workload: "synthetic", InputLen: b.InputLen, OutputLen: b.OutputLen, IgnoreEOS: true, Stream: true,
		Concurrency: b.Concurrency, Rate: b.Rate, Seed: b.Seed, Requests: b.Requests, DurationS: b.Duration.D().Seconds(),
		Warmup: b.Warmup, Repeats: b.Repeats, SLO: b.SLO}
}

// Workload is the bench's synthetic workload.
func (b *Bench) Workload() loadgen.Synthetic {
	return loadgen.Synthetic{InputLen: b.InputLen, OutputLen: b.OutputLen, Seed: b.Seed}
}

// bench reads the `bench:` block.
func (d *decoder) bench(n, kn *yaml.Node) *Bench {
	b := &Bench{Line: kn.Line}
	var durationGiven bool
	ok := d.Fields(n, "bench", benchKeys, func(k string, _ *yaml.Node, v *yaml.Node) {
		full := yamltree.Join("bench", k)
		switch k {
		case "concurrency":
			if v.Kind == yaml.ScalarNode {
				b.Concurrency = []int{d.Integer(v, full, 1)}
				return
			}
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				d.Fail(v, full, "want a list of concurrencies such as [1, 4, 16], got %s", yamltree.Describe(v))
				return
			}
			for i, c := range v.Content {
				b.Concurrency = append(b.Concurrency, d.Integer(yamltree.Resolve(c), joinIndex(full, i), 1))
			}
		case "rate":
			if b.Rate = d.Float(v, full); b.Rate <= 0 {
				d.Fail(v, full, "want requests per second above 0")
			}
		case "seed":
			b.Seed = uint64(d.Integer(v, full, 0))
		case "requests":
			b.Requests = d.Integer(v, full, 1)
		case "duration":
			b.Duration, durationGiven = Duration(d.Duration(v, full)), true
			if b.Duration <= 0 {
				d.Fail(v, full, "want a duration above 0")
			}
		case "warmup":
			b.Warmup = d.Integer(v, full, 0)
		case "input_len":
			b.InputLen = d.Integer(v, full, 1)
		case "output_len":
			b.OutputLen = d.Integer(v, full, 1)
		case "repeats":
			b.Repeats = d.Integer(v, full, 1)
		case "slo":
			b.SLO = d.slo(v, full)
		}
	})
	if !ok {
		return nil
	}
	if durationGiven && b.Requests > 0 {
		d.Fail(n, "bench.requests", "give requests or duration, not both")
	}
	if len(b.Concurrency) == 0 {
		b.Concurrency = []int{1}
	}
	if b.Requests == 0 && !durationGiven {
		b.Requests = DefaultBenchRequests
	}
	if b.InputLen == 0 {
		b.InputLen = DefaultBenchInputLen
	}
	if b.OutputLen == 0 {
		b.OutputLen = DefaultBenchOutputLen
	}
	if b.Repeats == 0 {
		b.Repeats = 1
	}
	return b
}

// slo reads {ttft: MS, tpot: MS, e2el: MS}, bounds in milliseconds.
func (d *decoder) slo(n *yaml.Node, key string) loadgen.SLO {
	var s loadgen.SLO
	d.Fields(n, key, []string{"ttft", "tpot", "e2el"}, func(k string, _ *yaml.Node, v *yaml.Node) {
		ms := d.Float(v, yamltree.Join(key, k))
		if ms <= 0 {
			d.Fail(v, yamltree.Join(key, k), "want milliseconds above 0")
		}
		switch k {
		case "ttft":
			s.TTFTMs = ms
		case "tpot":
			s.TPOTMs = ms
		case "e2el":
			s.E2ELMs = ms
		}
	})
	return s
}

func joinIndex(key string, i int) string { return fmt.Sprintf("%s[%d]", key, i) }
