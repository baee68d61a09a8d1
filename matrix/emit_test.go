package matrix

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/quanteval/quanteval/internal/kubetest"
	"github.com/quanteval/quanteval/kube"
	"github.com/quanteval/quanteval/plan"
)

// emitted are the objects of the files under a folder, decoded strictly.
type emitted struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	jobs        map[string]*batchv1.Job
	text        string // every file, concatenated
}

// readEmitted decodes every document of every file under dir into its Kubernetes
// type; an unknown field is an error.
func readEmitted(t *testing.T, dir string) emitted {
	t.Helper()
	e := emitted{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{}, jobs: map[string]*batchv1.Job{}}
	err := filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		e.text += string(data)
		for _, doc := range kubetest.Decode(t, p, data) {
			obj := doc.Object
			switch o := obj.(type) {
			case *appsv1.Deployment:
				e.deployments[o.Name] = o
			case *corev1.Service:
				e.services[o.Name] = o
			case *batchv1.Job:
				e.jobs[o.Name] = o
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func after(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

const secretValue = "hf_Sup3rS3cretValue0123456789"

// The Kubernetes example plan, with a secret value in its servers' environment.
func examplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	file := filepath.Join("..", "examples", "kubernetes", "plan.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "env: {VLLM_ATTENTION_BACKEND: TRITON_ATTN}",
		"env: {VLLM_ATTENTION_BACKEND: TRITON_ATTN, HF_TOKEN: "+secretValue+", CUDA_VISIBLE_DEVICES: \"3\", "+
			"MIRROR: \"https://me:"+secretValue+"@mirror.local/hf\"}", 1)
	if src == string(data) {
		t.Fatal("the example's server env is not where the test expects it")
	}
	p, err := plan.Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEmitKubernetesExample(t *testing.T) {
	p := examplePlan(t)
	dir := t.TempDir()
	if _, err := EmitKubernetes(p, nil, dir); err != nil {
		t.Fatal(err)
	}
	e := readEmitted(t, dir)
	if strings.Contains(e.text, secretValue) {
		t.Fatal("a secret value of the plan's env is in the emitted files")
	}
	if len(e.deployments) != 3 || len(e.services) != 3 || len(e.jobs) != 3*2+1 {
		t.Fatalf("%d deployments, %d services, %d jobs", len(e.deployments), len(e.services), len(e.jobs))
	}
	gpus := map[string]int64{"NVFP4": 1, "FP8": 1, "BF16": 2}
	for _, d := range e.deployments {
		c := d.Spec.Template.Spec.Containers[0]
		name := d.Spec.Template.Labels["quanteval.dev/variant"]
		v := variantByLabel(p, name)
		if v == nil {
			t.Fatalf("deployment %s: variant label %q", d.Name, name)
		}
		if c.Image != kube.DefaultVLLMImage || !slices.Equal(c.Command, []string{"vllm", "serve"}) {
			t.Errorf("%s: image %q command %q", d.Name, c.Image, c.Command)
		}
		if len(c.Args) < 5 || c.Args[0] != v.Model || after(c.Args, "--host") != "0.0.0.0" || after(c.Args, "--port") != "8000" {
			t.Errorf("%s: args %q", d.Name, c.Args)
		}
		if q := c.Resources.Limits[kube.GPUResource]; q.Value() != gpus[v.Name] {
			t.Errorf("%s: %v GPUs, want %d", d.Name, q.Value(), gpus[v.Name])
		}
		var sawToken, sawMirror bool
		for _, env := range c.Env {
			switch env.Name {
			case "MIRROR":
				sawMirror = env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil && env.ValueFrom.SecretKeyRef.Key == "MIRROR"
			case "CUDA_VISIBLE_DEVICES":
				t.Errorf("%s: CUDA_VISIBLE_DEVICES is kept: the device plugin gives the GPUs", d.Name)
			case "HF_TOKEN":
				sawToken = env.Value == "" && env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil &&
					env.ValueFrom.SecretKeyRef.Name == "quanteval-secrets" && env.ValueFrom.SecretKeyRef.Key == "HF_TOKEN"
			}
		}
		if !sawMirror {
			t.Errorf("%s: MIRROR (a URL with a password) is not a reference to the Secret: %+v", d.Name, c.Env)
		}
		if !sawToken {
			t.Errorf("%s: HF_TOKEN is not a reference to the Secret: %+v", d.Name, c.Env)
		}
	}
	for _, v := range p.Variants {
		for _, ev := range p.Evals {
			job := findJob(e, v.Name, ev.Name)
			if job == nil {
				t.Fatalf("no Job for %s/%s", v.Name, ev.Name)
			}
			checkJob(t, e, job, v, ev, 8)
		}
	}
}

func variantByLabel(p *plan.Plan, label string) *plan.Variant {
	for i := range p.Variants {
		if strings.EqualFold(p.Variants[i].Name, label) {
			return &p.Variants[i]
		}
	}
	return nil
}

func findJob(e emitted, variant, eval string) *batchv1.Job {
	for _, j := range e.jobs {
		l := j.Labels
		if l["quanteval.dev/stage"] == "eval" && strings.EqualFold(l["quanteval.dev/variant"], variant) && l["quanteval.dev/eval"] == strings.ToLower(strings.ReplaceAll(eval, "_", "-")) {
			return j
		}
	}
	return nil
}

// checkJob checks an eval's Indexed Job: completions, shard arguments, the
// Service it targets, the model and the eval's flags.
func checkJob(t *testing.T, e emitted, job *batchv1.Job, v plan.Variant, ev plan.Eval, shards int32) {
	t.Helper()
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || s.Completions == nil || *s.Completions != shards {
		t.Errorf("%s: completion mode %v, completions %v; want Indexed, %d", job.Name, s.CompletionMode, s.Completions, shards)
	}
	args := s.Template.Spec.Containers[0].Args
	if args[0] != "run" || after(args, "--shard") != "auto" || after(args, "--shard-count") != itoa(shards) {
		t.Errorf("%s: shard arguments %q", job.Name, args)
	}
	if after(args, "--model") != v.Model || after(args, "--evalset") != ev.Evalset {
		t.Errorf("%s: model/evalset in %q", job.Name, args)
	}
	host, port, _ := strings.Cut(strings.TrimPrefix(after(args, "--base-url"), "http://"), ":")
	svc := e.services[strings.Split(host, ".")[0]]
	if svc == nil || itoa(svc.Spec.Ports[0].Port) != port || !strings.EqualFold(svc.Spec.Selector["quanteval.dev/variant"], v.Name) {
		t.Errorf("%s: --base-url %s is not the Service of %s (%+v)", job.Name, after(args, "--base-url"), v.Name, svc)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// The seed's plan emits without any Kubernetes key: the defaults fill in, the
// loopback host becomes 0.0.0.0 and one shard per eval.
func TestEmitKubernetesSeedPlan(t *testing.T) {
	p, err := plan.Read(filepath.Join("..", "examples", "qwen3-32b-vllm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := KubeInput(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.ResultsClaim != DefaultResultsClaim || in.Reference != "BF16" || len(in.Evals) != 1 {
		t.Errorf("input: claim %q, reference %q, %d evals", in.ResultsClaim, in.Reference, len(in.Evals))
	}
	want := []string{"--evalset", "builtin:qwen3_32b_accuracy_suite_v1", "--concurrency", "4", "--max-tokens", "256", "--temperature", "0"}
	if !slices.Equal(in.Evals[0].Args, want) {
		t.Errorf("eval args %q, want %q", in.Evals[0].Args, want)
	}
	dir := t.TempDir()
	if _, err := EmitKubernetes(p, nil, dir); err != nil {
		t.Fatal(err)
	}
	e := readEmitted(t, dir)
	for _, v := range p.Variants {
		job := findJob(e, v.Name, p.Evals[0].Name)
		if job == nil {
			t.Fatalf("no Job for %s", v.Name)
		}
		checkJob(t, e, job, v, p.Evals[0], 1)
	}
	for _, d := range e.deployments {
		if c := d.Spec.Template.Spec.Containers[0]; after(c.Args, "--host") != "0.0.0.0" || after(c.Args, "--download-dir") != "/data/bench/hf" {
			t.Errorf("%s: args %q", d.Name, c.Args)
		}
	}
	// --only keeps the variants named.
	in, err = KubeInput(p, []string{"FP8"})
	if err != nil || len(in.Variants) != 1 || in.Variants[0].Name != "FP8" || in.Reference != "" {
		t.Errorf("--only FP8: %v, %+v", err, in.Variants)
	}
}

func TestEmitKubernetesRefuses(t *testing.T) {
	for _, tc := range []struct{ name, variants, evals, want string }{
		{"external", "[{name: A, model: m, kind: external, base_url: \"http://x:1\"}]", "[{evalset: gsm8k}]", "p.yaml:2: variant A: kind external"},
		{"prepare", "[{name: A, model: m, prepare: [\"echo hi\"]}]", "[{evalset: gsm8k}]", "p.yaml:2: variant A: prepare commands"},
		{"relative set", "[{name: A, model: m}]", "[{evalset: sets/mine.jsonl}]", "p.yaml:3: eval mine: evalset sets/mine.jsonl: a relative path"},
		{"loopback arg", "[{name: A, model: m, args: [--host, 127.0.0.1]}]", "[{evalset: gsm8k}]", "p.yaml: kube: variants[0] (A): --host 127.0.0.1"},
		{"secret arg", "[{name: A, model: m, args: [--api-key, sk-123456789]}]", "[{evalset: gsm8k}]", "carries a secret"},
	} {
		src := "name: p\nvariants: " + tc.variants + "\nevals: " + tc.evals + "\n"
		p, err := plan.Parse("p.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		dir := t.TempDir()
		_, err = EmitKubernetes(p, nil, dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if strings.Contains(fmtErr(err), "sk-123456789") {
			t.Errorf("%s: the error shows the secret: %v", tc.name, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: a refused plan wrote %d files", tc.name, len(entries))
		}
	}
	// An api_key_env an eval gives is taken from the Secret by the Jobs; every
	// setting given becomes a run flag as the flag takes it.
	p, err := plan.Parse("p.yaml", []byte("variants: [{name: A, model: m}]\n"+
		"evals: [{evalset: gsm8k, api_key_env: MY_KEY, stream: false, timeout: 20m, extra_body: {top_k: 1}, system: \"\"}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := KubeInput(p, nil)
	if err != nil || !slices.Equal(in.JobSecretEnv, []string{"MY_KEY"}) {
		t.Errorf("job secret env: %v, %q", err, in.JobSecretEnv)
	}
	want := []string{"--evalset", "gsm8k", "--timeout", "1200", "--system", "", "--extra-body", `{"top_k":1}`, "--api-key-env", "MY_KEY", "--stream=false"}
	if err == nil && !slices.Equal(in.Evals[0].Args, want) {
		t.Errorf("eval args %q, want %q", in.Evals[0].Args, want)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestEmitKubernetesReplicas: a variant with replicas becomes one Deployment and
// one Service per replica, each with its GPUs, and its eval Job names every one
// of their Services with --base-url (the flag repeated, one URL each).
func TestEmitKubernetesReplicas(t *testing.T) {
	src := `name: rep
output: results/rep
variants:
  - {name: BF16, model: m-bf16, reference: true, replicas: [{port: 8001, gpus: 2}, {port: 8002, gpus: 2}, {port: 8003}]}
  - {name: FP8, model: m-fp8}
evals:
  - {evalset: gsm8k, concurrency: 8}
kubernetes: {shards: 4}
`
	p, err := plan.Parse("rep.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := EmitKubernetes(p, nil, dir); err != nil {
		t.Fatal(err)
	}
	e := readEmitted(t, dir)
	if len(e.deployments) != 4 || len(e.services) != 4 {
		t.Fatalf("%d deployments and %d services, want 3 replicas + 1 each", len(e.deployments), len(e.services))
	}
	wantGPUs := map[string]int64{"rep-bf16-r0": 2, "rep-bf16-r1": 2, "rep-bf16-r2": 1, "rep-fp8": 1}
	for name, gpus := range wantGPUs {
		d, svc := e.deployments[name], e.services[name]
		if d == nil || svc == nil {
			t.Fatalf("no Deployment or Service %s among %v", name, slices.Sorted(maps.Keys(e.deployments)))
		}
		c := d.Spec.Template.Spec.Containers[0]
		if q := c.Resources.Limits[kube.GPUResource]; q.Value() != gpus {
			t.Errorf("%s: %s GPUs, want %d", name, q.String(), gpus)
		}
		if *d.Spec.Replicas != 1 {
			t.Errorf("%s: %d pods", name, *d.Spec.Replicas)
		}
		// The Service selects this Deployment's pods and no other's.
		for other, od := range e.deployments {
			sel := labelsSelect(svc.Spec.Selector, od.Spec.Template.Labels)
			if sel != (other == name) {
				t.Errorf("Service %s selects the pods of %s: %v", name, other, sel)
			}
		}
	}
	if c := e.deployments["rep-bf16-r1"].Spec.Template.Spec.Containers[0]; after(c.Args, "--port") != "8001" || c.Ports[0].ContainerPort != 8001 {
		t.Errorf("replica r1 listens on %s / %d, want the first replica's port 8001", after(c.Args, "--port"), c.Ports[0].ContainerPort)
	}
	job := findJob(e, "BF16", "gsm8k")
	if job == nil {
		t.Fatal("no Job for BF16")
	}
	args := job.Spec.Template.Spec.Containers[0].Args
	var urls []string
	for i, a := range args {
		if a == "--base-url" {
			urls = append(urls, args[i+1])
		}
	}
	want := []string{"http://rep-bf16-r0:8001", "http://rep-bf16-r1:8001", "http://rep-bf16-r2:8001"}
	if !slices.Equal(urls, want) || after(args, "--concurrency") != "8" {
		t.Errorf("BF16's Job: --base-url %q, want %q (args %q)", urls, want, args)
	}
	wait := job.Spec.Template.Spec.InitContainers
	wantWait := []string{"wait", "--timeout", "2h", want[0] + "/health", want[1] + "/health", want[2] + "/health"}
	if len(wait) != 1 || !slices.Equal(wait[0].Args, wantWait) {
		t.Errorf("BF16's Job waits with %+v, want args %q", wait, wantWait)
	}
	checkJob(t, e, findJob(e, "FP8", "gsm8k"), p.Variants[1], p.Evals[0], 4)
}

// labelsSelect reports whether selector selects a pod with these labels.
func labelsSelect(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
