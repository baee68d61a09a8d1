package plan

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const clusterPlan = `name: k
quanteval_image: ghcr.io/me/quanteval:v1
kubernetes:
  namespace: evals
  results_claim: shared
  results_dir: /data/results
  shards: 8
  parallelism: 4
  secret: my-secrets
  secret_env: [HF_TOKEN, EXTRA]
  job_secret_env: [OPENAI_API_KEY]
server: {kind: vllm, image: "vllm/vllm-openai:v0.10.2"}
variants:
  - {name: A, model: m/a}
  - {name: B, model: m/b, gpus: 2, image: "registry.local/vllm:patched"}
  - {name: C, model: m/c, kind: llama-server}
evals:
  - {evalset: gsm8k}
`

func TestClusterKeys(t *testing.T) {
	p, err := Parse("k.yaml", []byte(clusterPlan))
	if err != nil {
		t.Fatal(err)
	}
	if p.QuantevalImage != "ghcr.io/me/quanteval:v1" {
		t.Errorf("quanteval_image %q", p.QuantevalImage)
	}
	want := &Kubernetes{Namespace: "evals", ResultsClaim: "shared", ResultsDir: "/data/results", Shards: 8, Parallelism: 4,
		Secret: "my-secrets", SecretEnv: []string{"HF_TOKEN", "EXTRA"}, JobSecretEnv: []string{"OPENAI_API_KEY"}}
	if !reflect.DeepEqual(p.Kubernetes, want) {
		t.Errorf("kubernetes = %+v, want %+v", p.Kubernetes, want)
	}
	// image is a server key: the defaults' image is inherited, a variant's wins.
	for i, w := range []struct {
		image string
		gpus  int
	}{{"vllm/vllm-openai:v0.10.2", 0}, {"registry.local/vllm:patched", 2}, {"vllm/vllm-openai:v0.10.2", 0}} {
		if v := p.Variants[i]; v.Server.Image != w.image || v.GPUs != w.gpus {
			t.Errorf("variant %s: image %q gpus %d, want %q %d", v.Name, v.Server.Image, v.GPUs, w.image, w.gpus)
		}
	}
	// A plan without the keys has none.
	q, err := Read(filepath.Join("..", "examples", "qwen3-32b-vllm.yaml"))
	if err != nil || q.Kubernetes != nil || q.QuantevalImage != "" || q.Variants[0].Server.Image != "" {
		t.Fatalf("seed plan: %v, %+v", err, q)
	}
	// The example of examples/kubernetes parses.
	if _, err := Read(filepath.Join("..", "examples", "kubernetes", "plan.yaml")); err != nil {
		t.Fatal(err)
	}
}

func TestClusterKeyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"shards 0", "kubernetes: {shards: 0}\n", "k.yaml:1: kubernetes.shards: 0 is below 1"},
		{"shards huge", "kubernetes: {shards: 1000000}\n", "k.yaml:1: kubernetes.shards: 1000000: at most 100000"},
		{"parallelism", "kubernetes:\n  parallelism: two\n", "k.yaml:2: kubernetes.parallelism: want a whole number"},
		{"claim", "kubernetes:\n  results_claim: My_Claim\n", `k.yaml:2: kubernetes.results_claim: "My_Claim" is not a Kubernetes name`},
		{"dir", "kubernetes: {results_dir: results}\n", `k.yaml:1: kubernetes.results_dir: "results": want an absolute path`},
		{"secret env", "kubernetes:\n  secret_env: [HF_TOKEN, \"A-B\"]\n", `k.yaml:2: kubernetes.secret_env: "A-B" is not a variable name`},
		{"unknown", "kubernetes:\n  shard: 8\n", "k.yaml:2: kubernetes.shard: unknown key"},
		{"image", "quanteval_image: \"\"\n", `k.yaml:1: quanteval_image: "" is not an image reference`},
		{"server image", "server: {image: \"a b\"}\n", `k.yaml:1: server.image: "a b" is not an image reference`},
	} {
		src := tc.yaml + "variants: [{name: A, model: m}]\nevals: [{evalset: gsm8k}]\n"
		_, err := Parse("k.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, new(*Error)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	src := "variants:\n  - {name: A, model: m, gpus: 0}\nevals: [{evalset: gsm8k}]\n"
	if _, err := Parse("k.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "k.yaml:2: variants[0].gpus: 0 is below 1") {
		t.Errorf("gpus 0: %v", err)
	}
}
