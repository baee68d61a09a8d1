// Package kube owns the Kubernetes form of a test plan (`quanteval matrix PLAN
// --emit kubernetes`): a Deployment and a Service per variant running its
// inference server, an Indexed Job per variant and eval running the shards of
// `quanteval run` against that Service, and one final Job that merges the shards
// and runs `compare`. The objects are the Kubernetes API's own Go types
// (k8s.io/api), serialised with sigs.k8s.io/yaml; nothing is a text template.
//
// Decisions:
//   - Files by stage, so that `kubectl apply` can follow the order the cycle
//     needs (no Job may start before its server is ready, and the merge needs
//     every shard): servers/VARIANT.yaml (Deployment + Service),
//     evals/VARIANT.yaml (one Indexed Job per eval), merge.yaml (the final Job).
//     Kubernetes has no dependencies between objects: each eval pod's init
//     container runs `quanteval wait` on its servers' health paths (up to 2 h),
//     so that applying everything at once works too; the README's cycle still
//     waits between stages with `kubectl wait`, which shows where it stands.
//   - Secrets are never written: a variable named in SecretEnv, or whose name
//     redact.IsSecret recognises (HF_TOKEN, *_API_KEY, ...), becomes a
//     valueFrom.secretKeyRef to the Secret named in Input.Secret (key = the
//     variable's name), whatever value the plan gave it. A secret on a server's
//     command line is refused: it would be written into the Deployment.
//   - Names: a Kubernetes name is lower case letters, digits and '-', so
//     "Q4_K_M" becomes "q4-k-m"; objects are PLAN-VARIANT (Service,
//     Deployment) and PLAN-VARIANT-EVAL (Job), cut to 52 characters with a hash
//     suffix when longer (Job pods add a suffix of their own). Two variants whose
//     names clash after this are an error.
//   - A variant with replicas gets one Deployment and one Service per replica
//     (PLAN-VARIANT-r0, -r1, ...: each with its GPUs, all on the variant's port),
//     not one Deployment of N pods behind one Service: the Jobs' client then sees
//     each server apart, so that --concurrency is per replica, a failing replica
//     is backed off and each record names its server, as in a local run. The
//     Jobs get one --base-url per replica's Service.
//   - A server must listen on all addresses to be reached through its Service: a
//     --host of 127.0.0.1 or localhost (or OLLAMA_HOST on one) is refused.
//   - Readiness probe on the kind's health path (vLLM, SGLang, llama-server
//     /health; Ollama /), every 10 s; no liveness probe, which would kill a server
//     still loading a large model. vLLM and SGLang get a memory-backed /dev/shm
//     (tensor parallelism needs more than the runtime's 64 MB).
//   - GPUs: nvidia.com/gpu in both requests and limits (an extended resource
//     must have them equal).
//   - Shards: each Job's pod k runs `quanteval run --shard auto --shard-count N`
//     (the Job sets JOB_COMPLETION_INDEX) and writes
//     RESULTS/VARIANT/EVAL.shard-K-of-N.json on the shared volume (a
//     PersistentVolumeClaim that every node can mount: ReadWriteMany). K comes from
//     the completion-index annotation through the downward API, so the path needs
//     no shell. Each pod runs with --resume: a pod retried after a failure or an
//     eviction continues from the journal its earlier attempt left on the volume
//     (the shard is in the journal's fingerprint, so no other shard's is taken).
//     The Jobs run as the image's non-root user, with fsGroup 65532 so
//     the volume is writable. HF_HOME is on the volume: a hub data set is
//     downloaded once, not once per pod.
//   - The merge Job runs each `quanteval merge` as an init container (they run
//     one after the other, and the image has no shell), then every `compare`
//     (reports under RESULTS/report/EVAL), the last one as its main container.
package kube

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/quanteval/quanteval/redact"
)

// Default images.
const (
	// DefaultVLLMImage is vLLM's official OpenAI-compatible server image, pinned.
	DefaultVLLMImage = "vllm/vllm-openai:v0.11.0"
	// DefaultQuantevalImage runs the Jobs (plan key quanteval_image).
	DefaultQuantevalImage = "ghcr.io/quanteval/quanteval:latest"
	// DefaultResultsDir is where the Jobs mount the results volume.
	DefaultResultsDir = "/results"
)

