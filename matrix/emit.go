package matrix

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/kube"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/server"
)

// Emitting a plan for Kubernetes (`matrix PLAN --emit kubernetes --out-dir DIR`):
// the plan is mapped onto kube.Input and nothing is started.
//
// Decisions:
//   - The server's command line is the one a local run would start (server.Spec's
//     Argv), with the host 0.0.0.0: in a pod the server must be reached through its
//     Service. A --host in the plan's args is refused by package kube.
//   - CUDA_VISIBLE_DEVICES is dropped from the server's environment: the device
//     plugin gives the container its GPUs (gpus:, default one for vllm and
//     sglang), numbered from 0. Ollama's OLLAMA_MODELS (a folder of this machine)
//     is dropped too.
//   - A variable whose value is a secret by its form (a URL with a password, a
//     bearer token: redact's rules) is taken from the Secret, like one whose name
//     is a secret (package kube): its value is never written.
//   - What cannot run in a cluster is refused, naming the variant or eval: kind
//     external (no server to run), prepare commands (they run beside a local
//     server), and a relative path to an eval set or few-shot file (it is not in
//     the Job's pod: put the file on the results volume and give its absolute
//     path).
//   - Each eval's Job runs `quanteval run` with the settings the plan gives, as
//     flags; the Jobs take from the Secret the variables of kubernetes.job_secret_env
//     and the api_key_env an eval gives.
//   - A variant's replicas become one Deployment and Service each (package kube),
//     with the replica's gpus (1 by default), all on the first replica's port: each
//     pod has an address of its own, so the other replicas' ports are not needed.
//   - --only selects variants as it does for a run; the reference is kept for
//     compare when it is selected, else the last selected variant is the reference.

// DefaultResultsClaim is the PersistentVolumeClaim of the results when the plan
// names none: the one examples/kubernetes/pvc.yaml creates.
const DefaultResultsClaim = "quanteval-results"

// KubeInput maps plan p, restricted to the variants named in only (all when
// empty), onto the input of kube.Build.
func KubeInput(p *plan.Plan, only []string) (kube.Input, error) {
	variants, err := Select(p, only)
	if err != nil {
		return kube.Input{}, err
	}
	k := plan.Kubernetes{}
	if p.Kubernetes != nil {
		k = *p.Kubernetes
	}
	in := kube.Input{Name: p.Name, Namespace: k.Namespace, QuantevalImage: p.QuantevalImage, ResultsClaim: k.ResultsClaim,
		ResultsDir: k.ResultsDir, Secret: k.Secret, Shards: k.Shards, Parallelism: k.Parallelism,
		JobSecretEnv: slices.Clone(k.JobSecretEnv), Known: redact.FromEnviron(os.Environ())}
	if in.ResultsClaim == "" {
		in.ResultsClaim = DefaultResultsClaim
	}
	var errs []error
	for i := range variants {
		v, err := kubeVariant(&variants[i], k.SecretEnv)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: variant %s: %w", p.File, variants[i].Line, variants[i].Name, err))
			continue
		}
		in.Variants = append(in.Variants, v)
		if variants[i].Reference {
			in.Reference = variants[i].Name
		}
	}
	for _, e := range p.Evals {
		ke, err := kubeEval(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: eval %s: %w", p.File, e.Line, e.Name, err))
			continue
		}
		in.Evals = append(in.Evals, ke)
		if slices.Contains(e.Given, "api-key-env") && e.APIKeyEnv != "" && !slices.Contains(in.JobSecretEnv, e.APIKeyEnv) {
			in.JobSecretEnv = append(in.JobSecretEnv, e.APIKeyEnv)
		}
	}
	return in, errors.Join(errs...)
}

// BuildKubernetes builds the manifests of plan p (see KubeInput); errors name the
// plan's file.
func BuildKubernetes(p *plan.Plan, only []string) ([]kube.File, error) {
	in, err := KubeInput(p, only)
	if err != nil {
		return nil, err
	}
	files, err := kube.Build(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.File, err)
	}
	return files, nil
}

