package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
)

// evalOptions are the options of one evaluation, shared by `run` (as flags) and the
// evals of a matrix plan (as YAML keys named like the flags).
type evalOptions struct {
	BaseURL     string
	Model       string
	Evalset     string
	Concurrency int
	MaxTokens   int
	Temperature float64
	TimeoutS    float64
	Retries     int
	Seed        *int64
	System      *string
	ExtraBody   string
	APIKeyEnv   string
	Limit       int
	Logprobs    int
	// Standard data sets.
	Task        string
	Sample      int
	SampleSeed  int64
	Fewshot     int
	FewshotFile string
	Revision    string
}

// optionalInt is a flag that records whether it was given.
type optionalInt struct{ v **int64 }

func (o optionalInt) String() string {
	if o.v == nil || *o.v == nil {
		return ""
	}
	return strconv.FormatInt(**o.v, 10)
}

func (o optionalInt) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("want an integer")
	}
	*o.v = &n
	return nil
}

// optionalString is a flag that records whether it was given (an empty --system
// means "no system message", unlike no flag at all).
type optionalString struct{ v **string }

func (o optionalString) String() string {
	if o.v == nil || *o.v == nil {
		return ""
	}
	return **o.v
}

func (o optionalString) Set(s string) error { *o.v = &s; return nil }

const runUsage = `usage: quanteval run [flags]

Evaluates one OpenAI-compatible endpoint on an eval set and writes a result file.
The flags of the seed's eval_openai_accuracy.py keep their names and meaning.

`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage); fs.PrintDefaults() }
	var o evalOptions
	var out string
	var resume, quiet bool
	fs.StringVar(&o.BaseURL, "base-url", "http://127.0.0.1:8000", "server address, with or without a trailing /v1")
	fs.StringVar(&o.Model, "model", "", "model name (default: the single model the server lists)")
	fs.StringVar(&o.Evalset, "evalset", evalset.DefaultSuite, "eval set: a JSONL path, builtin:NAME, gsm8k, mmlu[:SUBJECT,...], hf:ORG/NAME or a .parquet file with --task")
	fs.IntVar(&o.Concurrency, "concurrency", 4, "requests in flight")
	fs.IntVar(&o.MaxTokens, "max-tokens", 0, "max_tokens per request (default 256; GSM8K 1024, MMLU 512)")
	fs.Float64Var(&o.Temperature, "temperature", 0, "sampling temperature")
	fs.Float64Var(&o.TimeoutS, "timeout", 1200, "seconds per request")
	fs.StringVar(&out, "out", "", "result JSON path; - writes it to stdout (default results/EVALSET__MODEL.json)")
	fs.IntVar(&o.Retries, "retries", 3, "retries per request after the first attempt")
	fs.Var(optionalInt{&o.Seed}, "seed", "sampling seed sent with every request (default: none)")
	fs.Var(optionalString{&o.System}, "system", "system message (replaces the default; \"\" sends none)")
	fs.StringVar(&o.ExtraBody, "extra-body", "", "JSON object merged into every request body")
	fs.StringVar(&o.APIKeyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable that holds the API key")
	fs.IntVar(&o.Limit, "limit", 0, "evaluate only the first N items")
	fs.BoolVar(&resume, "resume", false, "continue from the journal beside --out without repeating finished items")
	fs.IntVar(&o.Logprobs, "logprobs", 0, "keep the top-K log-probabilities of every generated token in a side file")
	fs.StringVar(&o.Task, "task", "", "schema of a standard data set given as hf:ORG/NAME or a local file: gsm8k or mmlu")
	fs.IntVar(&o.Sample, "sample", 0, "a reproducible random subset of N items (stratified by subject for MMLU)")
	fs.Int64Var(&o.SampleSeed, "sample-seed", 0, "seed of --sample")
	fs.IntVar(&o.Fewshot, "fewshot", 0, "few-shot examples as earlier chat turns (standard data sets)")
	fs.StringVar(&o.Revision, "revision", "", "branch, tag or commit of a hub data set (default main)")
	fs.StringVar(&o.FewshotFile, "fewshot-file", "", "train (GSM8K) or dev (MMLU) file of few-shot examples for a local data set file")
	fs.BoolVar(&quiet, "quiet", false, "no progress display")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q", fs.Arg(0))
	}
	progress := stderr
	if quiet {
		progress = nil
	}
	f, err := evaluate(ctx, o, out, resume, progress, stdout)
	if f != nil {
		s := f.Summary
		line := fmt.Sprintf("accuracy = %.3f (%d/%d), %d errors", s.Accuracy, s.OK, s.Count, s.Errors)
		if !f.Complete {
			line += fmt.Sprintf(", incomplete (%d of %d items)", s.Count, f.Evalset.Count)
		}
		w := stdout
		if out == "-" {
			w = stderr
		}
		for _, name := range result.SortedKeys(s.Metrics) {
			fmt.Fprintf(w, "%s = %.3f (%d/%d)\n", name, s.Metrics[name].Accuracy, s.Metrics[name].OK, s.Metrics[name].Count)
		}
		fmt.Fprintln(w, line)
	}
	return err
}

