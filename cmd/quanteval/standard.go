package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/quanteval/quanteval/datasets"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/hub"
)

// openStandard resolves the standard data sets (gsm8k, mmlu[:SUBJECTS], hf:ORG/NAME,
// a local .parquet or hub-schema .jsonl with --task); ok is false for other specs.
func openStandard(ctx context.Context, o evalOptions, progress io.Writer) (*evalset.Set, bool, error) {
	cfg := hub.ConfigFromEnv()
	cfg.Progress = progress
	set, ok, err := datasets.Open(ctx, o.Evalset, datasets.Options{
		Task:        o.Task,
		Limit:       o.Limit,
		Sample:      o.Sample,
		SampleSeed:  o.SampleSeed,
		Fewshot:     o.Fewshot,
		Revision:    o.Revision,
		FewshotFile: o.FewshotFile,
		Hub:         hub.New(cfg),
	})
	if err != nil {
		// What the hub or the network failed at is the run failing (exit 1); anything
		// else is the input: a schema, an option, a missing file or cache entry, a
		// repo or split that does not exist (exit 2).
		var he *hub.StatusError
		var ue *url.Error
		if errors.As(err, &he) && (he.StatusCode >= 500 || he.StatusCode == http.StatusTooManyRequests) ||
			errors.As(err, &ue) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, true, err
		}
		return nil, true, usageError{err}
	}
	return set, ok, nil
}
