package server

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Stray is a process outside the server's process group that still holds what the
// server held once the group is gone: its port, or GPU memory that was free before
// the server started. A daemon that left the group (setsid, a Ray worker) is one.
type Stray struct {
	PID     int      `json:"pid"`
	Command string   `json:"command"` // redacted
	Holds   []string `json:"holds"`   // "port 8000", "GPU memory 30000 MiB"
	Killed  bool     `json:"killed,omitempty"`
}

func (s Stray) String() string {
	verb := "still holds"
	if s.Killed {
		verb = "held (killed)"
	}
	return fmt.Sprintf("PID %d (%s) %s %s", s.PID, s.Command, verb, strings.Join(s.Holds, " and "))
}

// findStrays looks, after the group is gone, for live processes that hold the
// port or GPU memory not held before the start (baseline; nil: not checked). Only
// processes started no earlier than the server (startTicks) count, so a process
// that was there before it is never named, let alone killed.
func (s *Server) findStrays(ctx context.Context) []Stray {
	byPID := map[int]*Stray{}
	add := func(pid int, holds string) {
		if pid == os.Getpid() || !startedSince(pid, s.startTicks) {
			return
		}
		st := byPID[pid]
		if st == nil {
			st = &Stray{PID: pid, Command: Cmdline(pid)}
			byPID[pid] = st
		}
		st.Holds = append(st.Holds, holds)
	}
	if owners, _, err := PortOwners(s.spec.port()); err == nil {
		for _, o := range owners {
			add(o.PID, fmt.Sprintf("port %d", s.spec.port()))
		}
	}
	if s.gpuBaseline != nil {
		if held, known, _ := s.spec.gpuHolders(ctx); known {
			for _, pid := range newHolders(held, s.gpuBaseline, nil) {
				add(pid, fmt.Sprintf("GPU memory %d MiB", held[pid]))
			}
		}
	}
	out := make([]Stray, 0, len(byPID))
	for _, st := range byPID {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// startedSince reports a live process that started at or after ticks.
func startedSince(pid int, ticks uint64) bool {
	st, err := ReadProcStat(pid)
	return err == nil && !st.Zombie() && st.StartTime >= ticks
}

// killStrays sends SIGTERM to each stray, then SIGKILL to those still alive after
// grace, and marks those that are gone. It signals only the PIDs given, and only
// while each is still the process that was found (same start time).
func killStrays(strays []Stray, grace time.Duration) {
	ticks := map[int]uint64{}
	for _, st := range strays {
		if ps, err := ReadProcStat(st.PID); err == nil {
			ticks[st.PID] = ps.StartTime
		}
	}
	signal := func(sig syscall.Signal) {
		for _, st := range strays {
			if t, ok := ticks[st.PID]; ok && sameProcess(st.PID, t) {
				syscall.Kill(st.PID, sig)
			}
		}
	}
	anyAlive := func() bool {
		for _, st := range strays {
			if t, ok := ticks[st.PID]; ok && sameProcess(st.PID, t) {
				return true
			}
		}
		return false
	}
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{syscall.SIGTERM, grace}, {syscall.SIGKILL, killWait}} {
		if !anyAlive() {
			break
		}
		signal(step.sig)
		for deadline := time.Now().Add(step.wait); anyAlive() && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
	}
	for i := range strays {
		t, ok := ticks[strays[i].PID]
		strays[i].Killed = ok && !sameProcess(strays[i].PID, t)
	}
}
