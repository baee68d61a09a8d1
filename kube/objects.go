package kube

import (
	"bytes"
	"fmt"
	"path"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Labels every object carries.
const (
	labelName     = "app.kubernetes.io/name"
	labelInstance = "app.kubernetes.io/instance"
	labelPartOf   = "app.kubernetes.io/part-of"
	labelStage    = "quanteval.dev/stage" // server, eval or merge
	labelVariant  = "quanteval.dev/variant"
	labelEval     = "quanteval.dev/eval"
	labelReplica  = "quanteval.dev/replica" // a variant's server, when it has several
)

// GPUResource is the resource name of NVIDIA's device plugin.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// ShardIndexEnv holds the pod's completion index in the eval Jobs, from the Job's
// annotation through the downward API, for the --out path.
const ShardIndexEnv = "QUANTEVAL_SHARD_INDEX"

const (
	resultsVolume = "results"
	nonRootUID    = 65532 // distroless's nonroot user
)

func labels(in input, stage string, kv ...string) map[string]string {
	l := map[string]string{labelName: "quanteval", labelPartOf: "quanteval", labelInstance: labelValue(in.name), labelStage: stage}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = labelValue(kv[i+1])
	}
	return l
}

func meta(in input, name string, l map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: in.Namespace, Labels: l}
}

func ptr[T any](v T) *T { return &v }

// serverEnv is the server's environment: plain values, then the secret ones as
// references to the Secret.
func serverEnv(in input, v variant) []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, n := range v.plain {
		env = append(env, corev1.EnvVar{Name: n, Value: v.Env[n]})
	}
	return append(env, secretEnv(in.Secret, v.secrets)...)
}

func secretEnv(secret string, names []string) []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, n := range names {
		env = append(env, corev1.EnvVar{Name: n, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: n}}})
	}
	return env
}

// pod is one server of a variant: its object name, its replica label (none when
// the variant has one server) and its GPUs.
type pod struct {
	object  string
	replica string
	gpus    int
}

// pods are variant v's servers: one, or one per replica.
func (v variant) pods() []pod {
	if len(v.Replicas) == 0 {
		return []pod{{object: v.object, gpus: v.GPUs}}
	}
	out := make([]pod, len(v.Replicas))
	for i, r := range v.Replicas {
		out[i] = pod{object: objectName(v.object, fmt.Sprintf("r%d", i)), replica: strconv.Itoa(i), gpus: r.GPUs}
	}
	return out
}

// serverLabels select the pods of one server of v.
func serverLabels(in input, v variant, p pod) map[string]string {
	if p.replica == "" {
		return labels(in, "server", labelVariant, v.Name)
	}
	return labels(in, "server", labelVariant, v.Name, labelReplica, p.replica)
}

func deployment(in input, v variant, p pod) *appsv1.Deployment {
	sel := serverLabels(in, v, p)
	c := corev1.Container{
		Name:    "server",
		Image:   v.Image,
		Command: v.Command,
		Args:    v.Args,
		Env:     serverEnv(in, v),
		Ports:   []corev1.ContainerPort{{Name: "http", ContainerPort: int32(v.Port), Protocol: corev1.ProtocolTCP}},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: v.HealthPath, Port: intstr.FromInt32(int32(v.Port))}},
			PeriodSeconds:    10,
			TimeoutSeconds:   5,
			FailureThreshold: 3,
		},
	}
	if p.gpus > 0 {
		q := resource.MustParse(strconv.Itoa(p.gpus))
		c.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{GPUResource: q}, Limits: corev1.ResourceList{GPUResource: q}}
	}
	pod := corev1.PodSpec{Containers: []corev1.Container{c}}
	if v.Kind == "vllm" || v.Kind == "sglang" {
		pod.Volumes = []corev1.Volume{{Name: "dshm", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}}}
		pod.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "dshm", MountPath: "/dev/shm"}}
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(in, p.object, sel),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			// One server per variant: a rolling update would want a second set of GPUs.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel}, Spec: pod},
		},
	}
}

