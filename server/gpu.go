package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// nvidiaSMI is the program asked about GPU memory when Spec.NvidiaSMI is nil.
var nvidiaSMI = "nvidia-smi"

// computeAppsArgs asks nvidia-smi which processes hold GPU memory.
var computeAppsArgs = []string{"--query-compute-apps=pid,used_memory", "--format=csv,noheader"}

// gpuHolders asks nvidia-smi which processes hold GPU memory (MiB by PID). known is
// false when nothing can be told: no nvidia-smi, or one that fails (no driver).
func (s Spec) gpuHolders(ctx context.Context) (held map[int]int, known bool, err error) {
	run := s.NvidiaSMI
	if run == nil {
		path, err := exec.LookPath(nvidiaSMI)
		if err != nil {
			return nil, false, nil
		}
		run = func(ctx context.Context, args ...string) ([]byte, error) {
			return exec.CommandContext(ctx, path, args...).Output()
		}
	}
	qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := run(qctx, computeAppsArgs...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("GPU memory: %w", ctx.Err())
		}
		return nil, false, nil
	}
	held, err = parseComputeApps(out)
	if err != nil {
		return nil, false, err
	}
	return held, true, nil
}

// parseComputeApps reads `nvidia-smi --query-compute-apps=pid,used_memory
// --format=csv,noheader` ("1234, 40536 MiB" a line) into MiB by PID; memory that
// nvidia-smi cannot see ("[N/A]") is -1.
func parseComputeApps(out []byte) (map[int]int, error) {
	held := map[int]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "No running") {
			continue
		}
		pidS, memS, ok := strings.Cut(line, ",")
		if !ok {
			return nil, fmt.Errorf("nvidia-smi line %d: %q: want \"PID, MEMORY\"", n, line)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(pidS))
		if err != nil {
			return nil, fmt.Errorf("nvidia-smi line %d: pid: %w", n, err)
		}
		mem := -1
		if m, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(memS), "MiB"))); err == nil {
			mem = m
		}
		held[pid] = mem
	}
	return held, sc.Err()
}

// newHolders are the PIDs in held that the baseline (taken before the server
// started) does not have, sorted, leaving out ignore.
func newHolders(held, baseline map[int]int, ignore map[int]bool) []int {
	var out []int
	for pid := range held {
		if _, before := baseline[pid]; !before && !ignore[pid] {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out
}

// waitGPUReleased waits until no process holds GPU memory that did not hold it
// before the server started (the baseline), except those in ignore (strays left
// running on purpose). The baseline, not the server's own PIDs, is the test: a
// process that left the server's group (setsid, a Ray worker) counts too. Without
// a baseline (no nvidia-smi) there is nothing to wait for.
func (s Spec) waitGPUReleased(ctx context.Context, baseline map[int]int, ignore map[int]bool) error {
	if baseline == nil {
		return nil
	}
	tick := time.NewTicker(orDefault(s.PollInterval, 500*time.Millisecond))
	defer tick.Stop()
	var still []string
	stillHeld := func() error {
		return fmt.Errorf("GPU memory still held by %s (not held before the start): %w", strings.Join(still, ", "), ctx.Err())
	}
	for {
		held, known, err := s.gpuHolders(ctx)
		switch {
		case ctx.Err() != nil:
			return stillHeld()
		case err != nil:
			return err
		case !known:
			return nil // nvidia-smi stopped answering: it can tell nothing
		}
		still = still[:0]
		for _, p := range newHolders(held, baseline, ignore) {
			still = append(still, fmt.Sprintf("%d (%d MiB)", p, held[p]))
		}
		if len(still) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return stillHeld()
		case <-tick.C:
		}
	}
}
