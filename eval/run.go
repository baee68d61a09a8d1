package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
)

// Output says where an evaluation's result goes and how it is shown.
type Output struct {
	// Path is the result file; "" names it results/EVALSET__MODEL.json; "-" writes
	// the result to Stdout.
	Path     string
	Resume   bool      // continue from the journal beside Path
	Progress io.Writer // the progress display and download progress (nil: none)
	Notes    io.Writer // notices and warnings, shown also without progress (nil: Progress)
	Stdout   io.Writer // receives the result when Path is "-"
	Tool     string    // written into the result: "quanteval VERSION"
	// StopNow, when closed (a second Ctrl-C), drops the requests in flight at once.
	StopNow <-chan struct{}
	// Secrets are further values to hide in the error, the records and the params
	// (a matrix plan's secret values); the run's own are known (redact.Known).
	Secrets []string
}

// Run carries out the evaluation o asks for: it checks the options, opens the eval
// set and applies its own defaults, resolves the model from the server's list,
// names the result file and runs the evaluation. The result is returned, and
// written, even when the run failed or was interrupted.
//
// Errors in the options or the input are *InputError (an output that is also an input,
// an output another run is writing among them); an interruption wraps
// context.Canceled. The secrets it knows (the key, the base URL's password, those of
// the environment: redact.Known) are hidden in the error.
func Run(ctx context.Context, o Options, out Output) (_ *result.File, err error) {
	defer func() { err = o.secrets().With(out.Secrets...).Error(err, nil) }()
	if err := o.Check(); err != nil {
		return nil, err
	}
	if err := checkOutput(o, out.Path); err != nil { // before any request, a download too
		return nil, err
	}
	sh, err := o.ShardSpec(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if limit, known := client.OpenFileLimit(); known {
		if err := checkOpenFiles(o.Concurrency*len(o.BaseURL), limit); err != nil {
			return nil, err
		}
	}
	set, err := OpenSet(ctx, o, out.Progress)
	if err != nil {
		return nil, err
	}
	cfg := o.config(set)
	cfg.Shard = sh
	opts := run.ClientOptions(cfg)
	opts.MaxConns = o.Concurrency // per replica: cfg.Concurrency is the run's total
	c, err := newChatter(o.BaseURL, opts)
	if err != nil {
		return nil, inputError(err)
	}
	if cfg.Model, err = c.ResolveModel(ctx, cfg.Model); err != nil {
		if errors.As(err, new(*client.UnknownModelError)) {
			return nil, inputError(fmt.Errorf("--model: %w", err))
		}
		if code, ok := client.RefusedKey(err); ok {
			return nil, fmt.Errorf("%w (HTTP %d): set it with --api-key-env / OPENAI_API_KEY; %v", run.ErrKeyRefused, code, err)
		}
		return nil, fmt.Errorf("model: %w", err)
	}
	cfg.Out = out.Path
	if cfg.Out == "" {
		cfg.Out = ResultPath(set.Name, cfg.Model)
		if err := checkOutput(o, cfg.Out); err != nil {
			return nil, err
		}
	}
	cfg.Resume, cfg.Stdout, cfg.Progress, cfg.Tool, cfg.StopNow = out.Resume, out.Stdout, out.Progress, out.Tool, out.StopNow
	cfg.Secrets, cfg.Notes = out.Secrets, out.Notes
	f, err := run.EvaluateWith(ctx, cfg, set, c, c.Version(ctx))
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		return f, fmt.Errorf("interrupted: %w (partial result in %s; continue with --resume)", err, cfg.Out)
	case errors.Is(err, run.ErrJournalMismatch), errors.As(err, new(*run.LockedError)), errors.Is(err, run.ErrNoSandbox):
		return f, inputError(err)
	}
	return f, err
}

// secrets is what Run hides in its error, as run hides it in the records.
func (o Options) secrets() *redact.Redactor {
	key := ""
	if o.APIKeyEnv != "" {
		key = os.Getenv(o.APIKeyEnv)
	}
	rd := redact.Known(os.Environ(), "", key)
	for _, u := range o.BaseURL {
		rd = rd.With(redact.FromURL(u)...)
	}
	return rd
}

// chatter is what a run needs of its server: a *client.Client for one base URL, a
// *client.Pool for several replicas.
type chatter interface {
	run.Chatter
	run.Streamer
	ResolveModel(ctx context.Context, model string) (string, error)
	Version(ctx context.Context) string
}

func newChatter(urls []string, opt client.Options) (chatter, error) {
	if len(urls) == 1 {
		return client.New(urls[0], opt)
	}
	return client.NewPool(urls, opt)
}

// checkOutput refuses an output that is also an input of the run (the eval set, a
// local data-set file, the few-shot file), compared by file identity: writing the
// result, its journal, lock or side file would destroy the input.
func checkOutput(o Options, out string) error {
	if out == "" || out == "-" {
		return nil
	}
	if err := result.CheckClash(run.OutputFiles(out, o.Logprobs), []string{o.Evalset, o.FewshotFile}); err != nil {
		return inputError(fmt.Errorf("--out %s: %w", out, err))
	}
	return nil
}

// config is the runner's configuration of o on set: the set's own max_tokens and
// system message apply unless o gives them, and a standard data set sends no system
// message by default (its prompts ask for reasoning, which "final answer only"
// would contradict).
func (o Options) config(set *evalset.Set) run.Config {
	cfg := run.Config{
		BaseURL:     strings.Join(o.BaseURL, ","),
		Model:       o.Model,
		Concurrency: o.Concurrency * max(len(o.BaseURL), 1), // --concurrency is per replica
		MaxTokens:   o.MaxTokens,
		Temperature: o.Temperature,
		Timeout:     o.Timeout,
		Retries:     o.Retries,
		Seed:        o.Seed,
		System:      o.System,
		ExtraBody:   o.ExtraBody,
		Limit:       o.Limit,
		Logprobs:    o.Logprobs,
		Repeats:     o.Repeats,
		NoStream:    o.Stream != nil && !*o.Stream,
		TopP:        o.TopP, TopK: o.TopK, MinP: o.MinP, PresencePenalty: o.PresencePenalty,
		UnsafeExec: o.UnsafeExec != nil && *o.UnsafeExec,
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = DefaultMaxTokens
		if set.MaxTokens > 0 {
			cfg.MaxTokens = set.MaxTokens
		}
	}
	o.applySampling(&cfg, set.Sampling)
	if cfg.Repeats == 0 && set.Sampling != nil {
		cfg.Repeats = set.Sampling.Repeats // a task spec's defaults.repeats
	}
	if cfg.System == nil && set.System != nil {
		cfg.System = set.System
	}
	if cfg.System == nil && set.Source != nil {
		none := ""
		cfg.System = &none
	}
	if o.APIKeyEnv != "" {
		cfg.APIKey = os.Getenv(o.APIKeyEnv)
	}
	return cfg
}

// ResultPath is the default result file of a run of set on model:
// results/EVALSET__MODEL.json, each name made safe as a file name.
func ResultPath(set, model string) string {
	return filepath.Join("results", slug(set)+"__"+slug(model)+".json")
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
