package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/result"
)

// Formats are the report formats, in the order Write writes them.
var Formats = []string{"md", "csv", "json", "png", "svg", "html"}

// Output says where a comparison goes: the Markdown table to Table, and each of
// Formats to Dir/compare.FORMAT.
type Output struct {
	Table   io.Writer // the Markdown table (nil: not shown)
	Dir     string    // "": no files
	Formats []string  // default Formats
	// Width and Height are the PNG and SVG chart's size in pixels (ChartWidth x
	// ChartHeight).
	Width, Height int
	// Wrote hears the path of each file written (nil: nobody).
	Wrote func(path string)
}

// ParseFormats reads a comma-separated list of formats ("md,html"); each must be one
// of Formats. An error quotes the bad one.
func ParseFormats(list string) ([]string, error) {
	var want []string
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !slices.Contains(Formats, f) {
			return nil, fmt.Errorf("%q: want some of %s", f, strings.Join(Formats, ","))
		}
		want = append(want, f)
	}
	return want, nil
}

// ParseChartSize reads a chart size written WIDTHxHEIGHT, from 200x150 to 8000x8000.
func ParseChartSize(s string) (width, height int, err error) {
	if n, err := fmt.Sscanf(s, "%dx%d", &width, &height); err != nil || n != 2 || width < 200 || height < 150 || width > 8000 || height > 8000 {
		return 0, 0, fmt.Errorf("%q: want WIDTHxHEIGHT in pixels, at least 200x150", s)
	}
	return width, height, nil
}

// readInputs reads result files to compare.
func readInputs(paths []string) ([]Input, error) {
	inputs := make([]Input, 0, len(paths))
	for _, path := range paths {
		f, err := result.Read(path)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, Input{Path: path, File: f})
	}
	return inputs, nil
}

// Write shows the Markdown table and writes the chosen formats, each file
// atomically; it stops between files when ctx ends.
func (c *Comparison) Write(ctx context.Context, out Output) error {
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		return err
	}
	if out.Table != nil {
		if _, err := out.Table.Write(md.Bytes()); err != nil {
			return fmt.Errorf("writing the table: %w", err)
		}
	}
	if out.Dir == "" {
		return nil
	}
	formats := out.Formats
	if formats == nil {
		formats = Formats
	}
	if out.Width == 0 || out.Height == 0 {
		out.Width, out.Height = ChartWidth, ChartHeight
	}
	for _, format := range formats {
		if err := ctx.Err(); err != nil {
			return err
		}
		var buf bytes.Buffer
		var err error
		switch format {
		case "md":
			buf.Write(md.Bytes())
		case "csv":
			err = c.CSV(&buf)
		case "json":
			err = c.JSON(&buf)
		case "png":
			err = c.PNG(&buf, out.Width, out.Height)
		case "svg":
			err = c.SVG(&buf, out.Width, out.Height)
		case "html":
			err = c.HTML(&buf)
		default:
			err = fmt.Errorf("unknown format (want some of %s)", strings.Join(Formats, ","))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", format, err)
		}
		if err := writeReportFile(out, "compare."+format, buf.Bytes()); err != nil {
			return err
		}
		if err := c.writeSpeedFile(out, format); err != nil {
			return err
		}
	}
	return nil
}

// writeReportFile writes one file of the report into out.Dir, atomically.
func writeReportFile(out Output, name string, data []byte) error {
	path := filepath.Join(out.Dir, name)
	if err := result.WriteFileAtomic(path, data); err != nil {
		return err
	}
	if out.Wrote != nil {
		out.Wrote(path)
	}
	return nil
}

// writeSpeedFile writes the speed section's own file of format when the
// comparison has one: speed.csv, and the accuracy-throughput chart as speed.png
// and speed.svg (the Markdown, JSON and HTML hold the section themselves).
func (c *Comparison) writeSpeedFile(out Output, format string) error {
	if c.Speed == nil {
		return nil
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "csv":
		err = c.SpeedCSV(&buf)
	case "png":
		err = c.SpeedPNG(&buf, out.Width, out.Height)
	case "svg":
		err = c.SpeedSVG(&buf, out.Width, out.Height)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("speed %s: %w", format, err)
	}
	return writeReportFile(out, "speed."+format, buf.Bytes())
}

// Load reads the result files and builds their comparison: what is wrong here is
// in the user's input (a file, a label, the reference), unlike what Write reports.
func Load(paths []string, opt Options) (*Comparison, error) {
	inputs, err := readInputs(paths)
	if err != nil {
		return nil, err
	}
	return Build(inputs, opt)
}

// Compare loads the result files (Load) and writes their comparison: what
// `quanteval compare` does, as a function (matrix reports each eval with it).
// opt.Bench and opt.RefRepeats may be given already read.
func Compare(ctx context.Context, paths []string, opt Options, out Output) error {
	c, err := Load(paths, opt)
	if err != nil {
		return err
	}
	return c.Write(ctx, out)
}

// SplitLabels reads a comma-separated list of labels ("A, B,C"), one per result
// file, trimming the space around each; an empty list is no labels.
func SplitLabels(list string) []string {
	if list == "" {
		return nil
	}
	var labels []string
	for _, l := range strings.Split(list, ",") {
		labels = append(labels, strings.TrimSpace(l))
	}
	return labels
}

// ReadInputs reads result files as inputs of a comparison (for Options.RefRepeats).
func ReadInputs(paths []string) ([]Input, error) { return readInputs(paths) }
