package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/report"
)

// The golden files are rewritten with: go test ./cmd/quanteval -run Compare -update
const compareData = "testdata/compare"

// checkGolden compares got with testdata/compare/name (see internal/golden).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join(compareData, name), got)
}

// The three fixture results: NVFP4 with four losses (one an HTTP error, one cut off
// at max_tokens, one reply with a <script>), FP8 with one flip each way and another
// seed, BF16 the reference.
var compareFiles = []string{
	compareData + "/nvfp4.json",
	compareData + "/fp8.json",
	compareData + "/bf16.json",
}

func TestCompareGolden(t *testing.T) {
	for _, tt := range []struct {
		name  string
		extra []string
	}{
		{"en", nil},
		{"zh", []string{"--lang", "zh"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"compare"}, compareFiles...)
			args = append(args, "--labels", "NVFP4,FP8,BF16", "--out-dir", dir)
			args = append(args, tt.extra...)
			var stdout, stderr bytes.Buffer
			if err := quanteval(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("compare: %v\n%s", err, stderr.String())
			}
			checkGolden(t, "stdout."+tt.name+".md", stdout.Bytes())
			md := read(t, filepath.Join(dir, "compare.md"))
			if !bytes.Equal(md, stdout.Bytes()) {
				t.Error("compare.md differs from the table printed")
			}
			if tt.name == "zh" {
				return
			}
			checkGolden(t, "compare.csv", read(t, filepath.Join(dir, "compare.csv")))
			checkGolden(t, "compare.json", read(t, filepath.Join(dir, "compare.json")))
			img, err := png.Decode(bytes.NewReader(read(t, filepath.Join(dir, "compare.png"))))
			if err != nil {
				t.Fatal(err)
			}
			if sz := img.Bounds().Size(); sz.X != report.ChartWidth || sz.Y != report.ChartHeight {
				t.Errorf("PNG is %v, want %dx%d", sz, report.ChartWidth, report.ChartHeight)
			}
			html := string(read(t, filepath.Join(dir, "compare.html")))
			// The grid's texts are a JSON data block, with <, > and & escaped.
			if !strings.Contains(html, `\u003cscript\u003ewindow.__pwned=1\u003c/script\u003e`) || strings.Contains(html, "<script>window") {
				t.Error("HTML does not escape the model reply")
			}
			for _, f := range []string{"md", "csv", "json", "png", "svg", "html"} {
				if !strings.Contains(stderr.String(), "wrote "+filepath.Join(dir, "compare."+f)) {
					t.Errorf("stderr does not say it wrote compare.%s: %s", f, stderr.String())
				}
			}
		})
	}
}

// The tiny trio with log-probability side files (made by hand, top-3 per token):
// F16 identical to the reference F32, token for token and in every probability;
// Q4_K_M the same text on s1 with other probabilities and a different token on each
// other item (at token 5, 3 and 0); Q8_0 one different output, and a side file named
// but absent, which is a warning and leaves it without token or KL figures.
var tinyFiles = []string{
	compareData + "/tiny/q4_k_m.json",
	compareData + "/tiny/q8_0.json",
	compareData + "/tiny/f16.json",
	compareData + "/tiny/f32.json",
}

