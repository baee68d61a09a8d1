package report

import (
	"bytes"
	"encoding/json"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/result"
)

// level is one measured level of a bench: throughput and latencies as given.
func level(conc, repeat int, tps, ttft50, ttft99, tpot50, tpot99 float64) loadgen.LevelResult {
	return loadgen.LevelResult{Level: loadgen.Level{Concurrency: conc, Requests: 10}, Repeat: repeat, Complete: true,
		Stats: loadgen.Stats{Completed: 10, OutputThroughput: tps, TTFT: loadgen.Dist{Median: ttft50, P99: ttft99},
			TPOT: loadgen.Dist{Median: tpot50, P99: tpot99}}}
}

// benchFixture are benches of the fixture's three variants: the reference
// ("Model", matched by its deployment) and NVFP4 at concurrency 1 and 4, two
// repeats each, FP8 (matched by model) at 1 only, and one bench that matches
// nothing.
func benchFixture() []BenchInput {
	mem := func(after, peak int) *loadgen.Memory {
		return &loadgen.Memory{AfterLoadMiB: after, PeakMiB: peak, TotalMiB: 80000, Devices: []string{"mig MIG-1 (H100)"}}
	}
	return []BenchInput{
		{Path: "bench/Model.json", Result: &loadgen.Result{Model: "served-name", Complete: true, Levels: []loadgen.LevelResult{
			level(1, 0, 100, 50, 80, 10, 12), level(1, 1, 110, 54, 90, 10, 14),
			level(4, 0, 300, 60, 100, 12, 15), level(4, 1, 300, 60, 100, 12, 15),
		}}, Deployment: &loadgen.Deployment{Variant: "Model", Reference: true, LoadSeconds: 95.5, CostPerHour: 4, Memory: mem(70000, 72000),
			Determinism: map[string]string{"VLLM_BATCH_INVARIANT": "1"}}},
		{Path: "bench/NVFP4.json", Result: &loadgen.Result{Model: "org/Model-NVFP4", Complete: true, Levels: []loadgen.LevelResult{
			level(1, 0, 190, 40, 70, 5, 6), level(1, 1, 210, 40, 70, 5, 6),
			level(4, 0, 570, 45, 80, 6, 8), level(4, 1, 570, 45, 80, 6, 8),
			{Level: loadgen.Level{Rate: 2, Requests: 10}, Complete: true},
		}}, Deployment: &loadgen.Deployment{Variant: "Model-NVFP4", LoadSeconds: 40, CostPerHour: 4, Memory: mem(38000, 39600)}},
		{Path: "bench/FP8.json", Result: &loadgen.Result{Model: "org/Model-FP8", Complete: true, Levels: []loadgen.LevelResult{
			level(1, 0, 150, 45, 75, 7, 9),
		}}, Deployment: &loadgen.Deployment{Memory: &loadgen.Memory{Note: "nvidia-smi not found: GPU memory is not measured"}}},
		{Path: "bench/other.json", Result: &loadgen.Result{Model: "someone/else"}},
	}
}

// refRepeat is the reference run again: 2 of its 20 answers flip.
func refRepeat() Input {
	ref := fixture()[2]
	f := *ref.File
	f.Items = append([]result.Record(nil), ref.File.Items...)
	f.Items[0].OK, f.Items[19].OK = false, true
	return Input{Path: "ref#2.json", File: &f}
}

