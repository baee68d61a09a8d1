package matrix

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/plan"
)

// TestDryRun compares the dry run of a plan with secrets with testdata/dryrun.txt.
func TestDryRun(t *testing.T) {
	src := `
name: secrets
output: results/secrets
server:
  command: [/opt/venv/bin/vllm, serve]
  args: [--api-key, sk-very-secret, --max-model-len, "4096"]
  env: {HF_TOKEN: hf_abcdef, OPENAI_API_KEY: sk-x, MY_DB_PASSWORD: pw, CUDA_VISIBLE_DEVICES: "0"}
variants:
  - {name: FP8, model: Qwen/Qwen3-32B-FP8, env: {WANDB_SECRET: s3}, prepare: [[huggingface-cli, download, --token=hf_abcdef, Qwen/Qwen3-32B-FP8]]}
  - {name: BF16, model: Qwen/Qwen3-32B, reference: true, port: 8001, stop_grace: 30s}
  - {name: API, model: gpt-x, kind: external, base_url: "https://api.example.com/v1"}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1", concurrency: 4, max_tokens: 256, api_key_env: OPENAI_API_KEY}
  - {evalset: gsm8k, sample: 200, sample_seed: 1, fewshot: 5, extra_body: {chat_template_kwargs: {enable_thinking: false}}, system: "Think, then answer."}
`
	p, err := plan.Parse("secrets.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := DryRun(&out, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"sk-very-secret", "hf_abcdef", "sk-x", "pw", "s3"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the dry run shows the secret %q", secret)
		}
	}
	golden.Check(t, filepath.Join("testdata", "dryrun.txt"), out.Bytes())
	if _, err := os.Stat("results"); err == nil {
		t.Error("the dry run created the output folder")
	}
	if err := DryRun(io.Discard, p, []string{"FP4"}); err == nil {
		t.Error("dry run with an unknown --only name succeeded")
	}
}

// TestSecretsNotShown gives secrets in every form a command line passes them and
// looks for them in everything written: the output folder (manifest, logs,
// results), the progress, the summary, the error and the dry run.
func TestSecretsNotShown(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"remote"}, Answer: func(vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text("5")}
	}})
	remote := strings.Replace(hs.URL, "http://", "http://user:pw_leak5@", 1) + "/v1"
	dir := t.TempDir()
	src := fmt.Sprintf(`
name: secrets
output: %[1]s
server:
  command: [%[2]s, serve]
  port: %[3]d
  args: [--hf-token=hf_abcdef, -e, HF_TOKEN=hf_leak1, --api-key, -dashkey]
  env: {HF_TOKEN: hf_envleak, FAKEVLLM_PIDS: %[4]s}
  ready_timeout: 1m
  stop_grace: 2s
variants:
  - {name: OK, model: test/OK, reference: true, prepare: ["HF_TOKEN=hf_leak2 true", [env, API_TOKEN=hf_leak3, "true"]]}
  - {name: BAD, model: test/BAD, prepare: [[HF_TOKEN=hf_leak4, "true"]]}
  - {name: API, model: remote, kind: external, base_url: %[5]q}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1"}
`, filepath.Join(dir, "out"), testenv.FakeVLLM(t), freePort(t), filepath.Join(dir, "pids"), remote)
	p, err := plan.Parse(filepath.Join(dir, "plan.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"hf_abcdef", "hf_leak1", "dashkey", "hf_leak2", "hf_leak3", "hf_leak4", "pw_leak5", "hf_envleak"}
	leaks := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q:\n%s", what, s, text)
			}
		}
	}

	var dry bytes.Buffer
	if err := DryRun(&dry, p, nil); err != nil {
		t.Fatal(err)
	}
	leaks("the dry run", dry.String())
	if !strings.Contains(dry.String(), "--hf-token=*** -e HF_TOKEN=*** --api-key ***") || !strings.Contains(dry.String(), "prepare: sh -c 'HF_TOKEN=*** true'") ||
		!strings.Contains(dry.String(), "prepare: env API_TOKEN=*** true") || !strings.Contains(dry.String(), "user:xxxxx@127.0.0.1") {
		t.Errorf("the dry run does not show the commands redacted:\n%s", dry.String())
	}

	var stdout, progress bytes.Buffer
	_, err = Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: p, Evaluate: (&fakeEval{}).Evaluate, Stdout: &stdout, Progress: &progress})
	if err == nil || !strings.Contains(err.Error(), "1 of 3 variants failed: BAD") {
		t.Fatalf("err = %v\n%s", err, progress.String())
	}
	leaks("the error", err.Error())
	leaks("the progress", progress.String())
	leaks("the summary", stdout.String())
	if !strings.Contains(progress.String(), "starting: "+testenv.FakeVLLM(t)+" serve test/OK --host 127.0.0.1 --port") || !strings.Contains(progress.String(), "--hf-token=*** -e HF_TOKEN=*** --api-key ***") {
		t.Errorf("progress does not show the command redacted:\n%s", progress.String())
	}
	files := 0
	err = filepath.WalkDir(p.Output, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		leaks(path, string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, &fixture{plan: p})
	if files < 6 || len(m.Variants) != 3 {
		t.Fatalf("%d files, manifest variants %+v: the check checked too little", files, m.Variants)
	}
	if e := m.Variants[1].Error; !strings.Contains(e, `"HF_TOKEN=***"`) || !strings.Contains(e, "executable file not found") {
		t.Errorf("BAD's error %q: want exec's error, redacted", e)
	}
	if got := m.Plan.Variants[0].Server.Args; !reflect.DeepEqual(got, []string{"--hf-token=***", "-e", "HF_TOKEN=***", "--api-key", "***"}) {
		t.Errorf("the manifest's plan args %q", got)
	}
}
