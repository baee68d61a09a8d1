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
