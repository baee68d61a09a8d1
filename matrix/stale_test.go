package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
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

// leaveServer starts the fake server on the fixture's port and records it in the
// output as a quanteval that has since died would have: a server nobody stops.
func leaveServer(t *testing.T, f *fixture, variant string) int {
	t.Helper()
	cmd := exec.Command(testenv.FakeVLLM(t), "serve", "test/left-over", "--host", "127.0.0.1", "--port", strconv.Itoa(f.port))
	cmd.Env = append(os.Environ(), "FAKEVLLM_EVENTS="+f.events)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	go cmd.Wait() // reaped once stopped, as init would reap an orphan
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port))); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the left-over server never listened")
		}
	}
	dead := exec.Command("true") // the quanteval that started it, gone
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	st, err := server.ReadProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	rec := server.Record{PID: pid, PGID: pid, StartTicks: st.StartTime, Host: "127.0.0.1", Port: f.port,
		Command: cmd.Args, StartedAt: time.Now(), QuantevalPID: dead.Process.Pid}
	data, _ := json.Marshal(rec)
	if err := os.MkdirAll(f.out("servers"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.out("servers", variant+".json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestLeftoverServerStopped: a server recorded by a killed quanteval still holds
// the port; the next run on the same output (plain or --resume) says so with its
// PID, stops it gracefully (SIGINT first) and then runs the plan.
func TestLeftoverServerStopped(t *testing.T) {
	for _, resume := range []bool{false, true} {
		t.Run(fmt.Sprintf("resume=%v", resume), func(t *testing.T) {
			f := newFixture(t, "", "")
			pid := leaveServer(t, f, "BF16")
			var progress bytes.Buffer
			_, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate,
				Only: []string{"BF16"}, Resume: resume, Progress: &progress})
			if err != nil {
				t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
			}
			out := progress.String()
			if !strings.Contains(out, fmt.Sprintf("found a server PID %d (port %d", pid, f.port)) || !strings.Contains(out, fmt.Sprintf("stopped the leftover server PID %d", pid)) {
				t.Errorf("progress does not name the leftover %d:\n%s", pid, out)
			}
			if strings.Index(out, "stopped the leftover") > strings.Index(out, "starting:") {
				t.Errorf("a server started before the leftover was stopped:\n%s", out)
			}
			if events := strings.Join(f.eventLines(t), "\n"); !strings.Contains(events, "exit test/left-over") {
				t.Errorf("the leftover was not stopped gracefully: events %q", events)
			}
			if st, err := server.ReadProcStat(pid); err == nil && !st.Zombie() {
				t.Errorf("leftover %d still alive", pid)
			}
			m := readManifest(t, f)
			if len(m.Leftovers) != 1 || !strings.Contains(m.Leftovers[0], fmt.Sprintf("server PID %d", pid)) || m.Variants[0].Status != StatusOK {
				t.Errorf("manifest leftovers %q, status %s", m.Leftovers, m.Variants[0].Status)
			}
			if files, _ := filepath.Glob(f.out("servers", "*")); len(files) != 0 {
				t.Errorf("records left after a clean run: %v", files)
			}
		})
	}
}

// TestStrayDaemon: the FP8 server starts a daemon that leaves its group holding the
// port. The variant's results stand, with a warning naming the daemon in the
// output and the manifest; only with kill_strays is it killed.
func TestStrayDaemon(t *testing.T) {
	for _, kill := range []bool{false, true} {
		t.Run(fmt.Sprintf("kill_strays=%v", kill), func(t *testing.T) {
			f := newFixture(t, fmt.Sprintf(`env: {FAKEVLLM_DAEMON: "1"}, kill_strays: %v`, kill), "")
			var progress bytes.Buffer
			_, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: f.plan, Evaluate: (&fakeEval{}).Evaluate,
				Only: []string{"FP8"}, Progress: &progress})
			daemon := daemonPID(t, f)
			if err != nil {
				t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
			}
			m := readManifest(t, f)
			vr := m.Variants[0]
			if vr.Status != StatusOK || len(vr.Strays) != 1 || vr.Strays[0].PID != daemon || vr.Strays[0].Killed != kill || len(vr.Warnings) != 1 {
				t.Fatalf("FP8: status %s, strays %+v, warnings %q; want daemon %d, killed=%v", vr.Status, vr.Strays, vr.Warnings, daemon, kill)
			}
			want := fmt.Sprintf("WARNING: process outside the server's process group: PID %d (", daemon)
			if !strings.Contains(progress.String(), want) || !strings.Contains(progress.String(), fmt.Sprintf("port %d", f.port)) {
				t.Errorf("progress lacks %q:\n%s", want, progress.String())
			}
			if st, err := server.ReadProcStat(daemon); (err == nil && !st.Zombie()) == kill {
				t.Errorf("daemon %d alive=%v with kill_strays %v", daemon, err == nil, kill)
			}
		})
	}
}

// daemonPID is the daemon the fake wrote down, killed when the test ends.
func daemonPID(t *testing.T, f *fixture) int {
	t.Helper()
	data, err := os.ReadFile(f.pids)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "daemon "); ok {
			pid, _ := strconv.Atoi(p)
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			return pid
		}
	}
	t.Fatalf("no daemon in %q", data)
	return 0
}
