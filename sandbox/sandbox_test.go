package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
)

// newSandbox returns a working sandbox, or skips (fails under CI) without bwrap.
func newSandbox(t testing.TB, o Options) *Sandbox {
	t.Helper()
	s, err := New(o)
	if err != nil {
		testenv.Missing(t, "no working sandbox: %v", err)
	}
	return s
}

func run(t *testing.T, s *Sandbox, src string) Result {
	t.Helper()
	r := s.Run(context.Background(), Program{Source: src})
	if r.Err != nil {
		t.Fatalf("Run: %v\nstderr: %s", r.Err, r.Stderr.Data)
	}
	if r.PID > 0 && processExists(r.PID) {
		t.Errorf("process %d still exists after Run", r.PID)
	}
	return r
}

// processExists reports whether pid is a live (not zombie) process.
func processExists(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

const inspect = `import os, resource, socket, sys
R = resource
lims = [R.RLIMIT_CPU, R.RLIMIT_AS, R.RLIMIT_FSIZE, R.RLIMIT_NOFILE, R.RLIMIT_NPROC, R.RLIMIT_CORE]
print("uid", os.getuid())
print("pid", os.getpid())
print("host", socket.gethostname())
print("root", " ".join(sorted(os.listdir("/"))))
print("etc", " ".join(sorted(os.listdir("/etc"))))
print("etcro", os.access("/etc/alternatives", os.W_OK))
print("env", " ".join(sorted(os.environ)))
print("cwd", os.getcwd(), os.environ.get("HOME"))
print("limits", " ".join("%d/%d" % R.getrlimit(l) for l in lims))
try:
    R.setrlimit(R.RLIMIT_AS, (R.RLIM_INFINITY, R.RLIM_INFINITY))
    print("raise ok")
except (ValueError, OSError) as e:
    print("raise refused")
print("argv", " ".join(sys.argv[1:]))
import subprocess
print("userns", subprocess.call(["/usr/bin/unshare", "--user", "true"], stderr=subprocess.DEVNULL) != 0)
`

func fields(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		m[k] = v
	}
	return m
}

