package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// GroupPIDs lists the live processes of process group pgid, read from /proc.
// Zombies do not count: they hold no memory and no port, and an orphaned one waits
// for a reaper that is not ours (in a container, PID 1 may never reap it).
func GroupPIDs(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		if syscall.Kill(-pgid, 0) == nil {
			return []int{pgid} // no /proc: the group exists, members unknown
		}
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := ReadProcStat(pid)
		if err != nil || st.PGID != pgid || st.Zombie() {
			continue
		}
		out = append(out, pid)
	}
	return out
}

func groupAlive(pgid int) bool { return len(GroupPIDs(pgid)) > 0 }

// ProcStat is the part of /proc/PID/stat that tells a process's state and group.
type ProcStat struct {
	State byte // R, S, D, Z, X ...
	PPID  int
	PGID  int
}

// Zombie reports a process that has exited and waits to be reaped (or is dead).
func (p ProcStat) Zombie() bool { return p.State == 'Z' || p.State == 'X' }

// ReadProcStat reads /proc/PID/stat.
func ReadProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, err
	}
	return parseProcStat(b)
}

// parseProcStat reads "PID (COMM) STATE PPID PGRP ..."; COMM may hold spaces and
// parentheses, so the fields start after the last ')'.
func parseProcStat(b []byte) (ProcStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcStat{}, errors.New("proc stat: no ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 || len(f[0]) != 1 {
		return ProcStat{}, fmt.Errorf("proc stat: %d fields after the command", len(f))
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	if err := errors.Join(err1, err2); err != nil {
		return ProcStat{}, fmt.Errorf("proc stat: %w", err)
	}
	return ProcStat{State: f[0][0], PPID: ppid, PGID: pgid}, nil
}

// nvidiaSMI is the program asked about GPU memory; tests replace it.
var nvidiaSMI = "nvidia-smi"

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

// waitGPUReleased waits until none of pids holds GPU memory. Without nvidia-smi on
// PATH there is nothing to wait for; a failing nvidia-smi (no driver) counts the
// same, since it can tell nothing.
func waitGPUReleased(ctx context.Context, pids []int) error {
	path, err := exec.LookPath(nvidiaSMI)
	if err != nil || len(pids) == 0 {
		return nil
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		out, err := exec.CommandContext(ctx, path, "--query-compute-apps=pid,used_memory", "--format=csv,noheader").Output()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("GPU memory: %w", ctx.Err())
			}
			return nil
		}
		held, err := parseComputeApps(out)
		if err != nil {
			return err
		}
		var still []string
		for _, p := range pids {
			if mem, ok := held[p]; ok {
				still = append(still, fmt.Sprintf("%d (%d MiB)", p, mem))
			}
		}
		if len(still) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GPU memory still held by %s: %w", strings.Join(still, ", "), ctx.Err())
		case <-tick.C:
		}
	}
}
