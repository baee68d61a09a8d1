package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/report"
	"github.com/quanteval/quanteval/result"
)

const compareUsage = `usage: quanteval compare RESULT.json... [--ref LABEL] [--labels A,B,C] [--out-dir DIR]
       [--format md,csv,json,png,svg,html] [--lang en|zh] [--alpha 0.05]

Compares result files of 'quanteval run' over the same eval set: accuracy with its
95% Wilson interval, and for each variant against the reference the difference, the
exact McNemar p-value, the flips and the smallest difference the set could detect,
and how far its outputs drift from the reference's: identical outputs, common prefix,
first divergence and, when both runs kept log-probabilities (run --logprobs K), the
KL divergence and top-1 agreement. A side file that is missing is a warning.
Prints the table (Markdown) and writes the chosen formats to --out-dir as
compare.md, compare.csv, compare.json, compare.png, compare.svg and compare.html.

flags:
`

// compareFormats are the report formats, in the order they are written.
var compareFormats = []string{"md", "csv", "json", "png", "svg", "html"}

func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, compareUsage)
		fs.PrintDefaults()
	}
	ref := fs.String("ref", "", "label of the reference variant (default: the last file)")
	labels := fs.String("labels", "", "comma-separated labels, one per file (default: short model names)")
	outDir := fs.String("out-dir", "", "folder for the report files (default: none, or . when --format is given)")
	formats := fs.String("format", strings.Join(compareFormats, ","), "comma-separated report formats to write")
	lang := fs.String("lang", "en", "language of headers and verdicts: en or zh")
	alpha := fs.Float64("alpha", report.DefaultAlpha, "significance level of the tests")
	size := fs.String("chart-size", fmt.Sprintf("%dx%d", report.ChartWidth, report.ChartHeight), "size of the PNG and SVG chart in pixels, WIDTHxHEIGHT")

	// Files and flags may come in any order (the files usually first).
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return usagef("compare: %w", err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fs.Usage()
		return usagef("compare: no result files")
	}
	formatSet := false
	fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
	var want []string
	for _, f := range strings.Split(*formats, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !slices.Contains(compareFormats, f) {
			return usagef("compare: --format %q: want some of %s", f, strings.Join(compareFormats, ","))
		}
		want = append(want, f)
	}
	var width, height int
	if n, err := fmt.Sscanf(*size, "%dx%d", &width, &height); err != nil || n != 2 || width < 200 || height < 150 || width > 8000 || height > 8000 {
		return usagef("compare: --chart-size %q: want WIDTHxHEIGHT in pixels, at least 200x150", *size)
	}
	if *outDir == "" && formatSet {
		*outDir = "."
	}

	inputs := make([]report.Input, 0, len(files))
	for _, path := range files {
		f, err := result.Read(path)
		if err != nil {
			return usagef("compare: %w", err)
		}
		inputs = append(inputs, report.Input{Path: path, File: f})
	}
	opt := report.Options{Ref: *ref, Alpha: *alpha, Lang: *lang}
	if *labels != "" {
		for _, l := range strings.Split(*labels, ",") {
			opt.Labels = append(opt.Labels, strings.TrimSpace(l))
		}
	}
	c, err := report.Build(inputs, opt)
	if err != nil {
		return usagef("compare: %w", err)
	}

	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		return err
	}
	if _, err := stdout.Write(md.Bytes()); err != nil {
		return fmt.Errorf("compare: writing the table: %w", err)
	}
	if *outDir == "" {
		return nil
	}
	for _, format := range want {
		if err := ctx.Err(); err != nil {
			return err
		}
		var buf bytes.Buffer
		switch format {
		case "md":
			buf.Write(md.Bytes())
		case "csv":
			err = c.CSV(&buf)
		case "json":
			err = c.JSON(&buf)
		case "png":
			err = c.PNG(&buf, width, height)
		case "svg":
			err = c.SVG(&buf, width, height)
		case "html":
			err = c.HTML(&buf)
		}
		if err != nil {
			return fmt.Errorf("compare: %s: %w", format, err)
		}
		path := filepath.Join(*outDir, "compare."+format)
		if err := result.WriteFileAtomic(path, buf.Bytes()); err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		fmt.Fprintln(stderr, "wrote", path)
	}
	return nil
}
