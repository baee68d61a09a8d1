package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/quanteval/quanteval/datasets"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/hub"
)

// InputError is an error in what the user gave: an option, an eval-set spec or
// line, a journal made for another run. The command exits with status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputError(err error) error { return &InputError{err} }

// OpenSet opens the eval set of o: a task spec (task:PATH.yaml, or a built-in one
// by name: math500, aime24, ...), a standard data set (gsm8k, mmlu[:SUBJECTS],
// hf:ORG/NAME, a local .parquet or hub-schema file with a task), builtin:NAME or a
// JSONL file. A download shows its progress on progress (nil: none).
func OpenSet(ctx context.Context, o Options, progress io.Writer) (*evalset.Set, error) {
	if set, ok, err := openTask(ctx, o, progress); ok {
		return set, err
	}
	set, ok, err := openStandard(ctx, o, progress)
	if err != nil || ok {
		return set, err
	}
	if set, err = evalset.Open(o.Evalset); err != nil {
		var se *evalset.SyntaxError
		if errors.As(err, &se) || errors.As(err, new(*evalset.RefusedError)) || errors.Is(err, os.ErrNotExist) || strings.HasPrefix(o.Evalset, evalset.BuiltinPrefix) {
			return nil, inputError(err)
		}
		return nil, err
	}
	if o.Sample > 0 || o.Fewshot > 0 || o.Task != "" {
		return nil, inputError(fmt.Errorf("--sample, --fewshot and --task apply to standard data sets, not to %s", o.Evalset))
	}
	return set, nil
}

// openStandard opens the standard data sets; ok is false for other specs.
func openStandard(ctx context.Context, o Options, progress io.Writer) (*evalset.Set, bool, error) {
	opts := o.datasetOptions(progress)
	opts.Task = o.Task
	set, ok, err := datasets.Open(ctx, o.Evalset, opts)
	if err != nil {
		return nil, true, classifyOpen(err)
	}
	return set, ok, nil
}

// datasetOptions are the options a standard data set or a task spec is opened
// with (all but Task, which only the standard sets take), with a hub client from
// the environment that reports its downloads to progress.
func (o Options) datasetOptions(progress io.Writer) datasets.Options {
	cfg := hub.ConfigFromEnv()
	cfg.Progress = progress
	return datasets.Options{
		Limit:       o.Limit,
		Sample:      o.Sample,
		SampleSeed:  o.SampleSeed,
		Fewshot:     o.Fewshot,
		Revision:    o.Revision,
		FewshotFile: o.FewshotFile,
		Hub:         hub.New(cfg),
	}
}

// FDReserve is how many open files a run needs beside one connection per request in
// flight: the standard streams, the Go runtime's own, the journal, the logprobs side
// file, the output's lock, the result's temporary file and its folder, and in a
// matrix the server's logs.
const FDReserve = 16

// checkOpenFiles refuses a concurrency that the process's open-file limit cannot hold
// with FDReserve beside it: such a run would fail to connect, or finish and fail to
// write its result.
func checkOpenFiles(concurrency int, limit uint64) error {
	if uint64(concurrency)+FDReserve <= limit {
		return nil
	}
	fit := "none fits: raise the limit"
	if limit > FDReserve {
		fit = fmt.Sprintf("use --concurrency %d or less, or raise the limit", limit-FDReserve)
	}
	return inputError(fmt.Errorf("--concurrency %d: the open-file limit (ulimit -n) is %d, and a run needs one per request in flight and %d more; %s",
		concurrency, limit, FDReserve, fit))
}

// classifyOpen sorts an error opening a data set: what the hub or the network
// failed at is the run failing (exit 1); anything else is the input: a schema, an
// option, a missing file or cache entry, a repo or split that does not exist, a
// column a task spec refers to that the data lacks (exit 2).
func classifyOpen(err error) error {
	var he *hub.StatusError
	var ue *url.Error
	if errors.As(err, &he) && (he.StatusCode >= 500 || he.StatusCode == http.StatusTooManyRequests) ||
		errors.As(err, &ue) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return inputError(err)
}
