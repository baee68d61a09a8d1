package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/server"
)

// TestHangupStopsTheServer closes quanteval's terminal (SIGHUP) while `matrix`
// waits for a server: it must take the same path as Ctrl-C (the server and its
// group stopped gracefully, exit status 130), not die and leave the server running.
// It runs the built binary, as a terminal would.
func TestHangupStopsTheServer(t *testing.T) {
	b := newSignalBench(t)
	cmd, stderr := b.startLoading(t)
	pids, err := os.ReadFile(filepath.Join(b.dir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("quanteval did not end after SIGHUP")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Errorf("after SIGHUP: %v, want exit status %d\n%s", err, exitInterrupted, stderr.String())
	}
	if ev, _ := os.ReadFile(filepath.Join(b.dir, "events")); !strings.Contains(string(ev), "exit test/FP8") {
		t.Errorf("the server was not stopped gracefully: events %q", ev)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(pids)), "\n") {
		_, p, _ := strings.Cut(line, " ")
		pid, _ := strconv.Atoi(p)
		if st, err := server.ReadProcStat(pid); err == nil && !st.Zombie() {
			t.Errorf("%s still alive after SIGHUP", line)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// signalBench is a built quanteval and fake server, a one-item eval set and a plan
// of one variant whose server loads for an hour (FAKEVLLM_DELAY), with a grandchild.
type signalBench struct {
	dir, bin, fake string
	port           int
}

func newSignalBench(t *testing.T) *signalBench {
	t.Helper()
	b := &signalBench{dir: t.TempDir(), port: testenv.FreePort(t)}
	b.fake = testenv.FakeVLLM(t)
	b.bin = filepath.Join(b.dir, "quanteval")
	if out, err := exec.Command("go", "build", "-o", b.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	set := `{"id": "q1", "type": "number", "prompt": "[q1] What is 2 + 3?", "answer": 5}` + "\n"
	if err := os.WriteFile(filepath.Join(b.dir, "tiny.jsonl"), []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	b.writePlan(t, "1h")
	return b
}

// writePlan writes the plan with the server's load time delay.
func (b *signalBench) writePlan(t *testing.T, delay string) {
	t.Helper()
	plan := fmt.Sprintf(`name: signals
output: %[1]s/out
server:
  command: [%[2]s, serve]
  port: %[3]d
  env: {FAKEVLLM_PIDS: %[1]s/pids, FAKEVLLM_EVENTS: %[1]s/events, FAKEVLLM_DELAY: %[4]s, FAKEVLLM_GRANDCHILD: "1"}
  stop_grace: 5s
variants:
  - {name: FP8, model: test/FP8}
evals:
  - {evalset: %[1]s/tiny.jsonl}
`, b.dir, b.fake, b.port, delay)
	if err := os.WriteFile(filepath.Join(b.dir, "plan.yaml"), []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startLoading starts `quanteval matrix` and returns once its server is loading.
func (b *signalBench) startLoading(t *testing.T) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(b.bin, "matrix", filepath.Join(b.dir, "plan.yaml"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if data, _ := os.ReadFile(filepath.Join(b.dir, "out", "logs", "FP8.log")); bytes.Contains(data, []byte("Loading safetensors")) {
			return cmd, &stderr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never started loading\n%s", stderr.String())
		}
	}
}

// pidOf reads the PID the fake wrote down for role ("server", "grandchild").
func (b *signalBench) pidOf(t *testing.T, role string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(b.dir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, role+" "); ok {
			pid, _ := strconv.Atoi(p)
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			return pid
		}
	}
	t.Fatalf("no %s in %q", role, data)
	return 0
}

func aliveProc(pid int) bool {
	st, err := server.ReadProcStat(pid)
	return err == nil && !st.Zombie()
}

// TestKilledMatrixLeavesNothing kills `quanteval matrix` outright (SIGKILL, as the
// OOM killer does): its server dies with it, and the next `matrix` on the same
// output names the group's grandchild left behind, stops it, and then runs.
func TestKilledMatrixLeavesNothing(t *testing.T) {
	b := newSignalBench(t)
	cmd, _ := b.startLoading(t)
	srv, grandchild := b.pidOf(t, "server"), b.pidOf(t, "grandchild")
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); aliveProc(srv); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("server %d outlived the killed quanteval", srv)
		}
	}
	if !aliveProc(grandchild) {
		t.Fatalf("grandchild %d gone already: the next run has nothing to find", grandchild)
	}

	b.writePlan(t, "0s")
	var stdout, stderr bytes.Buffer
	again := exec.Command(b.bin, "matrix", filepath.Join(b.dir, "plan.yaml"))
	again.Stdout, again.Stderr = &stdout, &stderr
	if err := again.Run(); err != nil {
		t.Fatalf("second matrix: %v\n%s", err, stderr.String())
	}
	if want := fmt.Sprintf("found a server PID %d (port %d", srv, b.port); !strings.Contains(stderr.String(), want) {
		t.Errorf("second matrix does not name the leftover (%q):\n%s", want, stderr.String())
	}
	if aliveProc(grandchild) {
		t.Errorf("grandchild %d of the killed run still alive", grandchild)
	}
}
