package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/redact"
)

// TailLines is how many lines of the log an error carries.
const TailLines = 30

// ErrNotReady marks a server that did not become ready within its ready timeout.
var ErrNotReady = errors.New("server not ready")

// ExitError is a server process that exited when it should not have.
type ExitError struct {
	During string   // "start-up", "the evals" ...
	Status string   // as the process state says it: "exit status 1", "signal: killed"
	Code   int      // the exit code, -1 when a signal ended it
	Log    string   // the log file
	Tail   []string // its last TailLines lines
}

func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server exited during %s: %s", e.During, e.Status)
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "\nlast %d lines of %s:\n  %s", len(e.Tail), e.Log, strings.Join(e.Tail, "\n  "))
	}
	return b.String()
}

// Server is a running inference server (or an external endpoint). Its methods are
// safe for concurrent use.
type Server struct {
	spec     Spec
	argv     []string
	url      string
	cmd      *exec.Cmd
	logStart int64          // where this start's output begins in the log
	client   *http.Client   // the readiness polls
	api      *client.Client // the model list and the version, as a run asks for them

	rd *redact.Redactor // the spec's secrets, hidden in its log and errors

	done  chan struct{} // closed by the reaper once the process is reaped
	state *os.ProcessState

	startTicks  uint64      // the server's start time (/proc/PID/stat), 0 when unknown
	gpuBaseline map[int]int // GPU memory by PID before the start; nil: not checked

	mu     sync.Mutex
	pids   map[int]bool // every process seen in the group (Server.PIDs)
	strays []Stray      // found by the last Stop
}

// Start starts the server described by spec and returns at once; WaitReady waits
// for it to serve. For an external endpoint nothing is started.
func Start(spec Spec) (*Server, error) {
	argv, err := spec.Argv()
	if err != nil {
		return nil, err
	}
	s := &Server{
		spec:   spec,
		argv:   argv,
		url:    spec.URL(),
		rd:     Secrets(spec, argv),
		client: &http.Client{},
		pids:   map[int]bool{},
	}
	if argv == nil {
		if err := CheckURL(spec.BaseURL); err != nil {
			return nil, fmt.Errorf("server: base_url: %w", err)
		}
	}
	if s.api, err = client.New(s.url, client.Options{HTTP: s.client}); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if argv == nil {
		return s, nil
	}
	if spec.Log == "" {
		return nil, errors.New("server: no log file")
	}
	addr := net.JoinHostPort(spec.host(), strconv.Itoa(spec.port()))
	if err := portFree(addr); err != nil {
		return nil, portTakenError(spec.port(), err)
	}
	held, known, err := spec.gpuHolders(context.Background())
	if err != nil {
		return nil, fmt.Errorf("server: before start: %w", err)
	}
	if known {
		s.gpuBaseline = held
	}

	logf, err := os.OpenFile(spec.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	defer logf.Close() // the child has its own descriptor
	fmt.Fprintf(logf, "----- quanteval %s: starting: %s\n", time.Now().Format(time.RFC3339), Quote(s.rd.Args(argv)))
	if fi, err := logf.Stat(); err == nil {
		s.logStart = fi.Size()
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = os.Environ()
	added := spec.AddedEnv()
	for _, k := range sortedKeys(added) {
		cmd.Env = append(cmd.Env, k+"="+added[k]) // later duplicates win
	}
	lc, err := startLogCopy(spec.Log, s.rd)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	cmd.Stdout, cmd.Stderr = lc.Out, lc.Out
	cmd.SysProcAttr = procAttr()
	if err := s.startAndReap(cmd, lc); err != nil {
		err = s.rd.Error(err, argv) // exec's error names argv[0] as given
		fmt.Fprintf(logf, "----- quanteval: could not start: %v\n", err)
		return nil, fmt.Errorf("server: starting %s: %w", redact.Args(argv[:1])[0], err)
	}
	if st, err := ReadProcStat(cmd.Process.Pid); err == nil {
		s.startTicks = st.StartTime
	}
	if spec.Record != "" {
		if err := s.writeRecord(); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), killWait)
			defer cancel()
			s.Stop(ctx) // ctx ended: SIGKILL, no release wait
			return nil, fmt.Errorf("server: recording the server in %s: %w", spec.Record, err)
		}
	}
	return s, nil
}

