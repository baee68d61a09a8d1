package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holdServerEnv makes the test binary a stand-in quanteval (holdServer) that
// starts the server described by the variable's JSON and waits to be killed.
const holdServerEnv = "QUANTEVAL_TEST_HOLD_SERVER"

type heldSpec struct {
	Command      []string
	Model, Log   string
	Record       string
	Port         int
	Env          map[string]string
	StopGraceSec int
}

func holdServer() {
	var h heldSpec
	if err := json.Unmarshal([]byte(os.Getenv(holdServerEnv)), &h); err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	s, err := Start(Spec{Command: h.Command, Model: h.Model, Log: h.Log, Record: h.Record, Port: h.Port, Env: h.Env,
		PollInterval: 20 * time.Millisecond, ReadyTimeout: time.Minute})
	if err == nil {
		err = s.WaitReady(context.Background())
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	fmt.Println("ready", s.PID())
	select {} // until killed
}

// TestKilledQuantevalTakesItsServer kills (SIGKILL, no handler runs) a quanteval
// holding a server that ignores SIGINT and SIGTERM: the server dies with it. Its
// grandchild, in the server's group, is found from the record by the next
// quanteval and stopped the normal way.
func TestKilledQuantevalTakesItsServer(t *testing.T) {
	spec := fakeSpec(t, "m", map[string]string{"FAKEVLLM_IGNORE": "INT,TERM", "FAKEVLLM_GRANDCHILD": "1"})
	records := filepath.Join(t.TempDir(), "servers")
	h, _ := json.Marshal(heldSpec{Command: spec.Command, Model: spec.Model, Log: spec.Log, Record: filepath.Join(records, "m.json"), Port: spec.Port, Env: spec.Env})
	q := exec.Command(os.Args[0], "-test.run=^$")
	q.Env = append(os.Environ(), holdServerEnv+"="+string(h))
	out, err := q.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { q.Process.Kill(); q.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	var pid int
	if _, err := fmt.Sscanf(line, "ready %d", &pid); err != nil {
		t.Fatalf("stand-in quanteval said %q", line)
	}
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })

	data, err := os.ReadFile(filepath.Join(records, "m.json"))
	if err != nil {
		t.Fatalf("no record of the running server: %v", err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	st, err := ReadProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if rec.PID != pid || rec.PGID != pid || rec.StartTicks != st.StartTime || rec.StartTicks == 0 || rec.Port != spec.Port ||
		rec.QuantevalPID != q.Process.Pid || rec.Command[0] != spec.Command[0] {
		t.Errorf("record = %+v, want server %d (start %d) on port %d of quanteval %d", rec, pid, st.StartTime, spec.Port, q.Process.Pid)
	}

	q.Process.Signal(syscall.SIGKILL)
	q.Wait()
	for deadline := time.Now().Add(10 * time.Second); !gone(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("server %d outlived its killed quanteval", pid)
		}
	}

	grandchild := pidsOf(t, spec)["grandchild"]
	found, notes, err := FindLeftovers(records)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || !reflect.DeepEqual(found[0].Alive, grandchild) || found[0].PID != pid {
		t.Fatalf("leftovers = %+v (notes %q), want server %d with its grandchild %v", found, notes, pid, grandchild)
	}
	if s := found[0].String(); !strings.Contains(s, fmt.Sprintf("server PID %d", pid)) || !strings.Contains(s, "which is gone") {
		t.Errorf("String() = %q", s)
	}
	if err := found[0].Stop(context.Background(), 200*time.Millisecond, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if left := GroupPIDs(pid); len(left) != 0 {
		t.Errorf("group %d still has %v", pid, left)
	}
	if _, err := os.Stat(filepath.Join(records, "m.json")); !os.IsNotExist(err) {
		t.Errorf("record left after the leftover's stop: %v", err)
	}
}

// TestRecordRemovedOnStop: the record exists while the server runs and a clean
// stop removes it.
func TestRecordRemovedOnStop(t *testing.T) {
	spec := fakeSpec(t, "m", nil)
	spec.Record = filepath.Join(t.TempDir(), "servers", "m.json")
	s := startServer(t, spec)
	if _, err := os.Stat(spec.Record); err != nil {
		t.Fatalf("no record while running: %v", err)
	}
	found, _, err := FindLeftovers(filepath.Dir(spec.Record))
	if err != nil || len(found) != 0 {
		t.Errorf("a server of this running quanteval counted as left over: %v %v", found, err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spec.Record); !os.IsNotExist(err) {
		t.Errorf("record after a clean stop: %v", err)
	}
}

// startProc starts a sleeper in a group of its own, killed at the end.
func startProc(t *testing.T) (pid int, ticks uint64) {
	t.Helper()
	c := exec.Command("sleep", "300")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go c.Wait()
	t.Cleanup(func() { c.Process.Kill() })
	st, err := ReadProcStat(c.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return c.Process.Pid, st.StartTime
}

// TestFindLeftovers: only a group whose leader is the recorded process (PID and
// start time) of a quanteval that is gone is a leftover; a reused PID is never one.
func TestFindLeftovers(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	server, ticks := startProc(t)
	other, otherTicks := startProc(t)
	write := func(name string, r Record) {
		if err := writeRecord(filepath.Join(dir, name), r); err != nil {
			t.Fatal(err)
		}
	}
	base := Record{PID: server, PGID: server, StartTicks: ticks, Port: 1, QuantevalPID: dead.Process.Pid, QuantevalStartTicks: 1}
	reused := base
	reused.StartTicks = ticks + 1 // the recorded server started at another time: the PID was reused
	running := base
	running.QuantevalPID, running.QuantevalStartTicks = other, otherTicks // its quanteval still runs
	write("a-leftover.json", base)
	write("b-reused.json", reused)
	write("c-running.json", running)
	if err := os.WriteFile(filepath.Join(dir, "d-garbage.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}

	found, notes, err := FindLeftovers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].File != filepath.Join(dir, "a-leftover.json") || !reflect.DeepEqual(found[0].Alive, []int{server}) {
		t.Errorf("found %+v, want only a-leftover with %d", found, server)
	}
	for _, want := range []string{"b-reused.json: server PID", "c-running.json: server PID", "which still runs", "d-garbage.json: not a server record"} {
		if !strings.Contains(strings.Join(notes, "\n"), want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "b-reused.json")); !os.IsNotExist(err) {
		t.Error("the record of a gone server was kept")
	}
	if _, err := os.Stat(filepath.Join(dir, "c-running.json")); err != nil {
		t.Error("the record of a running quanteval was removed")
	}
	if !alive(server) || !alive(other) {
		t.Fatal("finding killed something")
	}
	if err := found[0].Stop(context.Background(), time.Second, time.Second); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); alive(server); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the leftover survived its stop")
		}
	}
	if !alive(other) {
		t.Error("a process outside the leftover's group was killed")
	}
}

// TestLeftoverDaemonNamed: a leftover server's daemon that left its group keeps the
// port after the group is stopped; the stop names it at once instead of waiting
// out the release timeout, and does not kill it.
func TestLeftoverDaemonNamed(t *testing.T) {
	dir := t.TempDir()
	pidsFile := filepath.Join(dir, "pids")
	port := freePort(t)
	srv := startForeign(t, port, "FAKEVLLM_DAEMON=1", "FAKEVLLM_PIDS="+pidsFile)
	var daemon int
	for deadline := time.Now().Add(10 * time.Second); daemon == 0; time.Sleep(10 * time.Millisecond) {
		if d := pidsOf(t, Spec{Env: map[string]string{"FAKEVLLM_PIDS": pidsFile}})["daemon"]; len(d) > 0 {
			daemon = d[0]
		} else if time.Now().After(deadline) {
			t.Fatal("the fake started no daemon")
		}
	}
	killAtEnd(t, daemon)
	st, err := ReadProcStat(srv.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	rec := Record{PID: srv.Process.Pid, PGID: srv.Process.Pid, StartTicks: st.StartTime, Host: "127.0.0.1", Port: port, QuantevalPID: dead.Process.Pid}
	if err := writeRecord(filepath.Join(dir, "servers", "v.json"), rec); err != nil {
		t.Fatal(err)
	}
	go srv.Wait() // reap the stopped server, as init would (once: the cleanup waits too)
	found, _, err := FindLeftovers(filepath.Join(dir, "servers"))
	if err != nil || len(found) != 1 {
		t.Fatalf("found %v, %v", found, err)
	}
	start := time.Now()
	err = found[0].Stop(context.Background(), time.Second, time.Minute)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("port %d is still held by PID %d (", port, daemon)) {
		t.Errorf("err = %v, want the daemon %d named", err, daemon)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the stop waited %v for a port held by a named process", time.Since(start))
	}
	if !alive(daemon) {
		t.Error("the daemon was killed")
	}
}
