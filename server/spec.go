// Package server owns the inference server a variant is evaluated against: the
// command line for each kind of server, the child process in its own process group,
// readiness, and a stop that leaves nothing behind (no process of the group, the port
// free, the GPU memory released) so that the next variant can load.
//
// Decisions:
//   - The child runs in a process group of its own, so that a terminal's Ctrl-C
//     reaches quanteval only, and quanteval stops the whole group (vLLM's engine
//     processes included) in the order SIGINT, SIGTERM, SIGKILL.
//   - The child writes straight into its log file (no pipe through quanteval), so a
//     grandchild that keeps the file open cannot hold up the reaper, and the log is
//     complete even if quanteval itself is killed.
//   - Each kind is one entry of a table (kinds): its default command, a pure function
//     building its arguments, and how readiness is checked. A new kind is a new entry.
//   - Nothing is left running, even when quanteval is killed: on Linux the server
//     gets SIGKILL from the kernel when quanteval dies (Pdeathsig; it is started
//     and reaped by one goroutine locked to its OS thread, since the signal follows
//     the thread that started the child). While it runs, a Record (PID, group, port,
//     command, start time, quanteval's PID) is kept in Spec.Record, for a later
//     quanteval to find (FindLeftovers) and stop. A PID is trusted only with the
//     start time /proc/PID/stat gives for it, so a reused PID is never signalled.
//   - After the group is gone, Stop looks for strays: processes that left the group
//     (setsid) and still listen on the port, or hold GPU memory that nvidia-smi did
//     not list before the start (the baseline, which also decides when the memory
//     is released). They are named (Server.Strays), and killed only with
//     Spec.KillStrays, by PID, never a group or a name.
//   - A port taken before the start is reported with the processes listening on it
//     (PortOwners: /proc/net/tcp and tcp6, then /proc/*/fd).
//   - An external endpoint starts nothing: Start returns a Server whose WaitReady
//     polls the given URL and whose Stop does nothing.
//   - Ollama serves no model of its own at start: `ollama serve` takes no model
//     argument, listens on OLLAMA_HOST and keeps models in OLLAMA_MODELS, which is
//     set inside the run's own folder (Spec.StateDir), never the user's model store.
//     Its model is made afterwards by a prepare command (`ollama create`), so its
//     readiness is GET / = 200 alone; ModelListed checks the model after the
//     prepare commands. OLLAMA_NUM_PARALLEL is left as the user gives it: 1 (the
//     default of v0.17) answers one request at a time, which keeps greedy outputs
//     deterministic; more lets requests share a batch.
//   - What the API says (the model list, the version) is asked through package
//     client, as a run asks it; secrets in command lines, environments and URLs are
//     hidden by package redact. This package adds neither a second HTTP reading of
//     the API nor a second set of secret rules.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quanteval/quanteval/redact"
)

// Kinds of server.
const (
	KindVLLM        = "vllm"
	KindSGLang      = "sglang"
	KindLlamaServer = "llama-server"
	KindOllama      = "ollama"
	KindExternal    = "external"
)

// Defaults of Spec's fields.
const (
	DefaultHost           = "127.0.0.1"
	DefaultPort           = 8000
	DefaultReadyTimeout   = 30 * time.Minute
	DefaultStopGrace      = 15 * time.Second
	DefaultReleaseTimeout = 2 * time.Minute
)

// kind is what differs between kinds of server.
type kind struct {
	// command is the program and its leading arguments when the plan gives none.
	command []string
	// args builds the arguments after the command; nil means no process is started.
	args func(s Spec) []string
	// health is the path that must answer 200 before the model list is asked for;
	// "" skips it.
	health string
	// env adds variables the kind needs (e.g. a listen address); nil adds none.
	env func(s Spec) map[string]string
	// modelLater marks a server that starts with no model: a prepare command makes
	// it, so readiness does not ask for the model to be listed.
	modelLater bool
}

var kinds = map[string]kind{
	KindVLLM:        {command: []string{"vllm", "serve"}, args: appendVLLMArgs, health: "/health"},
	KindSGLang:      {command: []string{"python", "-m", "sglang.launch_server"}, args: appendSGLangArgs, health: "/health"},
	KindLlamaServer: {command: []string{"llama-server"}, args: appendLlamaServerArgs, health: "/health"},
	// Ollama answers "Ollama is running" on / and has no /health.
	KindOllama: {command: []string{"ollama", "serve"}, args: appendOllamaArgs, health: "/", env: ollamaEnv,
		modelLater: true},
	// An external endpoint may be any OpenAI-compatible service, which need not
	// have /health: its model list is the test.
	KindExternal: {},
}

// Kinds lists the known kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// KnownKind reports whether k is a kind of server this package can run.
func KnownKind(k string) bool { _, ok := kinds[k]; return ok }

// DefaultCommand is the command a kind runs when the plan gives none (nil for
// external).
func DefaultCommand(k string) []string { return append([]string(nil), kinds[k].command...) }

// vLLM takes the model as the first argument after `serve`.
func appendVLLMArgs(s Spec) []string {
	out := []string{s.Model, "--host", s.host(), "--port", strconv.Itoa(s.port())}
	return append(out, s.Args...)
}

func appendSGLangArgs(s Spec) []string {
	out := []string{"--model-path", s.Model, "--host", s.host(), "--port", strconv.Itoa(s.port())}
	return append(out, s.Args...)
}

func appendLlamaServerArgs(s Spec) []string {
	out := []string{"-m", s.Model, "--host", s.host(), "--port", strconv.Itoa(s.port())}
	return append(out, s.Args...)
}

