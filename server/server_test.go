package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/internal/vllmtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeOllamaEnv) == "1" {
		fakeOllama() // this binary is the child: see ollama_test.go
		return
	}
	if os.Getenv(holdServerEnv) != "" {
		holdServer() // this binary is a quanteval to be killed: see record_test.go
		return
	}
	os.Exit(testenv.Main(m))
}

var freePort = testenv.FreePort

// fakeSpec is a vllm spec running the fake on a free port, with env added.
func fakeSpec(t *testing.T, model string, env map[string]string) Spec {
	t.Helper()
	dir := t.TempDir()
	if env == nil {
		env = map[string]string{}
	}
	env["FAKEVLLM_PIDS"] = filepath.Join(dir, "pids")
	return Spec{
		Kind:         KindVLLM,
		Command:      []string{testenv.FakeVLLM(t), "serve"},
		Model:        model,
		Host:         "127.0.0.1",
		Port:         freePort(t),
		Args:         []string{"--max-model-len", "4096"},
		Env:          env,
		Log:          filepath.Join(dir, "server.log"),
		ReadyTimeout: time.Minute,
		StopGrace:    5 * time.Second,
		PollInterval: 20 * time.Millisecond,
	}
}

// pidsOf reads the PIDs the fake wrote (role -> pids).
func pidsOf(t *testing.T, s Spec) map[string][]int {
	t.Helper()
	data, err := os.ReadFile(s.Env["FAKEVLLM_PIDS"])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		role, p, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("pids file: %q", line)
		}
		out[role] = append(out[role], pid)
	}
	return out
}

// gone reports a process that no longer exists or is a zombie.
func gone(pid int) bool {
	st, err := ReadProcStat(pid)
	return err != nil || st.Zombie()
}

func startServer(t *testing.T, spec Spec) *Server {
	t.Helper()
	s, err := Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.Stop(ctx)
	})
	return s
}

