// Package sandbox owns running an untrusted Python program (one a model wrote): under
// bubblewrap (bwrap) in fresh namespaces, with resource limits, a wall-clock timeout
// that kills the whole process tree, and capped output. It knows nothing of tasks or
// scores; package codetask builds the programs and reads the results.
//
// Decisions:
//   - Isolation is bwrap's: --unshare-all plus an explicit --unshare-user (user, PID,
//     network, IPC, UTS and cgroup namespaces; a missing user namespace is an error,
//     not a silent fallback), --disable-userns (no nested user namespace, so none
//     of the kernel surface they open), --die-with-parent, --new-session, --cap-drop ALL and
//     --clearenv with a minimal environment (programEnv: HOME=/tmp, PATH,
//     LANG=C.UTF-8, one thread for numerical libraries).
//   - The file system is bwrap's tmpfs root, remounted read-only at the end, holding:
//     /usr read-only (with the /bin, /lib, /lib64 links of a merged-/usr Debian), a
//     fresh /proc and /dev (/dev remounted read-only too), /dev/shm, an empty tmpfs
//     of its own ShmSize bytes (Python's multiprocessing needs its semaphores there),
//     and /tmp, an empty tmpfs of TmpSize bytes that is the home and the work folder. The program arrives through a file descriptor as the
//     read-only /tmp/main.py. Of /etc only /etc/alternatives (Debian reaches
//     shared libraries such as numpy's libblas.so.3 through its symlinks) and the
//     loader cache /etc/ld.so.cache, read-only: no passwd, hosts or other
//     configuration, no project folder, no home, no host /tmp.
//   - When quanteval runs as root, bwrap itself runs as the host user nobody (65534)
//     and so does the program. Two reasons: the kernel does not enforce RLIMIT_NPROC
//     for processes of host root (a fork bomb would not stop), and an escape from
//     the namespaces lands as nobody. Otherwise bwrap runs as the calling user.
//   - Limits are rlimits set by util-linux's prlimit inside the sandbox just before it
//     execs python, soft = hard: address space, file size, open files, processes and
//     core size 0; CPU seconds with the hard limit one second above the soft one, so
//     that SIGXCPU names the cause. The program cannot raise a hard limit: that needs
//     CAP_SYS_RESOURCE in the host's user namespace, which it never has. (Python's
//     resource module in a preamble would move the program's line numbers; a Go
//     re-exec helper would have to be visible inside the sandbox.)
//   - The wall-clock timeout SIGKILLs bwrap's process group; --die-with-parent then
//     kills the sandbox's PID 1, and the kernel kills every process of its PID
//     namespace, so nothing the program started outlives it (a background child, a
//     fork bomb, a process that left the session). The same happens when the program
//     exits normally and left children behind.
//   - Stdout keeps its first OutputLimit bytes, stderr its last (a traceback is at
//     its end); the rest is read and discarded, and counted, so a program that
//     writes without end cannot block on a full pipe nor fill memory.
//   - Unsafe runs python directly under the same prlimit limits, as the calling user
//     (for root, RLIMIT_NPROC then does nothing), in a fresh temporary folder as its
//     home, in its own process group that the timeout kills (a child that calls
//     setsid escapes it and is left running). There is no isolation at all: the
//     program sees the host's files and network; every Result says Unsafe.
//   - At most Workers programs run at once (default runtime.NumCPU()), whoever calls
//     Run; Pool runs work items on as many goroutines, apart from any request pool.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Defaults of Options.
const (
	DefaultPython       = "/usr/bin/python3"
	DefaultTimeout      = 10 * time.Second
	DefaultAddressSpace = 1 << 30  // bytes
	DefaultFileSize     = 16 << 20 // bytes
	DefaultTmpSize      = 64 << 20 // bytes
	DefaultShmSize      = 16 << 20 // bytes
	DefaultOpenFiles    = 64
	DefaultProcesses    = 32
	DefaultOutputLimit  = 64 << 10 // bytes kept of stdout and of stderr each
	nobody              = 65534
)

// InstallHint is what to do when bwrap is missing or cannot create namespaces.
const InstallHint = "install bubblewrap and python3 (Debian/Ubuntu: apt-get install -y bubblewrap python3) " +
	"and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also " +
	"kernel.apparmor_restrict_unprivileged_userns=0), or run without a sandbox with --unsafe-exec"

