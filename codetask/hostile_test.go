package codetask

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/sandbox"
)

// spy runs programs on r with a unique marker as their last argument, which every
// process they start by fork or by running python again keeps in its command line,
// and remembers the last result.
type spy struct {
	r      sandbox.Runner
	marker string
	mu     sync.Mutex
	last   sandbox.Result
}

func (s *spy) Run(ctx context.Context, p sandbox.Program) sandbox.Result {
	p.Args = append(p.Args, s.marker)
	res := s.r.Run(ctx, p)
	s.mu.Lock()
	s.last = res
	s.mu.Unlock()
	return res
}

// processesWith returns the PIDs of live processes whose command line holds marker.
func processesWith(marker string) []int {
	var pids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(marker)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

const connect = "import socket\nsocket.create_connection(('127.0.0.1', %d), timeout=2).sendall(b'hi')\n"

// listen opens a listener on 127.0.0.1 until the test and its subtests end;
// connections (to be called in a Cleanup registered later) stops it and says how
// many connections it accepted.
func listen(t *testing.T) (port int, connections func() int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port, func() int {
		ln.Close()
		<-done
		return int(n.Load())
	}
}

// TestHostilePrograms runs programs that attack the machine as HumanEval replies:
// each must be contained, scored wrong with the expected reason, and leave no
// process, no file read and no file written behind.
func TestHostilePrograms(t *testing.T) {
	s := newSandbox(t)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	secret := "the-secret-is-" + token // the planted files' content
	tmpSecret := filepath.Join(t.TempDir(), "secret.txt")
	projSecret := filepath.Join(cwd, "testdata", ".secret-"+token)
	for _, p := range []string{tmpSecret, projSecret} {
		if err := os.WriteFile(p, []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(p) })
	}
	outside := []string{filepath.Join(cwd, "pwned-"+token), "/root/pwned-" + token, filepath.Join(os.TempDir(), "pwned-"+token)}
	port, connections := listen(t)

	wrong := "\ndef add_all(xs):\n    return -1\n"
	cases := []struct {
		name    string
		program string
		reasons []string
		stdout  []string // lines the program must have printed: it got as far as trying
	}{
		{"infinite loop", "while True:\n    pass\n", []string{ReasonTimeout}, nil},
		{"fork bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", []string{ReasonTimeout}, nil},
		{"allocate 10 GiB", "x = bytearray(10 << 30)\n" + wrong, []string{ReasonMemory}, nil},
		{"100 MB to stdout", "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.write(chunk)\n" + wrong, []string{ReasonTestFailed, ReasonTimeout}, nil}, // a machine under load may not drain 100 MB before the timeout: contained either way
		{"connect to 127.0.0.1", fmt.Sprintf(connect, port) + wrong, []string{ReasonTestFailed}, nil},
		{"read planted secrets", fmt.Sprintf("for p in [%q, %q]:\n    try:\n        print(open(p).read(), flush=True)\n    except OSError as e:\n        print('unread', p, e, flush=True)\nprint('environ of PID 1:', repr(open('/proc/1/environ').read()), flush=True)\n", tmpSecret, projSecret) + wrong,
			[]string{ReasonTestFailed}, []string{"unread " + tmpSecret, "unread " + projSecret, "environ of PID 1: ''"}},
		{"write outside /tmp", fmt.Sprintf("for p in [%q, %q, %q]:\n    try:\n        open(p, 'w').write('x')\n    except OSError as e:\n        print('unwritten', p, e, flush=True)\n", outside[0], outside[1], outside[2]) + wrong, []string{ReasonTestFailed}, []string{"unwritten " + outside[0], "unwritten " + outside[1]}}, // its own /tmp is writable
		{"kill its parent", "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(0.3)\n" + wrong, []string{ReasonTestFailed}, nil},
		{"leave a background child", "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'] + sys.argv[1:], start_new_session=True)\nif __import__('os').fork() == 0:\n    __import__('os').setsid()\n    __import__('time').sleep(300)\n" + wrong, []string{ReasonTestFailed}, nil},
	}
	start := time.Now()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sp := &spy{r: s, marker: fmt.Sprintf("hostile-%s-%d", token, i)}
			rec, err := Score(context.Background(), sp, addAll, "```python\n"+c.program+"```")
			if err != nil {
				t.Fatal(err)
			}
			if rec.OK || !slices.Contains(c.reasons, rec.Reason) {
				t.Errorf("ok %v reason %q (want one of %v), error %q\nstderr: %s", rec.OK, rec.Reason, c.reasons, rec.Error, rec.Stderr)
			}
			res := sp.last
			for _, want := range c.stdout {
				if !bytes.Contains(res.Stdout.Data, []byte(want)) {
					t.Errorf("stdout lacks %q:\n%s", want, res.Stdout.Data)
				}
			}
			if left := processesWith(sp.marker); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", res.PID)); err == nil {
				t.Errorf("bwrap (PID %d) still exists", res.PID)
			}
			if bytes.Contains(res.Stdout.Data, []byte(secret)) || bytes.Contains(res.Stderr.Data, []byte(secret)) {
				t.Errorf("the secret was read:\n%s", res.Stdout.Data)
			}
			if res.Duration > 10*time.Second {
				t.Errorf("took %v with a 3 s timeout", res.Duration)
			}
			t.Logf("%s: %s (%s) in %v, stdout %d bytes", c.name, rec.Reason, rec.Error, res.Duration.Round(time.Millisecond), res.Stdout.Total)
		})
	}
	t.Cleanup(func() {
		for _, p := range outside {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s was written", p)
				os.Remove(p)
			}
		}
		if n := connections(); n > 0 {
			t.Errorf("the listener on 127.0.0.1 accepted %d connections", n)
		}
		t.Logf("hostile suite took %v", time.Since(start).Round(time.Millisecond))
	})
}

// TestHostileChecksCanFail runs two of the hostile programs without a sandbox, where
// they succeed, to show that the suite's checks see a leak: the planted secret is
// read and the background child survives (it is killed here).
func TestHostileChecksCanFail(t *testing.T) {
	unsafe, err := sandbox.New(sandbox.Options{Unsafe: true, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	secretFile := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secretFile, []byte("the-secret-is-"+token), 0o644); err != nil {
		t.Fatal(err)
	}
	port, connections := listen(t)
	sp := &spy{r: unsafe, marker: "control-" + token}
	prog := fmt.Sprintf("import subprocess, sys\nprint(open(%q).read(), flush=True)\n"+fmt.Sprintf(connect, port)+
		"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'] + sys.argv[1:], start_new_session=True)\n"+
		"def add_all(xs):\n    return sum(xs)\n", secretFile)
	rec, err := Score(context.Background(), sp, addAll, "```python\n"+prog+"```")
	if err != nil {
		t.Fatal(err)
	}
	left := processesWith(sp.marker)
	for _, pid := range left {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
	if !rec.OK || !rec.Unsafe {
		t.Errorf("unsafe run: ok %v unsafe %v reason %q %s", rec.OK, rec.Unsafe, rec.Reason, rec.Stderr)
	}
	if !bytes.Contains(sp.last.Stdout.Data, []byte("the-secret-is-"+token)) {
		t.Errorf("without a sandbox the secret should be read; stdout: %s", sp.last.Stdout.Data)
	}
	if len(left) == 0 {
		t.Error("without a sandbox a background child in its own session should survive; none found")
	}
	if n := connections(); n != 1 {
		t.Errorf("without a sandbox the listener should accept 1 connection, accepted %d", n)
	}
}
