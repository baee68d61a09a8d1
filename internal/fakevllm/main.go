// Command fakevllm stands in for `vllm serve` in the tests of the server and matrix
// packages and of `quanteval matrix`: a real child process with vLLM's command line,
// start-up lines and OpenAI-compatible API (internal/vllmtest's handler), whose
// misbehaviour the test chooses through environment variables.
//
//	fakevllm serve MODEL [--host H] [--port P] [--served-model-name NAME] [vLLM args...]
//
// Answers depend on the model name, so that variants differ by known items: a prompt
// "[qN] What is A + B?" (also -, *, /) gets the right number, or that number plus one
// when the model name has a segment "qN" (split on - / _ : .), e.g. "test/FP8-q2".
// Other prompts get "I do not know".
//
// Environment (all optional):
//
//	FAKEVLLM_DELAY        Go duration to load "weights" before listening (0)
//	FAKEVLLM_EXIT         exit with this status during start-up, after the delay
//	FAKEVLLM_CRASH_AFTER  die (exit 1) on the chat request after the first N
//	FAKEVLLM_IGNORE       signals to ignore: "INT", "TERM" or "INT,TERM"
//	FAKEVLLM_GRANDCHILD   "1": start a grandchild in the same process group that
//	                      ignores SIGINT and SIGTERM and sleeps until killed
//	FAKEVLLM_DAEMON       "1": once listening, start a daemon that leaves the group
//	                      and the session (setsid), as a Ray worker does, holding
//	                      the listening socket until killed; it ignores SIGINT,
//	                      SIGTERM and SIGHUP
//	FAKEVLLM_PIDS         file to append "server PID", "grandchild PID" and
//	                      "daemon PID" lines to
//	FAKEVLLM_EVENTS       file to append "listen MODEL PORT" and "exit MODEL" lines to
//	FAKEVLLM_FLIP         item tags, e.g. "q3" or "q1,q3": every second time such a
//	                      question is asked (the 2nd, 4th, ...) its answer is off by
//	                      one, as vLLM's outputs change with batching at
//	                      temperature 0; a second run of the same model flips them
//
// Replies stream (SSE, with the usage chunk stream_options.include_usage asks for)
// when the request says "stream": true, as vLLM's do.
//
// CUDA_VISIBLE_DEVICES, when set, is echoed into the log as vLLM's start-up shows it.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quanteval/quanteval/internal/vllmtest"
)

const version = "0.0.0-fake"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "__sleeper" {
		sleeper()
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "__daemon" {
		daemon()
		return
	}
	if err := serve(os.Args[1:]); err != nil {
		logf("ERROR", "%v", err)
		os.Exit(2)
	}
}

func logf(level, format string, args ...any) {
	fmt.Fprintf(os.Stdout, "%s %s [api_server.py:1] %s\n", level, time.Now().Format("01-02 15:04:05"), fmt.Sprintf(format, args...))
}

func appendLine(path, format string, args ...any) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		logf("ERROR", "%v", err)
		return
	}
	fmt.Fprintf(f, format+"\n", args...)
	f.Close()
}

type config struct {
	model, served, host string
	apiKey              string // printed among the args, as vLLM does
	port                int
}

func parseArgs(args []string) (config, error) {
	c := config{host: "0.0.0.0", port: 8000}
	if len(args) < 2 || args[0] != "serve" || strings.HasPrefix(args[1], "-") {
		return c, errors.New("usage: fakevllm serve MODEL [--host H] [--port P] [args...]")
	}
	c.model = args[1]
	for i := 2; i < len(args); i++ {
		name, val, hasVal := strings.Cut(args[i], "=")
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			val = args[i+1]
		}
		switch name {
		case "--host":
			c.host = val
		case "--port":
			p, err := strconv.Atoi(val)
			if err != nil {
				return c, fmt.Errorf("--port: %w", err)
			}
			c.port = p
		case "--served-model-name":
			c.served = val
		case "--api-key":
			c.apiKey = val
		}
	}
	if c.served == "" {
		c.served = c.model
	}
	return c, nil
}