// `ollama serve` takes no model: the address and the model store are environment
// variables (ollamaEnv).
func appendOllamaArgs(s Spec) []string { return append([]string{}, s.Args...) }

// OllamaModelsDir is the folder, inside Spec.StateDir, that holds Ollama's models.
const OllamaModelsDir = "ollama-models"

func ollamaEnv(s Spec) map[string]string {
	return map[string]string{
		"OLLAMA_HOST":   net.JoinHostPort(s.host(), strconv.Itoa(s.port())),
		"OLLAMA_MODELS": absPath(filepath.Join(s.stateDir(), OllamaModelsDir)),
	}
}

// absPath makes p absolute, so that a child that changes its directory still
// finds it; p is kept as it is when the working directory is unknown.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Spec says which server to run and how. The zero value of a field means its
// default, given in the comment.
type Spec struct {
	Kind    string            // KindVLLM
	Command []string          // the program and its leading arguments (the kind's default)
	Model   string            // required
	Host    string            // DefaultHost
	Port    int               // DefaultPort
	Args    []string          // added after the kind's own arguments
	Env     map[string]string // added to the current environment
	BaseURL string            // external only: the endpoint, with or without /v1
	Log     string            // the file the child's stdout and stderr go to (required unless external)
	// StateDir is a folder of the run's own where a server keeps state (Ollama's
	// model store, STATEDIR/ollama-models); the folder of Log when "".
	StateDir string

	ReadyTimeout   time.Duration // DefaultReadyTimeout
	StopGrace      time.Duration // DefaultStopGrace, given to each of SIGINT and SIGTERM
	ReleaseTimeout time.Duration // DefaultReleaseTimeout to free the port and GPU memory
	PollInterval   time.Duration // 500ms between readiness polls

	// Record, when set, is a file where Start writes down the running server (see
	// Record) and a clean Stop removes it, so that a later quanteval can find a
	// server whose quanteval was killed (FindLeftovers).
	Record string
	// KillStrays lets Stop kill the processes outside the server's group that still
	// hold its port or GPU memory it took (see Stray); false names them only.
	KillStrays bool
	// NvidiaSMI runs nvidia-smi with args and returns its output; nil runs the
	// nvidia-smi on PATH, and without one GPU memory is not checked.
	NvidiaSMI func(ctx context.Context, args ...string) ([]byte, error)

	// OnWait, when set, is called after each failed readiness poll with the time
	// waited so far and the last line of the log. It must not block.
	OnWait func(elapsed time.Duration, lastLine string)
}

func (s Spec) kind() string {
	if s.Kind == "" {
		return KindVLLM
	}
	return s.Kind
}

func (s Spec) host() string {
	if s.Host == "" {
		return DefaultHost
	}
	return s.Host
}

func (s Spec) port() int {
	if s.Port == 0 {
		return DefaultPort
	}
	return s.Port
}

func (s Spec) stateDir() string {
	if s.StateDir == "" {
		return filepath.Dir(s.Log)
	}
	return s.StateDir
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Managed reports whether a process is started for s (every kind but external).
func (s Spec) Managed() bool { return kinds[s.kind()].args != nil }

// ModelLater reports a kind whose model is made after the server is ready (by a
// prepare command such as `ollama create`): readiness does not wait for it, and
// Server.ModelListed checks it once the prepare commands have run.
func (s Spec) ModelLater() bool { return kinds[s.kind()].modelLater }

// Readiness says in words what WaitReady waits for (and, for a kind whose model is
// made later, what is checked after the prepare commands).
func (s Spec) Readiness() string {
	k := kinds[s.kind()]
	if k.health == "" {
		return fmt.Sprintf("GET %s/v1/models lists %q", redact.URL(s.URL()), s.Model)
	}
	health := fmt.Sprintf("GET %s%s = 200", redact.URL(s.URL()), k.health)
	if k.modelLater {
		return fmt.Sprintf("%s; after the prepare commands, GET /v1/models lists %q", health, s.Model)
	}
	return fmt.Sprintf("%s and GET /v1/models lists %q", health, s.Model)
}

// Argv is the command line that starts the server; nil for an external endpoint.
func (s Spec) Argv() ([]string, error) {
	k, ok := kinds[s.kind()]
	if !ok {
		return nil, fmt.Errorf("server: unknown kind %q (want one of %s)", s.Kind, strings.Join(Kinds(), ", "))
	}
	if k.args == nil {
		return nil, nil
	}
	if s.Model == "" {
		return nil, fmt.Errorf("server: no model")
	}
	cmd := s.Command
	if len(cmd) == 0 {
		cmd = k.command
	}
	return append(append([]string(nil), cmd...), k.args(s)...), nil
}

// AddedEnv is the environment the server gets on top of the current one: the
// kind's variables, then Env (which wins).
func (s Spec) AddedEnv() map[string]string {
	out := map[string]string{}
	if f := kinds[s.kind()].env; f != nil {
		for k, v := range f(s) {
			out[k] = v
		}
	}
	for k, v := range s.Env {
		out[k] = v
	}
	return out
}

// URL is the base URL clients use, without /v1: BaseURL for an external endpoint,
// else http://HOST:PORT (a wildcard listen address is reached on the loopback).
func (s Spec) URL() string {
	if !s.Managed() {
		u := strings.TrimRight(s.BaseURL, "/")
		return strings.TrimSuffix(u, "/v1")
	}
	h := s.host()
	if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
		h = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(h, strconv.Itoa(s.port()))
}

// CheckURL reports whether an external base URL can be used.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message quotes the URL, password and all
		}
		return fmt.Errorf("%q: %w", redact.URL(raw), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", redact.URL(raw))
	}
	return nil
}