// Input is what the manifests are built from; the matrix command maps a plan onto
// it. Zero values take the defaults in the comments.
type Input struct {
	Name           string    // the plan's name: the prefix of every object name (required)
	Namespace      string    // metadata.namespace (none: kubectl's current one)
	QuantevalImage string    // DefaultQuantevalImage
	ResultsClaim   string    // the PersistentVolumeClaim of the results (required)
	ResultsDir     string    // DefaultResultsDir: where it is mounted
	Secret         string    // the Secret holding secret variables (PLAN-secrets)
	Variants       []Variant // in plan order
	Evals          []Eval    // run on every variant
	Shards         int       // 1: Job completions per eval
	Parallelism    int       // Shards: pods of one Job at a time
	Reference      string    // the reference variant's name, for compare --ref (the last variant)
	// JobSecretEnv names variables the Jobs take from the Secret (e.g. the API
	// key an eval's --api-key-env names).
	JobSecretEnv []string
	// Known are further secret values (e.g. those of the environment the plan is
	// emitted from): no file may hold one.
	Known []string
}

// Variant is one inference server.
type Variant struct {
	Name    string            // the plan's variant name (required)
	Kind    string            // vllm, sglang, llama-server, ollama
	Model   string            // the served model, passed to run --model (required)
	Image   string            // the server image (DefaultVLLMImage for kind vllm; required otherwise)
	Command []string          // the container command (the image's entrypoint when empty)
	Args    []string          // its arguments, model, host 0.0.0.0 and port included
	Env     map[string]string // plain variables; secret names are taken from the Secret instead
	// SecretEnv names further variables taken from the Secret.
	SecretEnv  []string
	GPUs       int    // nvidia.com/gpu (0: none)
	Port       int    // the port the server listens on (required)
	HealthPath string // the kind's health path when empty
	// Replicas, when given, are the variant's servers: each its own Deployment
	// and Service (PLAN-VARIANT-rI) with its GPUs (GPUs is then unused), and the
	// eval Jobs spread their requests over them (--base-url once per replica).
	Replicas []Replica
}

// Replica is one of a variant's servers.
type Replica struct {
	GPUs int // nvidia.com/gpu (0: none)
}

// Eval is one `quanteval run` per variant.
type Eval struct {
	Name string   // the result name: RESULTS/VARIANT/NAME.json (required)
	Args []string // run's other flags, e.g. --evalset gsm8k --max-tokens 1024
}

// File is one emitted file: its path relative to the output folder, its objects
// and their YAML.
type File struct {
	Path    string
	Objects []any
	Data    []byte
}

// healthPaths are the readiness paths by server kind (as package server probes).
var healthPaths = map[string]string{"vllm": "/health", "sglang": "/health", "llama-server": "/health", "ollama": "/"}

// Build checks in and returns the files, in the order they are applied.
func Build(spec Input) ([]File, error) {
	in, err := normalise(spec)
	if err != nil {
		return nil, err
	}
	var files []File
	for _, v := range in.variants {
		var objs []any
		for _, p := range v.pods() {
			objs = append(objs, deployment(in, v, p), service(in, v, p))
		}
		files = append(files, File{Path: "servers/" + v.slug + ".yaml", Objects: objs})
	}
	for _, v := range in.variants {
		var jobs []any
		for _, e := range in.evals {
			jobs = append(jobs, evalJob(in, v, e))
		}
		files = append(files, File{Path: "evals/" + v.slug + ".yaml", Objects: jobs})
	}
	files = append(files, File{Path: "merge.yaml", Objects: []any{mergeJob(in)}})
	for i := range files {
		if files[i].Data, err = marshalAll(files[i].Objects); err != nil {
			return nil, fmt.Errorf("kube: %s: %w", files[i].Path, err)
		}
	}
	if err := checkLeaks(in, files); err != nil {
		return nil, err
	}
	return files, nil
}

// checkLeaks refuses files that would hold a secret value, wherever it came from:
// a secret variable's value given again in an eval's system message or extra
// body, in a server argument of a form the name rules do not know, in a label.
// The error names the file and the variable, never the value.
func checkLeaks(in input, files []File) error {
	type secret struct{ name, value string }
	var known []secret
	add := func(name string, values ...string) {
		for _, v := range values {
			if v = strings.TrimSpace(v); len(v) >= redact.MinLen {
				known = append(known, secret{name, v})
			}
		}
	}
	for _, v := range in.variants {
		names := make([]string, 0, len(v.Env))
		for name := range v.Env {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			val := v.Env[name]
			if isSecret(name) || slices.Contains(v.SecretEnv, name) {
				add(name, val)
			}
			add(name, redact.FromEnv(map[string]string{name: val})...)
		}
	}
	add("", in.Known...)
	for _, f := range files {
		for _, s := range known {
			q, _ := json.Marshal(s.value)
			if !bytes.Contains(f.Data, []byte(s.value)) && !bytes.Contains(f.Data, q[1:len(q)-1]) {
				continue
			}
			what := "a secret value of the environment"
			if s.name != "" {
				what = "the value of the secret " + s.name
			}
			return fmt.Errorf("kube: %s would hold %s, carried by an eval's system or extra_body or by an argument: take it out of the plan; pods get secrets from the Secret %s", f.Path, what, in.Secret)
		}
	}
	return nil
}

