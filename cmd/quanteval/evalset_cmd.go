package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/quanteval/quanteval/freeze"

	"github.com/quanteval/quanteval/evalset"
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
	src := files[0]
	f, err := result.Read(src)
	if err != nil {
		return usageError{fmt.Errorf("evalset freeze: %w", err)}
	}
	if err := freeze.CheckOutput(*out, src, f); err != nil {
		return usageError{fmt.Errorf("evalset freeze: --out %w", err)}
	}
	// The questions are taken from the eval set the reference ran on, when it is
	// still there unchanged; otherwise from the records (the last user turn).
	set, err := evalset.Open(f.Evalset.Path)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "evalset freeze: %s cannot be read (%v): each item is frozen as the single prompt its record holds\n", f.Evalset.Path, err)
		set = nil
	case set.SHA256 != f.Evalset.SHA256:
		fmt.Fprintf(stderr, "evalset freeze: %s has changed since the run: each item is frozen as the single prompt its record holds\n", f.Evalset.Path)
		set = nil
	}
	items, err := freeze.Items(f, set, *firstSentence)
	if err != nil {
		return usageError{fmt.Errorf("evalset freeze: %s: %w", src, err)}
	}

	var buf bytes.Buffer
	buf.WriteString(freeze.Header(f, *firstSentence))
	if err := evalset.WriteJSONL(&buf, items); err != nil {
		return fmt.Errorf("evalset freeze: %w", err)
	}
	// What is written must read back as a valid set: check before it lands.
	if _, err := evalset.Parse(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("evalset freeze: the frozen set does not read back: %w", err)
	}

	errs := 0
	for _, r := range f.Items {
		if r.Error != "" {
			errs++
		}
	}
	skipped := len(f.Items) - len(items)
	msg := fmt.Sprintf("froze %d items of %s into %s; skipped %d (%d errors, %d without output)\n",
		len(items), src, *out, skipped, errs, skipped-errs)
	if *out == "-" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("evalset freeze: stdout: %w", err)
		}
		fmt.Fprint(stderr, msg)
		return nil
	}
	if err := result.WriteFileAtomic(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("evalset freeze: %w", err)
	}
	fmt.Fprint(stdout, msg)
	return nil
}