func service(in input, v variant, p pod) *corev1.Service {
	sel := serverLabels(in, v, p)
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(in, p.object, sel),
		Spec: corev1.ServiceSpec{
			Selector: sel,
			Ports:    []corev1.ServicePort{{Name: "http", Port: int32(v.Port), TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// waitTimeout bounds the eval pods' wait for their servers (a large model's first
// download and load included); a pod that times out fails and is retried.
const waitTimeout = "2h"

// healthURLs are the health paths of variant v's Services, which the eval Jobs'
// init container waits for (quanteval wait).
func (v variant) healthURLs(in input) []string {
	var urls []string
	for i, a := range v.baseURLArgs(in) {
		if i%2 == 1 {
			urls = append(urls, a+v.HealthPath)
		}
	}
	return urls
}

// baseURLArgs are the --base-url flags of the Services the Jobs reach variant v's
// servers at, one per server.
func (v variant) baseURLArgs(in input) []string {
	var args []string
	for _, p := range v.pods() {
		host := p.object
		if in.Namespace != "" {
			host += "." + in.Namespace + ".svc"
		}
		args = append(args, "--base-url", fmt.Sprintf("http://%s:%d", host, v.Port))
	}
	return args
}

// shardPath is the result file of shard index (a number or $(VAR)) of eval e on v.
func shardPath(in input, v variant, e eval, index string) string {
	return path.Join(in.ResultsDir, v.slug, fmt.Sprintf("%s.shard-%s-of-%d.json", e.Name, index, in.Shards))
}

func mergedPath(in input, v variant, e eval) string {
	return path.Join(in.ResultsDir, v.slug, e.Name+".json")
}

func evalJob(in input, v variant, e eval) *batchv1.Job {
	l := labels(in, "eval", labelVariant, v.Name, labelEval, e.Name)
	args := append([]string{"run", "--shard", "auto", "--shard-count", strconv.Itoa(in.Shards)}, v.baseURLArgs(in)...)
	args = append(args, "--model", v.Model,
		"--out", shardPath(in, v, e, "$("+ShardIndexEnv+")"), "--resume", "--quiet")
	args = append(args, e.Args...)
	env := append([]corev1.EnvVar{
		{Name: ShardIndexEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			FieldPath: "metadata.annotations['" + batchv1.JobCompletionIndexAnnotation + "']"}}},
		{Name: "HF_HOME", Value: path.Join(in.ResultsDir, ".cache", "huggingface")},
	}, secretEnv(in.Secret, in.JobSecretEnv)...)
	c := quantevalContainer(in, "run", args, env)
	wait := quantevalContainer(in, "wait-for-servers", append([]string{"wait", "--timeout", waitTimeout}, v.healthURLs(in)...), nil)
	wait.VolumeMounts = nil
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta(in, objectName(in.name, v.slug, e.slug), l),
		Spec: batchv1.JobSpec{
			CompletionMode: ptr(batchv1.IndexedCompletion),
			Completions:    ptr(int32(in.Shards)),
			Parallelism:    ptr(int32(in.Parallelism)),
			// Each shard may fail three times; one that still fails fails the Job
			// once the other shards have ended (their results are kept).
			BackoffLimitPerIndex: ptr(int32(3)),
			Template:             jobPod(in, l, []corev1.Container{wait}, c),
		},
	}
}

func quantevalContainer(in input, name string, args []string, env []corev1.EnvVar) corev1.Container {
	return corev1.Container{
		Name:         name,
		Image:        in.QuantevalImage,
		Command:      []string{"quanteval"},
		Args:         args,
		Env:          env,
		VolumeMounts: []corev1.VolumeMount{{Name: resultsVolume, MountPath: in.ResultsDir}},
	}
}

func jobPod(in input, l map[string]string, init []corev1.Container, main corev1.Container) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: l},
		Spec: corev1.PodSpec{
			RestartPolicy:  corev1.RestartPolicyNever,
			InitContainers: init,
			Containers:     []corev1.Container{main},
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(nonRootUID)),
				RunAsGroup: ptr(int64(nonRootUID)), FSGroup: ptr(int64(nonRootUID))},
			Volumes: []corev1.Volume{{Name: resultsVolume, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: in.ResultsClaim}}}},
		},
	}
}

// mergeJob merges every variant's shards of every eval, then compares the
// variants of each eval against the reference.
func mergeJob(in input) *batchv1.Job {
	var steps []corev1.Container
	for _, e := range in.evals {
		for _, v := range in.variants {
			args := []string{"merge", "--out", mergedPath(in, v, e)}
			for i := 0; i < in.Shards; i++ {
				args = append(args, shardPath(in, v, e, strconv.Itoa(i)))
			}
			steps = append(steps, quantevalContainer(in, objectName("merge", v.slug, e.slug), args, nil))
		}
	}
	for _, e := range in.evals {
		// The reference goes last, where compare expects it by default.
		var files, names []string
		order := append(append([]variant(nil), in.variants[:in.ref]...), in.variants[in.ref+1:]...)
		for _, v := range append(order, in.variants[in.ref]) {
			files, names = append(files, mergedPath(in, v, e)), append(names, v.Name)
		}
		args := []string{"compare", "--ref", in.variants[in.ref].Name, "--labels", join(names),
			"--out-dir", path.Join(in.ResultsDir, "report", e.Name)}
		steps = append(steps, quantevalContainer(in, objectName("compare", e.slug), append(args, files...), nil))
	}
	l := labels(in, "merge")
	main := steps[len(steps)-1]
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta(in, objectName(in.name, "merge"), l),
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr(int32(0)), // a merge that fails says why; running it again changes nothing
			Template:     jobPod(in, l, steps[:len(steps)-1], main),
		},
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}

// marshalAll writes objects as one YAML stream, documents separated by "---".
func marshalAll(objects []any) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objects {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
