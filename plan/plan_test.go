package plan

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/server"
)

// TestExample reads the seed's plan shipped in examples/ and compares the plan as
// it would run with testdata/qwen3-32b-vllm.json.
func TestExample(t *testing.T) {
	p, err := Read(filepath.Join("..", "examples", "qwen3-32b-vllm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p.File = "examples/qwen3-32b-vllm.yaml"
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "qwen3-32b-vllm.json"), got)

	if len(p.Variants) != 3 || p.Reference() == nil || p.Reference().Name != "BF16" {
		t.Fatalf("variants %+v", p.Variants)
	}
	spec := p.Variants[0].Spec("x.log")
	argv, err := spec.Argv()
	if err != nil {
		t.Fatal(err)
	}
	wantArgv := "vllm serve RedHatAI/Qwen3-32B-NVFP4 --host 127.0.0.1 --port 8000 --tensor-parallel-size 1 --max-model-len 4096 --gpu-memory-utilization 0.95 --max-num-seqs 16 --enable-force-include-usage --download-dir /data/bench/hf"
	if got := server.Quote(argv); got != wantArgv {
		t.Errorf("NVFP4 command line:\n got %s\nwant %s", got, wantArgv)
	}
	if spec.ReadyTimeout != 30*time.Minute || spec.StopGrace != 15*time.Second || spec.Env["CUDA_VISIBLE_DEVICES"] != "0" {
		t.Errorf("spec %+v", spec)
	}
	if e := p.Evals[0]; e.Name != "qwen3_32b_accuracy_suite_v1" || e.Concurrency != 4 || e.MaxTokens != 256 || e.Temperature != 0 {
		t.Errorf("eval %+v", e)
	}
}

