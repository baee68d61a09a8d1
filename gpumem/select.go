package gpumem

import (
	"fmt"
	"strconv"
	"strings"
)

// Device is one device a server uses: a whole GPU or a MIG instance.
type Device struct {
	ID     string `json:"id"`   // as CUDA_VISIBLE_DEVICES named it, or the UUID
	Kind   string `json:"kind"` // "gpu" or "mig"
	GPU    int    `json:"gpu"`  // index of the physical GPU
	Name   string `json:"name"`
	UUID   string `json:"uuid,omitempty"`
	Memory Memory `json:"memory"`
}

// Select returns the devices that CUDA_VISIBLE_DEVICES (visible) names, in its
// order; unset or empty means every GPU, and on a GPU in MIG mode every MIG
// instance in its place.
func Select(gpus []GPU, visible string) ([]Device, error) {
	visible = strings.TrimSpace(visible)
	if visible == "" {
		var ds []Device
		for _, g := range gpus {
			if g.MIG && len(g.Devices) > 0 {
				for _, m := range g.Devices {
					ds = append(ds, migDevice(g, m, ""))
				}
				continue
			}
			ds = append(ds, gpuDevice(g, ""))
		}
		return ds, nil
	}
	var ds []Device
	for _, id := range strings.Split(visible, ",") {
		id = strings.TrimSpace(id)
		d, err := find(gpus, id)
		if err != nil {
			return nil, fmt.Errorf("CUDA_VISIBLE_DEVICES=%s: %w", visible, err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}

func gpuDevice(g GPU, id string) Device {
	if id == "" {
		id = g.UUID
	}
	return Device{ID: id, Kind: "gpu", GPU: g.Index, Name: g.Name, UUID: g.UUID, Memory: g.Memory}
}

func migDevice(g GPU, m MIGDevice, id string) Device {
	if id == "" {
		id = m.UUID
	}
	if id == "" {
		id = fmt.Sprintf("MIG-GPU-%s/%d/%d", g.UUID, m.GPUInstanceID, m.ComputeInstanceID)
	}
	return Device{ID: id, Kind: "mig", GPU: g.Index, Name: g.Name, UUID: m.UUID, Memory: m.Memory}
}

// find resolves one entry of CUDA_VISIBLE_DEVICES.
func find(gpus []GPU, id string) (Device, error) {
	switch {
	case strings.HasPrefix(id, "MIG-GPU-"):
		// The older form: MIG-GPU-<gpu uuid>/<gpu instance>/<compute instance>.
		parts := strings.Split(strings.TrimPrefix(id, "MIG-"), "/")
		if len(parts) == 3 {
			gi, err1 := strconv.Atoi(parts[1])
			ci, err2 := strconv.Atoi(parts[2])
			for _, g := range gpus {
				if err1 != nil || err2 != nil || !strings.EqualFold(g.UUID, parts[0]) {
					continue
				}
				for _, m := range g.Devices {
					if m.GPUInstanceID == gi && m.ComputeInstanceID == ci {
						return migDevice(g, m, id), nil
					}
				}
			}
		}
	case strings.HasPrefix(id, "MIG-"):
		for _, g := range gpus {
			for _, m := range g.Devices {
				if strings.EqualFold(m.UUID, id) {
					return migDevice(g, m, id), nil
				}
			}
		}
	case strings.HasPrefix(id, "GPU-"):
		var hit []GPU
		for _, g := range gpus {
			if strings.HasPrefix(strings.ToLower(g.UUID), strings.ToLower(id)) {
				hit = append(hit, g)
			}
		}
		if len(hit) == 1 {
			return gpuDevice(hit[0], id), nil
		}
		if len(hit) > 1 {
			return Device{}, fmt.Errorf("%s matches %d GPUs", id, len(hit))
		}
	default:
		n, err := strconv.Atoi(id)
		if err == nil && n >= 0 && n < len(gpus) {
			return gpuDevice(gpus[n], id), nil
		}
	}
	return Device{}, fmt.Errorf("no device %q among the %d GPUs nvidia-smi lists", id, len(gpus))
}