func serve(args []string) error {
	c, err := parseArgs(args)
	if err != nil {
		return err
	}
	pids, events := os.Getenv("FAKEVLLM_PIDS"), os.Getenv("FAKEVLLM_EVENTS")
	appendLine(pids, "server %d", os.Getpid())

	sigs := watchSignals()

	logf("INFO", "vLLM API server version %s", version)
	if d, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok {
		logf("INFO", "CUDA_VISIBLE_DEVICES=%s", d)
	}
	if c.apiKey != "" {
		logf("INFO", "non-default args: {'model': '%s', 'host': '%s', 'port': %d, 'api_key': ['%s']}", c.model, c.host, c.port, c.apiKey)
	} else {
		logf("INFO", "non-default args: {'model': '%s', 'host': '%s', 'port': %d}", c.model, c.host, c.port)
	}
	if os.Getenv("FAKEVLLM_GRANDCHILD") == "1" {
		if err := startGrandchild(pids); err != nil {
			return err
		}
	}
	if d, err := time.ParseDuration(os.Getenv("FAKEVLLM_DELAY")); err == nil && d > 0 {
		load(d, sigs, events, c.model)
	}
	if code := os.Getenv("FAKEVLLM_EXIT"); code != "" {
		n, _ := strconv.Atoi(code)
		logf("ERROR", "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB")
		os.Exit(n)
	}

	handler, err := newHandler(c.served)
	if err != nil {
		return err
	}

	addr := net.JoinHostPort(c.host, strconv.Itoa(c.port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if os.Getenv("FAKEVLLM_DAEMON") == "1" {
		if err := startDaemon(ln, pids); err != nil {
			return err
		}
	}
	appendLine(events, "listen %s %d", c.model, c.port)
	logf("INFO", "Starting vLLM API server 0 on http://%s", addr)
	logf("INFO", "Started server process [%d]", os.Getpid())
	logf("INFO", "Application startup complete.")
	srv := &http.Server{Handler: handler}
	go srv.Serve(ln)

	s := <-sigs
	logf("INFO", "received %v, shutting down FastAPI HTTP server", s)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	appendLine(events, "exit %s", c.model)
	return nil
}

// watchSignals delivers SIGINT and SIGTERM, except those FAKEVLLM_IGNORE names.
func watchSignals() <-chan os.Signal {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	for _, name := range strings.Split(os.Getenv("FAKEVLLM_IGNORE"), ",") {
		switch strings.TrimSpace(name) {
		case "INT":
			signal.Ignore(syscall.SIGINT)
		case "TERM":
			signal.Ignore(syscall.SIGTERM)
		}
	}
	return sigs
}

// startGrandchild starts a process of the group that outlives a careless stop, as
// vLLM's engine core does.
func startGrandchild(pids string) error {
	gc := exec.Command(os.Args[0], "__sleeper")
	gc.Stdout, gc.Stderr = os.Stdout, os.Stderr
	if err := gc.Start(); err != nil {
		return fmt.Errorf("starting the grandchild: %w", err)
	}
	appendLine(pids, "grandchild %d", gc.Process.Pid)
	logf("INFO", "started engine core process %d", gc.Process.Pid)
	return nil
}

// load takes d to "load the weights", logging progress; a signal meanwhile exits.
func load(d time.Duration, sigs <-chan os.Signal, events, model string) {
	deadline := time.After(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for pct := 0; ; pct++ {
		select {
		case <-deadline:
			return
		case s := <-sigs:
			logf("INFO", "received %v while loading, exiting", s)
			appendLine(events, "exit %s", model)
			os.Exit(0)
		case <-tick.C:
			logf("INFO", "Loading safetensors checkpoint shards: %d%% Completed", pct%101)
		}
	}
}

// newHandler serves the test double for model, logging each request as vLLM does;
// with FAKEVLLM_CRASH_AFTER=N the process dies at chat request N+1.
func newHandler(served string) (http.Handler, error) {
	crashAfter := int64(-1)
	if s := os.Getenv("FAKEVLLM_CRASH_AFTER"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("FAKEVLLM_CRASH_AFTER: %w", err)
		}
		crashAfter = n
	}
	flip := newFlipper(os.Getenv("FAKEVLLM_FLIP"))
	double := vllmtest.New(vllmtest.Options{
		Models:  []string{served},
		Version: version,
		Answer: func(req vllmtest.ChatRequest) vllmtest.Reply {
			return answer(served, req.LastUser(), flip.flip)
		},
	})
	var chats atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" && chats.Add(1) > crashAfter && crashAfter >= 0 {
			logf("ERROR", "EngineCore encountered a fatal error: CUDA error: an illegal memory access was encountered")
			os.Exit(1)
		}
		double.ServeHTTP(w, r)
		logf("INFO", "%s - \"%s %s HTTP/1.1\" 200", r.RemoteAddr, r.Method, r.URL.Path)
	}), nil
}

