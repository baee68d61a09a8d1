package main

// evaluateJob maps a matrix plan's eval onto the options of `quanteval run`, so that
// every eval of a plan goes through the same code path as the command.

import (
	"context"
	"fmt"
	"io"

	"github.com/quanteval/quanteval/plan"

	"github.com/quanteval/quanteval/matrix"
	"github.com/quanteval/quanteval/result"
)

// evaluateJob runs one eval of a matrix plan as `quanteval run` would.
func evaluateJob(ctx context.Context, job matrix.Job) (*result.File, error) {
	o := planOptions(job.Eval)
	o.BaseURL, o.Model = job.BaseURL, job.Model
	return evaluate(ctx, o, job.Out, job.Resume, job.Progress, io.Discard)
}

// openPlanEvalsets opens every eval set of a plan once before any server starts: a
// bad subject, a cache miss offline or a gated repo is found before a model load,
// and a download lands in the cache the evals then read.
func openPlanEvalsets(ctx context.Context, evals []plan.Eval, progress io.Writer) error {
	for _, e := range evals {
		if _, err := openEvalset(ctx, planOptions(e), progress); err != nil {
			return fmt.Errorf("eval %s (line %d): %w", e.Name, e.Line, err)
		}
	}
	return nil
}

// planOptions are the `quanteval run` options of a plan's eval, with run's defaults.
func planOptions(e plan.Eval) evalOptions {
	o := evalOptions{
		Evalset:     e.Evalset,
		Concurrency: 4,
		MaxTokens:   e.MaxTokens,
		Temperature: e.Temperature,
		TimeoutS:    1200,
		Retries:     3,
		Seed:        e.Seed,
		System:      e.System,
		ExtraBody:   string(e.ExtraBody),
		APIKeyEnv:   "OPENAI_API_KEY",
		Limit:       e.Limit,
		Logprobs:    e.Logprobs,
		Task:        e.Task,
		Sample:      e.Sample,
		Revision:    e.Revision,
	}
	if e.Concurrency > 0 {
		o.Concurrency = e.Concurrency
	}
	if e.Timeout > 0 {
		o.TimeoutS = e.Timeout.D().Seconds()
	}
	if e.Retries != nil {
		o.Retries = *e.Retries
	}
	if e.APIKeyEnv != "" {
		o.APIKeyEnv = e.APIKeyEnv
	}
	if e.SampleSeed != nil {
		o.SampleSeed = *e.SampleSeed
	}
	if e.Fewshot != nil {
		o.Fewshot = *e.Fewshot
	}
	return o
}
