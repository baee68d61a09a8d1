// Package kubetest reads back, for tests, the Kubernetes manifests quanteval emits:
// every document decoded strictly into its API type, so an unknown or misspelt field
// fails the test.
package kubetest

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Doc is one decoded document: its text and the typed object (*appsv1.Deployment,
// *corev1.Service or *batchv1.Job).
type Doc struct {
	Text   string
	Kind   string
	Object any
}

// Decode decodes every document of data (a file named name, documents separated by
// "\n---\n") strictly into its type; any other kind, or an unknown field, fails tb.
func Decode(tb testing.TB, name string, data []byte) []Doc {
	tb.Helper()
	var docs []Doc
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			obj = &appsv1.Deployment{}
		case "v1 Service":
			obj = &corev1.Service{}
		case "batch/v1 Job":
			obj = &batchv1.Job{}
		default:
			tb.Fatalf("%s: unexpected object %q", name, tm.APIVersion+" "+tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			tb.Fatalf("%s: strict decoding of a %s: %v", name, tm.Kind, err)
		}
		docs = append(docs, Doc{Text: doc, Kind: tm.Kind, Object: obj})
	}
	return docs
}
