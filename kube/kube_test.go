package kube

import (
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/quanteval/quanteval/internal/kubetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	hfToken = "hf_SECRETdoNotWrite0123456789"
	apiKey  = "sk-SECRETapiKey987"
)

// seedPlan is the seed's plan on a cluster: three vLLM variants, the reference with
// two GPUs, a token in the environment, two evals in 8 shards.
func seedPlan() Input {
	env := map[string]string{"VLLM_ATTENTION_BACKEND": "TRITON_ATTN", "HF_TOKEN": hfToken, "HF_HOME": "/data/hf"}
	v := func(name, model string, gpus int) Variant {
		return Variant{Name: name, Kind: "vllm", Model: model, Command: []string{"vllm", "serve"},
			Args: []string{model, "--host", "0.0.0.0", "--port", "8000", "--tensor-parallel-size", fmt.Sprint(gpus)},
			Env:  env, GPUs: gpus, Port: 8000}
	}
	return Input{
		Name: "qwen3-32b-precision", ResultsClaim: "quanteval-results", Shards: 8, Parallelism: 4,
		Variants: []Variant{v("NVFP4", "RedHatAI/Qwen3-32B-NVFP4", 1), v("FP8", "Qwen/Qwen3-32B-FP8", 1), v("BF16", "Qwen/Qwen3-32B", 2)},
		Evals: []Eval{
			{Name: "qwen3_32b_accuracy_suite_v1", Args: []string{"--evalset", "builtin:qwen3_32b_accuracy_suite_v1", "--max-tokens", "256"}},
			{Name: "gsm8k", Args: []string{"--evalset", "gsm8k", "--api-key-env", "OPENAI_API_KEY"}},
		},
		Reference:    "BF16",
		JobSecretEnv: []string{"OPENAI_API_KEY"},
	}
}

// tinyPlan is the CPU plan's kind: Ollama, in a namespace, one shard, with an
// explicit secret variable and an image of its own.
func tinyPlan() Input {
	return Input{
		Name: "tiny cpu", Namespace: "evals", ResultsClaim: "results", QuantevalImage: "registry.local/quanteval:dev",
		Secret: "tiny-keys",
		Variants: []Variant{
			{Name: "Q4_K_M", Kind: "ollama", Model: "tiny:q4_k_m", Image: "ollama/ollama:0.17.4", Command: []string{"ollama", "serve"},
				Env: map[string]string{"OLLAMA_HOST": "0.0.0.0:11434", "MY_PASS": "pw-SECRET-42"}, SecretEnv: []string{"MY_PASS"}, Port: 11434},
			{Name: "F32", Kind: "ollama", Model: "tiny:f32", Image: "ollama/ollama:0.17.4", Command: []string{"ollama", "serve"},
				Env: map[string]string{"OLLAMA_HOST": "0.0.0.0:11434"}, Port: 11434},
		},
		Evals: []Eval{{Name: "tinystories", Args: []string{"--evalset", "builtin:tinystories_consistency_v1", "--logprobs", "5"}}},
	}
}

// decoded is every object of a build, decoded strictly into its typed form.
type decoded struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	jobs        map[string]*batchv1.Job
	files       map[string]string // path -> the file's objects, "Kind/name"
}

// decodeStrict decodes every document of every file into its Kubernetes type;
// an unknown or misspelt field is an error. Each object must also marshal back
// to the same document.
func decodeStrict(t *testing.T, files []File) decoded {
	t.Helper()
	d := decoded{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		jobs: map[string]*batchv1.Job{}, files: map[string]string{}}
	for _, f := range files {
		for _, doc := range kubetest.Decode(t, f.Path, f.Data) {
			obj := doc.Object
			back, err := yaml.Marshal(obj)
			if err != nil || strings.TrimSpace(string(back)) != strings.TrimSpace(doc.Text) {
				t.Fatalf("%s: a %s does not survive decoding (%v):\n%s\nback:\n%s", f.Path, doc.Kind, err, doc.Text, back)
			}
			var name string
			switch o := obj.(type) {
			case *appsv1.Deployment:
				name, d.deployments[o.Name] = o.Name, o
			case *corev1.Service:
				name, d.services[o.Name] = o.Name, o
			case *batchv1.Job:
				name, d.jobs[o.Name] = o.Name, o
			}
			d.files[f.Path] += doc.Kind + "/" + name + " "
		}
	}
	return d
}

