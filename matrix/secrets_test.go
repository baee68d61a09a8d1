package matrix

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/result"
)

// TestSecretsHiddenByValue: the server's key (--api-key in the plan) echoed by a
// 401, printed by the server into its log, and HF_TOKEN echoed by a prepare
// command are hidden in the error, the progress lines, the manifest and the log.
func TestSecretsHiddenByValue(t *testing.T) {
	f := newFixture(t, `prepare: ["echo token is $HF_TOKEN"]`, "")
	refuse := func(ctx context.Context, job Job) (*result.File, error) {
		return nil, fmt.Errorf(`HTTP 401: {"error": "invalid key 'Bearer sk-fake-key' for %s"}`, job.BaseURL)
	}
	var progress bytes.Buffer
	_, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: refuse,
		Only: []string{"FP8"}, Progress: &progress})
	if err == nil {
		t.Fatal("Run succeeded with an evaluator that fails")
	}
	manifest, rerr := os.ReadFile(ManifestPath(f.plan))
	if rerr != nil {
		t.Fatal(rerr)
	}
	log, rerr := os.ReadFile(f.out("logs", "FP8.log"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	for name, text := range map[string]string{"error": err.Error(), "progress": progress.String(), "manifest": string(manifest), "log": string(log)} {
		for _, secret := range []string{"sk-fake-key", "hf_secret_value"} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s shows %q:\n%s", name, secret, text)
			}
		}
	}
	if !strings.Contains(string(manifest), "invalid key 'Bearer ***'") {
		t.Errorf("the manifest lacks the eval's error, redacted:\n%s", manifest)
	}
	if !strings.Contains(string(log), "'api_key': ['***']") || !strings.Contains(string(log), "token is ***") {
		t.Errorf("the log lacks the server's args or the prepare output, redacted:\n%s", log)
	}
}

// TestDryRunHidesKnownValues: a value known to be secret is hidden wherever the
// dry run shows it, not only after a secret name: the API key typed into a prepare
// command, the password of a proxy or of HF_ENDPOINT.
func TestDryRunHidesKnownValues(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-dry-run-key")
	src := `
name: dry
output: results/dry
server:
  command: [vllm, serve]
  env: {HTTPS_PROXY: "http://me:proxy-secret@proxy:3128", HF_ENDPOINT: "https://u:endpoint-secret@hub.internal"}
variants:
  - {name: A, model: m, prepare: [[curl, -d, '{"key": "sk-dry-run-key"}', "http://127.0.0.1:8000/load"]]}
  - {name: B, model: m, kind: external, base_url: "http://u:base-secret@10.0.0.2:8000"}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1"}
`
	p, err := plan.Parse("dry.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := DryRun(&out, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"sk-dry-run-key", "proxy-secret", "endpoint-secret", "base-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the dry run shows %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), `{"key": "***"}`) {
		t.Errorf("the prepare command is not shown with the key hidden:\n%s", out.String())
	}
}

// TestJobCarriesThePlanSecrets: each evaluation is given the plan's secret values
// (the server's --api-key, its env's HF_TOKEN), so that the result it writes hides
// them as the manifest does.
func TestJobCarriesThePlanSecrets(t *testing.T) {
	f := newFixture(t, "", "")
	fe := &fakeEval{}
	if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: fe.Evaluate, Only: []string{"FP8"}}); err != nil {
		t.Fatal(err)
	}
	if len(fe.jobs) == 0 {
		t.Fatal("no job run")
	}
	for _, job := range fe.jobs {
		for _, secret := range []string{"sk-fake-key", "hf_secret_value"} {
			if !slices.Contains(job.Secrets, secret) {
				t.Errorf("job %s/%s: Secrets %q lack %q", job.Variant, job.Eval.Name, job.Secrets, secret)
			}
		}
	}
}
