package main

import (
	"context"
	"errors"
	"io"

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
		Task:       o.Task,
		Limit:      o.Limit,
		Sample:     o.Sample,
		SampleSeed: o.SampleSeed,
		Fewshot:    o.Fewshot,
		Revision:   o.Revision,
		Hub:        hub.New(cfg),
	})
	if err != nil {
		var se *datasets.SchemaError
		if errors.As(err, &se) || errors.Is(err, hub.ErrNotCached) {
			return nil, true, usageError{err}
		}
		return nil, true, err
	}
	return set, ok, nil
}