func build(t *testing.T, in Input) []File {
	t.Helper()
	files, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGolden(t *testing.T) {
	for name, in := range map[string]Input{"seed": seedPlan(), "tiny": tinyPlan()} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			files := build(t, in)
			if *update {
				os.RemoveAll(dir)
				if err := Write(dir, files); err != nil {
					t.Fatal(err)
				}
			}
			var want []string
			filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					want = append(want, filepath.ToSlash(rel))
				}
				return nil
			})
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
				golden, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
				if err != nil {
					t.Fatalf("%v (go test ./kube -update writes it)", err)
				}
				if !bytes.Equal(golden, f.Data) {
					os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Path))+".got", f.Data, 0o644)
					t.Errorf("%s differs from its golden file (written beside it as .got)", f.Path)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("files %v, golden files %v", got, want)
			}
		})
	}
}

func TestSeedPlanObjects(t *testing.T) {
	in := seedPlan()
	files := build(t, in)
	d := decodeStrict(t, files)
	wantFiles := map[string]string{
		"servers/nvfp4.yaml": "Deployment/qwen3-32b-precision-nvfp4 Service/qwen3-32b-precision-nvfp4 ",
		"servers/bf16.yaml":  "Deployment/qwen3-32b-precision-bf16 Service/qwen3-32b-precision-bf16 ",
		"evals/fp8.yaml":     "Job/qwen3-32b-precision-fp8-qwen3-32b-accuracy-suite-v1 Job/qwen3-32b-precision-fp8-gsm8k ",
		"merge.yaml":         "Job/qwen3-32b-precision-merge ",
	}
	for p, want := range wantFiles {
		if d.files[p] != want {
			t.Errorf("%s holds %q, want %q", p, d.files[p], want)
		}
	}
	if len(files) != 7 || len(d.jobs) != 7 || len(d.services) != 3 {
		t.Fatalf("%d files, %d jobs, %d services", len(files), len(d.jobs), len(d.services))
	}
	for _, v := range in.Variants {
		name := "qwen3-32b-precision-" + strings.ToLower(v.Name)
		dep, svc := d.deployments[name], d.services[name]
		if dep == nil || svc == nil {
			t.Fatalf("no Deployment or Service %s", name)
		}
		checkServer(t, v, dep, svc)
	}
	for name, job := range d.jobs {
		if strings.HasSuffix(name, "-merge") {
			continue
		}
		checkEvalJob(t, in, job, d.services)
	}
	checkMergeJob(t, d.jobs["qwen3-32b-precision-merge"])
	checkNoSecret(t, files, hfToken, apiKey)
}

func checkServer(t *testing.T, v Variant, dep *appsv1.Deployment, svc *corev1.Service) {
	t.Helper()
	c := dep.Spec.Template.Spec.Containers[0]
	if c.Image != DefaultVLLMImage || !slices.Equal(c.Command, v.Command) || !slices.Equal(c.Args, v.Args) {
		t.Errorf("%s: image %s command %v args %v", dep.Name, c.Image, c.Command, c.Args)
	}
	p := c.ReadinessProbe
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/health" || p.HTTPGet.Port.IntValue() != v.Port || c.LivenessProbe != nil {
		t.Errorf("%s: readiness probe %+v, liveness %+v", dep.Name, p, c.LivenessProbe)
	}
	gpu := c.Resources.Limits[GPUResource]
	req := c.Resources.Requests[GPUResource]
	if gpu.Value() != int64(v.GPUs) || req.Value() != int64(v.GPUs) {
		t.Errorf("%s: GPUs limit %s request %s, want %d", dep.Name, gpu.String(), req.String(), v.GPUs)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if tok := env["HF_TOKEN"]; tok.Value != "" || tok.ValueFrom == nil || tok.ValueFrom.SecretKeyRef.Name != "qwen3-32b-precision-secrets" || tok.ValueFrom.SecretKeyRef.Key != "HF_TOKEN" {
		t.Errorf("%s: HF_TOKEN is %+v, want a reference to the Secret", dep.Name, tok)
	}
	if env["VLLM_ATTENTION_BACKEND"].Value != "TRITON_ATTN" {
		t.Errorf("%s: plain variables lost: %+v", dep.Name, c.Env)
	}
	for k, val := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != val {
			t.Errorf("%s: the Service selects %s=%s, the pods are labelled %q", svc.Name, k, val, dep.Spec.Template.Labels[k])
		}
	}
	if len(svc.Spec.Ports) != 1 || int(svc.Spec.Ports[0].Port) != v.Port || svc.Spec.Ports[0].TargetPort.StrVal != c.Ports[0].Name {
		t.Errorf("%s: ports %+v", svc.Name, svc.Spec.Ports)
	}
}

