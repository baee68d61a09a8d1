package plan

import (
	"reflect"
	"strings"
	"testing"
)

func TestNodeGPUs(t *testing.T) {
	for _, tc := range []struct {
		name, src   string
		devices     []string
		gpus, ports []int
		maxParallel int
	}{
		{"count", "gpus: 4\nvariants:\n  - {name: a, model: m}\n  - {name: b, model: m, gpus: 2}\n  - {name: c, model: m, port: 9100}\n",
			[]string{"0", "1", "2", "3"}, []int{1, 2, 1}, []int{8000, 8001, 9100}, 0},
		{"list", "gpus: [2, 3, MIG-4a1b2c3d-0000-1111-2222-333344445555]\nmax_parallel: 2\nserver: {port: 7000}\nvariants:\n  - {name: a, model: m}\n  - {name: b, model: m}\n  - {name: x, model: m, kind: external, base_url: \"http://h:1\"}\n",
			[]string{"2", "3", "MIG-4a1b2c3d-0000-1111-2222-333344445555"}, []int{1, 1, 0}, []int{7000, 7001, 0}, 2},
		{"none", "variants:\n  - {name: a, model: m}\n  - {name: b, model: m}\n",
			nil, []int{1, 1}, []int{8000, 8000}, 0},
	} {
		p, err := Parse("p.yaml", []byte(tc.src+"evals:\n  - {evalset: x.jsonl}\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var gpus, ports []int
		for _, v := range p.Variants {
			gpus, ports = append(gpus, v.GPUCount()), append(ports, v.Server.Port)
		}
		if !reflect.DeepEqual(p.GPUs, tc.devices) || !reflect.DeepEqual(gpus, tc.gpus) || !reflect.DeepEqual(ports, tc.ports) || p.MaxParallel != tc.maxParallel {
			t.Errorf("%s: devices %q gpus %v ports %v max_parallel %d; want %q %v %v %d", tc.name, p.GPUs, gpus, ports, p.MaxParallel, tc.devices, tc.gpus, tc.ports, tc.maxParallel)
		}
	}
}

func TestNodeGPUErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"gpus: 0\n", "p.yaml:1: gpus: "},
		{"gpus: []\n", "p.yaml:1: gpus: want a number of GPUs or a list"},
		{"gpus: [0, 0]\n", "p.yaml:1: gpus[1]: device 0 given twice"},
		{"gpus: [cuda0]\n", "p.yaml:1: gpus[0]: want a device index or a MIG"},
		{"gpus: 2\nmax_parallel: 0\n", "max_parallel: "},
		{"gpus: 2\nvariants:\n  - {name: a, model: m, gpus: 4}\n", "p.yaml:3: variants[0].gpus: needs 4 GPUs, the node has 2"},
		{"gpus: 2\nvariants:\n  - {name: a, model: m, env: {CUDA_VISIBLE_DEVICES: 1}}\n", "variants[0].env.CUDA_VISIBLE_DEVICES: set by matrix"},
	} {
		src := tc.src
		if !strings.Contains(src, "variants:") {
			src += "variants:\n  - {name: a, model: m}\n"
		}
		_, err := Parse("p.yaml", []byte(src+"evals:\n  - {evalset: x.jsonl}\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestReplicas(t *testing.T) {
	src := "gpus: 8\nvariants:\n  - {name: a, model: m, replicas: [{port: 8101, gpus: 2}, {port: 8102}]}\n  - {name: b, model: m}\nevals:\n  - {evalset: x.jsonl}\n"
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Replica{{Port: 8101, GPUs: 2}, {Port: 8102}}; !reflect.DeepEqual(p.Variants[0].Replicas, want) || p.Variants[0].GPUCount() != 3 {
		t.Errorf("replicas %+v (%d GPUs)", p.Variants[0].Replicas, p.Variants[0].GPUCount())
	}
	for _, tc := range []struct{ variant, want string }{
		{"replicas: []", "variants[0].replicas: want a list of replicas"},
		{"replicas: [{gpus: 1}]", "variants[0].replicas[0].port: missing"},
		{"replicas: [{port: 1}, {port: 1}]", "variants[0].replicas[1].port: 1 is replica 0's port already"},
		{"replicas: [{port: 1, devices: 2}]", "variants[0].replicas[0].devices: want a list of devices"},
		{"replicas: [{port: 1, devices: [0]}]", "variants[0].replicas[0].devices: the node's gpus are handed out by matrix: give the replica gpus: 1 instead"},
		{"replicas: [{port: 1, foo: 2}]", "variants[0].replicas[0].foo: unknown key"},
		{"replicas: [{port: 1}], gpus: 2", "variants[0].gpus: give each replica its gpus instead"},
		{"replicas: [{port: 1, gpus: 9}]", "variants[0].gpus: needs 9 GPUs, the node has 8"},
		{"replicas: [{port: 1}], kind: external, base_url: \"http://h:1\"", "variants[0].replicas: kind external starts no server"},
	} {
		src := "gpus: 8\nvariants:\n  - {name: a, model: m, " + tc.variant + "}\nevals:\n  - {evalset: x.jsonl}\n"
		if _, err := Parse("p.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.variant, err, tc.want)
		}
	}
}

// TestReplicaDevices: without the node's gpus, a replica may name its devices
// (indices or MIG UUIDs); it then needs as many GPUs as it names.
func TestReplicaDevices(t *testing.T) {
	src := "variants:\n  - {name: a, model: m, replicas: [{port: 8101, devices: [0, 1]}, {devices: [\"MIG-4f2a-1\"], port: 8102, gpus: 1}, {port: 8103}]}\nevals:\n  - {evalset: x.jsonl}\n"
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Replica{{Port: 8101, Devices: []string{"0", "1"}}, {Port: 8102, GPUs: 1, Devices: []string{"MIG-4f2a-1"}}, {Port: 8103}}
	if !reflect.DeepEqual(p.Variants[0].Replicas, want) || p.Variants[0].GPUCount() != 4 {
		t.Errorf("replicas %+v (%d GPUs)", p.Variants[0].Replicas, p.Variants[0].GPUCount())
	}
	for _, tc := range []struct{ replicas, want string }{
		{"[{port: 1, devices: [0, 0]}]", "variants[0].replicas[0].devices[1]: device 0 given twice"},
		{"[{port: 1, devices: [x]}]", "variants[0].replicas[0].devices[0]: want a device index"},
		{"[{port: 1, gpus: 2, devices: [0]}]", "variants[0].replicas[0].devices: 1 devices for gpus: 2"},
		{"[{port: 1, devices: [0], gpus: 2}]", "variants[0].replicas[0].devices: 1 devices for gpus: 2"},
	} {
		src := "variants:\n  - {name: a, model: m, replicas: " + tc.replicas + "}\nevals:\n  - {evalset: x.jsonl}\n"
		if _, err := Parse("p.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.replicas, err, tc.want)
		}
	}
}

func TestExternalBaseURLs(t *testing.T) {
	for _, tc := range []struct{ baseURL, want, err string }{
		{`"http://a:1/v1"`, "http://a:1/v1", ""},
		{`["http://a:1", "http://b:2/v1"]`, "http://a:1,http://b:2/v1", ""},
		{`"http://a:1, http://b:2"`, "http://a:1,http://b:2", ""},
		{`["http://a:1", "b:2"]`, "", "variants[0].base_url: "},
	} {
		src := "variants:\n  - {name: a, model: m, kind: external, base_url: " + tc.baseURL + "}\nevals:\n  - {evalset: x.jsonl}\n"
		p, err := Parse("p.yaml", []byte(src))
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.baseURL, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.baseURL, err)
		case tc.err == "" && p.Variants[0].Server.BaseURL != tc.want:
			t.Errorf("%s: base URL %q, want %q", tc.baseURL, p.Variants[0].Server.BaseURL, tc.want)
		}
	}
}
