package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/quanteval/quanteval/benchrun"
	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/loadgen"
)

const benchUsage = `usage: quanteval bench [--base-url URL] [--model NAME] [--evalset SPEC | --input-len N --output-len N]
                      [--concurrency LIST | --rate R] [--requests N | --duration D] [--out PATH] [flags]

Measures the speed of one OpenAI-compatible endpoint under load: TTFT, TPOT, ITL,
E2EL, throughput and goodput per level, with the server's /metrics when it has them.
Writes a bench result (quanteval/bench/v1) and ends with a table per level.

flags:
`

// benchArgs are the flags of `bench` as read.
type benchArgs struct {
	opts        benchrun.Options
	apiKeyEnv   string
	concurrency string
	slo         string
	extraBody   string
	duration    string
	timeoutS    float64
	seed        uint64
	out         string
	stream      bool
	quiet       bool
}

func benchFlags(stderr io.Writer) (*flag.FlagSet, *benchArgs) {
	a := &benchArgs{}
	order := []string{"base-url", "model", "api-key-env", "evalset", "input-len", "output-len", "concurrency", "rate", "seed",
		"requests", "duration", "warmup", "repeats", "slo", "temperature", "extra-body", "timeout", "stream", "out", "quiet"}
	fs := newFlagSet("bench", benchUsage, stderr, order...)
	d := eval.Defaults()
	o := &a.opts
	fs.StringVar(&o.BaseURL, "base-url", d.BaseURL[0], "the `URL` of the server, with or without a trailing /v1")
	fs.StringVar(&o.Model, "model", "", "the model `NAME` (default the single model GET /v1/models lists)")
	fs.StringVar(&a.apiKeyEnv, "api-key-env", d.APIKeyEnv, "the environment variable `VAR` holding the API key, sent as Authorization: Bearer")
	fs.StringVar(&o.Evalset, "evalset", "", "send the prompts of the eval set `SPEC` (as run takes it), cycled, instead of synthetic ones")
	fs.IntVar(&o.InputLen, "input-len", 256, "synthetic prompts of `N` words")
	fs.IntVar(&o.OutputLen, "output-len", 0, "max_tokens: synthetic prompts ask for `N` tokens with ignore_eos (default 128; with --evalset the set's own)")
	fs.StringVar(&a.concurrency, "concurrency", "1,4,16,64", "the levels of the sweep, a `LIST` of requests in flight; with --rate, one value caps the requests in flight")
	fs.Float64Var(&o.Rate, "rate", 0, "Poisson arrivals at `R` requests per second instead of a sweep")
	fs.Uint64Var(&a.seed, "seed", 0, "the seed `N` of the Poisson arrivals and the synthetic prompts")
	fs.IntVar(&o.Requests, "requests", 0, "count `N` requests per level (default 100 unless --duration)")
	fs.StringVar(&a.duration, "duration", "", "run each level for `D` (30s, 5m) instead of a number of requests")
	fs.IntVar(&o.Warmup, "warmup", 0, "send `N` uncounted requests before each level (default the level's concurrency)")
	fs.IntVar(&o.Repeats, "repeats", 1, "measure each level `N` times in a row")
	fs.StringVar(&a.slo, "slo", "", "goodput counts the requests within every bound of `SLO`: ttft:MS,tpot:MS,e2el:MS (any of them, in milliseconds)")
	fs.Float64Var(&o.Temperature, "temperature", 0, "sampling temperature `T`")
	fs.StringVar(&a.extraBody, "extra-body", "", "a `JSON` object merged into every request body")
	fs.Float64Var(&a.timeoutS, "timeout", d.Timeout.Seconds(), "`SECONDS` per request")
	fs.BoolVar(&a.stream, "stream", true, "stream replies; a bench cannot do without (TTFT needs a stream)")
	fs.StringVar(&a.out, "out", "", "the bench result `PATH` (default results/bench__MODEL.json)")
	fs.BoolVar(&a.quiet, "quiet", false, "no progress display")
	return fs, a
}

// options checks what parsing could not and completes the options.
func (a *benchArgs) options(fs *flag.FlagSet, stderr io.Writer) (benchrun.Options, error) {
	o := a.opts
	if !a.stream {
		return o, usagef("bench: --stream=false is not possible: TTFT, TPOT and ITL are measured on a stream; a server that cannot stream can only be timed by run's latency_ms")
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["warmup"] {
		o.Warmup = -1
	}
	if a.duration != "" {
		d, err := time.ParseDuration(a.duration)
		if err != nil {
			return o, usagef("bench: --duration %q: want a duration such as 30s or 5m", a.duration)
		}
		o.Duration = d
	}
	if o.Evalset != "" && given["input-len"] {
		return o, usagef("bench: --input-len is for synthetic prompts, not with --evalset")
	}
	if o.Rate == 0 || given["concurrency"] {
		c, err := benchrun.ParseInts(a.concurrency)
		if err != nil {
			return o, usagef("bench: --concurrency %v", err)
		}
		o.Concurrency = c
	}
	var err error
	if o.SLO, err = benchrun.ParseSLO(a.slo); err != nil {
		return o, usageError{err}
	}
	if a.extraBody != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(a.extraBody), &m); err != nil {
			return o, usagef("bench: --extra-body: want a JSON object: %v", err)
		}
		o.ExtraBody = json.RawMessage(a.extraBody)
	}
	if a.timeoutS <= 0 || o.InputLen < 1 || o.OutputLen < 0 || o.Requests < 0 || o.Duration < 0 || o.Warmup < -1 || o.Repeats < 1 {
		return o, usagef("bench: --timeout, --input-len, --output-len, --requests, --duration, --warmup and --repeats must be positive")
	}
	o.Timeout = time.Duration(a.timeoutS * float64(time.Second))
	o.Seed = a.seed
	if a.apiKeyEnv != "" {
		o.APIKey = os.Getenv(a.apiKeyEnv)
	}
	if !a.quiet {
		o.Progress = stderr
	}
	o.Tool = "quanteval " + version
	return o, nil
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, a := benchFlags(stderr)
	rest, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if len(rest) > 0 {
		return usagef("bench: unexpected argument %q", rest[0])
	}
	o, err := a.options(fs, stderr)
	if err != nil {
		return err
	}
	res, runErr := benchrun.Run(ctx, o)
	if res == nil {
		return runErr
	}
	path := a.out
	if path == "" {
		path = eval.ResultPath("bench", res.Model)
	}
	if err := loadgen.Write(path, res); err != nil {
		return errors.Join(runErr, err)
	}
	if err := benchrun.WriteTable(stdout, res); err != nil {
		return errors.Join(runErr, err)
	}
	fmt.Fprintf(stdout, "bench result: %s\n", path)
	return runErr
}