// Options configure a Sandbox. The zero value of each field means its default.
type Options struct {
	Bwrap   string // bwrap's path; default: "bwrap" looked up in PATH
	Prlimit string // prlimit's path (util-linux); default: "prlimit" looked up in PATH
	// Python is the interpreter; default /usr/bin/python3. Under bwrap it must live
	// under /usr, the only host folder the sandbox sees.
	Python string

	Timeout      time.Duration // wall clock per program; default 10 s
	CPUSeconds   int           // RLIMIT_CPU; default Timeout rounded up, at least 1
	AddressSpace int64         // RLIMIT_AS in bytes; default 1 GiB
	FileSize     int64         // RLIMIT_FSIZE in bytes; default 16 MiB
	OpenFiles    int           // RLIMIT_NOFILE; default 64
	Processes    int           // RLIMIT_NPROC (per sandbox); default 32
	TmpSize      int64         // size of the /tmp tmpfs in bytes; default 64 MiB
	ShmSize      int64         // size of the /dev/shm tmpfs in bytes; default 16 MiB
	OutputLimit  int           // bytes kept of stdout and of stderr; default 64 KiB
	Workers      int           // programs at once; default runtime.NumCPU()

	// Unsafe runs programs without bwrap: same limits, no isolation.
	Unsafe bool
}