// argAfter is the value after flag in args.
func argAfter(args []string, flag string) string {
	i := slices.Index(args, flag)
	if i < 0 || i+1 >= len(args) {
		return ""
	}
	return args[i+1]
}

func checkEvalJob(t *testing.T, in Input, job *batchv1.Job, services map[string]*corev1.Service) {
	t.Helper()
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || *s.Completions != 8 || *s.Parallelism != 4 {
		t.Errorf("%s: mode %v completions %v parallelism %v", job.Name, s.CompletionMode, *s.Completions, *s.Parallelism)
	}
	pod := s.Template.Spec
	c := pod.Containers[0]
	if c.Image != DefaultQuantevalImage || c.Command[0] != "quanteval" || c.Args[0] != "run" {
		t.Errorf("%s: runs %s %v %v", job.Name, c.Image, c.Command, c.Args)
	}
	if argAfter(c.Args, "--shard") != "auto" || argAfter(c.Args, "--shard-count") != "8" {
		t.Errorf("%s: shard arguments %v", job.Name, c.Args)
	}
	u, err := url.Parse(argAfter(c.Args, "--base-url"))
	if err != nil {
		t.Fatal(err)
	}
	svc := services[u.Hostname()]
	if svc == nil || u.Port() != fmt.Sprint(svc.Spec.Ports[0].Port) {
		t.Fatalf("%s: --base-url %s names no emitted Service and port", job.Name, u)
	}
	// The pod waits for the server's health path before it runs.
	if init := pod.InitContainers; len(init) != 1 || init[0].Image != c.Image || !slices.Equal(init[0].Args, []string{"wait", "--timeout", waitTimeout, u.String() + "/health"}) {
		t.Errorf("%s: init containers %+v, want quanteval wait on %s/health", job.Name, init, u)
	}
	variant := svc.Labels[labelVariant]
	if job.Labels[labelVariant] != variant {
		t.Errorf("%s: Job of variant %s targets the Service of %s", job.Name, job.Labels[labelVariant], variant)
	}
	model := argAfter(c.Args, "--model")
	for _, v := range in.Variants {
		if strings.ToLower(v.Name) == variant && v.Model != model {
			t.Errorf("%s: --model %s, want %s", job.Name, model, v.Model)
		}
	}
	out := argAfter(c.Args, "--out")
	if !strings.HasPrefix(out, "/results/"+variant+"/") || !strings.HasSuffix(out, ".shard-$("+ShardIndexEnv+")-of-8.json") {
		t.Errorf("%s: --out %s", job.Name, out)
	}
	idx := c.Env[0]
	if idx.Name != ShardIndexEnv || idx.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("%s: index variable %+v", job.Name, idx)
	}
	key := c.Env[len(c.Env)-1]
	if key.Name != "OPENAI_API_KEY" || key.ValueFrom == nil || key.ValueFrom.SecretKeyRef == nil {
		t.Errorf("%s: API key variable %+v", job.Name, key)
	}
	if pod.Volumes[0].PersistentVolumeClaim.ClaimName != "quanteval-results" || c.VolumeMounts[0].MountPath != "/results" {
		t.Errorf("%s: volume %+v mount %+v", job.Name, pod.Volumes, c.VolumeMounts)
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restart policy %s", job.Name, pod.RestartPolicy)
	}
}

