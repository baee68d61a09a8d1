package report

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/result"
)

func TestParseFormats(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"md,csv,json,png,svg,html", Formats, ""},
		{" HTML , md ,", []string{"html", "md"}, ""},
		{"", nil, ""},
		{"md,pdf", nil, `"pdf": want some of md,csv,json,png,svg,html`},
	} {
		got, err := ParseFormats(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitLabels(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"A", []string{"A"}},
		{" NVFP4 , FP8,BF16 ", []string{"NVFP4", "FP8", "BF16"}},
		{"a,,b", []string{"a", "", "b"}}, // an empty label stays, for Build to refuse
	} {
		if got := SplitLabels(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitLabels(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseChartSize(t *testing.T) {
	for in, want := range map[string][2]int{"960x540": {960, 540}, "200x150": {200, 150}, "8000x8000": {8000, 8000}} {
		if w, h, err := ParseChartSize(in); err != nil || w != want[0] || h != want[1] {
			t.Errorf("%q = %d x %d, %v", in, w, h, err)
		}
	}
	for _, in := range []string{"big", "199x150", "200x149", "8001x600", "640", "x480"} {
		if _, _, err := ParseChartSize(in); err == nil || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("%q: error %v, want one quoting it", in, err)
		}
	}
}

// writeFixture writes two result files over the same three items and returns them.
func writeFixture(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, model := range []string{"org/q4", "org/bf16"} {
		f := &result.File{Schema: result.Schema, Complete: true, Model: model,
			Evalset: result.Evalset{Name: "s", SHA256: "abc", Count: 3}}
		for _, id := range []string{"a", "b", "c"} {
			ok := i == 1 || id != "c"
			f.Items = append(f.Items, result.Record{ID: id, Type: "exact", Expected: "x", Output: "x", Extracted: "x", OK: ok, FinishReason: "stop"})
		}
		f.Summary = result.Summarize(f.Items)
		path := filepath.Join(dir, model[4:]+".json")
		if err := result.Write(path, f); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// TestCompare: the table goes to Table, each chosen format to DIR/compare.FORMAT,
// and each path written is told.
func TestCompare(t *testing.T) {
	paths := writeFixture(t)
	dir := t.TempDir()
	var table bytes.Buffer
	var wrote []string
	err := Compare(context.Background(), paths, Options{Labels: []string{"Q4", "BF16"}, Ref: "BF16"},
		Output{Table: &table, Dir: dir, Formats: []string{"md", "json", "svg"}, Wrote: func(p string) { wrote = append(wrote, filepath.Base(p)) }})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "Q4") || !strings.Contains(table.String(), "2/3") {
		t.Errorf("table %q", table.String())
	}
	if want := []string{"compare.md", "compare.json", "compare.svg"}; !reflect.DeepEqual(wrote, want) {
		t.Errorf("wrote %v, want %v", wrote, want)
	}
	md, err := os.ReadFile(filepath.Join(dir, "compare.md"))
	if err != nil || !bytes.Equal(md, table.Bytes()) {
		t.Errorf("compare.md differs from the table shown: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "compare.html")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("compare.html written though not asked for: %v", err)
	}

	// No folder: the table only. A missing file or an ended context: an error.
	if err := Compare(context.Background(), paths, Options{}, Output{Table: &table}); err != nil {
		t.Error(err)
	}
	if err := Compare(context.Background(), []string{paths[0], filepath.Join(dir, "nope.json")}, Options{}, Output{}); err == nil {
		t.Error("a missing result file compared")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Compare(ctx, paths, Options{}, Output{Dir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
}
