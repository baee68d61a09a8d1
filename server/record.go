package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Record is what Start writes down about a running server (Spec.Record), so that
// a later quanteval can find it if this one is killed without a chance to stop it.
// A process is named by its PID and its start time together: a PID is reused, the
// pair is not.
type Record struct {
	PID        int       `json:"pid"`  // the server, leader of its process group
	PGID       int       `json:"pgid"` // equal to PID
	StartTicks uint64    `json:"start_ticks"`
	Host       string    `json:"host"`
	Port       int       `json:"port"`
	Command    []string  `json:"command"` // redacted
	Log        string    `json:"log,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	// Quanteval is the process that started the server and is to stop it.
	QuantevalPID        int    `json:"quanteval_pid"`
	QuantevalStartTicks uint64 `json:"quanteval_start_ticks"`
}

// writeRecord writes r to path atomically (a temporary file renamed over it).
func writeRecord(path string, r Record) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// selfRecord fills in the running quanteval.
func selfRecord(r *Record) {
	r.QuantevalPID = os.Getpid()
	if st, err := ReadProcStat(r.QuantevalPID); err == nil {
		r.QuantevalStartTicks = st.StartTime
	}
}

// sameProcess reports that pid is alive and is the process that started at ticks.
func sameProcess(pid int, ticks uint64) bool {
	st, err := ReadProcStat(pid)
	return err == nil && !st.Zombie() && st.StartTime == ticks
}

// Leftover is a server recorded by a quanteval that no longer runs, with processes
// of its group still alive.
type Leftover struct {
	Record
	File  string // the record
	Alive []int  // the live processes of its group
}

func (l Leftover) String() string {
	return fmt.Sprintf("server PID %d (port %d, started %s by quanteval PID %d, which is gone; %d process(es) left: %v)",
		l.PID, l.Port, l.StartedAt.Format(time.RFC3339), l.QuantevalPID, len(l.Alive), l.Alive)
}

// FindLeftovers reads the records in dir (*.json) and returns the servers whose
// quanteval is gone but whose process group still has live processes. The group is
// the recorded one only when its leader is the recorded process (same PID and start
// time), or, with the leader gone, for processes of the group that started no
// earlier than it; a PID reused by another process is never returned. A record
// whose server is gone is removed; one whose quanteval still runs is kept and
// named in notes. A missing dir is no leftover.
func FindLeftovers(dir string) (found []Leftover, notes []string, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(files)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return found, notes, fmt.Errorf("server: %w", err)
		}
		var r Record
		if err := json.Unmarshal(data, &r); err != nil || r.PID <= 0 || r.PGID <= 0 {
			notes = append(notes, fmt.Sprintf("%s: not a server record (%v): left alone", file, err))
			continue
		}
		if sameProcess(r.QuantevalPID, r.QuantevalStartTicks) {
			notes = append(notes, fmt.Sprintf("%s: server PID %d belongs to quanteval PID %d, which still runs: left alone", file, r.PID, r.QuantevalPID))
			continue
		}
		if left := r.ownGroup(); len(left) > 0 {
			found = append(found, Leftover{Record: r, File: file, Alive: left})
			continue
		}
		os.Remove(file)
		notes = append(notes, fmt.Sprintf("%s: server PID %d is gone: record removed", file, r.PID))
	}
	return found, notes, nil
}

// ownGroup lists the live processes of the recorded group, or nil when the group
// is not (or no longer) the recorded one.
func (r Record) ownGroup() []int {
	if st, err := ReadProcStat(r.PID); err == nil && !st.Zombie() {
		if st.StartTime != r.StartTicks || st.PGID != r.PGID {
			return nil // the PID now names another process
		}
		return GroupPIDs(r.PGID)
	}
	var out []int
	for _, pid := range GroupPIDs(r.PGID) {
		if st, err := ReadProcStat(pid); err == nil && st.StartTime >= r.StartTicks {
			out = append(out, pid)
		}
	}
	return out
}

// Stop stops the leftover server as Server.Stop stops one: SIGINT, SIGTERM after
// grace, SIGKILL after another, to its whole group; then waits (at most release)
// for its port to be free and removes its record. A process outside the group
// still listening on the port (a daemon of the old server) is named in the error,
// not killed.
func (l Leftover) Stop(ctx context.Context, grace, release time.Duration) error {
	grace = orDefault(grace, DefaultStopGrace)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		if len(l.ownGroup()) == 0 {
			break
		}
		if sig != syscall.SIGKILL && ctx.Err() != nil {
			continue
		}
		if err := syscall.Kill(-l.PGID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("server: sending %v to process group %d: %w", sig, l.PGID, err)
		}
		wait := grace
		if sig == syscall.SIGKILL {
			wait = killWait
		}
		waitGone(ctx, l.PGID, wait, sig == syscall.SIGKILL)
	}
	if left := l.ownGroup(); len(left) > 0 {
		return fmt.Errorf("server: leftover server %d: processes %v still alive after SIGKILL", l.PID, left)
	}
	if owners, _, err := PortOwners(l.Port); err == nil && len(owners) > 0 {
		names := make([]string, len(owners))
		for i, o := range owners {
			names[i] = o.String()
		}
		return fmt.Errorf("server: leftover server %d stopped, but port %d is still held by %s, outside its process group: stop it", l.PID, l.Port, strings.Join(names, ", "))
	}
	rctx, cancel := context.WithTimeout(ctx, orDefault(release, DefaultReleaseTimeout))
	defer cancel()
	if err := waitPortFree(rctx, net.JoinHostPort(orString(l.Host, DefaultHost), strconv.Itoa(l.Port))); err != nil {
		return fmt.Errorf("server: leftover server %d stopped, but port %d: %w", l.PID, l.Port, err)
	}
	if err := os.Remove(l.File); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

func orString(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
