package plan

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/internal/yamltree"

	"github.com/quanteval/quanteval/server"
)

// The keys of a node of several GPUs (issue 14, section 3):
//
//	gpus: 8                        # top level: the node's GPUs, 0..7
//	gpus: [0, 1, 2, 3]             # or the devices to use: indices or MIG-... UUIDs
//	max_parallel: 2                # at most this many variants at once (default: as the GPUs allow)
//	variants:
//	  - {name: BF16, model: ..., gpus: 2, args: [--tensor-parallel-size, "2"]}
//
// Decisions:
//   - A variant needs one GPU unless it says (gpus: N); an external endpoint needs
//     none. Its tensor-parallel flag stays in its args: the plan does not guess
//     each server's spelling of it.
//   - Variants that may run together need ports of their own: with gpus given, a
//     variant that does not give its own port gets the server's port plus its
//     index in the plan (8000, 8001, ...). Two variants with the same port still
//     never run at the same time (matrix's scheduler).
//   - matrix sets CUDA_VISIBLE_DEVICES for each variant from the devices it gets,
//     so a plan with gpus may not set it in an env.

// deviceName is what a device in `gpus:` may be: an index or a MIG (or GPU) UUID.
var deviceName = regexp.MustCompile(`^([0-9]+|(MIG|GPU)-[A-Za-z0-9/-]+)$`)

// nodeGPUs reads the top-level gpus: a count or a list of devices.
func (d *decoder) nodeGPUs(n *yaml.Node, key string) []string {
	if n.Kind == yaml.ScalarNode {
		count := d.Integer(n, key, 1)
		devices := make([]string, count)
		for i := range devices {
			devices[i] = strconv.Itoa(i)
		}
		return devices
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Fail(n, key, "want a number of GPUs or a list of devices (indices or MIG-... UUIDs), got %s", yamltree.Describe(n))
		return nil
	}
	var devices []string
	seen := map[string]bool{}
	for i, c := range n.Content {
		c = yamltree.Resolve(c)
		k := fmt.Sprintf("%s[%d]", key, i)
		if c.Kind != yaml.ScalarNode || !deviceName.MatchString(c.Value) {
			d.Fail(c, k, "want a device index or a MIG-... / GPU-... UUID, got %s", yamltree.Describe(c))
			continue
		}
		if seen[c.Value] {
			d.Fail(c, k, "device %s given twice", c.Value)
			continue
		}
		seen[c.Value] = true
		devices = append(devices, c.Value)
	}
	return devices
}

// GPUCount is how many of the node's GPUs variant v needs at once: its gpus, 1 by
// default, the sum of its replicas' when it has replicas, none for an external
// endpoint.
func (v *Variant) GPUCount() int {
	switch {
	case v.Server.Kind == server.KindExternal:
		return 0
	case len(v.Replicas) > 0:
		n := 0
		for _, r := range v.Replicas {
			n += r.GPUCount()
		}
		return n
	case v.GPUs > 0:
		return v.GPUs
	}
	return 1
}

// checkNode checks the variants against the node's GPUs and gives each variant
// without a port of its own a port apart (see the decisions above). portGiven says
// which variants gave their own port; nodes are the variants' YAML nodes.
func (d *decoder) checkNode(p *Plan, portGiven []bool, nodes []*yaml.Node) {
	for i := range p.Variants {
		v := &p.Variants[i]
		key := fmt.Sprintf("variants[%d]", i)
		if len(v.Replicas) > 0 && v.Server.Kind == server.KindExternal {
			d.Fail(nodes[i], key+".replicas", "kind external starts no server: list its replicas' URLs in base_url instead")
		}
		if len(v.Replicas) > 0 && v.GPUs > 0 {
			d.Fail(nodes[i], key+".gpus", "give each replica its gpus instead")
		}
		if len(p.GPUs) > 0 {
			for j, r := range v.Replicas {
				if len(r.Devices) > 0 {
					d.Fail(nodes[i], fmt.Sprintf("%s.replicas[%d].devices", key, j), "the node's gpus are handed out by matrix: give the replica gpus: %d instead", len(r.Devices))
				}
			}
		}
		if len(p.GPUs) == 0 {
			continue // a variant's gpus then only size its Kubernetes pods (cluster.go)
		}
		if need := v.GPUCount(); need > len(p.GPUs) {
			d.Fail(nodes[i], key+".gpus", "needs %d GPUs, the node has %d", need, len(p.GPUs))
		}
		if _, set := v.Server.Env["CUDA_VISIBLE_DEVICES"]; set {
			d.Fail(nodes[i], key+".env.CUDA_VISIBLE_DEVICES", "set by matrix from gpus: give the variant gpus: N instead")
		}
		if v.Server.Kind != server.KindExternal && !portGiven[i] && len(v.Replicas) == 0 {
			v.Server.Port += i
			if v.Server.Port > 65535 {
				d.Fail(nodes[i], key+".port", "%d is not a port (the server's port plus the variant's index)", v.Server.Port)
			}
		}
	}
	if p.MaxParallel < 0 {
		d.Fail(nil, "max_parallel", "must be at least 1")
	}
}
