package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
)

const mergeUsage = `usage: quanteval merge SHARD.json... --out RESULT.json [--allow-partial]

Joins the results of 'quanteval run --shard I/N' into the result one unsharded run
would have written: the items in set order, the summary recomputed; only the timings
and the shard bookkeeping differ. The shards' log-probability side files are joined
too. Refuses (exit 2) shards of different runs (model, eval set, parameters: what
--resume checks), overlapping shards, and names the missing or incomplete ones;
--allow-partial merges what there is and marks it "complete": false.

flags:
`

func cmdMerge(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", mergeUsage, stderr)
	out := fs.String("out", "", "the merged result file `PATH` (required)")
	partial := fs.Bool("allow-partial", false, "merge even when shards are missing or incomplete; the result is marked \"complete\": false")
	files, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("merge: %w", err)
	}
	switch {
	case len(files) == 0:
		fs.Usage()
		return usagef("merge: no shard results")
	case *out == "" || *out == "-":
		return usagef("merge: give the merged result's path: --out RESULT.json")
	}
	shards := make([]*result.File, len(files))
	for i, path := range files {
		if sameFile(path, *out) {
			return usagef("merge: --out %s is one of the shards", *out)
		}
		if shards[i], err = result.Read(path); err != nil {
			return usagef("merge: %w", err)
		}
	}
	merged, err := result.Merge(shards, result.MergeOptions{Names: files, AllowPartial: *partial})
	if err != nil {
		return usageError{err}
	}
	if merged.Logprobs != "" {
		side := run.LogprobsPath(*out)
		merged.Logprobs = filepath.Base(side)
		if err := result.MergeLogprobs(side, merged, files, shards); err != nil {
			return usageError{err}
		}
	}
	if err := result.Write(*out, merged); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	fmt.Fprintf(stderr, "wrote %s (%d shards)\n", *out, len(files))
	writeSummary(stdout, merged)
	return nil
}

// sameFile reports whether two paths name one file, as far as their cleaned
// absolute forms tell.
func sameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
