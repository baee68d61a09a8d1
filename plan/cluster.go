package plan

import (
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/internal/yamltree"
	"github.com/quanteval/quanteval/shard"
)

// Keys for running a plan elsewhere than on this machine (`quanteval matrix
// --emit kubernetes`); a local `matrix` run reads and checks them but does not use
// them:
//   - image: (server or variant) the container image of the inference server; kind
//     vllm defaults to vLLM's official OpenAI-server image (package kube).
//   - gpus: (variant) how many GPUs the variant's server needs, 1 or more; not
//     given: one for vllm and sglang, none for the others.
//   - quanteval_image: (top level) the image the Jobs run quanteval in.
//   - kubernetes: (top level) the cluster's side: the results volume, the shards,
//     the Secret; see Kubernetes.

// Kubernetes is the `kubernetes:` block of a plan. Zero values take the defaults
// given in the comments (package kube applies them).
type Kubernetes struct {
	Namespace    string `json:"namespace,omitempty"`     // kubectl's current namespace
	ResultsClaim string `json:"results_claim,omitempty"` // quanteval-results (examples/kubernetes/pvc.yaml)
	ResultsDir   string `json:"results_dir,omitempty"`   // /results: where the Jobs mount it
	Shards       int    `json:"shards,omitempty"`        // 1: pods (Indexed Job completions) per eval
	Parallelism  int    `json:"parallelism,omitempty"`   // shards: pods of one eval at a time
	Secret       string `json:"secret,omitempty"`        // NAME-secrets: the Secret of secret variables
	// SecretEnv names the servers' variables taken from the Secret (key = the
	// variable's name), besides those whose names are secrets (HF_TOKEN, ...).
	SecretEnv []string `json:"secret_env,omitempty"`
	// JobSecretEnv names variables the eval Jobs take from the Secret, besides the
	// api_key_env an eval gives.
	JobSecretEnv []string `json:"job_secret_env,omitempty"`
}

var kubernetesKeys = []string{"namespace", "results_claim", "results_dir", "shards", "parallelism", "secret", "secret_env", "job_secret_env"}

// dnsName is a Kubernetes object name (RFC 1123 subdomain, kept to one label).
var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (d *decoder) kubernetes(n *yaml.Node, key string) *Kubernetes {
	k := &Kubernetes{}
	d.Fields(n, key, kubernetesKeys, func(name string, _, v *yaml.Node) {
		full := yamltree.Join(key, name)
		switch name {
		case "namespace":
			k.Namespace = d.objectName(v, full)
		case "results_claim":
			k.ResultsClaim = d.objectName(v, full)
		case "secret":
			k.Secret = d.objectName(v, full)
		case "results_dir":
			k.ResultsDir = d.Str(v, full)
			if !path.IsAbs(k.ResultsDir) || path.Clean(k.ResultsDir) == "/" {
				d.Fail(v, full, "%q: want an absolute path other than /", k.ResultsDir)
			}
		case "shards":
			k.Shards = d.Integer(v, full, 1)
			if k.Shards > shard.MaxCount {
				d.Fail(v, full, "%d: at most %d", k.Shards, shard.MaxCount)
			}
		case "parallelism":
			k.Parallelism = d.Integer(v, full, 1)
		case "secret_env":
			k.SecretEnv = d.envNames(v, full)
		case "job_secret_env":
			k.JobSecretEnv = d.envNames(v, full)
		}
	})
	return k
}

// objectName reads a Kubernetes object name.
func (d *decoder) objectName(n *yaml.Node, key string) string {
	s := d.Str(n, key)
	if s != "" && (len(s) > 63 || !dnsName.MatchString(s)) {
		d.Fail(n, key, "%q is not a Kubernetes name (lower-case letters, digits and -, at most 63)", s)
	}
	return s
}

func (d *decoder) envNames(n *yaml.Node, key string) []string {
	if n.Kind != yaml.SequenceNode {
		d.Fail(n, key, "want a list of variable names, got %s", yamltree.Describe(n))
		return nil
	}
	names := d.Words(n, key)
	for i, s := range names {
		if !envName.MatchString(s) {
			d.Fail(n.Content[i], key, "%q is not a variable name", s)
		}
	}
	return names
}

// image reads a container image reference.
func (d *decoder) image(n *yaml.Node, key string) string {
	s := d.Str(n, key)
	if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t\n") {
		d.Fail(n, key, "%q is not an image reference (e.g. vllm/vllm-openai:v0.11.0)", s)
	}
	return s
}