// startAndReap starts cmd and reaps it in one goroutine locked to its OS thread:
// the child's parent-death signal (procAttr) fires when the thread that started it
// exits, and a locked thread lives until the child has been reaped. The log copy
// (lc) is flushed before the server counts as ended.
func (s *Server) startAndReap(cmd *exec.Cmd, lc *logCopy) error {
	started := make(chan error, 1)
	s.done = make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		lc.Started() // our copy of the pipe's write end: the child has its own
		if err != nil {
			started <- err
			return
		}
		s.cmd = cmd
		s.pids[cmd.Process.Pid] = true
		started <- nil
		cmd.Wait() // the state says how it ended; the error adds nothing
		lc.Wait(logFlushWait)
		s.state = cmd.ProcessState
		close(s.done)
	}()
	if err := <-started; err != nil {
		s.done = nil
		return err
	}
	return nil
}

// writeRecord writes the running server down in Spec.Record.
func (s *Server) writeRecord() error {
	r := Record{
		PID: s.PID(), PGID: s.PID(), StartTicks: s.startTicks,
		Host: s.spec.host(), Port: s.spec.port(), Command: redact.Args(s.argv),
		Log: s.spec.Log, StartedAt: time.Now(),
	}
	selfRecord(&r)
	return writeRecord(s.spec.Record, r)
}

// URL is the base URL of the server's API, without /v1.
func (s *Server) URL() string { return s.url }

// PID is the process id of the server, which is also its process group id (0 for
// an external one).
func (s *Server) PID() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Done is closed when the server process has exited; nil (never ready to receive)
// for an external endpoint.
func (s *Server) Done() <-chan struct{} { return s.done }

// ExitStatus says how the process ended ("exit status 0", "signal: interrupt"), or
// "" while it runs and for an external endpoint.
func (s *Server) ExitStatus() string {
	if s.done == nil {
		return ""
	}
	select {
	case <-s.done:
		return s.state.String()
	default:
		return ""
	}
}

// ExitError describes the exit of the process, nil while it runs.
func (s *Server) ExitError(during string) *ExitError {
	if s.ExitStatus() == "" {
		return nil
	}
	return &ExitError{During: during, Status: s.state.String(), Code: s.state.ExitCode(), Log: s.spec.Log, Tail: s.LogTail(TailLines)}
}