func TestIsolationAndLimits(t *testing.T) {
	t.Setenv("HF_TOKEN", "hf_must_not_leak")
	s := newSandbox(t, Options{AddressSpace: 512 << 20, CPUSeconds: 3, FileSize: 1 << 20, OpenFiles: 20, Processes: 9})
	r := s.Run(context.Background(), Program{Source: inspect, Args: []string{"x", "y z"}})
	if r.Err != nil || r.ExitCode != 0 {
		t.Fatalf("exit %d, err %v\n%s", r.ExitCode, r.Err, r.Stderr.Data)
	}
	got := fields(string(r.Stdout.Data))
	want := map[string]string{
		"pid":    "2",
		"host":   "sandbox",
		"root":   "bin dev etc lib lib64 proc tmp usr",
		"etc":    "alternatives ld.so.cache", // no passwd, hosts, ...: library links only
		"etcro":  "False",
		"env":    "HOME LANG MKL_NUM_THREADS OMP_NUM_THREADS OPENBLAS_NUM_THREADS PATH PWD PYTHONDONTWRITEBYTECODE TMPDIR",
		"cwd":    "/tmp /tmp",
		"limits": fmt.Sprintf("3/4 %d/%d %d/%d 20/20 9/9 0/0", 512<<20, 512<<20, 1<<20, 1<<20),
		"raise":  "refused",
		"argv":   "x y z",
		"userns": "True",
	}
	if os.Geteuid() == 0 {
		want["uid"] = "65534"
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if r.Unsafe {
		t.Error("a bwrap run says Unsafe")
	}
}

func TestExitStatus(t *testing.T) {
	s := newSandbox(t, Options{})
	cases := []struct {
		src    string
		code   int
		signal syscall.Signal
	}{
		{"pass", 0, 0},
		{"import sys; sys.exit(3)", 3, 0},
		{"raise ValueError('x')", 1, 0},
		{"import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", -1, syscall.SIGSEGV},
	}
	for _, c := range cases {
		r := run(t, s, c.src)
		if r.ExitCode != c.code || r.Signal != c.signal || r.TimedOut {
			t.Errorf("%s: exit %d signal %v timedout %v, want %d %v", c.src, r.ExitCode, r.Signal, r.TimedOut, c.code, c.signal)
		}
	}
}

func TestTimeoutKillsTree(t *testing.T) {
	s := newSandbox(t, Options{Timeout: 700 * time.Millisecond, CPUSeconds: 30}) // the wall clock, not SIGXCPU, must end it
	// A child in its own session, ignoring SIGTERM and SIGHUP, sleeping on.
	r := run(t, s, `import os, signal, subprocess, time
subprocess.Popen(["/bin/sh", "-c", "trap '' TERM HUP; sleep 600"], start_new_session=True)
while True:
    pass`)
	if !r.TimedOut || r.ExitCode != -1 {
		t.Errorf("TimedOut %v, exit %d", r.TimedOut, r.ExitCode)
	}
	if r.Duration > 5*time.Second {
		t.Errorf("took %v with a 0.7 s timeout", r.Duration)
	}
}

func TestCPULimit(t *testing.T) {
	s := newSandbox(t, Options{Timeout: 10 * time.Second, CPUSeconds: 1})
	r := run(t, s, "while True: pass")
	if r.Signal != syscall.SIGXCPU || !r.CPULimited() || r.TimedOut {
		t.Errorf("signal %v, timed out %v: want SIGXCPU from the CPU limit", r.Signal, r.TimedOut)
	}
}

func TestOutputCapped(t *testing.T) {
	s := newSandbox(t, Options{OutputLimit: 1000})
	r := run(t, s, `import sys
chunk = "y" * (1 << 20)
for _ in range(100):
    sys.stdout.write(chunk)
sys.stderr.write("e" * 5000 + "END")`)
	if r.Stdout.Total != 100<<20 || len(r.Stdout.Data) != 1000 || !r.Stdout.Truncated() {
		t.Errorf("stdout kept %d of %d", len(r.Stdout.Data), r.Stdout.Total)
	}
	if r.Stderr.Total != 5003 || !strings.HasSuffix(string(r.Stderr.Data), "eeeEND") || len(r.Stderr.Data) != 1000 {
		t.Errorf("stderr kept %d of %d, ends %q", len(r.Stderr.Data), r.Stderr.Total, r.Stderr.Data[max(0, len(r.Stderr.Data)-10):])
	}
}

func TestTmpIsSmallAndRestReadOnly(t *testing.T) {
	s := newSandbox(t, Options{TmpSize: 1 << 20, ShmSize: 1 << 20, FileSize: 8 << 20})
	r := run(t, s, `import errno
def attempt(path, n):
    try:
        with open(path, "wb") as f:
            f.write(b"x" * n)
        return "written"
    except OSError as e:
        return errno.errorcode[e.errno]
print("tmp", attempt("/tmp/a", 1000))
print("big", attempt("/tmp/b", 2 << 20))
print("shm", attempt("/dev/shm/a", 1000))
print("bigshm", attempt("/dev/shm/b", 2 << 20))
for p in ["/x", "/dev/x", "/usr/x", "/etc/x", "/tmp/main.py"]:
    print(p, attempt(p, 1))`)
	got := fields(string(r.Stdout.Data))
	want := map[string]string{"tmp": "written", "big": "ENOSPC", "shm": "written", "bigshm": "ENOSPC",
		"/x": "EROFS", "/dev/x": "EROFS", "/usr/x": "EROFS", "/etc/x": "EROFS", "/tmp/main.py": "EROFS"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("writing %s: %q, want %q\n%s", k, got[k], v, r.Stderr.Data)
		}
	}
}

// Python's multiprocessing works: its semaphores need a writable /dev/shm.
func TestMultiprocessing(t *testing.T) {
	s := newSandbox(t, Options{})
	r := run(t, s, `import multiprocessing as mp
if __name__ == "__main__":
    with mp.Pool(2) as p:
        print("squares", sum(p.map(abs, [-1, -2, -3])))`)
	if got := fields(string(r.Stdout.Data)); got["squares"] != "6" || r.ExitCode != 0 {
		t.Errorf("multiprocessing: exit %d, stdout %q\n%s", r.ExitCode, r.Stdout.Data, r.Stderr.Data)
	}
}

func TestUnsafe(t *testing.T) {
	t.Setenv("HF_TOKEN", "hf_must_not_leak")
	// The CPU limit sits well above the timeout: with both at one second, a
	// loaded machine may let SIGXCPU win the race, and this test is about the
	// wall clock.
	s, err := New(Options{Unsafe: true, Bwrap: "/nonexistent/bwrap", OpenFiles: 21, Timeout: time.Second, CPUSeconds: 30})
	if err != nil {
		testenv.Missing(t, "unsafe runner: %v", err)
	}
	r := run(t, s, `import os, resource
print("nofile", resource.getrlimit(resource.RLIMIT_NOFILE)[0])
print("env", " ".join(sorted(os.environ)))
print("cwd", os.getcwd() == os.environ["HOME"])`)
	got := fields(string(r.Stdout.Data))
	if !r.Unsafe || got["nofile"] != "21" || got["cwd"] != "True" || got["env"] != "HOME LANG MKL_NUM_THREADS OMP_NUM_THREADS OPENBLAS_NUM_THREADS PATH PYTHONDONTWRITEBYTECODE TMPDIR" {
		t.Errorf("unsafe run: Unsafe %v, %v\n%s", r.Unsafe, got, r.Stderr.Data)
	}
	r = run(t, s, "while True: pass")
	if !r.TimedOut || !r.Unsafe {
		t.Errorf("unsafe infinite loop: timed out %v", r.TimedOut)
	}
}

