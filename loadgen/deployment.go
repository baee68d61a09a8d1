package loadgen

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/quanteval/quanteval/result"
)

// Deployment is what a matrix knows of the server a bench ran on, beyond the bench
// itself: the model's load time, its GPU memory, the price of the hardware and the
// determinism settings of its environment. `quanteval matrix` writes it into each
// variant's bench result under "deployment", so that `quanteval compare` reading the
// file alone can show load time, memory and cost; a plain bench has none.
type Deployment struct {
	Variant     string  `json:"variant"`
	Reference   bool    `json:"reference,omitempty"`
	LoadSeconds float64 `json:"load_s,omitempty"` // server start to ready
	// Memory is the GPU memory of the devices the server used (CUDA_VISIBLE_DEVICES).
	Memory      *Memory           `json:"gpu_memory,omitempty"`
	CostPerHour float64           `json:"cost_per_hour,omitempty"`
	Determinism map[string]string `json:"determinism,omitempty"` // env settings such as VLLM_BATCH_INVARIANT
}

// Memory is the GPU memory of a server's devices in MiB, summed over them.
type Memory struct {
	AfterLoadMiB int `json:"after_load_mib"`
	PeakMiB      int `json:"peak_mib"` // during the bench
	TotalMiB     int `json:"total_mib"`
	// Devices are the devices measured: "gpu 0 (NVIDIA H100)", "mig MIG-...".
	Devices []string `json:"devices,omitempty"`
	Note    string   `json:"note,omitempty"` // why memory is unknown (no nvidia-smi)
}

// Known reports figures that were measured.
func (m *Memory) Known() bool { return m != nil && m.Note == "" && len(m.Devices) > 0 }

// WriteWithDeployment writes res, with dep under "deployment", atomically.
func WriteWithDeployment(path string, res *Result, dep *Deployment) error {
	if res.Schema == "" {
		res.Schema = Schema
	}
	data, err := json.MarshalIndent(struct {
		*Result
		Deployment *Deployment `json:"deployment,omitempty"`
	}{res, dep}, "", "  ")
	if err != nil {
		return fmt.Errorf("bench result %s: %w", path, err)
	}
	if err := result.WriteFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("bench result %s: %w", path, err)
	}
	return nil
}

// ReadWithDeployment reads a bench result and its deployment (nil when it has
// none).
func ReadWithDeployment(path string) (*Result, *Deployment, error) {
	res, err := Read(path)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var d struct {
		Deployment *Deployment `json:"deployment"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, fmt.Errorf("%s: deployment: %w", path, err)
	}
	return res, d.Deployment, nil
}