// TestTinyExample reads the CPU plan shipped in examples/: four Ollama variants, each
// making its model in a prepare command with the same Ollama the server runs.
func TestTinyExample(t *testing.T) {
	p, err := Read(filepath.Join("..", "examples", "tiny-cpu.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wantModels := map[string]string{"F32": "tiny:f32", "F16": "tiny:f16", "Q8_0": "tiny:q8_0", "Q4_K_M": "tiny:q4_k_m"}
	if len(p.Variants) != len(wantModels) || p.Reference() == nil || p.Reference().Name != "F32" {
		t.Fatalf("variants %+v, want F32 (reference), F16, Q8_0, Q4_K_M", p.Variants)
	}
	for _, v := range p.Variants {
		s := v.Server
		if v.Model != wantModels[v.Name] || s.Kind != server.KindOllama || s.Port != 11439 || s.Env["OLLAMA_NUM_PARALLEL"] != "1" {
			t.Errorf("%s: model %q, kind %q, port %d, env %v", v.Name, v.Model, s.Kind, s.Port, s.Env)
		}
		if len(v.Prepare) != 1 || len(v.Prepare[0]) < 3 || v.Prepare[0][0] != s.Command[0] || v.Prepare[0][1] != "create" || v.Prepare[0][2] != v.Model {
			t.Errorf("%s: prepare %q, want [%s create %s ...]", v.Name, v.Prepare, s.Command[0], v.Model)
		}
		argv, err := v.Spec("x.log").Argv()
		if err != nil || server.Quote(argv) != ".tools/bin/ollama serve" {
			t.Errorf("%s: command %q, %v", v.Name, argv, err)
		}
	}
	if len(p.Evals) != 2 || p.Evals[1].Evalset != "builtin:tinystories_consistency_v1" || p.Evals[1].Logprobs != 5 {
		t.Errorf("evals %+v, want the story set last, with logprobs 5", p.Evals)
	}
	if b := p.Bench; b == nil || !slices.Equal(b.Concurrency, []int{1, 2}) || b.Requests != 8 || b.Repeats != 1 {
		t.Errorf("bench %+v, want concurrency 1,2 with 8 requests", b)
	}
}

// TestBench reads a bench block with every key, and one with none, whose defaults
// fill in.
func TestBench(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`
reference_repeats: 2
server: {cost_per_hour: 2.5}
variants:
  - {name: A, model: a, reference: true}
  - {name: B, model: b, cost_per_hour: 1.25}
evals: [{evalset: x.jsonl}]
bench:
  concurrency: [1, 4]
  requests: 20
  warmup: 2
  input_len: 50
  output_len: 30
  repeats: 3
  seed: 7
  slo: {ttft: 500, tpot: 50.5, e2el: 9000}
`))
	if err != nil {
		t.Fatal(err)
	}
	b := p.Bench
	want := &Bench{Concurrency: []int{1, 4}, Requests: 20, Warmup: 2, InputLen: 50, OutputLen: 30, Repeats: 3, Seed: 7,
		SLO: loadgen.SLO{TTFTMs: 500, TPOTMs: 50.5, E2ELMs: 9000}, Line: b.Line}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("bench %+v, want %+v", b, want)
	}
	if p.ReferenceRepeats != 2 || p.Variants[0].Server.CostPerHour != 2.5 || p.Variants[1].Server.CostPerHour != 1.25 {
		t.Errorf("reference_repeats %d, costs %v %v", p.ReferenceRepeats, p.Variants[0].Server.CostPerHour, p.Variants[1].Server.CostPerHour)
	}
	levels := b.Levels()
	if len(levels) != 6 || levels[0].Concurrency != 1 || levels[2].Concurrency != 1 || levels[3].Concurrency != 4 || levels[5].Requests != 20 || levels[5].Warmup != 2 {
		t.Errorf("levels %+v, want 1,1,1,4,4,4 with 20 requests and 2 warmup", levels)
	}
	if w := b.Workload().Request(0); w.MaxTokens != 30 || !w.IgnoreEOS {
		t.Errorf("workload request %+v", w)
	}

	p, err = Parse("p.yaml", []byte("variants: [{name: A, model: a}]\nevals: [{evalset: x.jsonl}]\nbench: {rate: 2.5, duration: 1m}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b = p.Bench
	if b.Requests != 0 || b.Duration.D() != time.Minute || b.InputLen != DefaultBenchInputLen || b.OutputLen != DefaultBenchOutputLen ||
		b.Repeats != 1 || !slices.Equal(b.Concurrency, []int{1}) {
		t.Errorf("defaults: %+v", b)
	}
	if l := b.Levels(); len(l) != 1 || l[0].Rate != 2.5 || l[0].Duration != time.Minute || l[0].Validate() != nil {
		t.Errorf("rate levels %+v", l)
	}
	if p.ReferenceRepeats != 0 {
		t.Errorf("reference_repeats %d without the key", p.ReferenceRepeats)
	}
}

func TestOverrides(t *testing.T) {
	src := `
name: t
server:
  command: [/venv/bin/vllm, serve]
  port: 8000
  args: [--max-model-len, 4096]
  env: {CUDA_VISIBLE_DEVICES: 0, HF_HOME: /hf}
variants:
  - name: A
    model: a
  - name: B
    model: b
    port: 8001
    args: [--quantization, fp8]
    env: {HF_HOME: /other, HF_TOKEN: hf_x}
    ready_timeout: 90
    prepare:
      - echo hello
      - [touch, /tmp/x]
  - {name: C, model: c.gguf, kind: llama-server}
  - {name: D, model: remote, kind: external, base_url: "http://10.0.0.2:8000/v1"}
evals:
  - evalset: data/my set.jsonl
    extra_body: {chat_template_kwargs: {enable_thinking: false}}
    timeout: 20m
    retries: 0
    seed: 7
    system: ""
  - {evalset: gsm8k, task: main, fewshot: 0, extra_body: '{"top_k": 1}', timeout: 30, revision: v1.0}
`
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c, d := p.Variants[0].Server, p.Variants[1].Server, p.Variants[2].Server, p.Variants[3].Server
	if !reflect.DeepEqual(a.Command, []string{"/venv/bin/vllm", "serve"}) || a.Port != 8000 || !reflect.DeepEqual(a.Args, []string{"--max-model-len", "4096"}) {
		t.Errorf("A inherits the defaults: %+v", a)
	}
	if b.Port != 8001 || !reflect.DeepEqual(b.Args, []string{"--quantization", "fp8"}) {
		t.Errorf("B replaces port and args: %+v", b)
	}
	if want := map[string]string{"CUDA_VISIBLE_DEVICES": "0", "HF_HOME": "/other", "HF_TOKEN": "hf_x"}; !reflect.DeepEqual(b.Env, want) {
		t.Errorf("B env = %v, want the defaults merged with its own %v", b.Env, want)
	}
	if a.Env["HF_HOME"] != "/hf" {
		t.Errorf("B's env leaked into A: %v", a.Env)
	}
	if b.ReadyTimeout.D() != 90*time.Second {
		t.Errorf("ready_timeout: 90 = %v, want 90s", b.ReadyTimeout)
	}
	if want := []Command{{"sh", "-c", "echo hello"}, {"touch", "/tmp/x"}}; !reflect.DeepEqual(p.Variants[1].Prepare, want) {
		t.Errorf("prepare = %q, want %q", p.Variants[1].Prepare, want)
	}
	if c.Kind != server.KindLlamaServer || !reflect.DeepEqual(c.Command, []string{"llama-server"}) {
		t.Errorf("C changes kind and gets its default command: %+v", c)
	}
	if d.Kind != server.KindExternal || d.Command != nil || d.Port != 0 || d.BaseURL != "http://10.0.0.2:8000/v1" {
		t.Errorf("D external: %+v", d)
	}
	e0, e1 := p.Evals[0], p.Evals[1]
	if e0.Name != "my_set" || string(e0.ExtraBody) != `{"chat_template_kwargs":{"enable_thinking":false}}` ||
		e0.Timeout != 20*time.Minute || e0.Retries != 0 || !slices.Contains(e0.Given, "retries") || *e0.Seed != 7 || e0.System == nil || *e0.System != "" {
		t.Errorf("eval 0 = %+v", e0)
	}
	if e1.Name != "gsm8k-main" || e1.Fewshot != 0 || e1.Revision != "v1.0" || string(e1.ExtraBody) != `{"top_k":1}` || e1.Timeout != 30*time.Second || e1.Retries != 3 || slices.Contains(e1.Given, "retries") || e1.System != nil {
		t.Errorf("eval 1 = %+v", e1)
	}
	if p.Output != "results/t" {
		t.Errorf("output = %q, want results/NAME", p.Output)
	}
}

// TestErrors: each plan's errors, all of them, with file, line and key.
func TestErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown keys", `
name: x
sever: {}
server:
  kind: vllm
  readytimeout: 5m
variants:
  - {name: A, modle: a}
evals:
  - {evalset: "builtin:s", max-tokens: 5}
`, []string{
			`p.yaml:3: sever: unknown key (known: name, output, server, variants, evals, quanteval_image, kubernetes, gpus, max_parallel, bench, reference_repeats)`,
			`p.yaml:6: server.readytimeout: unknown key`,
			`p.yaml:8: variants[0].modle: unknown key`,
			`p.yaml:8: variants[0].model: missing`,
			`p.yaml:10: evals[0].max-tokens: unknown key`,
		}},
		{"two references", `
variants:
  - {name: A, model: a, reference: true}
  - {name: B, model: b}
  - {name: C, model: c, reference: true}
evals: [{evalset: x.jsonl}]
`, []string{`p.yaml:5: variants[2].reference: a second reference (variant "A" at line 3 is one already)`}},
		{"bad durations", `
server: {ready_timeout: 30 minutes, stop_grace: -1s}
variants: [{name: A, model: a, stop_grace: [1]}]
evals: [{evalset: x.jsonl, timeout: soon}]
`, []string{
			`p.yaml:2: server.ready_timeout: "30 minutes" is not a duration (want e.g. 30m, 15s, 1h30m, or seconds)`,
			`p.yaml:2: server.stop_grace: negative duration -1s`,
			`p.yaml:3: variants[0].stop_grace: want a duration such as 30m or 15s, got a list`,
			`p.yaml:4: evals[0].timeout: "soon" is not a duration`,
		}},
		{"names and kinds", `
variants:
  - {name: A, model: a}
  - {name: A, model: b}
  - {name: ../x, model: c}
  - {model: d}
  - {name: E, model: e, kind: tgi}
  - {name: F, model: f, kind: external}
  - {name: G, model: g, base_url: "http://h:1"}
  - {name: H, model: h, port: 70000, command: vllm serve}
evals: [{evalset: x.jsonl}, {evalset: other/x.jsonl}, {concurrency: 0}]
`, []string{
			`p.yaml:4: variants[1].name: "A" already names the variant at line 3`,
			`p.yaml:5: variants[2].name: "../x" cannot name a folder`,
			`p.yaml:6: variants[3].name: missing`,
			`p.yaml:7: variants[4].kind: unknown kind "tgi" (want one of external, llama-server, ollama, sglang, vllm)`,
			`p.yaml:8: variants[5].base_url: missing: kind external needs the endpoint's URL`,
			`p.yaml:9: variants[6].base_url: only for kind external`,
			`p.yaml:10: variants[7].port: 70000 is not a port`,
			`p.yaml:10: variants[7].command: want a list such as [vllm, serve], got "vllm serve"`,
			`p.yaml:11: evals[1].name: result name "x" is already used by the eval at line 11`,
			`p.yaml:11: evals[2].concurrency: must be at least 1 (got 0)`,
			`p.yaml:11: evals[2].evalset: missing`,
		}},
		{"missing sections", `name: x`, []string{
			`p.yaml:1: variants: missing`,
			`p.yaml:1: evals: missing`,
		}},
		{"duplicate key and bad values", `
variants:
  - name: A
    model: a
    model: b
    env: [A=1]
    reference: yes please
evals: [{evalset: x.jsonl, extra_body: "{not json", seed: 1.5}]
`, []string{
			`p.yaml:5: variants[0].model: given twice (first at line 4)`,
			`p.yaml:6: variants[0].env: want a mapping of NAME: value, got a list`,
			`p.yaml:7: variants[0].reference: want true or false, got "yes please"`,
			`p.yaml:8: evals[0].extra_body: not JSON`,
			`p.yaml:8: evals[0].seed: want a whole number, got "1.5"`,
		}},
		{"bench and repeats", `
reference_repeats: 0
server: {cost_per_hour: -2}
variants: [{name: A, model: a, cost_per_hour: cheap}]
evals: [{evalset: x.jsonl}]
bench:
  concurrency: [1, 0, x]
  requests: 10
  duration: 30s
  output_len: 0
  rate: -1
  slo: {ttft: 0, tbt: 5}
  levels: [1]
`, []string{
			`p.yaml:2: reference_repeats: 0 is below 1`,
			`p.yaml:3: server.cost_per_hour: negative cost -2`,
			`p.yaml:4: variants[0].cost_per_hour: want a number, got "cheap"`,
			`p.yaml:7: bench.concurrency[1]: 0 is below 1`,
			`p.yaml:7: bench.concurrency[2]: want a whole number, got "x"`,
			`p.yaml:10: bench.output_len: 0 is below 1`,
			`p.yaml:11: bench.rate: want requests per second above 0`,
			`p.yaml:12: bench.slo.ttft: want milliseconds above 0`,
			`p.yaml:12: bench.slo.tbt: unknown key (known: ttft, tpot, e2el)`,
			`p.yaml:13: bench.levels: unknown key`,
			`p.yaml:7: bench.requests: give requests or duration, not both`,
		}},
		{"repeats without a reference", `
reference_repeats: 2
variants: [{name: A, model: a}]
evals: [{evalset: x.jsonl}]
`, []string{`p.yaml:2: reference_repeats: needs a variant marked reference: true`}},
		{"not YAML", "variants: [", []string{`p.yaml: yaml: line 1: did not find expected node content`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("p.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error; plan %+v", p)
			}
			msg := err.Error()
			lines := strings.Split(msg, "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					if strings.HasPrefix(l, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no error line starting %q in:\n%s", w, msg)
				}
			}
			if len(lines) != len(tt.want) {
				t.Errorf("%d errors, want %d:\n%s", len(lines), len(tt.want), msg)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.File != "p.yaml" {
				t.Errorf("error is not a *plan.Error: %T", err)
			}
		})
	}
}