// EmitKubernetes builds the manifests of plan p (BuildKubernetes) and writes them
// under dir; it returns the files written.
func EmitKubernetes(p *plan.Plan, only []string, dir string) ([]kube.File, error) {
	files, err := BuildKubernetes(p, only)
	if err != nil {
		return nil, err
	}
	return files, kube.Write(dir, files)
}

func kubeVariant(v *plan.Variant, secretEnv []string) (kube.Variant, error) {
	s := v.Server
	switch {
	case s.Kind == server.KindExternal:
		return kube.Variant{}, errors.New("kind external: there is no server to run in the cluster")
	case len(v.Prepare) > 0:
		return kube.Variant{}, errors.New("prepare commands run beside a local server and cannot run on Kubernetes: bake their effect into the image")
	}
	spec := v.Spec("")
	spec.Host = "0.0.0.0"
	if len(v.Replicas) > 0 {
		spec.Port = v.Replicas[0].Port // every replica's pod listens on the first's
	}
	argv, err := spec.Argv()
	if err != nil {
		return kube.Variant{}, err
	}
	n := len(s.Command)
	if n == 0 || len(argv) < n || !slices.Equal(argv[:n], s.Command) {
		return kube.Variant{}, fmt.Errorf("server: command line %q does not start with the command %q", argv, s.Command)
	}
	env := spec.AddedEnv()
	delete(env, "CUDA_VISIBLE_DEVICES")
	if s.Kind == server.KindOllama {
		delete(env, "OLLAMA_MODELS")
	}
	// A value that is a secret by its form (a URL's password, a bearer token)
	// under a plain name comes from the Secret too, as a secret name's does.
	secretEnv = slices.Clone(secretEnv)
	red := redact.Env(env)
	for name, val := range env {
		if red[name] != val && !slices.Contains(secretEnv, name) {
			secretEnv = append(secretEnv, name)
		}
	}
	slices.Sort(secretEnv)
	gpus := v.GPUs
	if gpus == 0 && (s.Kind == server.KindVLLM || s.Kind == server.KindSGLang) {
		gpus = 1
	}
	var replicas []kube.Replica
	for _, r := range v.Replicas {
		replicas = append(replicas, kube.Replica{GPUs: r.GPUCount()})
	}
	return kube.Variant{Name: v.Name, Kind: s.Kind, Model: v.Model, Image: s.Image, Command: slices.Clone(s.Command),
		Args: argv[n:], Env: env, SecretEnv: secretEnv, GPUs: gpus, Port: spec.Port, Replicas: replicas}, nil
}

// kubeEval is eval e as the flags of `quanteval run` it gives.
func kubeEval(e plan.Eval) (kube.Eval, error) {
	for _, f := range []struct{ key, path string }{{"evalset", e.Evalset}, {"fewshot_file", e.FewshotFile}} {
		if localRelative(f.path) {
			return kube.Eval{}, fmt.Errorf("%s %s: a relative path is not in the Job's pod: put the file on the results volume and give its absolute path", f.key, f.path)
		}
	}
	ke := kube.Eval{Name: e.Name}
	for _, flag := range e.Given {
		s := eval.Lookup(flag)
		text := s.Format(e.Options)
		if s.Kind() == eval.Bool {
			ke.Args = append(ke.Args, "--"+flag+"="+text)
			continue
		}
		ke.Args = append(ke.Args, "--"+flag, text)
	}
	return ke, nil
}

// localRelative reports an eval-set spec or file that is a relative path to a
// file of this machine.
func localRelative(spec string) bool {
	if spec == "" || path.IsAbs(spec) || strings.HasPrefix(spec, "builtin:") || strings.HasPrefix(spec, "hf:") {
		return false
	}
	for _, ext := range []string{".jsonl", ".json", ".parquet", ".csv"} {
		if strings.HasSuffix(strings.ToLower(spec), ext) {
			return true
		}
	}
	return false
}
