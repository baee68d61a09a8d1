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
	dir := t.TempDir()
	fake, err := testenv.BuildFakeVLLM(dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "quanteval")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	set := `{"id": "q1", "type": "number", "prompt": "[q1] What is 2 + 3?", "answer": 5}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "tiny.jsonl"), []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := fmt.Sprintf(`name: hup
output: %[1]s/out
server:
  command: [%[2]s, serve]
  port: %[3]d
  env: {FAKEVLLM_PIDS: %[1]s/pids, FAKEVLLM_EVENTS: %[1]s/events, FAKEVLLM_DELAY: 1h, FAKEVLLM_GRANDCHILD: "1"}
  stop_grace: 5s
variants:
  - {name: FP8, model: test/FP8}
evals:
  - {evalset: %[1]s/tiny.jsonl}
`, dir, fake, testenv.FreePort(t))
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "matrix", filepath.Join(dir, "plan.yaml"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(dir, "out", "logs", "FP8.log")); bytes.Contains(b, []byte("Loading safetensors")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never started loading\n%s", stderr.String())
		}
	}
	pids, err := os.ReadFile(filepath.Join(dir, "pids"))
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
	if ev, _ := os.ReadFile(filepath.Join(dir, "events")); !strings.Contains(string(ev), "exit test/FP8") {
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
