package matrix

import (
	"bytes"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/plan"
)

// TestDryRunGPUsAndReplicas: on a node with gpus, the dry run shows how many
// variants run at once and the devices of those that start at once, and a
// variant with replicas shows one command per replica with its port, log and
// devices; --max-parallel changes which start at once.
func TestDryRunGPUsAndReplicas(t *testing.T) {
	src := `name: node
output: results/node
gpus: 4
server: {kind: vllm, command: [vllm, serve]}
variants:
  - {name: A, model: m-a, gpus: 2}
  - {name: B, model: m-b, replicas: [{port: 9001}, {port: 9002}]}
  - {name: C, model: m-c}
  - {name: D, model: m-d, reference: true}
evals:
  - {evalset: gsm8k}
`
	p, err := plan.Parse("node.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := DryRunMax(&out, p, nil, 0); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"node:    4 GPUs (0,1,2,3); variants at once: at most 4\n",
		"[1/4] A: m-a (vllm)\n  gpus:    2: CUDA_VISIBLE_DEVICES=0,1, from the start\n  env:     CUDA_VISIBLE_DEVICES=0,1\n",
		"[2/4] B: m-b (vllm)\n  gpus:    2: CUDA_VISIBLE_DEVICES=2,3, from the start\n",
		"  replica 0 of 2: port 9001\n    env:     CUDA_VISIBLE_DEVICES=2\n    command: vllm serve m-b --host 127.0.0.1 --port 9001",
		"    log:     results/node/logs/B.r0.log\n",
		"  replica 1 of 2: port 9002\n    env:     CUDA_VISIBLE_DEVICES=3\n    command: vllm serve m-b --host 127.0.0.1 --port 9002",
		"    log:     results/node/logs/B.r1.log\n",
		"then port 9001, 9002 free",
		"[3/4] C: m-c (vllm)\n  gpus:    1: the lowest free when another variant ends\n",
		"[4/4] D: m-d (vllm, reference)\n  gpus:    1: the lowest free when another variant ends\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the dry run lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	if err := DryRunMax(&out, p, nil, 1); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "variants at once: at most 1") || strings.Count(got, "from the start") != 1 {
		t.Errorf("--max-parallel 1: want one variant at the start:\n%s", got)
	}
}
