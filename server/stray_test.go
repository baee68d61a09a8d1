package server

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// killAtEnd kills pid (a process outside any group of ours) when the test ends.
func killAtEnd(t *testing.T, pid int) {
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
}

// daemonSpec runs the fake with a daemon that leaves the group holding the port.
func daemonSpec(t *testing.T) Spec {
	spec := fakeSpec(t, "m", map[string]string{"FAKEVLLM_DAEMON": "1"})
	spec.ReleaseTimeout = 3 * time.Second
	spec.StopGrace = time.Second
	return spec
}

func startDaemonServer(t *testing.T, spec Spec) (*Server, int) {
	t.Helper()
	s := startServer(t, spec)
	if err := s.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := pidsOf(t, spec)["daemon"]
	if len(d) != 1 {
		t.Fatalf("daemon PIDs %v", d)
	}
	killAtEnd(t, d[0])
	return s, d[0]
}

// TestStopNamesTheDaemon: a daemon that left the process group keeps the port
// after the stop; Stop names it (PID, command, what it holds), leaves it running
// and does not wait out the release timeout for a port that will not come free.
func TestStopNamesTheDaemon(t *testing.T) {
	spec := daemonSpec(t)
	s, daemon := startDaemonServer(t, spec)
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	strays := s.Strays()
	if len(strays) != 1 {
		t.Fatalf("strays = %v, want the daemon %d", strays, daemon)
	}
	st := strays[0]
	if st.PID != daemon || st.Killed || !strings.Contains(st.Command, "__daemon") ||
		fmt.Sprint(st.Holds) != fmt.Sprintf("[port %d]", spec.Port) {
		t.Errorf("stray = %+v, want PID %d holding port %d, not killed", st, daemon, spec.Port)
	}
	if !alive(daemon) {
		t.Error("the daemon was killed without kill_strays")
	}
	if !strings.Contains(st.String(), "PID "+strconv.Itoa(daemon)) {
		t.Errorf("String() = %q", st.String())
	}
}

// TestKillStrays: with KillStrays the daemon, and only it, is killed, and the port
// is free after Stop.
func TestKillStrays(t *testing.T) {
	spec := daemonSpec(t)
	spec.KillStrays = true
	bystander := exec.Command("sleep", "300") // started after the server: only the port test spares it
	s, daemon := startDaemonServer(t, spec)
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bystander.Process.Kill(); bystander.Wait() }()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if st := s.Strays(); len(st) != 1 || st[0].PID != daemon || !st[0].Killed {
		t.Errorf("strays = %+v, want the daemon %d killed", st, daemon)
	}
	if alive(daemon) {
		t.Errorf("daemon %d still alive", daemon)
	}
	if !alive(bystander.Process.Pid) {
		t.Error("a process that held nothing of the server's was killed")
	}
	if err := portFree(fmt.Sprintf("127.0.0.1:%d", spec.Port)); err != nil {
		t.Errorf("port not free: %v", err)
	}
}

// TestGPUStray: a process outside the group that took GPU memory after the start
// (here a setsid sleeper, as nvidia-smi reports it) is a stray; memory held before
// the start (999) is not. It is named and waited around, or killed on request.
func TestGPUStray(t *testing.T) {
	for _, kill := range []bool{false, true} {
		t.Run(fmt.Sprintf("kill=%v", kill), func(t *testing.T) {
			var stray, srv atomic.Int64
			var calls atomic.Int64
			spec := fakeSpec(t, "m", nil)
			spec.KillStrays = kill
			spec.ReleaseTimeout = 5 * time.Second
			spec.NvidiaSMI = func(_ context.Context, args ...string) ([]byte, error) {
				calls.Add(1)
				out := "999, 10 MiB\n"
				for _, p := range []int64{srv.Load(), stray.Load()} {
					if p != 0 && alive(int(p)) {
						out += fmt.Sprintf("%d, 2000 MiB\n", p)
					}
				}
				return []byte(out), nil
			}
			s := startServer(t, spec)
			srv.Store(int64(s.PID()))
			sleeper := exec.Command("sleep", "300")
			sleeper.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			if err := sleeper.Start(); err != nil {
				t.Fatal(err)
			}
			go sleeper.Wait() // reaped as soon as it is killed
			killAtEnd(t, sleeper.Process.Pid)
			stray.Store(int64(sleeper.Process.Pid))
			if err := s.WaitReady(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			st := s.Strays()
			if len(st) != 1 || st[0].PID != sleeper.Process.Pid || fmt.Sprint(st[0].Holds) != "[GPU memory 2000 MiB]" || st[0].Killed != kill {
				t.Errorf("strays = %+v, want the sleeper %d holding GPU memory 2000 MiB, killed=%v", st, sleeper.Process.Pid, kill)
			}
			if alive(sleeper.Process.Pid) == kill {
				t.Errorf("sleeper alive = %v with kill_strays %v", alive(sleeper.Process.Pid), kill)
			}
			if calls.Load() < 2 {
				t.Errorf("nvidia-smi asked %d times: no baseline and no check", calls.Load())
			}
		})
	}
}