// PIDs lists every process seen in the server's group so far.
func (s *Server) PIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, 0, len(s.pids))
	for p := range s.pids {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

func (s *Server) notePIDs() {
	if s.cmd == nil {
		return
	}
	found := GroupPIDs(s.PID())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range found {
		s.pids[p] = true
	}
}

// LogTail returns the last n lines the server wrote in this start.
func (s *Server) LogTail(n int) []string {
	if s.cmd == nil {
		return nil
	}
	tail := tailFile(s.spec.Log, s.logStart, n)
	for i := range tail {
		tail[i] = s.rd.String(tail[i]) // also what a prepare command wrote unredacted
	}
	return tail
}

// LastLogLine is the last non-empty line the server wrote ("" when none).
func (s *Server) LastLogLine() string {
	t := s.LogTail(1)
	if len(t) == 0 {
		return ""
	}
	return t[0]
}

// tailFile reads the last n non-empty lines of path from offset from on; it reads
// at most the last 64 KiB.
func tailFile(path string, from int64, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	start := max(from, fi.Size()-64<<10)
	buf := make([]byte, fi.Size()-start)
	if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	var lines []string
	for _, l := range bytes.Split(buf, []byte("\n")) {
		if l := strings.TrimRight(string(l), "\r"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// WaitReady waits until the server answers: GET /health with 200 (for the kinds
// that have it; / for Ollama) and GET /v1/models listing the model (except for a
// kind whose model is made later, see Spec.ModelLater), within the ready timeout. It
// fails at once, with an *ExitError, if the process exits first.
func (s *Server) WaitReady(ctx context.Context) error {
	timeout := orDefault(s.spec.ReadyTimeout, DefaultReadyTimeout)
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(orDefault(s.spec.PollInterval, 500*time.Millisecond))
	defer tick.Stop()
	start := time.Now()
	var last error
	for {
		if e := s.ExitError("start-up"); e != nil {
			return e
		}
		err := s.probe(wctx)
		s.notePIDs()
		if err == nil {
			return nil
		}
		// Healthy and serving other models: a server of one model will never list
		// this one, so waiting out ready_timeout (30 minutes by default) helps nobody.
		if errors.Is(err, ErrOtherModel) && kinds[s.spec.kind()].health != "" {
			return fmt.Errorf("server: %s: %w", redact.URL(s.url), err)
		}
		if wctx.Err() == nil || last == nil {
			last = err // a poll cut short by the deadline says less than the one before
		}
		if s.spec.OnWait != nil {
			s.spec.OnWait(time.Since(start), s.LastLogLine())
		}
		select {
		case <-s.done:
			return s.ExitError("start-up")
		case <-wctx.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("server: waiting for %s: %w", redact.URL(s.url), ctx.Err())
			}
			msg := fmt.Sprintf("server: %s not ready after %v (%v)", redact.URL(s.url), timeout, last)
			if tail := s.LogTail(TailLines); len(tail) > 0 {
				msg += fmt.Sprintf("\nlast %d lines of %s:\n  %s", len(tail), s.spec.Log, strings.Join(tail, "\n  "))
			}
			return fmt.Errorf("%s: %w", msg, ErrNotReady)
		case <-tick.C:
		}
	}
}

// pollTimeout bounds each readiness request, so that a server that accepts
// connections but does not answer yet cannot stall the wait.
const pollTimeout = 2 * time.Second

func (s *Server) get(ctx context.Context, path string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, body, err
}

// probe is one readiness check; nil means ready.
func (s *Server) probe(ctx context.Context) error {
	k := kinds[s.spec.kind()]
	if k.health != "" {
		code, _, err := s.get(ctx, k.health)
		if err != nil {
			return fmt.Errorf("GET %s: %w", k.health, err)
		}
		if code != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", k.health, code)
		}
	}
	if k.modelLater {
		return nil
	}
	return s.ModelListed(ctx)
}

// ModelListed checks once that GET /v1/models lists the spec's model. For a kind
// whose model a prepare command makes (Spec.ModelLater), it tells that the command
// made it. Ollama lists a model named without a tag as NAME:latest.
func (s *Server) ModelListed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	ids, err := s.api.Models(ctx) // its errors say "GET /v1/models: ..."
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id == s.spec.Model || s.spec.kind() == KindOllama && !strings.Contains(s.spec.Model, ":") && id == s.spec.Model+":latest" {
			return nil
		}
	}
	if len(ids) > 0 {
		return fmt.Errorf("GET /v1/models: model %q not listed (lists %q): %w", s.spec.Model, ids, ErrOtherModel)
	}
	return fmt.Errorf("GET /v1/models: model %q not listed (lists none yet)", s.spec.Model)
}

// ErrOtherModel is a server that is up and serves other models than the one asked
// for: a --served-model-name (or alias) that differs from the plan's model name.
var ErrOtherModel = errors.New("the server serves another name; give the variant's model as the server lists it (e.g. its --served-model-name)")

// Version is what the server reports as its version (GET /version, or Ollama's
// /api/version), asked as client.Client.Version asks it: "" when it has none. The
// error is always nil: the version is informative, never required.
func (s *Server) Version(ctx context.Context) (string, error) {
	return s.api.Version(ctx), nil
}