var question = regexp.MustCompile(`^\[(q\d+)\] What is (-?\d+) ([-+*/]) (-?\d+)\?`)

// flipper counts the asks of the questions FAKEVLLM_FLIP names.
type flipper struct {
	mu   sync.Mutex
	asks map[string]int // tag -> times asked; absent: never flipped
}

func newFlipper(tags string) *flipper {
	f := &flipper{asks: map[string]int{}}
	for _, t := range strings.Split(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			f.asks[t] = 0
		}
	}
	return f
}

// flip reports whether this ask of question tag is to be answered off by one: the
// 2nd, 4th, ... ask of a tag FAKEVLLM_FLIP names.
func (f *flipper) flip(tag string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.asks[tag]
	if !ok {
		return false
	}
	f.asks[tag] = n + 1
	return n%2 == 1
}

func answer(model, prompt string, flip func(tag string) bool) vllmtest.Reply {
	m := question.FindStringSubmatch(prompt)
	if m == nil {
		return vllmtest.Reply{Content: vllmtest.Text("I do not know")}
	}
	a, _ := strconv.Atoi(m[2])
	b, _ := strconv.Atoi(m[4])
	var n int
	switch m[3] {
	case "+":
		n = a + b
	case "-":
		n = a - b
	case "*":
		n = a * b
	case "/":
		if b != 0 {
			n = a / b
		}
	}
	for _, seg := range strings.FieldsFunc(model, func(r rune) bool { return strings.ContainsRune("-/_:.", r) }) {
		if seg == m[1] {
			n++
		}
	}
	if flip(m[1]) {
		n++
	}
	return vllmtest.Reply{Content: vllmtest.Text(strconv.Itoa(n))}
}

// sleeper is the grandchild: it outlives its parent unless the whole group is killed.
func sleeper() {
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	for {
		time.Sleep(time.Hour)
	}
}

// startDaemon starts a process in a session of its own that inherits the listening
// socket (as its descriptor 3), so that it holds the port after the whole process
// group is gone.
func startDaemon(ln net.Listener, pids string) error {
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return err
	}
	defer f.Close()
	d := exec.Command(os.Args[0], "__daemon")
	d.ExtraFiles = []*os.File{f}
	d.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := d.Start(); err != nil {
		return fmt.Errorf("starting the daemon: %w", err)
	}
	appendLine(pids, "daemon %d", d.Process.Pid)
	logf("INFO", "started worker daemon %d", d.Process.Pid)
	return nil
}

// daemon holds descriptor 3 (the server's socket) until killed.
func daemon() {
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	hold := os.NewFile(3, "socket")
	defer hold.Close() // never reached: the descriptor is held until the kill
	for {
		time.Sleep(time.Hour)
	}
}
