package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/result"
)

// TestCompareSpeed gives compare bench results (--bench, repeated and
// comma-separated) and a second run of the reference (--ref-repeat): the table
// gains the speed section, the decision lines and the noise floor, and the files
// the accuracy-throughput chart and speed.csv.
func TestCompareSpeed(t *testing.T) {
	dir := t.TempDir()
	bench := func(variant string, tps float64) string {
		p := filepath.Join(dir, variant+".bench.json")
		res := &loadgen.Result{Model: "whatever", Complete: true}
		for _, c := range []int{1, 8} {
			res.Levels = append(res.Levels, loadgen.LevelResult{Level: loadgen.Level{Concurrency: c, Requests: 4}, Complete: true,
				Stats: loadgen.Stats{Completed: 4, OutputThroughput: tps * float64(c), TTFT: loadgen.Dist{Median: 20, P99: 30}, TPOT: loadgen.Dist{Median: 5, P99: 6}}})
		}
		if err := loadgen.WriteWithDeployment(p, res, &loadgen.Deployment{Variant: variant, CostPerHour: 3}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	b1, b2, b3 := bench("NVFP4", 190), bench("FP8", 150), bench("BF16", 100)
	ref, err := result.Read(compareData + "/bf16.json")
	if err != nil {
		t.Fatal(err)
	}
	ref.Items[0].OK = !ref.Items[0].OK
	repeat := filepath.Join(dir, "bf16-2.json")
	if err := result.Write(repeat, ref); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"compare"}, compareFiles...)
	args = append(args, "--labels", "NVFP4,FP8,BF16", "--out-dir", dir, "--bench", b1+","+b2, "--bench", b3, "--ref-repeat", repeat)
	var stdout, stderr bytes.Buffer
	if err := quanteval(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("compare: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"**Speed (against BF16)**", "| NVFP4 | 8 | 1520 | 1.9x |", "**Noise floor**",
		"BF16 run 2 times with the same settings flips 1 of 12 items", "- NVFP4: ", "1.9x output tokens/s at concurrency 8"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"speed.png", "speed.svg", "speed.csv"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}

	for _, bad := range [][]string{{"--bench", filepath.Join(dir, "nope.json")}, {"--ref-repeat", b1}, {"--bench", compareData + "/bf16.json"}} {
		stdout.Reset()
		err := quanteval(context.Background(), append(append([]string{"compare"}, compareFiles...), bad...), &stdout, &stderr)
		if code := exitCode(err, &stderr); err == nil || code != exitUsage || stdout.Len() != 0 {
			t.Errorf("%v: err %v, exit %d", bad, err, code)
		}
	}
}

// TestCompareBenchAmongFiles gives compare its bench results among the result
// files, as a user would after 'quanteval bench -o': recognised by their schema,
// they make the speed section as --bench does, and --labels names the result
// files only.
func TestCompareBenchAmongFiles(t *testing.T) {
	dir := t.TempDir()
	var benches []string
	for _, v := range []struct {
		name string
		tps  float64
	}{{"NVFP4", 190}, {"BF16", 100}} {
		p := filepath.Join(dir, v.name+".json")
		res := &loadgen.Result{Model: "m", Complete: true, Levels: []loadgen.LevelResult{{Level: loadgen.Level{Concurrency: 4, Requests: 4}, Complete: true,
			Stats: loadgen.Stats{Completed: 4, OutputThroughput: v.tps, TTFT: loadgen.Dist{Median: 20, P99: 30}, TPOT: loadgen.Dist{Median: 5, P99: 6}}}}}
		if err := loadgen.WriteWithDeployment(p, res, &loadgen.Deployment{Variant: v.name}); err != nil {
			t.Fatal(err)
		}
		benches = append(benches, p)
	}
	args := []string{"compare", benches[0], compareFiles[0], benches[1], compareFiles[2], "--labels", "NVFP4,BF16"}
	var stdout, stderr bytes.Buffer
	if err := quanteval(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("compare: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"**Speed (against BF16)**", "| NVFP4 | 4 | 190 | 1.9x |"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	// Bench results alone are no comparison: the usage error names the missing results.
	stdout.Reset()
	stderr.Reset()
	err := quanteval(context.Background(), append([]string{"compare"}, benches...), &stdout, &stderr)
	if code := exitCode(err, &stderr); code != exitUsage || !strings.Contains(err.Error(), "no result files") {
		t.Errorf("benches only: err %v, exit %d", err, code)
	}
}

func TestSchemaOf(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"bench", `{"schema":"quanteval/bench/v1","model":"m"}`, "quanteval/bench/v1"},
		{"result, schema later", `{"model":"m","items":[{"id":"a"}],"schema":"quanteval/result/v1"}`, "quanteval/result/v1"},
		{"no schema", `{"model":"m"}`, ""},
		{"not an object", `[1,2]`, ""},
		{"broken", `{"schema":`, ""},
		{"schema not a string", `{"schema":3}`, ""},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, []byte(tc.body), 0o644)
		if got := schemaOf(p); got != tc.want {
			t.Errorf("%s: schemaOf = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := schemaOf(filepath.Join(dir, "missing")); got != "" {
		t.Errorf("missing file: %q", got)
	}
}