func checkMergeJob(t *testing.T, job *batchv1.Job) {
	t.Helper()
	if job == nil {
		t.Fatal("no merge Job")
	}
	steps := append(append([]corev1.Container(nil), job.Spec.Template.Spec.InitContainers...), job.Spec.Template.Spec.Containers...)
	if len(steps) != 3*2+2 {
		t.Fatalf("%d steps, want a merge per variant and eval and a compare per eval", len(steps))
	}
	m := steps[0].Args
	if m[0] != "merge" || argAfter(m, "--out") != "/results/nvfp4/qwen3_32b_accuracy_suite_v1.json" || len(m) != 3+8 ||
		m[3] != "/results/nvfp4/qwen3_32b_accuracy_suite_v1.shard-0-of-8.json" || m[10] != "/results/nvfp4/qwen3_32b_accuracy_suite_v1.shard-7-of-8.json" {
		t.Errorf("first merge: %v", m)
	}
	c := steps[len(steps)-1].Args
	if c[0] != "compare" || argAfter(c, "--ref") != "BF16" || argAfter(c, "--labels") != "NVFP4,FP8,BF16" ||
		c[len(c)-1] != "/results/bf16/gsm8k.json" || argAfter(c, "--out-dir") != "/results/report/gsm8k" {
		t.Errorf("last compare: %v", c)
	}
	names := map[string]bool{}
	for _, s := range steps {
		if names[s.Name] {
			t.Errorf("two steps named %s", s.Name)
		}
		names[s.Name] = true
	}
}

func checkNoSecret(t *testing.T, files []File, secrets ...string) {
	t.Helper()
	for _, f := range files {
		for _, s := range secrets {
			if strings.Contains(string(f.Data), s) {
				t.Errorf("%s contains the secret %q", f.Path, s)
			}
		}
	}
}