// Write writes files under dir, replacing files of the same names.
func Write(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("kube: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("kube: %w", err)
		}
	}
	return nil
}

// input is Input checked, with defaults and object names.
type input struct {
	Input
	name     string // the plan's name as a Kubernetes name
	variants []variant
	evals    []eval
	ref      int // index of the reference variant
}

type variant struct {
	Variant
	slug    string // the variant's name as a Kubernetes name
	object  string // Deployment and Service name
	secrets []string
	plain   []string // names of plain variables, sorted
}

type eval struct {
	Eval
	slug string
}

func normalise(in Input) (input, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("kube: "+format, a...)) }
	out := input{Input: in, name: slug(in.Name)}
	if out.name == "" {
		bad("the plan has no name")
	}
	if in.ResultsClaim == "" {
		bad("no PersistentVolumeClaim for the results (the Jobs write their shards there)")
	}
	if len(in.Variants) == 0 || len(in.Evals) == 0 {
		bad("no variants or no evals: nothing to run")
	}
	if in.Shards < 0 || in.Parallelism < 0 {
		bad("shards %d, parallelism %d: want 1 or more", in.Shards, in.Parallelism)
	}
	out.Shards = max(in.Shards, 1)
	if in.Parallelism == 0 {
		out.Parallelism = out.Shards
	}
	if out.QuantevalImage == "" {
		out.QuantevalImage = DefaultQuantevalImage
	}
	if out.ResultsDir == "" {
		out.ResultsDir = DefaultResultsDir
	}
	if out.Secret == "" {
		out.Secret = out.name + "-secrets"
	}
	seen := map[string]string{}
	for i, v := range in.Variants {
		nv, err := normaliseVariant(out.name, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("kube: variants[%d] (%s): %w", i, v.Name, err))
			continue
		}
		if other, dup := seen[nv.slug]; dup {
			bad("variants %q and %q have the same Kubernetes name %q", other, v.Name, nv.slug)
		}
		seen[nv.slug] = v.Name
		out.variants = append(out.variants, nv)
	}
	seenEval := map[string]string{}
	for i, e := range in.Evals {
		s := slug(e.Name)
		if s == "" || strings.ContainsAny(e.Name, `/\`) {
			bad("evals[%d]: name %q: want a file name", i, e.Name)
			continue
		}
		if other, dup := seenEval[s]; dup {
			bad("evals %q and %q have the same Kubernetes name %q", other, e.Name, s)
		}
		seenEval[s] = e.Name
		out.evals = append(out.evals, eval{Eval: e, slug: s})
	}
	out.ref = len(out.variants) - 1
	if in.Reference != "" {
		out.ref = -1
		for i, v := range out.variants {
			if v.Name == in.Reference {
				out.ref = i
			}
		}
		if out.ref < 0 && len(errs) == 0 {
			bad("reference %q is not a variant", in.Reference)
		}
	}
	return out, errors.Join(errs...)
}

func normaliseVariant(plan string, v Variant) (variant, error) {
	nv := variant{Variant: v, slug: slug(v.Name)}
	switch {
	case nv.slug == "":
		return nv, errors.New("no name")
	case v.Model == "":
		return nv, errors.New("no model")
	case v.Port < 1 || v.Port > 65535:
		return nv, fmt.Errorf("port %d: want 1 to 65535", v.Port)
	case v.GPUs < 0:
		return nv, fmt.Errorf("gpus %d: want 0 or more", v.GPUs)
	}
	for i, r := range v.Replicas {
		if r.GPUs < 0 {
			return nv, fmt.Errorf("replicas[%d]: gpus %d: want 0 or more", i, r.GPUs)
		}
	}
	nv.object = objectName(plan, nv.slug)
	if nv.Image == "" && nv.Kind == "vllm" {
		nv.Image = DefaultVLLMImage
	}
	if nv.Image == "" {
		return nv, fmt.Errorf("kind %q has no default image: give image:", nv.Kind)
	}
	if nv.HealthPath == "" {
		p, ok := healthPaths[nv.Kind]
		if !ok {
			return nv, fmt.Errorf("kind %q cannot run on Kubernetes (no server to start, or no health path)", nv.Kind)
		}
		nv.HealthPath = p
	}
	if err := checkArgs(v); err != nil {
		return nv, err
	}
	secret := map[string]bool{}
	for _, n := range v.SecretEnv {
		secret[n] = true
	}
	for n := range v.Env {
		if isSecret(n) {
			secret[n] = true
		}
	}
	for n := range v.Env {
		if !secret[n] {
			nv.plain = append(nv.plain, n)
		}
	}
	for n := range secret {
		nv.secrets = append(nv.secrets, n)
	}
	sort.Strings(nv.plain)
	sort.Strings(nv.secrets)
	return nv, nil
}
