// Package vllmtest is a test double for a vLLM OpenAI-compatible server: an
// http.Handler that speaks vLLM's JSON shapes (GET /health, /version, /v1/models and
// POST /v1/chat/completions, streamed as server-sent events or not), injects faults on chosen requests and
// counts what it sees. The client, the runner, the matrix command's stand-in
// `vllm serve` program and the benchmarks all serve this one handler, so that what
// they are tested against is the same everywhere.
//
// Decisions the double has made:
//   - The bodies follow vLLM's pydantic models, nulls included ("refusal": null,
//     "tool_calls": [], "stop_reason": null, "prompt_tokens_details": null ...), so a
//     client decoding them meets what a real server sends.
//   - Reasoning goes out as "reasoning" (vLLM since late 2025), "reasoning_content"
//     (before) or both (the transition), as each Reply chooses.
//   - Errors use the nested shape {"error":{...}} of current vLLM unless
//     Options.ErrorShape asks for the flat {"object":"error",...} of older versions.
//   - The chat response is appended by hand into a pooled buffer and the model list is
//     encoded once, because the runner's benchmark pushes thousands of requests a
//     second through this handler on two cores.
package vllmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ErrorShape is the JSON shape of an error body.
type ErrorShape int

const (
	// ErrorNested is current vLLM's {"error":{"message","type","param","code"}}.
	ErrorNested ErrorShape = iota
	// ErrorFlat is older vLLM's {"object":"error","message","type","param","code"}.
	ErrorFlat
)

// Options configures a Server. The zero value of a field means its default, given in
// the comment.
type Options struct {
	// Models are listed by GET /v1/models and accepted by chat requests
	// (["test-model"]). A request without a model gets the first.
	Models []string
	// Version is what GET /version reports ("0.11.0").
	Version string
	// MaxModelLen is the context length in the model list and in Fault400's
	// message (4096).
	MaxModelLen int
	// APIKey, when set, is required as "Authorization: Bearer KEY" on /v1/ paths; a
	// missing or wrong key gets vLLM's 401 {"error": "Unauthorized"}.
	APIKey string

	// Answer returns the reply to one chat request (defaultAnswer: echo the last user
	// message). It is called concurrently.
	Answer func(req ChatRequest) Reply
	// Faults returns the fault to inject on the n-th chat request (1-based, in order
	// of arrival) (none). It is called concurrently; FaultTimes builds a common one.
	Faults func(n int, req ChatRequest) Fault
	// ErrorShape is the shape of 4xx and 5xx error bodies (ErrorNested).
	ErrorShape ErrorShape
	// RetryAfter is the Retry-After header sent with Fault429 ("0", so that tests do
	// not wait); "-" sends no header.
	RetryAfter string

	// Delay holds every chat request this long before it is answered (0), so that
	// requests overlap; a cancelled request stops waiting.
	Delay time.Duration
	// Gate, when set, holds every chat request until it receives a value from Gate
	// (closing Gate releases all): concurrency tests without timing.
	Gate <-chan struct{}

	// TokenDelay, for a streamed request, spaces its chunks: the first goes out
	// after Delay, each further one TokenDelay after the one before (0).
	TokenDelay time.Duration
	// Metrics serves GET /metrics in Prometheus text with vLLM's names: token
	// counters, requests running and waiting, KV-cache usage (off: 404, as a server
	// without metrics).
	Metrics bool
	// NoStream refuses "stream": true with a 400, as a server that cannot stream.
	NoStream bool
	// UsageEveryChunk puts usage on every chunk of a stream that asked for it, as
	// vLLM does with --enable-force-include-usage.
	UsageEveryChunk bool

	// Capture keeps the decoded bodies of chat requests for Bodies and fills
	// ChatRequest.Raw (off: decoding twice costs time the benchmarks notice).
	Capture bool
	// CaptureLimit is how many bodies Capture keeps, the most recent (1000).
	CaptureLimit int
}

