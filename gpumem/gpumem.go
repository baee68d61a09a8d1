// Package gpumem reads the GPU memory a server uses from nvidia-smi: the devices
// CUDA_VISIBLE_DEVICES names, whole GPUs or MIG instances, with their memory now
// and at its peak while a bench runs.
//
// Decisions:
//   - The source is `nvidia-smi -q -x` (XML), parsed with encoding/xml. On a GPU in
//     MIG mode the GPU's own <fb_memory_usage> says N/A or the whole board; the
//     figure that belongs to a variant is its MIG instance's <mig_device>
//     <fb_memory_usage>.
//   - CUDA_VISIBLE_DEVICES may name a device by index ("0"), by GPU UUID or a unique
//     prefix of one ("GPU-5b6c..."), by MIG UUID ("MIG-1d2c...") or by the older
//     "MIG-GPU-<uuid>/<gi>/<ci>". Unset or empty means every device. Some drivers
//     leave <uuid> out of <mig_device>; then `nvidia-smi -L`, which always lists
//     MIG UUIDs, fills them in, matched by GPU index and MIG device index.
//   - nvidia-smi being absent (no NVIDIA driver, a CPU box, a Mac) is ErrNoSMI, for
//     the caller to note; it is not a failure of the bench.
//   - Sizes are MiB as nvidia-smi prints them; "N/A" is unknown, not zero.
package gpumem

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Memory is one device's framebuffer in MiB; Known is false when nvidia-smi said
// N/A.
type Memory struct {
	TotalMiB int  `json:"total_mib"`
	UsedMiB  int  `json:"used_mib"`
	Known    bool `json:"known"`
}

// MIGDevice is one MIG instance of a GPU.
type MIGDevice struct {
	Index             int    `json:"index"`
	GPUInstanceID     int    `json:"gpu_instance_id"`
	ComputeInstanceID int    `json:"compute_instance_id"`
	UUID              string `json:"uuid,omitempty"`
	Memory            Memory `json:"memory"`
}

// GPU is one physical GPU as nvidia-smi lists it.
type GPU struct {
	Index   int         `json:"index"` // position in nvidia-smi's list, as CUDA numbers devices by PCI order
	Name    string      `json:"name"`
	UUID    string      `json:"uuid"`
	BusID   string      `json:"bus_id"`
	MIG     bool        `json:"mig"` // MIG mode enabled
	Memory  Memory      `json:"memory"`
	Devices []MIGDevice `json:"mig_devices,omitempty"`
}

type xmlMemory struct {
	Total string `xml:"total"`
	Used  string `xml:"used"`
}

type xmlLog struct {
	GPUs []struct {
		ID      string    `xml:"id,attr"`
		Name    string    `xml:"product_name"`
		UUID    string    `xml:"uuid"`
		MIGMode string    `xml:"mig_mode>current_mig"`
		FB      xmlMemory `xml:"fb_memory_usage"`
		MIGs    []struct {
			Index string    `xml:"index"`
			GI    string    `xml:"gpu_instance_id"`
			CI    string    `xml:"compute_instance_id"`
			UUID  string    `xml:"uuid"`
			FB    xmlMemory `xml:"fb_memory_usage"`
		} `xml:"mig_devices>mig_device"`
	} `xml:"gpu"`
}

// ParseXML reads the output of `nvidia-smi -q -x`.
func ParseXML(data []byte) ([]GPU, error) {
	var log xmlLog
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false // the DOCTYPE names a DTD that is not shipped
	if err := dec.Decode(&log); err != nil {
		return nil, fmt.Errorf("nvidia-smi -q -x: %w", err)
	}
	gpus := make([]GPU, 0, len(log.GPUs))
	for i, g := range log.GPUs {
		gpu := GPU{Index: i, Name: strings.TrimSpace(g.Name), UUID: strings.TrimSpace(g.UUID), BusID: g.ID,
			MIG: strings.EqualFold(strings.TrimSpace(g.MIGMode), "Enabled"), Memory: memoryOf(g.FB)}
		for _, m := range g.MIGs {
			idx, err := strconv.Atoi(strings.TrimSpace(m.Index))
			if err != nil {
				return nil, fmt.Errorf("nvidia-smi -q -x: gpu %d: mig_device index %q: %w", i, m.Index, err)
			}
			gi, _ := strconv.Atoi(strings.TrimSpace(m.GI))
			ci, _ := strconv.Atoi(strings.TrimSpace(m.CI))
			gpu.Devices = append(gpu.Devices, MIGDevice{Index: idx, GPUInstanceID: gi, ComputeInstanceID: ci,
				UUID: strings.TrimSpace(m.UUID), Memory: memoryOf(m.FB)})
		}
		gpus = append(gpus, gpu)
	}
	return gpus, nil
}

func memoryOf(m xmlMemory) Memory {
	t, okT := mib(m.Total)
	u, okU := mib(m.Used)
	return Memory{TotalMiB: t, UsedMiB: u, Known: okT && okU}
}

// mib reads "40192 MiB"; "N/A" and anything else is unknown.
func mib(s string) (int, bool) {
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "MiB" {
		return 0, false
	}
	n, err := strconv.Atoi(f[0])
	return n, err == nil
}

var (
	listGPU = regexp.MustCompile(`^GPU (\d+):.*\(UUID: (GPU-[0-9a-fA-F-]+)\)`)
	listMIG = regexp.MustCompile(`^\s+MIG .*Device\s+(\d+):\s*\(UUID: (MIG-[0-9a-zA-Z/-]+)\)`)
)

// FillMIGUUIDs sets the UUIDs that the XML left out from the output of
// `nvidia-smi -L`, matching GPU index and MIG device index.
func FillMIGUUIDs(gpus []GPU, list []byte) {
	gpu := -1
	sc := bufio.NewScanner(bytes.NewReader(list))
	for sc.Scan() {
		line := sc.Text()
		if m := listGPU.FindStringSubmatch(line); m != nil {
			gpu, _ = strconv.Atoi(m[1])
			continue
		}
		m := listMIG.FindStringSubmatch(line)
		if m == nil || gpu < 0 || gpu >= len(gpus) {
			continue
		}
		idx, _ := strconv.Atoi(m[1])
		for j := range gpus[gpu].Devices {
			if d := &gpus[gpu].Devices[j]; d.Index == idx && d.UUID == "" {
				d.UUID = m[2]
			}
		}
	}
}

// missingMIGUUID reports a MIG device without its UUID.
func missingMIGUUID(gpus []GPU) bool {
	for _, g := range gpus {
		for _, d := range g.Devices {
			if d.UUID == "" {
				return true
			}
		}
	}
	return false
}