func TestDefaultEvalName(t *testing.T) {
	tests := []struct{ evalset, task, want string }{
		{"builtin:qwen3_32b_accuracy_suite_v1", "", "qwen3_32b_accuracy_suite_v1"},
		{"evalsets/my suite.jsonl", "", "my_suite"},
		{"gsm8k", "", "gsm8k"},
		{"mmlu", "abstract_algebra", "mmlu-abstract_algebra"},
		{"/", "", "eval"},
	}
	for _, tt := range tests {
		if got := DefaultEvalName(tt.evalset, tt.task); got != tt.want {
			t.Errorf("DefaultEvalName(%q, %q) = %q, want %q", tt.evalset, tt.task, got, tt.want)
		}
	}
}

// TestEvalOptions: every option of `run` is an eval key (fewshot_file too), checked
// as the flag is; the plan's JSON (the manifest's) holds what the plan gives and
// reads back.
func TestEvalOptions(t *testing.T) {
	src := `
variants: [{name: A, model: a}]
evals:
  - {evalset: test.parquet, task: gsm8k, fewshot: 3, fewshot_file: train.parquet, retries: 0, timeout: 90s, seed: 0, system: ~}
  - {evalset: x.jsonl, logprobs: 5, extra_body: {top_k: 1}, temperature: 0.5, max_tokens: 64}
`
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e0, e1 := p.Evals[0], p.Evals[1]
	if e0.FewshotFile != "train.parquet" || e0.Fewshot != 3 || e0.Retries != 0 || e0.Timeout != 90*time.Second ||
		e0.Seed == nil || *e0.Seed != 0 || e0.System == nil || *e0.System != "" {
		t.Errorf("eval 0: %+v", e0.Options)
	}
	if e1.Retries != 3 || e1.Concurrency != 4 || e1.APIKeyEnv != "OPENAI_API_KEY" || e1.Timeout != 1200*time.Second || e1.Seed != nil || e1.System != nil {
		t.Errorf("eval 1 lacks run's defaults: %+v", e1.Options)
	}
	data, err := json.Marshal(p.Evals)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"test-gsm8k","evalset":"test.parquet","timeout":"1m30s","retries":0,"seed":0,"system":"","task":"gsm8k","fewshot":3,"fewshot_file":"train.parquet"},` +
		`{"name":"x","evalset":"x.jsonl","max_tokens":64,"temperature":0.5,"extra_body":{"top_k":1},"logprobs":5}]`
	if string(data) != want {
		t.Errorf("JSON\n got %s\nwant %s", data, want)
	}
	var back []Eval
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for i := range back {
		back[i].Line = p.Evals[i].Line
	}
	if !reflect.DeepEqual(back, p.Evals) {
		t.Errorf("read back\n got %+v\nwant %+v", back, p.Evals)
	}

	for _, tc := range []struct{ key, want string }{
		{"retries: -1", "evals[0].retries: must be at least 0 (got -1)"},
		{"logprobs: 21", "evals[0].logprobs: must be between 0 and 20"},
		{"timeout: 0", "evals[0].timeout: must be positive"},
		{"fewshot_file: [a]", `evals[0].fewshot_file: want a string, got a list`},
		{"model: m", "evals[0].model: unknown key"},
		{"base_url: http://x", "evals[0].base_url: unknown key"},
	} {
		src := "variants: [{name: A, model: a}]\nevals:\n  - {evalset: x.jsonl, " + tc.key + "}\n"
		if _, err := Parse("p.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.key, err, tc.want)
		}
	}
}