// Server is a vLLM double: an http.Handler plus counters. Safe for concurrent use.
type Server struct {
	opts       Options
	models     map[string]bool
	modelsJSON []byte
	versionOut []byte
	created    int64

	requests    atomic.Int64
	genTokens   atomic.Int64
	promptToks  atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	lastAuth    atomic.Pointer[string]

	mu     sync.Mutex
	bodies []map[string]any // ring of the last CaptureLimit bodies
	next   int              // where the ring writes next once full

	closeOnce sync.Once
	closed    chan struct{}
}

var _ http.Handler = (*Server)(nil)

// New builds a Server with opts' defaults filled in.
func New(opts Options) *Server {
	if len(opts.Models) == 0 {
		opts.Models = []string{"test-model"}
	}
	if opts.Version == "" {
		opts.Version = "0.11.0"
	}
	if opts.MaxModelLen == 0 {
		opts.MaxModelLen = 4096
	}
	if opts.Answer == nil {
		opts.Answer = defaultAnswer
	}
	if opts.RetryAfter == "" {
		opts.RetryAfter = "0"
	}
	if opts.CaptureLimit <= 0 {
		opts.CaptureLimit = 1000
	}
	s := &Server{
		opts:    opts,
		models:  make(map[string]bool, len(opts.Models)),
		created: time.Now().Unix(),
		closed:  make(chan struct{}),
	}
	for _, m := range opts.Models {
		s.models[m] = true
	}
	s.modelsJSON = encodeModelList(opts.Models, opts.MaxModelLen, s.created)
	s.versionOut, _ = json.Marshal(map[string]string{"version": opts.Version})
	return s
}

// Start serves a new Server on 127.0.0.1 for the length of a test. Cleanup releases
// stalled requests before closing the listener, so a stalled request cannot hang it.
func Start(tb testing.TB, opts Options) (*Server, *httptest.Server) {
	tb.Helper()
	s := New(opts)
	hs := httptest.NewServer(s)
	tb.Cleanup(hs.Close) // cleanups run last-in first-out: s.Close runs first
	tb.Cleanup(s.Close)
	return s, hs
}

// Close releases every request held by FaultStall, Delay or Gate; they end with a
// dropped connection. Later stalls return at once. The handler otherwise keeps
// working.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closed) }) }

// ServeHTTP routes to vLLM's endpoints; anything else gets FastAPI's 404 or 405.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.noteAuth(r)
	switch r.URL.Path {
	case "/health":
		if !allow(w, r, http.MethodGet) {
			return
		}
		w.WriteHeader(http.StatusOK)
	case "/version":
		if allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, s.versionOut)
		}
	case "/v1/models":
		if allow(w, r, http.MethodGet) && s.authorized(w, r) {
			writeJSON(w, http.StatusOK, s.modelsJSON)
		}
	case "/metrics":
		if !s.opts.Metrics {
			writeJSON(w, http.StatusNotFound, []byte(`{"detail":"Not Found"}`))
		} else if allow(w, r, http.MethodGet) {
			s.metrics(w)
		}
	case "/v1/chat/completions":
		if allow(w, r, http.MethodPost) && s.authorized(w, r) {
			s.chat(w, r)
		}
	default:
		writeJSON(w, http.StatusNotFound, []byte(`{"detail":"Not Found"}`))
	}
}

// Requests is the number of chat requests received so far, faulted ones included.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// InFlight is the number of chat requests being handled now.
func (s *Server) InFlight() int { return int(s.inFlight.Load()) }

// MaxInFlight is the largest InFlight seen.
func (s *Server) MaxInFlight() int { return int(s.maxInFlight.Load()) }

// WaitInFlight returns when at least n chat requests are in flight, or ctx's error.
func (s *Server) WaitInFlight(ctx context.Context, n int) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for s.InFlight() < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("vllmtest: waiting for %d requests in flight (have %d): %w", n, s.InFlight(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// LastAuth is the Authorization header of the latest request to any endpoint ("" when
// it had none).
func (s *Server) LastAuth() string {
	if p := s.lastAuth.Load(); p != nil {
		return *p
	}
	return ""
}

// Bodies returns the decoded chat request bodies kept by Options.Capture, oldest
// first. The maps are shared: read them, do not change them.
func (s *Server) Bodies() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.bodies))
	out = append(out, s.bodies[s.next:]...)
	return append(out, s.bodies[:s.next]...)
}