func TestNewWithoutBwrap(t *testing.T) {
	_, err := New(Options{Bwrap: "/nonexistent/bwrap"})
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y bubblewrap") {
		t.Errorf("New without bwrap: %v; want the install hint", err)
	}
	_, err = New(Options{Python: "/opt/python3"})
	if err == nil {
		t.Error("New accepted a python that does not exist")
	}
}

func TestRunCanceled(t *testing.T) {
	s := newSandbox(t, Options{Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	r := s.Run(ctx, Program{Source: "import time; time.sleep(30)"})
	if !errors.Is(r.Err, context.Canceled) || r.TimedOut {
		t.Errorf("canceled run: err %v, timed out %v", r.Err, r.TimedOut)
	}
	if r.Duration > 5*time.Second || processExists(r.PID) {
		t.Errorf("canceled run took %v, process left: %v", r.Duration, processExists(r.PID))
	}
	if r := s.Run(ctx, Program{Source: "pass"}); !errors.Is(r.Err, context.Canceled) {
		t.Errorf("Run with an ended ctx: %v", r.Err)
	}
}

func TestPool(t *testing.T) {
	p := NewPool(context.Background(), 3, 2)
	var done atomic.Int64
	var running, peak atomic.Int64
	for range 20 {
		err := p.Submit(context.Background(), func(ctx context.Context) {
			n := running.Add(1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			done.Add(1)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if done.Load() != 20 || peak.Load() > 3 {
		t.Errorf("done %d, peak %d (want 20, <= 3)", done.Load(), peak.Load())
	}

	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	p = NewPool(ctx, 1, 0)
	if err := p.Submit(ctx, func(context.Context) { <-block }); err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if err := p.Submit(ctx, func(context.Context) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("Submit to a busy pool with a canceled ctx: %v", err)
	}
	close(block)
	p.Close()
}

func TestParallelRuns(t *testing.T) {
	s := newSandbox(t, Options{Workers: 2})
	p := NewPool(context.Background(), 4, 8)
	results := make([]Result, 8)
	for i := range results {
		if err := p.Submit(context.Background(), func(ctx context.Context) {
			src := fmt.Sprintf("print(%d * 2)", i)
			if i == 3 {
				src = "import os; os.abort()" // one crash stops no other
			}
			results[i] = s.Run(ctx, Program{Source: src})
		}); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	for i, r := range results {
		if i == 3 {
			if r.Signal != syscall.SIGABRT {
				t.Errorf("aborting program: signal %v", r.Signal)
			}
			continue
		}
		if got := strings.TrimSpace(string(r.Stdout.Data)); got != fmt.Sprint(i*2) || r.Err != nil {
			t.Errorf("program %d printed %q, err %v", i, got, r.Err)
		}
	}
}

// BenchmarkTrivial measures programs per second for a trivial program, run on as
// many goroutines as Workers (the CPUs).
func BenchmarkTrivial(b *testing.B) {
	s := newSandbox(b, Options{})
	b.SetParallelism(1)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := s.Run(context.Background(), Program{Source: "def add(a, b):\n    return a + b\nassert add(1, 2) == 3\n"})
			if r.Err != nil || r.ExitCode != 0 {
				b.Errorf("exit %d, err %v: %s", r.ExitCode, r.Err, r.Stderr.Data)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "programs/s")
}

func TestProcessLimit(t *testing.T) {
	s := newSandbox(t, Options{Processes: 12})
	r := run(t, s, `import os, time
n = 0
for _ in range(100):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    except OSError:
        break
print(n)`)
	n, err := strconv.Atoi(strings.TrimSpace(string(r.Stdout.Data)))
	if err != nil || n >= 12 || n < 5 {
		t.Errorf("forked %q children with a limit of 12 processes (err %v)\n%s", r.Stdout.Data, err, r.Stderr.Data)
	}
	if r.Duration > 10*time.Second {
		t.Errorf("took %v: the sleeping children outlived their parent", r.Duration)
	}
}

func TestProbeRefuses(t *testing.T) {
	if _, err := os.Stat(DefaultPython); err != nil {
		testenv.Missing(t, "no %s: %v", DefaultPython, err)
	}
	cases := []struct {
		name, script, want string
	}{
		{"no namespaces", "echo 'bwrap: No permissions to creating new namespace' >&2; exit 1", "bwrap: No permissions to creating new namespace"},
		{"not isolated", "echo 'uid 0 pid 4242 nets 3'", "probe is not isolated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, err := os.MkdirTemp("", "fakebwrap-") // not t.TempDir: bwrap may run as nobody
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			fake := dir + "/bwrap"
			if err := os.WriteFile(fake, []byte("#!/bin/sh\n"+c.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			_, err = New(Options{Bwrap: fake})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "apt-get install -y bubblewrap") {
				t.Errorf("New with a bwrap that %s: %v", c.name, err)
			}
		})
	}
}