// evaluate resolves the eval set and the model and runs the evaluation, writing the
// result to out. It is the one code path of `run` and of every eval in `matrix`.
func evaluate(ctx context.Context, o evalOptions, out string, resume bool, progress, stdout io.Writer) (*result.File, error) {
	cfg, err := o.config()
	if err != nil {
		return nil, err
	}
	set, err := openEvalset(ctx, o, progress)
	if err != nil {
		return nil, err
	}
	if o.MaxTokens == 0 && set.MaxTokens > 0 {
		cfg.MaxTokens = set.MaxTokens
	}
	if cfg.System == nil && set.System != nil {
		cfg.System = set.System
	}
	if cfg.System == nil && set.Source != nil {
		// Standard data sets bring their own prompt, which asks for reasoning; the
		// default "final answer only" system message would contradict it.
		none := ""
		cfg.System = &none
	}
	c, err := client.New(cfg.BaseURL, client.Options{APIKey: cfg.APIKey, Timeout: cfg.Timeout, Retries: cfg.Retries})
	if err != nil {
		return nil, usageError{err}
	}
	if cfg.Model, err = c.ResolveModel(ctx, cfg.Model); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if out == "" {
		out = filepath.Join("results", slug(set.Name)+"__"+slug(cfg.Model)+".json")
	}
	cfg.Out, cfg.Resume, cfg.Stdout = out, resume, stdout
	cfg.Progress = progress
	cfg.StopNow = hurryOf(ctx)
	cfg.Tool = "quanteval " + version
	f, err := run.EvaluateWith(ctx, cfg, set, c, c.Version(ctx))
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		return f, fmt.Errorf("%w: %v (partial result in %s; continue with --resume)", errInterrupted, err, out)
	case errors.Is(err, run.ErrJournalMismatch):
		return f, usageError{err}
	}
	return f, err
}

// config turns options into the runner's configuration, checking them.
func (o evalOptions) config() (run.Config, error) {
	cfg := run.Config{
		BaseURL:     o.BaseURL,
		Model:       o.Model,
		Concurrency: o.Concurrency,
		MaxTokens:   o.MaxTokens,
		Temperature: o.Temperature,
		Timeout:     time.Duration(o.TimeoutS * float64(time.Second)),
		Retries:     o.Retries,
		Seed:        o.Seed,
		System:      o.System,
		Limit:       o.Limit,
		Logprobs:    o.Logprobs,
	}
	if o.Retries == 0 {
		cfg.Retries = -1 // zero retries asked for explicitly
	}
	switch {
	case o.Concurrency < 1:
		return cfg, usagef("--concurrency must be at least 1")
	case o.MaxTokens < 0:
		return cfg, usagef("--max-tokens must be positive")
	case o.TimeoutS <= 0:
		return cfg, usagef("--timeout must be positive")
	case o.Limit < 0:
		return cfg, usagef("--limit must not be negative")
	case o.Logprobs < 0 || o.Logprobs > 20:
		return cfg, usagef("--logprobs must be between 0 and 20")
	}
	if o.ExtraBody != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(o.ExtraBody), &m); err != nil {
			return cfg, usagef("--extra-body: want a JSON object: %v", err)
		}
		cfg.ExtraBody = json.RawMessage(o.ExtraBody)
	}
	if o.APIKeyEnv != "" {
		cfg.APIKey = os.Getenv(o.APIKeyEnv)
	}
	return cfg, nil
}

// openEvalset resolves an eval-set spec: a standard data set, builtin:NAME or a file.
func openEvalset(ctx context.Context, o evalOptions, progress io.Writer) (*evalset.Set, error) {
	set, ok, err := openStandard(ctx, o, progress)
	if err != nil {
		return nil, err
	}
	if !ok {
		if set, err = evalset.Open(o.Evalset); err != nil {
			var se *evalset.SyntaxError
			if errors.As(err, &se) || errors.Is(err, os.ErrNotExist) || strings.HasPrefix(o.Evalset, evalset.BuiltinPrefix) {
				return nil, usageError{err}
			}
			return nil, err
		}
		if o.Sample > 0 || o.Fewshot > 0 || o.Task != "" {
			return nil, usagef("--sample, --fewshot and --task apply to standard data sets, not to %s", o.Evalset)
		}
	}
	return set, nil
}

var slugRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// slug makes a name safe as a file name: "Qwen/Qwen3-32B" -> "Qwen_Qwen3-32B".
func slug(s string) string {
	s = strings.Trim(slugRE.ReplaceAllString(s, "_"), "_.")
	if s == "" {
		return "x"
	}
	return s
}

func cmdEvalsets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] != "list" {
		return usagef("evalsets: unexpected argument %q", args[0])
	}
	list, err := evalset.Builtins()
	if err != nil {
		return err
	}
	for _, b := range list {
		var types []string
		for _, t := range result.SortedKeys(b.Types) {
			types = append(types, fmt.Sprintf("%s %d", t, b.Types[t]))
		}
		fmt.Fprintf(stdout, "%s%s\t%d items\t%s\n", evalset.BuiltinPrefix, b.Name, b.Count, strings.Join(types, ", "))
	}
	fmt.Fprintln(stdout, "gsm8k\tGSM8K test split (openai/gsm8k) from the Hugging Face hub\t1319 items\tgsm8k")
	fmt.Fprintln(stdout, "mmlu[:SUBJECT,...]\tMMLU test split (cais/mmlu) from the Hugging Face hub\t14042 items\tchoice")
	return nil
}