// LastBody is the latest captured body, nil when none.
func (s *Server) LastBody() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bodies) == 0 {
		return nil
	}
	i := s.next - 1
	if i < 0 {
		i = len(s.bodies) - 1
	}
	return s.bodies[i]
}

func (s *Server) capture(m map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bodies) < s.opts.CaptureLimit {
		s.bodies = append(s.bodies, m)
		return
	}
	s.bodies[s.next] = m
	s.next = (s.next + 1) % len(s.bodies)
}

func (s *Server) noteAuth(r *http.Request) {
	auth := r.Header.Get("Authorization")
	// Storing only on change keeps the common case free of allocation.
	if p := s.lastAuth.Load(); p != nil && *p == auth || p == nil && auth == "" {
		return
	}
	s.lastAuth.Store(&auth)
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.APIKey == "" || r.Header.Get("Authorization") == "Bearer "+s.opts.APIKey {
		return true
	}
	writeJSON(w, http.StatusUnauthorized, []byte(`{"error":"Unauthorized"}`))
	return false
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	// Starlette answers HEAD wherever it answers GET.
	if r.Method == method || method == http.MethodGet && r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", method)
	writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"detail":"Method Not Allowed"}`))
	return false
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	w.Write(body) // a failed write means the client left; nothing to tell it
}

var contentTypeJSON = []string{"application/json"}

// modelCard and modelPermission mirror vLLM's ModelCard and ModelPermission.
type modelCard struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	Created     int64             `json:"created"`
	OwnedBy     string            `json:"owned_by"`
	Root        string            `json:"root"`
	Parent      *string           `json:"parent"`
	MaxModelLen int               `json:"max_model_len"`
	Permission  []modelPermission `json:"permission"`
}

type modelPermission struct {
	ID                 string  `json:"id"`
	Object             string  `json:"object"`
	Created            int64   `json:"created"`
	AllowCreateEngine  bool    `json:"allow_create_engine"`
	AllowSampling      bool    `json:"allow_sampling"`
	AllowLogprobs      bool    `json:"allow_logprobs"`
	AllowSearchIndices bool    `json:"allow_search_indices"`
	AllowView          bool    `json:"allow_view"`
	AllowFineTuning    bool    `json:"allow_fine_tuning"`
	Organization       string  `json:"organization"`
	Group              *string `json:"group"`
	IsBlocking         bool    `json:"is_blocking"`
}

func encodeModelList(models []string, maxLen int, created int64) []byte {
	cards := make([]modelCard, len(models))
	for i, m := range models {
		cards[i] = modelCard{
			ID: m, Object: "model", Created: created, OwnedBy: "vllm", Root: m,
			MaxModelLen: maxLen,
			Permission: []modelPermission{{
				ID: fmt.Sprintf("modelperm-%032x", i+1), Object: "model_permission",
				Created: created, AllowSampling: true, AllowLogprobs: true,
				AllowView: true, Organization: "*",
			}},
		}
	}
	b, err := json.Marshal(struct {
		Object string      `json:"object"`
		Data   []modelCard `json:"data"`
	}{"list", cards})
	if err != nil {
		panic(fmt.Sprintf("vllmtest: encoding the model list: %v", err)) // plain structs cannot fail
	}
	return b
}

// countTokens adds a finished reply's tokens to the /metrics counters.
func (s *Server) countTokens(prompt, completion int) {
	s.promptToks.Add(int64(prompt))
	s.genTokens.Add(int64(completion))
}

// metrics writes the counters in Prometheus text, named as vLLM's v1 engine names
// them.
func (s *Server) metrics(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	running := s.inFlight.Load()
	fmt.Fprintf(w, `# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="%[1]s"} %[2]d
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="%[1]s"} %[3]d
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="%[1]s"} %[4]d
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="%[1]s"} 0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="%[1]s"} %[5]g
`, s.opts.Models[0], s.promptToks.Load(), s.genTokens.Load(), running, float64(running)/1000)
}
