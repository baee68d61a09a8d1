package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/quanteval/quanteval/freeze"
	"github.com/quanteval/quanteval/result"
)

const evalsetUsage = `usage: quanteval evalset list
       quanteval evalset freeze RESULT.json --out SET.jsonl [--first-sentence]

list names the built-in eval sets and the standard data sets.

freeze turns a reference run into an eval set whose expected answers are the
reference's outputs (type exact; with --first-sentence, type contains of the first
sentence), so that any later variant can be held against it. Items that failed or
answered nothing are skipped. The set's header comments give the settings to run
variants with (above all --max-tokens).

flags of freeze:
`

func cmdEvalset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, evalsetUsage)
		return usagef("evalset: no subcommand (want list or freeze)")
	}
	switch args[0] {
	case "list":
		return cmdEvalsetList(ctx, args[1:], stdout, stderr)
	case "freeze":
		return cmdEvalsetFreeze(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, evalsetUsage)
		return nil
	}
	fmt.Fprint(stderr, evalsetUsage)
	return usagef("evalset: unknown subcommand %q (want list or freeze)", args[0])
}

func cmdEvalsetFreeze(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("evalset freeze", evalsetUsage, stderr)
	out := fs.String("out", "", "the eval set (JSONL) to write, a `PATH`; - writes it to stdout")
	firstSentence := fs.Bool("first-sentence", false, "expect the first sentence of each output anywhere in a reply (type contains)")
	files, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	switch {
	case len(files) != 1:
		return usagef("evalset freeze: want one result file, got %d", len(files))
	case *out == "":
		return usagef("evalset freeze: --out is required")
	}
	ref, err := freeze.Read(files[0])
	if err != nil {
		return usageError{fmt.Errorf("evalset freeze: %w", err)}
	}
	if err := freeze.CheckOutput(*out, ref.Path, ref.File); err != nil {
		return usageError{fmt.Errorf("evalset freeze: --out %w", err)}
	}
	if ref.Fallback != "" {
		fmt.Fprintf(stderr, "evalset freeze: %s\n", ref.Fallback)
	}
	items, err := ref.Items(*firstSentence)
	if err != nil {
		return usageError{fmt.Errorf("evalset freeze: %w", err)}
	}
	data, err := ref.JSONL(items, *firstSentence, *out)
	if err != nil {
		return fmt.Errorf("evalset freeze: %w", err)
	}
	msg := ref.Summary(len(items), *out)
	if *out == "-" {
		if _, err := stdout.Write(data); err != nil {
			return fmt.Errorf("evalset freeze: stdout: %w", err)
		}
		fmt.Fprint(stderr, msg)
		return nil
	}
	if err := result.WriteFileAtomic(*out, data); err != nil {
		return fmt.Errorf("evalset freeze: %w", err)
	}
	fmt.Fprint(stdout, msg)
	return nil
}
