package plan

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/internal/yamltree"

	"github.com/quanteval/quanteval/server"
)

// Replica is one of several servers of a variant (plan key replicas): all are
// started, waited for and stopped together, and the evals spread their requests
// over them (client.Pool).
//
//	variants:
//	  - {name: BF16, model: Qwen/Qwen3-32B, replicas: [{port: 8001, gpus: 2}, {port: 8002, gpus: 2}]}
//
// Each replica gets its port and, on a node with gpus, its share of the variant's
// devices in order; the variant's other server settings are the replicas' own.
// Without the node's gpus a replica may name its devices instead, which become its
// CUDA_VISIBLE_DEVICES: [{port: 8001, devices: [0, 1]}, {port: 8002, devices: [2, 3]}].
type Replica struct {
	Port    int      `json:"port"`
	GPUs    int      `json:"gpus,omitempty"`    // GPUs it needs (0: its devices', else 1)
	Devices []string `json:"devices,omitempty"` // its CUDA_VISIBLE_DEVICES (plan without gpus)
}

// GPUCount is how many GPUs replica r needs: its gpus, else as many as its
// devices, else 1.
func (r Replica) GPUCount() int {
	if r.GPUs == 0 && len(r.Devices) > 0 {
		return len(r.Devices)
	}
	return max(r.GPUs, 1)
}

// replicas reads a variant's replicas: a list of {port, gpus} with ports apart.
func (d *decoder) replicas(n *yaml.Node, key string) []Replica {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Fail(n, key, "want a list of replicas such as [{port: 8001}, {port: 8002}], got %s", yamltree.Describe(n))
		return nil
	}
	var out []Replica
	ports := map[int]int{}
	for i, rn := range n.Content {
		rk := fmt.Sprintf("%s[%d]", key, i)
		var r Replica
		var portNode, devicesNode *yaml.Node
		d.Fields(rn, rk, []string{"port", "gpus", "devices"}, func(k string, _, v *yaml.Node) {
			switch k {
			case "port":
				r.Port, portNode = d.Integer(v, rk+".port", 1), v
				if r.Port > 65535 {
					d.Fail(v, rk+".port", "%d is not a port", r.Port)
				}
			case "gpus":
				r.GPUs = d.Integer(v, rk+".gpus", 1)
			case "devices":
				if v.Kind != yaml.SequenceNode {
					d.Fail(v, rk+".devices", "want a list of devices such as [0, 1] or [MIG-...], got %s", yamltree.Describe(v))
					return
				}
				r.Devices, devicesNode = d.nodeGPUs(v, rk+".devices"), v
			}
		})
		if r.GPUs > 0 && len(r.Devices) > 0 && r.GPUs != len(r.Devices) {
			d.Fail(devicesNode, rk+".devices", "%d devices for gpus: %d", len(r.Devices), r.GPUs)
		}
		switch at, dup := ports[r.Port]; {
		case portNode == nil:
			d.Fail(yamltree.Resolve(rn), rk+".port", "missing: each replica needs a port of its own")
		case dup:
			d.Fail(portNode, rk+".port", "%d is replica %d's port already", r.Port, at)
		default:
			ports[r.Port] = i
		}
		out = append(out, r)
	}
	return out
}

// baseURLs reads an external endpoint's base_url: one URL, or the URLs of several
// replicas of it as a list or a comma-separated string, kept as URL,URL,... (the
// evals spread their requests over them, as run --base-url A,B does).
func (d *decoder) baseURLs(n *yaml.Node, key string) string {
	var urls []string
	if n.Kind == yaml.SequenceNode {
		for i, c := range n.Content {
			urls = append(urls, strings.Split(d.Str(yamltree.Resolve(c), fmt.Sprintf("%s[%d]", key, i)), ",")...)
		}
	} else {
		urls = strings.Split(d.Str(n, key), ",")
	}
	var out []string
	for _, u := range urls {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if err := server.CheckURL(u); err != nil {
			d.Fail(n, key, "%v", err)
		}
		out = append(out, u)
	}
	return strings.Join(out, ",")
}
