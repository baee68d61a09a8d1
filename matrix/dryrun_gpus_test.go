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
	// Without the node's gpus, --max-parallel still shows; no devices do.
	p.GPUs = nil
	out.Reset()
	if err := DryRunMax(&out, p, nil, 3); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "node:    GPUs not given; variants at once: at most 3\n") || strings.Contains(got, "gpus:") {
		t.Errorf("--max-parallel 3 without gpus:\n%s", got)
	}
}

// TestReplicaDevices: in a plan without the node's gpus, each replica runs with
// the devices it names as its CUDA_VISIBLE_DEVICES, and the Kubernetes form
// requests as many GPUs for its pod.
func TestReplicaDevices(t *testing.T) {
	src := `name: pinned
output: results/pinned
server: {kind: vllm, command: [vllm, serve]}
variants:
  - {name: A, model: m-a, replicas: [{port: 9001, devices: [0, 1]}, {port: 9002, devices: ["MIG-7b-1"]}]}
evals:
  - {evalset: gsm8k}
`
	p, err := plan.Parse("pinned.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	specs := replicaSpecs(p, p.Variants[0], serverSpec(p, p.Variants[0]))
	if len(specs) != 2 || specs[0].Env["CUDA_VISIBLE_DEVICES"] != "0,1" || specs[1].Env["CUDA_VISIBLE_DEVICES"] != "MIG-7b-1" || specs[1].Port != 9002 {
		t.Fatalf("replica specs: %+v", specs)
	}
	var out bytes.Buffer
	if err := DryRun(&out, p, nil); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "  replica 1 of 2: port 9002\n    env:     CUDA_VISIBLE_DEVICES=MIG-7b-1\n") {
		t.Errorf("the dry run does not show replica 1's devices:\n%s", got)
	}
	in, err := KubeInput(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := in.Variants[0].Replicas; len(r) != 2 || r[0].GPUs != 2 || r[1].GPUs != 1 {
		t.Errorf("Kubernetes replicas %+v, want 2 and 1 GPUs", r)
	}
}