func TestArgv(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want []string
	}{
		{"vllm default", Spec{Model: "Qwen/Qwen3-32B"},
			[]string{"vllm", "serve", "Qwen/Qwen3-32B", "--host", "127.0.0.1", "--port", "8000"}},
		{"vllm command and args", Spec{Kind: KindVLLM, Command: []string{"/venv/bin/vllm", "serve"}, Model: "m", Host: "0.0.0.0", Port: 9000, Args: []string{"--max-model-len", "4096"}},
			[]string{"/venv/bin/vllm", "serve", "m", "--host", "0.0.0.0", "--port", "9000", "--max-model-len", "4096"}},
		{"sglang", Spec{Kind: KindSGLang, Model: "m", Port: 30000, Args: []string{"--tp", "1"}},
			[]string{"python", "-m", "sglang.launch_server", "--model-path", "m", "--host", "127.0.0.1", "--port", "30000", "--tp", "1"}},
		{"llama-server", Spec{Kind: KindLlamaServer, Model: "/models/q4.gguf", Port: 8080, Args: []string{"-c", "4096"}},
			[]string{"llama-server", "-m", "/models/q4.gguf", "--host", "127.0.0.1", "--port", "8080", "-c", "4096"}},
		{"ollama default", Spec{Kind: KindOllama, Model: "tiny:f16", Port: 11439},
			[]string{"ollama", "serve"}},
		{"ollama command and args", Spec{Kind: KindOllama, Command: []string{".tools/bin/ollama", "serve"}, Model: "tiny:f16", Args: []string{"--verbose"}},
			[]string{".tools/bin/ollama", "serve", "--verbose"}},
		{"external", Spec{Kind: KindExternal, Model: "m", BaseURL: "http://h:1/v1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.spec.Argv()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Argv() = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := (Spec{Kind: "tgi", Model: "m"}).Argv(); err == nil || !strings.Contains(err.Error(), `unknown kind "tgi"`) {
		t.Errorf("unknown kind: err = %v", err)
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{}, "http://127.0.0.1:8000"},
		{Spec{Host: "0.0.0.0", Port: 9000}, "http://127.0.0.1:9000"},
		{Spec{Host: "::1", Port: 9000}, "http://[::1]:9000"},
		{Spec{Kind: KindExternal, BaseURL: "https://api.example.com/v1/"}, "https://api.example.com"},
		{Spec{Kind: KindExternal, BaseURL: "http://10.0.0.2:8000"}, "http://10.0.0.2:8000"},
	}
	for _, tt := range tests {
		if got := tt.spec.URL(); got != tt.want {
			t.Errorf("%+v.URL() = %q, want %q", tt.spec, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	got := Quote([]string{"vllm", "serve", "Qwen/Qwen3-32B", "--extra", `{"a": 1}`, "", "it's", "--token=***", "*"})
	want := `vllm serve Qwen/Qwen3-32B --extra '{"a": 1}' '' 'it'\''s' --token=*** '*'`
	if got != want {
		t.Errorf("Quote = %s, want %s", got, want)
	}
}

func TestParseProcStat(t *testing.T) {
	got, err := parseProcStat([]byte("4242 (python3 (x) y) S 17 4200 4200 0 -1 4194560 ...\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (ProcStat{State: 'S', PPID: 17, PGID: 4200}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := parseProcStat([]byte("4242 python3 S")); err == nil {
		t.Error("no error for a line without ')'")
	}
}

func TestParseComputeApps(t *testing.T) {
	got, err := parseComputeApps([]byte("1234, 40536 MiB\n5678, [N/A]\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int]int{1234: 40536, 5678: -1}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := parseComputeApps([]byte("garbage\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("garbage: err = %v", err)
	}
}

func TestStartReadyStop(t *testing.T) {
	spec := fakeSpec(t, "test/BF16", map[string]string{"FAKEVLLM_DELAY": "200ms"})
	var mu sync.Mutex
	var waited []string
	spec.OnWait = func(_ time.Duration, line string) {
		mu.Lock()
		waited = append(waited, line)
		mu.Unlock()
	}
	s := startServer(t, spec)
	ctx := context.Background()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(ctx); err != nil || v != "0.0.0-fake" {
		t.Errorf("Version() = %q, %v", v, err)
	}
	pid := s.PID()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.ExitStatus(); got != "exit status 0" {
		t.Errorf("ExitStatus() = %q, want exit status 0 (stopped by SIGINT)", got)
	}
	if !gone(pid) || len(GroupPIDs(pid)) != 0 {
		t.Errorf("process group %d still alive: %v", pid, GroupPIDs(pid))
	}
	if err := portFree(fmt.Sprintf("127.0.0.1:%d", spec.Port)); err != nil {
		t.Errorf("port not free after Stop: %v", err)
	}
	log, err := os.ReadFile(spec.Log)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"----- quanteval ", "starting: " + testenv.FakeVLLM(t) + " serve test/BF16 --host 127.0.0.1 --port " + strconv.Itoa(spec.Port) + " --max-model-len 4096",
		"Starting vLLM API server 0 on http://127.0.0.1:" + strconv.Itoa(spec.Port),
		"received interrupt",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waited) == 0 {
		t.Fatal("OnWait never called during a 200ms start-up")
	}
	if last := waited[len(waited)-1]; !strings.Contains(last, "Loading safetensors") && !strings.Contains(last, "Starting vLLM") && !strings.Contains(last, "startup") {
		t.Errorf("OnWait's last line = %q, want a line of the fake's start-up", last)
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestExitDuringStartup(t *testing.T) {
	spec := fakeSpec(t, "m", map[string]string{"FAKEVLLM_EXIT": "3"})
	s := startServer(t, spec)
	err := s.WaitReady(context.Background())
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an *ExitError", err)
	}
	if ee.Code != 3 || ee.Status != "exit status 3" || ee.During != "start-up" {
		t.Errorf("ExitError = %+v", ee)
	}
	if len(ee.Tail) == 0 || !strings.Contains(ee.Tail[len(ee.Tail)-1], "CUDA out of memory") {
		t.Errorf("tail = %q, want the fake's last line", ee.Tail)
	}
	if strings.Contains(strings.Join(ee.Tail, "\n"), "----- quanteval") {
		t.Errorf("tail holds quanteval's own header: %q", ee.Tail)
	}
	if !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "CUDA out of memory") {
		t.Errorf("message = %q", err)
	}
}

func TestTailIsCapped(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log")
	var b strings.Builder
	b.WriteString("old run\n")
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := tailFile(p, int64(len("old run\n")), TailLines)
	if len(got) != TailLines || got[0] != "line 21" || got[29] != "line 50" {
		t.Errorf("tail = %q", got)
	}
	if got := tailFile(p, 0, 100); got[0] != "old run" || len(got) != 51 {
		t.Errorf("whole tail = %d lines from %q", len(got), got[0])
	}
}

func TestReadyTimeout(t *testing.T) {
	spec := fakeSpec(t, "m", map[string]string{"FAKEVLLM_DELAY": "1h"})
	spec.ReadyTimeout = 300 * time.Millisecond
	s := startServer(t, spec)
	err := s.WaitReady(context.Background())
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
	if !strings.Contains(err.Error(), "not ready after 300ms") || !strings.Contains(err.Error(), "Loading safetensors") {
		t.Errorf("message = %q, want the timeout and the log tail", err)
	}
	pid := s.PID()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !gone(pid) {
		t.Error("server still alive after Stop")
	}
}

func TestReadyCancelled(t *testing.T) {
	s := startServer(t, fakeSpec(t, "m", map[string]string{"FAKEVLLM_DELAY": "1h"}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitReady(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNotReady) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestModelNotListed(t *testing.T) {
	spec := fakeSpec(t, "test/FP8", nil)
	spec.Args = []string{"--served-model-name", "fp8"}
	spec.ReadyTimeout = time.Hour // the mismatch must not wait this out
	s := startServer(t, spec)
	err := s.WaitReady(context.Background())
	if !errors.Is(err, ErrOtherModel) || !strings.Contains(err.Error(), `model "test/FP8" not listed (lists ["fp8"])`) {
		t.Errorf("err = %v", err)
	}
}

func TestStopEscalates(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		cancelled  bool // Stop's context already ended
		wantStatus string
		wantLog    string // the signal the fake saw last ("" when it saw none)
	}{
		{"SIGINT is enough", nil, false, "exit status 0", "received interrupt"},
		{"ignores SIGINT", map[string]string{"FAKEVLLM_IGNORE": "INT"}, false, "exit status 0", "received terminated"},
		{"ignores SIGINT and SIGTERM", map[string]string{"FAKEVLLM_IGNORE": "INT,TERM"}, false, "signal: killed", ""},
		{"context ended: SIGKILL at once", nil, true, "signal: killed", ""},
		// The leader leaves at SIGINT; its grandchild ignores SIGINT and SIGTERM and
		// must still go.
		{"stubborn grandchild", map[string]string{"FAKEVLLM_GRANDCHILD": "1"}, false, "exit status 0", "received interrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := fakeSpec(t, "m", tt.env)
			spec.StopGrace = 200 * time.Millisecond
			s := startServer(t, spec)
			if err := s.WaitReady(context.Background()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancelled {
				cancel()
			}
			defer cancel()
			pids := pidsOf(t, spec)
			if err := s.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if got := s.ExitStatus(); got != tt.wantStatus {
				t.Errorf("ExitStatus() = %q, want %q", got, tt.wantStatus)
			}
			if got := s.LastLogLine(); tt.wantLog != "" && !strings.Contains(got, tt.wantLog) {
				t.Errorf("last log line = %q, want %q", got, tt.wantLog)
			}
			if got := s.LastLogLine(); tt.wantLog == "" && strings.Contains(got, "received") {
				t.Errorf("last log line = %q: the fake saw a signal before SIGKILL", got)
			}
			for role, ps := range pids {
				for _, p := range ps {
					if !gone(p) {
						t.Errorf("%s %d still alive after Stop", role, p)
					}
				}
			}
			if tt.env["FAKEVLLM_GRANDCHILD"] != "" && len(pids["grandchild"]) != 1 {
				t.Errorf("grandchild pids = %v, want one", pids["grandchild"])
			}
			if left := GroupPIDs(s.PID()); len(left) != 0 {
				t.Errorf("group %d still has %v", s.PID(), left)
			}
		})
	}
}

func TestStopAfterCrashKillsTheGroup(t *testing.T) {
	spec := fakeSpec(t, "m", map[string]string{"FAKEVLLM_GRANDCHILD": "1", "FAKEVLLM_EXIT": "1"})
	spec.StopGrace = 100 * time.Millisecond
	s := startServer(t, spec)
	var ee *ExitError
	if err := s.WaitReady(context.Background()); !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an exit", err)
	}
	gc := pidsOf(t, spec)["grandchild"]
	if len(gc) != 1 || gone(gc[0]) {
		t.Fatalf("grandchild %v should outlive the leader until Stop", gc)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !gone(gc[0]) {
		t.Errorf("grandchild %d alive after Stop", gc[0])
	}
}

func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	spec := fakeSpec(t, "m", nil)
	spec.Port = ln.Addr().(*net.TCPAddr).Port
	if _, err := Start(spec); err == nil || !strings.Contains(err.Error(), "is taken before start") {
		t.Errorf("err = %v, want the port taken", err)
	}
}

func TestMissingCommand(t *testing.T) {
	spec := fakeSpec(t, "m", nil)
	spec.Command = []string{filepath.Join(t.TempDir(), "no-such-vllm"), "serve"}
	if _, err := Start(spec); err == nil || !strings.Contains(err.Error(), "no-such-vllm") {
		t.Errorf("err = %v", err)
	}
}

func TestExternal(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"remote"}})
	s, err := Start(Spec{Kind: KindExternal, Model: "remote", BaseURL: hs.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.PID() != 0 || s.argv != nil || s.URL() != hs.URL {
		t.Errorf("external: pid %d, command %q, url %q", s.PID(), s.argv, s.URL())
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := Start(Spec{Kind: KindExternal, Model: "m", BaseURL: "localhost:8000"}); err == nil {
		t.Error("a base URL without a scheme was accepted")
	}
}

// smiScript is an injected nvidia-smi answering the compute-apps query with
// outputs[n] at its n-th call (the last one after that), counting its calls.
func smiScript(t *testing.T, calls *atomic.Int64, outputs ...string) func(context.Context, ...string) ([]byte, error) {
	return func(_ context.Context, args ...string) ([]byte, error) {
		if !reflect.DeepEqual(args, computeAppsArgs) {
			t.Errorf("nvidia-smi %q", args)
		}
		n := int(calls.Add(1)) - 1
		return []byte(outputs[min(n, len(outputs)-1)]), nil
	}
}

// TestGPURelease waits against the baseline taken before the start: a process
// that did not hold memory before (4242, in no group of ours) is waited for; one
// that did (999, another user's job) is not.
func TestGPURelease(t *testing.T) {
	var calls atomic.Int64
	spec := Spec{PollInterval: time.Millisecond, NvidiaSMI: smiScript(t, &calls,
		"4242, 30000 MiB\n999, 10 MiB\n", "4242, 30000 MiB\n999, 10 MiB\n", "999, 10 MiB\n")}
	baseline := map[int]int{999: 10}
	if err := spec.waitGPUReleased(context.Background(), baseline, nil); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("nvidia-smi called %d times, want 3 (held, held, released)", n)
	}

	calls.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := spec.waitGPUReleased(ctx, map[int]int{}, nil); err == nil || !strings.Contains(err.Error(), "GPU memory still held by 999 (10 MiB)") {
		t.Errorf("err = %v, want memory still held", err)
	}
	calls.Store(0)
	if err := spec.waitGPUReleased(context.Background(), baseline, map[int]bool{4242: true}); err != nil || calls.Load() != 1 {
		t.Errorf("a stray left running on purpose was waited for: err %v, %d calls", err, calls.Load())
	}
	if err := spec.waitGPUReleased(context.Background(), nil, nil); err != nil {
		t.Errorf("no baseline (no nvidia-smi): %v", err)
	}
}

func TestCheckURLHidesThePassword(t *testing.T) {
	for _, raw := range []string{"ftp://u:pw3@host/", "http://u:pw4@h\x7f/"} {
		if err := CheckURL(raw); err == nil || strings.Contains(err.Error(), "pw") {
			t.Errorf("CheckURL(%q) = %v: want an error without the password", raw, err)
		}
	}
}
