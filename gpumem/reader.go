package gpumem

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/quanteval/quanteval/internal/poll"
)

// ErrNoSMI is a machine without nvidia-smi.
var ErrNoSMI = errors.New("nvidia-smi not found: GPU memory is not measured")

// Reader runs nvidia-smi. Its zero value runs the nvidia-smi on PATH.
type Reader struct {
	// Run runs nvidia-smi with args and returns its standard output; tests replace
	// it with recorded outputs.
	Run func(ctx context.Context, args ...string) ([]byte, error)
}

func (r *Reader) run(ctx context.Context, args ...string) ([]byte, error) {
	if r.Run != nil {
		return r.Run(ctx, args...)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nvidia-smi", args...).Output()
	if errors.Is(err, exec.ErrNotFound) {
		return nil, ErrNoSMI
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return nil, fmt.Errorf("nvidia-smi %v: %w: %s", args, err, ee.Stderr)
		}
		return nil, fmt.Errorf("nvidia-smi %v: %w", args, err)
	}
	return out, nil
}

// Read returns the devices visible names (CUDA_VISIBLE_DEVICES) with their memory
// now.
func (r *Reader) Read(ctx context.Context, visible string) ([]Device, error) {
	out, err := r.run(ctx, "-q", "-x")
	if err != nil {
		return nil, err
	}
	gpus, err := ParseXML(out)
	if err != nil {
		return nil, err
	}
	if missingMIGUUID(gpus) {
		if list, err := r.run(ctx, "-L"); err == nil {
			FillMIGUUIDs(gpus, list)
		}
	}
	return Select(gpus, visible)
}

// Usage is the memory of the devices a server used over a stretch of time.
type Usage struct {
	Devices []DeviceUsage `json:"devices,omitempty"`
	Polls   int           `json:"polls"`
	Note    string        `json:"note,omitempty"`
}

// DeviceUsage is one device's memory at the start of the watch and at its peak.
type DeviceUsage struct {
	Device
	StartUsedMiB int `json:"start_used_mib"`
	PeakUsedMiB  int `json:"peak_used_mib"`
}

// Watcher polls nvidia-smi while a bench runs.
type Watcher struct {
	Reader  *Reader
	Visible string        // CUDA_VISIBLE_DEVICES of the server
	Every   time.Duration // default 1s
}

// Begin reads once and starts polling; the function it returns stops and gives
// the Usage (the same shape as loadgen.Probe). Without nvidia-smi the Usage has
// only a note.
func (w *Watcher) Begin(ctx context.Context) func() any {
	first, err := w.Reader.Read(ctx, w.Visible)
	if err != nil {
		return func() any { return Usage{Note: err.Error()} }
	}
	u := Usage{Polls: 1}
	for _, d := range first {
		u.Devices = append(u.Devices, DeviceUsage{Device: d, StartUsedMiB: d.Memory.UsedMiB, PeakUsedMiB: d.Memory.UsedMiB})
	}
	stop := poll.Start(ctx, w.Every, func(pctx context.Context) {
		if ds, err := w.Reader.Read(pctx, w.Visible); err == nil {
			u.add(ds)
		}
	})
	return func() any {
		stop() // the polls are over: u is ours again
		if ds, err := w.Reader.Read(context.WithoutCancel(ctx), w.Visible); err == nil {
			u.add(ds)
		}
		return u
	}
}

// add takes one poll: devices are matched by position, as Select keeps the order.
func (u *Usage) add(ds []Device) {
	u.Polls++
	for i := range min(len(ds), len(u.Devices)) {
		if ds[i].Memory.Known {
			u.Devices[i].PeakUsedMiB = max(u.Devices[i].PeakUsedMiB, ds[i].Memory.UsedMiB)
			u.Devices[i].Memory = ds[i].Memory
		}
	}
}