func TestTinyPlanObjects(t *testing.T) {
	files := build(t, tinyPlan())
	d := decodeStrict(t, files)
	checkNoSecret(t, files, "pw-SECRET-42")
	dep := d.deployments["tiny-cpu-q4-k-m"]
	if dep == nil || dep.Namespace != "evals" {
		t.Fatalf("deployments %v", d.deployments)
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if c.ReadinessProbe.HTTPGet.Path != "/" || len(c.Resources.Limits) != 0 || len(dep.Spec.Template.Spec.Volumes) != 0 {
		t.Errorf("ollama server: probe %s, resources %v, volumes %v", c.ReadinessProbe.HTTPGet.Path, c.Resources, dep.Spec.Template.Spec.Volumes)
	}
	if e := c.Env[1]; e.Name != "MY_PASS" || e.ValueFrom.SecretKeyRef.Name != "tiny-keys" {
		t.Errorf("explicit secret variable: %+v", e)
	}
	job := d.jobs["tiny-cpu-f32-tinystories"]
	a := job.Spec.Template.Spec.Containers[0].Args
	if *job.Spec.Completions != 1 || argAfter(a, "--base-url") != "http://tiny-cpu-f32.evals.svc:11434" || job.Spec.Template.Spec.Containers[0].Image != "registry.local/quanteval:dev" {
		t.Errorf("job: completions %d args %v", *job.Spec.Completions, a)
	}
	mc := d.jobs["tiny-cpu-merge"].Spec.Template.Spec.Containers[0].Args
	if argAfter(mc, "--ref") != "F32" || mc[len(mc)-1] != "/results/f32/tinystories.json" {
		t.Errorf("compare without a named reference takes the last variant: %v", mc)
	}
}

func TestBuildRefuses(t *testing.T) {
	cases := []struct {
		name string
		edit func(in *Input)
		want string
	}{
		{"loopback host", func(in *Input) { in.Variants[0].Args[2] = "127.0.0.1" }, "variants[0] (NVFP4): --host 127.0.0.1"},
		{"loopback host=", func(in *Input) { in.Variants[1].Args = []string{"--host=localhost"} }, "--host localhost"},
		{"secret argument", func(in *Input) { in.Variants[0].Args = append(in.Variants[0].Args, "--api-key", "abc") }, "carries a secret"},
		{"same name", func(in *Input) { in.Variants[1].Name = "nvfp4" }, `variants "NVFP4" and "nvfp4"`},
		{"no image", func(in *Input) { in.Variants[0].Kind = "sglang" }, `kind "sglang" has no default image`},
		{"external", func(in *Input) { in.Variants[0].Kind, in.Variants[0].Image = "external", "x" }, `kind "external" cannot run`},
		{"no model", func(in *Input) { in.Variants[2].Model = "" }, "variants[2] (BF16): no model"},
		{"no port", func(in *Input) { in.Variants[2].Port = 0 }, "port 0"},
		{"unknown reference", func(in *Input) { in.Reference = "BF17" }, `reference "BF17" is not a variant`},
		{"no claim", func(in *Input) { in.ResultsClaim = "" }, "no PersistentVolumeClaim"},
		{"no name", func(in *Input) { in.Name = "--" }, "no name"},
		{"eval path", func(in *Input) { in.Evals[0].Name = "a/b" }, `name "a/b"`},
		{"no evals", func(in *Input) { in.Evals = nil }, "nothing to run"},
		// A secret value given again where no name rule sees it.
		{"token in a system message", func(in *Input) {
			in.Evals[1].Args = append(slices.Clone(in.Evals[1].Args), "--system", "use "+hfToken)
		}, "evals/nvfp4.yaml would hold the value of the secret HF_TOKEN"},
		{"token in extra_body", func(in *Input) {
			in.Evals[0].Args = append(slices.Clone(in.Evals[0].Args), "--extra-body", `{"auth":"`+hfToken+`"}`)
		}, "the value of the secret HF_TOKEN"},
		{"secret-env value in a label", func(in *Input) {
			in.Variants[0].Env = map[string]string{"MY_CRED": "plain-looking-value-1", "X": "1"}
			in.Variants[0].SecretEnv = []string{"MY_CRED"}
			in.Variants[0].Args = append(in.Variants[0].Args, "--served-model-name", "plain-looking-value-1")
		}, "servers/nvfp4.yaml would hold the value of the secret MY_CRED"},
		{"proxy password", func(in *Input) {
			in.Variants[0].Env = map[string]string{"HTTPS_PROXY": "http://u:proxyPass99@proxy:3128"}
			in.Evals[0].Args = append(slices.Clone(in.Evals[0].Args), "--system", "proxyPass99")
		}, "the value of the secret HTTPS_PROXY"},
		{"environment value", func(in *Input) {
			in.Known = []string{"env-secret-xyz"}
			in.Evals[0].Args = append(slices.Clone(in.Evals[0].Args), "--system", "env-secret-xyz")
		}, "would hold a secret value of the environment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := seedPlan()
			for i := range in.Variants {
				in.Variants[i].Args = slices.Clone(in.Variants[i].Args)
			}
			c.edit(&in)
			_, err := Build(in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
			for _, v := range []string{hfToken, "plain-looking-value-1", "proxyPass99", "env-secret-xyz"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("the error shows the secret %q: %v", v, err)
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"Q4_K_M": "q4-k-m", "BF16": "bf16", "qwen3-32b": "qwen3-32b", "8bit": "q8bit",
		"__x__": "x", "a..b": "a-b", "": "", "++": ""} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	long := objectName(strings.Repeat("a", 40), "variant-one", "gsm8k")
	other := objectName(strings.Repeat("a", 40), "variant-two", "gsm8k")
	if len(long) > maxName || long == other || !strings.HasPrefix(long, strings.Repeat("a", 40)) {
		t.Errorf("long names %q and %q", long, other)
	}
	if objectName("a", "b") != "a-b" {
		t.Error("short names are not cut")
	}
}