// killWait bounds the wait for the group to vanish after SIGKILL, which the kernel
// delivers at once; a process stuck in the kernel (a hung GPU driver) can outlast it.
const killWait = 10 * time.Second

// Stop ends the server's whole process group: SIGINT, then SIGTERM after the stop
// grace, then SIGKILL after another. Once the group is gone it looks for strays
// (processes outside the group that hold the port or GPU memory not held before
// the start, see Strays), kills them if Spec.KillStrays says so, and waits until
// the port is free and, when nvidia-smi answers, the GPU memory is back to its
// baseline, except what unkilled strays hold. When ctx ends, Stop goes straight to
// SIGKILL and does not wait for the port or the GPU. A clean stop removes
// Spec.Record. Stop does nothing for an external endpoint and may be called more
// than once.
func (s *Server) Stop(ctx context.Context) error {
	if s.cmd == nil {
		return nil
	}
	if err := s.stopGroup(ctx); err != nil {
		return err
	}
	if s.spec.Record != "" {
		if err := os.Remove(s.spec.Record); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("server: %w", err)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, orDefault(s.spec.ReleaseTimeout, DefaultReleaseTimeout))
	defer cancel()
	strays := s.findStrays(rctx)
	if len(strays) > 0 && s.spec.KillStrays {
		killStrays(strays, orDefault(s.spec.StopGrace, DefaultStopGrace))
	}
	s.mu.Lock()
	s.strays = strays
	s.mu.Unlock()
	left := map[int]bool{}
	portHeld := false
	for _, st := range strays {
		if !st.Killed {
			left[st.PID] = true
			portHeld = portHeld || slices.Contains(st.Holds, fmt.Sprintf("port %d", s.spec.port()))
		}
	}
	if !portHeld {
		if err := waitPortFree(rctx, net.JoinHostPort(s.spec.host(), strconv.Itoa(s.spec.port()))); err != nil {
			return fmt.Errorf("server: port %d: %w", s.spec.port(), err)
		}
	}
	if err := s.spec.waitGPUReleased(rctx, s.gpuBaseline, left); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// Strays lists what the last Stop found outside the server's process group still
// holding its port or GPU memory, with Killed set for those it killed.
func (s *Server) Strays() []Stray {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Stray(nil), s.strays...)
}

// stopGroup signals the group until it is gone and the leader is reaped.
func (s *Server) stopGroup(ctx context.Context) error {
	s.notePIDs()
	pgid := s.PID()
	grace := orDefault(s.spec.StopGrace, DefaultStopGrace)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		if !groupAlive(pgid) {
			break
		}
		if sig != syscall.SIGKILL && ctx.Err() != nil {
			continue
		}
		if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("server: sending %v to process group %d: %w", sig, pgid, err)
		}
		wait := grace
		if sig == syscall.SIGKILL {
			wait = killWait
		}
		waitGone(ctx, pgid, wait, sig == syscall.SIGKILL)
	}
	if left := GroupPIDs(pgid); len(left) > 0 {
		return fmt.Errorf("server: processes %v of group %d still alive after SIGKILL", left, pgid)
	}
	select {
	case <-s.done:
	case <-time.After(killWait):
		return fmt.Errorf("server: process %d not reaped after SIGKILL", pgid)
	}
	return nil
}

// waitGone polls until no process of the group is left, for at most d; with
// ignoreCtx it does not stop when ctx ends (after SIGKILL the wait is short).
func waitGone(ctx context.Context, pgid int, d time.Duration, ignoreCtx bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	done := ctx.Done()
	if ignoreCtx {
		done = nil
	}
	for groupAlive(pgid) {
		select {
		case <-deadline.C:
			return
		case <-done:
			return
		case <-tick.C:
		}
	}
}

func portFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return ln.Close()
}

func waitPortFree(ctx context.Context, addr string) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := portFree(addr)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still taken: %v: %w", err, ctx.Err())
		case <-tick.C:
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