func (o Options) withDefaults() Options {
	if o.Bwrap == "" {
		o.Bwrap = "bwrap"
	}
	if o.Prlimit == "" {
		o.Prlimit = "prlimit"
	}
	if o.Python == "" {
		o.Python = DefaultPython
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.CPUSeconds <= 0 {
		o.CPUSeconds = max(1, int((o.Timeout+time.Second-1)/time.Second))
	}
	if o.AddressSpace <= 0 {
		o.AddressSpace = DefaultAddressSpace
	}
	if o.FileSize <= 0 {
		o.FileSize = DefaultFileSize
	}
	if o.OpenFiles <= 0 {
		o.OpenFiles = DefaultOpenFiles
	}
	if o.Processes <= 0 {
		o.Processes = DefaultProcesses
	}
	if o.TmpSize <= 0 {
		o.TmpSize = DefaultTmpSize
	}
	if o.ShmSize <= 0 {
		o.ShmSize = DefaultShmSize
	}
	if o.OutputLimit <= 0 {
		o.OutputLimit = DefaultOutputLimit
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	return o
}

// Program is one Python program to run.
type Program struct {
	Source string   // the program's text, run as /tmp/main.py
	Args   []string // its sys.argv[1:]
}

// Result is what became of a Program. Err is set only when the sandbox could not run
// the program at all, or ctx ended first; everything the program did is in the
// other fields.
type Result struct {
	ExitCode int            // the program's exit status; -1 when a signal ended it
	Signal   syscall.Signal // the signal that ended it, 0 if none
	TimedOut bool           // the wall-clock timeout killed it
	Stdout   Output         // the first OutputLimit bytes
	Stderr   Output         // the last OutputLimit bytes
	Duration time.Duration
	Unsafe   bool // ran without a sandbox
	PID      int  // host PID of bwrap (Unsafe: of python), gone once Run returns
	Err      error
}

// CPULimited reports whether the CPU-seconds limit ended the program: SIGXCPU at the
// soft limit, or SIGKILL at the hard limit a second later (for a program that
// ignores SIGXCPU) when the timeout did not fire, the only other SIGKILL the
// sandbox sends.
func (r Result) CPULimited() bool {
	return r.Signal == syscall.SIGXCPU || (r.Signal == syscall.SIGKILL && !r.TimedOut)
}

// Runner runs programs; *Sandbox is one, tests have others.
type Runner interface {
	Run(ctx context.Context, p Program) Result
}

var _ Runner = (*Sandbox)(nil)

// Sandbox runs programs. It is safe for concurrent use.
type Sandbox struct {
	opts    Options
	bwrap   string // resolved paths
	prlimit string
	slots   chan struct{}
	asUser  *syscall.Credential // nil: the calling user
}

// New checks the tools (and, unless Unsafe, runs Probe) and returns a Sandbox.
func New(opts Options) (*Sandbox, error) {
	opts = opts.withDefaults()
	s := &Sandbox{opts: opts, slots: make(chan struct{}, opts.Workers)}
	var err error
	if s.prlimit, err = exec.LookPath(opts.Prlimit); err != nil {
		return nil, fmt.Errorf("sandbox: prlimit not found (%w); install util-linux (Debian/Ubuntu: apt-get install -y util-linux); %s", err, InstallHint)
	}
	if _, err := os.Stat(opts.Python); err != nil {
		return nil, fmt.Errorf("sandbox: python: %w; %s", err, InstallHint)
	}
	if opts.Unsafe {
		return s, nil
	}
	if s.bwrap, err = exec.LookPath(opts.Bwrap); err != nil {
		return nil, fmt.Errorf("sandbox: bwrap not found (%w); %s", err, InstallHint)
	}
	if !strings.HasPrefix(opts.Python, "/usr/") {
		return nil, fmt.Errorf("sandbox: python %s is outside /usr, the only host folder the sandbox sees", opts.Python)
	}
	if os.Geteuid() == 0 {
		s.asUser = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
	}
	if err := s.Probe(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the options in effect, defaults filled in.
func (s *Sandbox) Options() Options { return s.opts }

// Probe runs a tiny program in the sandbox and checks that it ran in its own
// namespaces, without network and as an unprivileged user. Its error says how to
// install bubblewrap.
func (s *Sandbox) Probe(ctx context.Context) error {
	if s.opts.Unsafe {
		return nil
	}
	const probe = `import os, socket
print("uid", os.getuid(), "pid", os.getpid(), "nets", len(socket.if_nameindex()))`
	r := s.Run(ctx, Program{Source: probe})
	if r.Err != nil {
		return fmt.Errorf("sandbox: probe: %w; %s", r.Err, InstallHint)
	}
	out := strings.TrimSpace(string(r.Stdout.Data))
	if r.ExitCode != 0 || !strings.HasPrefix(out, "uid ") {
		return fmt.Errorf("sandbox: bwrap cannot run python in new namespaces (exit %d): %s; %s",
			r.ExitCode, lastLines(string(r.Stderr.Data), 5), InstallHint)
	}
	var uid, pid, nets int
	if _, err := fmt.Sscanf(out, "uid %d pid %d nets %d", &uid, &pid, &nets); err != nil {
		return fmt.Errorf("sandbox: probe printed %q: %w", out, err)
	}
	if pid > 10 || nets != 1 || (s.asUser != nil && uid != nobody) {
		return fmt.Errorf("sandbox: probe is not isolated (uid %d, pid %d, %d network interfaces); %s", uid, pid, nets, InstallHint)
	}
	return nil
}

// Run runs p and waits for it, at most Timeout once it has a worker slot. It
// returns early, with Err set, when ctx ends.
func (s *Sandbox) Run(ctx context.Context, p Program) Result {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return Result{Err: ctx.Err(), Unsafe: s.opts.Unsafe, ExitCode: -1}
	}
	r := s.run(ctx, p)
	r.Unsafe = s.opts.Unsafe
	return r
}

func (s *Sandbox) run(ctx context.Context, p Program) Result {
	if s.opts.Unsafe {
		dir, err := os.MkdirTemp("", "quanteval-unsafe-")
		if err != nil {
			return Result{Err: fmt.Errorf("sandbox: %w", err), ExitCode: -1}
		}
		defer os.RemoveAll(dir)
		file := filepath.Join(dir, "main.py")
		if err := os.WriteFile(file, []byte(p.Source), 0o600); err != nil {
			return Result{Err: fmt.Errorf("sandbox: %w", err), ExitCode: -1}
		}
		return s.exec(ctx, unsafeArgs(s.opts, s.prlimit, file, p.Args), dir, nil)
	}
	src, err := sourceFile(p.Source)
	if err != nil {
		return Result{Err: err, ExitCode: -1}
	}
	defer src.Close()
	return s.exec(ctx, bwrapArgs(s.opts, s.bwrap, s.prlimit, 3, p.Args), "", src)
}

// exec starts argv (with src, if any, as fd 3; in dir if not ""), enforces the timeout on its process group and
// collects what it wrote.
func (s *Sandbox) exec(ctx context.Context, argv []string, dir string, src *os.File) Result {
	tctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, argv[0], argv[1:]...)
	stdout := &headBuffer{limit: s.opts.OutputLimit}
	stderr := &tailBuffer{limit: s.opts.OutputLimit}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if src != nil {
		cmd.ExtraFiles = []*os.File{src}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: s.asUser}
	if dir != "" {
		cmd.Dir = dir
		cmd.Env = programEnv(dir)
	} else {
		cmd.Env = []string{}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{Err: fmt.Errorf("sandbox: starting %s: %w", argv[0], err), ExitCode: -1}
	}
	err := cmd.Wait()
	if dir != "" {
		// Unsafe: kill whatever the program left in its group. (Under bwrap the PID
		// namespace is gone with its PID 1.)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	r := Result{Duration: time.Since(start), PID: cmd.Process.Pid,
		Stdout: stdout.output(), Stderr: stderr.output(), ExitCode: -1}
	r.TimedOut = tctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	if ctx.Err() != nil {
		r.Err = ctx.Err()
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.ExitCode = 0
	case errors.As(err, &ee):
		r.ExitCode, r.Signal = exitStatus(ee.ProcessState, dir == "")
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil:
		// Unsafe: a child that left the process group still holds the output pipes.
		r.ExitCode, r.Signal = exitStatus(cmd.ProcessState, dir == "")
	case !r.TimedOut && r.Err == nil:
		r.Err = fmt.Errorf("sandbox: waiting for %s: %w", argv[0], err)
	}
	return r
}

// exitStatus reads a process state. bwrap reports a program killed by signal N as
// exit status 128+N, the shell's convention.
func exitStatus(ps *os.ProcessState, viaBwrap bool) (int, syscall.Signal) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok {
		return ps.ExitCode(), 0
	}
	if ws.Signaled() {
		return -1, ws.Signal()
	}
	code := ws.ExitStatus()
	if viaBwrap && code > 128 && code < 128+65 {
		return -1, syscall.Signal(code - 128)
	}
	return code, 0
}

// lastLines returns the last n lines of s, joined by " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
