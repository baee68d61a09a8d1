package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
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
	// StartTime is when the process started, in clock ticks after boot: with the
	// PID, it names one process for good (a PID is reused, the pair is not).
	StartTime uint64
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
	st := ProcStat{State: f[0][0], PPID: ppid, PGID: pgid}
	if len(f) > 19 { // field 22 of the line, the 20th after the command
		var err error
		if st.StartTime, err = strconv.ParseUint(f[19], 10, 64); err != nil {
			return ProcStat{}, fmt.Errorf("proc stat: start time: %w", err)
		}
	}
	return st, nil
}

// alive reports a process that exists and is not a zombie.
func alive(pid int) bool {
	st, err := ReadProcStat(pid)
	return err == nil && !st.Zombie()
}