func TestCompareConsistencyGolden(t *testing.T) {
	dir := t.TempDir()
	args := append([]string{"compare"}, tinyFiles...)
	args = append(args, "--labels", "Q4_K_M,Q8_0,F16,F32", "--out-dir", dir, "--format", "csv,json,html")
	var stdout, stderr bytes.Buffer
	if err := quanteval(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("compare: %v\n%s", err, stderr.String())
	}
	checkGolden(t, "stdout.tiny.md", stdout.Bytes())
	checkGolden(t, "compare.tiny.csv", read(t, filepath.Join(dir, "compare.csv")))
	checkGolden(t, "compare.tiny.json", read(t, filepath.Join(dir, "compare.json")))

	md := stdout.String()
	for _, want := range []string{
		// The identical variant: every output, every top-1 of the 5+7+5+6 tokens, KL
		// exactly 0; the whole outputs are the prefix, (17+24+19+19)/4 = 19.75 chars.
		"| F16 | 1.000 (4/4) | 19.8 | 5.8 | – | – | 0 | 0 | 1.000 (23/23) |",
		// Q4_K_M departs at chars 19, 14, 0 (tokens 5, 3, 0): medians 14 and 3. KL is
		// compared at 5+6+4+1 = 16 positions, 3 of them with another top-1; the mean
		// and P95 were recomputed independently of package consistency.
		"| Q4_K_M | 0.250 (1/4) | 12.5 | 3.2 | 14 | 3 | 0.0076 | 0.0249 | 0.812 (13/16) |",
		`Q8_0: log-probabilities not read, so no token or KL figures: testdata/compare/tiny/q8_0.json: field "logprobs_file": open testdata/compare/tiny/q8_0.logprobs.jsonl`,
		"| Q8_0 | 0.750 (3/4) | 18.5 | – | 14 | – | – | – | – |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	html := string(read(t, filepath.Join(dir, "compare.html")))
	for _, want := range []string{`<section id="consistency">`, "same output as the reference", "departs from the reference after 0 characters (0 tokens)"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompareOptions(t *testing.T) {
	dir := t.TempDir()
	// Flags before the files, the reference chosen, one format; default labels.
	args := []string{"compare", "--ref", "Qwen3-32B-FP8", "--format", "json", "--out-dir", dir, "--alpha", "0.2"}
	args = append(args, compareFiles...)
	var stdout, stderr bytes.Buffer
	if err := quanteval(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "| Qwen3-32B-FP8 (ref) | Qwen/Qwen3-32B-FP8 |") || !strings.Contains(stdout.String(), "α = 0.2") {
		t.Errorf("reference or alpha not applied:\n%s", stdout.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "compare.json" {
		t.Errorf("out-dir holds %v, want only compare.json", entries)
	}
	// Without --out-dir nothing is written, only the table printed.
	stdout.Reset()
	abs := make([]string, len(compareFiles))
	for i, f := range compareFiles {
		if abs[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	wd := t.TempDir()
	t.Chdir(wd)
	if err := quanteval(context.Background(), append([]string{"compare"}, abs...), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(wd); len(entries) != 0 || !strings.Contains(stdout.String(), "| precision |") {
		t.Errorf("without --out-dir: wrote %v; stdout %q", entries, stdout.String())
	}
}

func TestCompareChartSize(t *testing.T) {
	dir := t.TempDir()
	args := append([]string{"compare", "--out-dir", dir, "--format", "png,svg", "--chart-size", "640x400"}, compareFiles...)
	var stdout, stderr bytes.Buffer
	if err := quanteval(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(read(t, filepath.Join(dir, "compare.png"))))
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz.X != 640 || sz.Y != 400 {
		t.Errorf("PNG is %v, want 640x400", sz)
	}
	// gonum/plot writes SVG in points: 640x400 px at 96 dpi is 480x300 pt.
	if svg := string(read(t, filepath.Join(dir, "compare.svg"))); !strings.Contains(svg, `viewBox="0 0 480 300"`) {
		t.Errorf("SVG does not have the chosen width: %.200s", svg)
	}
}

func TestCompareErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no files", nil, "no result files"},
		{"not a result", []string{compareData + "/not_result.json", compareData + "/bf16.json"}, `not_result.json: not a quanteval result (no "schema" field)`},
		{"missing file", []string{compareData + "/nope.json"}, "nope.json"},
		{"other eval set", []string{compareData + "/other_set.json", compareData + "/bf16.json"},
			"results over different eval sets: testdata/compare/other_set.json has other_suite (sha256 ffff0000ffff), testdata/compare/bf16.json has mini_suite_v1 (sha256 5e1a8f0c2b7d)"},
		{"unknown ref", append([]string{"--ref", "FP4"}, compareFiles...), `reference "FP4": no such label`},
		{"labels", append([]string{"--labels", "a,b"}, compareFiles...), "2 labels for 3 result files"},
		{"format", append([]string{"--format", "pdf"}, compareFiles...), `--format "pdf"`},
		{"lang", append([]string{"--lang", "fr"}, compareFiles...), `language "fr"`},
		{"alpha", append([]string{"--alpha", "2"}, compareFiles...), "alpha 2"},
		{"bad flag", []string{"--nope"}, "flag provided but not defined"},
		{"chart size", append([]string{"--chart-size", "big"}, compareFiles...), `--chart-size "big"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := quanteval(context.Background(), append([]string{"compare"}, tt.args...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if code := exitCode(err, &stderr); code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout on error: %q", stdout.String())
			}
		})
	}
}