func speedComparison(t *testing.T, level int) *Comparison {
	t.Helper()
	c, err := Build(fixture(), Options{Bench: benchFixture(), SpeedLevel: level, RefRepeats: []Input{refRepeat()}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSpeedModel checks the figures: spreads over repeats, ratios of means, the
// level common to every bench, memory and cost, the matching and its warnings.
func TestSpeedModel(t *testing.T) {
	c := speedComparison(t, 0)
	s := c.Speed
	if s == nil || len(s.Variants) != 3 {
		t.Fatalf("speed %+v", s)
	}
	if s.Level != 1 || len(s.Levels) != 1 {
		t.Errorf("level %d of %v: FP8 has only concurrency 1, so 1 is the highest common", s.Level, s.Levels)
	}
	low, ref := s.variant("Model-NVFP4"), s.variant("Model")
	l1 := low.At(1)
	if l1.Repeats != 2 || l1.OutputTPS.Mean != 200 || l1.OutputTPS.Min != 190 || l1.OutputTPS.Max != 210 || !near(l1.OutputTPS.SD, 14.142, 1e-3) {
		t.Errorf("NVFP4 at 1: %+v", l1.OutputTPS)
	}
	if r := l1.VsRef; r == nil || !near(r.OutputTPS, 200.0/105, 1e-9) || !near(r.TTFTP50, 40.0/52, 1e-9) || r.TPOTP50 != 0.5 {
		t.Errorf("NVFP4 ratios at 1: %+v", l1.VsRef)
	}
	if l4 := low.At(4); l4 == nil || l4.VsRef.OutputTPS != 1.9 || l4.OutputTPS.SD != 0 {
		t.Errorf("NVFP4 at 4: %+v", l4)
	}
	if low.MemoryRatio == nil || !near(*low.MemoryRatio, 39600.0/72000, 1e-9) || *low.LoadSeconds != 40 {
		t.Errorf("NVFP4 memory ratio %v, load %v", low.MemoryRatio, low.LoadSeconds)
	}
	// 4 an hour at 105 tokens/s: 4 / (105 * 3600) * 1e6 = 10.58 per million.
	if ref.CostPerMillion == nil || !near(*ref.CostPerMillion, 4/(105.0*3600)*1e6, 1e-9) || ref.MemoryRatio != nil {
		t.Errorf("reference cost %v, memory ratio %v", ref.CostPerMillion, ref.MemoryRatio)
	}
	if fp8 := s.variant("Model-FP8"); fp8.MemoryMiB() != nil || !strings.Contains(fp8.MemoryNote, "nvidia-smi") || fp8.CostPerMillion != nil {
		t.Errorf("FP8 %+v", fp8)
	}
	if !hasPrefix(c.Warnings, "bench bench/other.json (model someone/else) matches no variant") {
		t.Errorf("warnings %q", c.Warnings)
	}
	if !hasPrefix(s.Notes, "Model-NVFP4: 1 bench levels left out") {
		t.Errorf("notes %q", s.Notes)
	}

	c = speedComparison(t, 4)
	if c.Speed.Level != 4 || !hasPrefix(c.Warnings, "speed level 4: not a concurrency every benched variant has") {
		t.Errorf("level 4: %d, warnings %q", c.Speed.Level, c.Warnings)
	}
	if got, want := c.DecisionLine(&c.Variants[0]), "Model-NVFP4: -40.0 points (significantly lower, p = 0.008), 1.9x output tokens/s at concurrency 4, -45% GPU memory, 1.949 per million output tokens, flips above the noise floor"; got != want {
		t.Errorf("decision line\n got %s\nwant %s", got, want)
	}
	if got, want := c.DecisionLine(&c.Variants[1]), "Model-FP8: +5.3 points (not significant; this set detects"; !strings.HasPrefix(got, want) || !strings.Contains(got, "no throughput at concurrency 4") {
		t.Errorf("FP8 decision line %q", got)
	}
	if c.DecisionLine(&c.Variants[2]) != "" {
		t.Error("the reference has a decision line")
	}
	if c, err := Build(fixture(), Options{}); err != nil || c.Speed != nil || c.NoiseFloor != nil || c.DecisionLine(&c.Variants[0]) != "" {
		t.Errorf("without benches: speed %v, floor %v, %v", c.Speed, c.NoiseFloor, err)
	}
}

// TestNoiseFloor: the reference flips 2 of 20 against itself; NVFP4's 8 flips
// exceed that, FP8's 3 of 19 (15.8%) exceed 10% too, and an equal share does not.
func TestNoiseFloor(t *testing.T) {
	c := speedComparison(t, 0)
	nf := c.NoiseFloor
	if nf == nil || nf.Runs != 2 || nf.Flips != 2 || nf.Common != 20 || nf.Share != 0.1 {
		t.Fatalf("floor %+v", nf)
	}
	if len(nf.Variants) != 2 || nf.Variants[0].Flips != 8 || !nf.Variants[0].Exceeds || nf.Variants[1].Flips != 3 || !nf.Variants[1].Exceeds {
		t.Errorf("checks %+v", nf.Variants)
	}
	// A floor as high as NVFP4's own flips: not exceeded.
	rp := refRepeat()
	for i := range 8 {
		rp.File.Items[i].OK = !fixture()[2].File.Items[i].OK
	}
	c, err := Build(fixture(), Options{RefRepeats: []Input{rp}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.NoiseFloor; got.Flips != 9 || got.Variants[0].Exceeds || got.Variants[1].Exceeds {
		t.Errorf("high floor %+v", got)
	}
	other := refRepeat()
	other.File.Evalset.SHA256 = "zzz"
	c, err = Build(fixture(), Options{RefRepeats: []Input{other}})
	if err != nil {
		t.Fatal(err)
	}
	if c.NoiseFloor != nil || !hasPrefix(c.Warnings, "reference repeat ref#2.json: another eval set") {
		t.Errorf("another set: floor %+v, warnings %q", c.NoiseFloor, c.Warnings)
	}
}

// TestSpeedGolden renders the speed section, the decisions and the noise floor in
// Markdown, speed.csv, JSON and HTML; the Markdown and CSV against golden files.
func TestSpeedGolden(t *testing.T) {
	c := speedComparison(t, 0)
	var md, csvb, js, page bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "speed.md"), md.Bytes())
	if err := c.SpeedCSV(&csvb); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "speed.csv"), csvb.Bytes())
	if err := c.JSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Speed == nil || back.Speed.Variants[2].Levels[0].OutputTPS.Mean != 105 || back.NoiseFloor.Flips != 2 {
		t.Errorf("JSON speed %+v, floor %+v, %v", back.Speed, back.NoiseFloor, err)
	}
	if err := c.HTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<section id="speed">`, `<section id="noise-floor">`, "1.9x output tokens/s at concurrency 1",
		`alt="accuracy against output tokens/s"`, "VLLM_BATCH_INVARIANT=1"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	var pngb, svgb bytes.Buffer
	if err := c.SpeedPNG(&pngb, 800, 500); err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(&pngb); err != nil || img.Bounds().Dx() != 800 {
		t.Errorf("speed PNG: %v", err)
	}
	if err := c.SpeedSVG(&svgb, 800, 500); err != nil || !strings.Contains(svgb.String(), "accuracy against output tokens/s at concurrency 1") {
		t.Errorf("speed SVG: %v", err)
	}
	noSpeed, _ := Build(fixture(), Options{})
	if err := noSpeed.SpeedSVG(&svgb, 800, 500); err == nil {
		t.Error("a speed chart without benches")
	}
}

// TestWriteSpeedFiles: Write adds speed.csv, speed.png and speed.svg beside the
// compare files when there are benches, and none otherwise.
func TestWriteSpeedFiles(t *testing.T) {
	dir := t.TempDir()
	var wrote []string
	c := speedComparison(t, 0)
	if err := c.Write(t.Context(), Output{Dir: dir, Formats: []string{"csv", "png", "svg", "md"}, Wrote: func(p string) { wrote = append(wrote, filepath.Base(p)) }}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(wrote, " "); got != "compare.csv speed.csv compare.png speed.png compare.svg speed.svg compare.md" {
		t.Errorf("wrote %s", got)
	}
	wrote = nil
	noSpeed, _ := Build(fixture(), Options{})
	if err := noSpeed.Write(t.Context(), Output{Dir: t.TempDir(), Formats: []string{"csv", "png"}, Wrote: func(p string) { wrote = append(wrote, filepath.Base(p)) }}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(wrote, " "); got != "compare.csv compare.png" {
		t.Errorf("without benches wrote %s", got)
	}
}

func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// TestSpeedZh: with --lang zh the speed section, its decision lines and the noise
// floor are in Chinese, in the Markdown and the HTML; the figures are the same.
func TestSpeedZh(t *testing.T) {
	c, err := Build(fixture(), Options{Lang: "zh", Bench: benchFixture(), RefRepeats: []Input{refRepeat()}})
	if err != nil {
		t.Fatal(err)
	}
	var md, page bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "speed.zh.md"), md.Bytes())
	if err := c.HTML(&page); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"markdown": md.String(), "HTML": page.String()} {
		for _, want := range []string{"速度（相对 Model）", "噪声基线", "并发数", "并发 1 时输出 token/秒为 1.9x", "GPU 显存 -45%", "翻转超过噪声基线", "Model-FP8：翻转 3/19 题（15.8%），超过基线。"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		for _, english := range []string{"output tokens/s at concurrency", "Noise floor", "Speed (against", "load time (s)", "within the floor"} {
			if strings.Contains(out, english) {
				t.Errorf("%s keeps the English %q", name, english)
			}
		}
	}
}
