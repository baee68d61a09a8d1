package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/quanteval/quanteval/eval"
)

// newFlagSet is a subcommand's flag set: errors return instead of exiting, and -h
// prints usage, then every flag as the README writes it (--name ARG). The flag
// package's own error line and usage dump are silenced (parseArgs shows help only
// for -h): a refused flag is one line, said once, by the caller.
func newFlagSet(name, usage string, stderr io.Writer, order ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		printFlags(stderr, fs, order)
	}
	return fs
}

// parseArgs parses args into fs with flags and arguments in any order ("compare
// a.json --ref X b.json"), returning the arguments. -h is flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on every error, not only -h
	defer func() { fs.Usage = usage }()
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, err
			}
			return nil, fmt.Errorf("%w (quanteval %s -h lists the flags)", dashDash(err), fs.Name())
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagDashes rewrites the flag package's "-name" as the README and help write it.
var flagDashes = strings.NewReplacer("for flag -", "for flag --", `" for -`, `" for --`,
	"needs an argument: -", "needs an argument: --", "not defined: -", "not defined: --")

// dashDash is a flag parsing error naming the flag as --name; flag.ErrHelp as it is.
func dashDash(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errors.New(flagDashes.Replace(err.Error()))
}

// printFlags writes the flags of fs, those named in order first and in that order,
// the others by name: "  --max-tokens N" and its help with the default.
func printFlags(w io.Writer, fs *flag.FlagSet, order []string) {
	seen := map[string]bool{}
	show := func(f *flag.Flag) {
		if f == nil || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		arg, def := flagArg(f), shownDefault(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		_, help := flag.UnquoteUsage(f)
		if def != "" {
			help += " (default " + def + ")"
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(help, "\n", "\n    \t"))
	}
	for _, name := range order {
		show(fs.Lookup(name))
	}
	fs.VisitAll(show)
}

// flagArg is the argument a flag takes as help shows it: an evaluation setting's
// own (N, URL), the word in backquotes in its usage, otherwise from its type; none
// for a boolean flag.
func flagArg(f *flag.Flag) string {
	if s := eval.Lookup(f.Name); s != nil && f.Usage == s.Help {
		return s.Arg
	}
	name, _ := flag.UnquoteUsage(f)
	switch name {
	case "":
		return ""
	case "int", "uint", "float":
		return "N"
	case "string", "value":
		return "VALUE"
	case "duration":
		return "DURATION"
	}
	return name
}

// shownDefault is the default as help and the README show it; "" for none, zero
// or false.
func shownDefault(f *flag.Flag) string {
	if s := eval.Lookup(f.Name); s != nil && f.Usage == s.Help {
		if text, _ := eval.ShownDefault(f.Name); text != "0" {
			return text
		}
		return ""
	}
	switch f.DefValue {
	case "", "0", "false":
		return ""
	}
	return f.DefValue
}
