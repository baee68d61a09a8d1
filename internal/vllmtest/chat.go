package vllmtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ChatRequest is one chat completion request as the double read it.
type ChatRequest struct {
	Model       string // resolved: the first served model when the body named none
	Messages    []Message
	Temperature *float64
	MaxTokens   int // max_tokens, else max_completion_tokens; 0 when neither
	Seed        *int64
	Logprobs    bool
	TopLogprobs int
	// Stream is "stream": true; IncludeUsage is stream_options.include_usage.
	Stream, IncludeUsage bool
	// Raw is the whole decoded body when Options.Capture is on, else nil.
	Raw map[string]any
}

// Message is one chat message; content given as a list of parts is joined text.
type Message struct {
	Role    string
	Content string
}

// LastUser is the content of the last user message ("" when none).
func (r ChatRequest) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Reply is what the double answers to one chat request. Zero fields take the
// defaults in their comments.
type Reply struct {
	Content *string // the answer; nil sends "content": null (see Text)
	// Reasoning is the text a reasoning parser split off; "" sends null.
	Reasoning string
	// ReasoningField names the reasoning key: "reasoning" (default, current vLLM),
	// "reasoning_content" (older vLLM) or "both" (the transition, same value twice).
	ReasoningField string
	FinishReason   string // "stop"
	// PromptTokens and CompletionTokens go into usage. Defaults: a word count of the
	// messages (plus 4 a message); a word count of content and reasoning, or
	// max_tokens when FinishReason is "length".
	PromptTokens, CompletionTokens int
	// Logprobs are sent when the request asked for logprobs; when empty, they are
	// synthesised from Content (syntheticLogprobs).
	Logprobs []TokenLogprob
}

// TokenLogprob is one generated token with its top alternatives.
type TokenLogprob struct {
	Token   string
	Logprob float64
	Top     []TopLogprob
}

// TopLogprob is one alternative at a position.
type TopLogprob struct {
	Token   string
	Logprob float64
}

// Text returns a pointer to s, for Reply.Content.
func Text(s string) *string { return &s }

// defaultAnswer echoes the last user message, deterministic and cheap.
func defaultAnswer(req ChatRequest) Reply {
	s := req.LastUser()
	return Reply{Content: &s}
}

// Fault is a failure injected into one chat request.
type Fault int

const (
	FaultNone        Fault = iota
	Fault429               // 429 with Retry-After (Options.RetryAfter) and an error body
	Fault500               // 500 with an error body
	FaultDrop              // the connection is closed without a response
	FaultTruncated         // 200 with the first half of the JSON body
	FaultStall             // no answer until the request is cancelled or Server.Close
	Fault400               // vLLM's context-length error, in Options.ErrorShape
	FaultOldError400       // the same in the flat shape of older vLLM, whatever ErrorShape
	// FaultStreamError sends half a streamed reply, then vLLM's in-stream error
	// `data: {"error": {..., "code": 500}}` and [DONE]; a plain request gets Fault500.
	FaultStreamError
)

var faultNames = [...]string{"none", "429", "500", "drop", "truncated", "stall", "400", "old-error-400", "stream-error"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// FaultTimes returns an Options.Faults that injects f into the first `times` requests
// for which match is true (nil matches all), and nothing else: "the first two
// attempts at item x get 429". Safe for concurrent use.
func FaultTimes(f Fault, times int, match func(ChatRequest) bool) func(int, ChatRequest) Fault {
	var left atomic.Int64
	left.Store(int64(times))
	return func(_ int, req ChatRequest) Fault {
		if match != nil && !match(req) {
			return FaultNone
		}
		if left.Add(-1) >= 0 {
			return f
		}
		return FaultNone
	}
}

// wireRequest is the part of vLLM's ChatCompletionRequest the double reads.
type wireRequest struct {
	Model               string        `json:"model"`
	Messages            []wireMessage `json:"messages"`
	Temperature         *float64      `json:"temperature"`
	MaxTokens           *int          `json:"max_tokens"`
	MaxCompletionTokens *int          `json:"max_completion_tokens"`
	Seed                *int64        `json:"seed"`
	Logprobs            *bool         `json:"logprobs"`
	TopLogprobs         *int          `json:"top_logprobs"`
	Stream              bool          `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func (m wireMessage) text() (string, error) {
	c := bytes.TrimSpace(m.Content)
	switch {
	case len(c) == 0 || string(c) == "null":
		return "", nil
	case c[0] == '"':
		var s string
		err := json.Unmarshal(c, &s)
		return s, err
	case c[0] == '[':
		var parts []contentPart
		if err := json.Unmarshal(c, &parts); err != nil {
			return "", err
		}
		var b strings.Builder
		for _, p := range parts {
			if p.Type == "text" {
				b.WriteString(p.Text)
			}
		}
		return b.String(), nil
	}
	return "", errors.New("content is neither a string nor a list of parts")
}

// The pools keep the per-request buffers off the garbage collector's books.
var (
	inPool  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	outPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}
)

// chat answers POST /v1/chat/completions: count the request, read it, inject the
// fault Options.Faults picks, else answer.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	n := s.enter()
	defer s.inFlight.Add(-1)
	req, ok := s.readChat(w, r)
	if !ok {
		return
	}
	fault := FaultNone
	if s.opts.Faults != nil {
		fault = s.opts.Faults(int(n), req)
	}
	if fault == FaultStall {
		select {
		case <-r.Context().Done():
		case <-s.closed:
			drop(w)
		}
		return
	}
	if !s.hold(w, r) || s.failChat(w, fault, req) {
		return
	}
	s.answerChat(w, r, n, req, fault)
}

// enter counts a request and one more in flight (the caller takes it off again),
// and keeps the highest number in flight; it returns the request's number.
func (s *Server) enter() int64 {
	n := s.requests.Add(1)
	cur := s.inFlight.Add(1)
	for m := s.maxInFlight.Load(); cur > m && !s.maxInFlight.CompareAndSwap(m, cur); m = s.maxInFlight.Load() {
	}
	return n
}

// readChat reads and decodes the request's body and checks that it names a served
// model; when it does not, or the body is bad, it answers as vLLM does and reports
// false.
func (s *Server) readChat(w http.ResponseWriter, r *http.Request) (ChatRequest, bool) {
	in := inPool.Get().(*bytes.Buffer)
	in.Reset()
	defer inPool.Put(in)
	if _, err := in.ReadFrom(r.Body); err != nil {
		// The client went away mid-body: there is no one to answer.
		return ChatRequest{}, false
	}
	req, err := s.decode(in.Bytes())
	if err != nil {
		s.writeError(w, s.opts.ErrorShape, http.StatusBadRequest, "BadRequestError", err.Error())
		return req, false
	}
	if !s.models[req.Model] {
		s.writeError(w, s.opts.ErrorShape, http.StatusNotFound, "NotFoundError",
			"The model `"+req.Model+"` does not exist.")
		return req, false
	}
	return req, true
}

// failChat answers with the failure fault stands for, and reports whether it did
// (false for FaultNone and FaultTruncated, which answer, and for FaultStreamError on
// a streamed request, whose stream carries the error).
func (s *Server) failChat(w http.ResponseWriter, fault Fault, req ChatRequest) bool {
	switch fault {
	case Fault429:
		if s.opts.RetryAfter != "-" {
			w.Header().Set("Retry-After", s.opts.RetryAfter)
		}
		s.writeError(w, s.opts.ErrorShape, http.StatusTooManyRequests, "RateLimitError",
			"Too many requests: the server is at capacity, retry later.")
	case Fault500, FaultStreamError:
		if fault == FaultStreamError && req.Stream {
			return false // streamed, then cut by the error
		}
		s.writeError(w, s.opts.ErrorShape, http.StatusInternalServerError, "InternalServerError",
			"EngineCore encountered an issue. See stack trace (above) for the root cause.")
	case FaultDrop:
		drop(w)
	case Fault400, FaultOldError400:
		shape := s.opts.ErrorShape
		if fault == FaultOldError400 {
			shape = ErrorFlat
		}
		s.writeError(w, shape, http.StatusBadRequest, "BadRequestError", s.contextLengthMessage(req))
	default:
		return false
	}
	return true
}

// answerChat writes the chat completion for req (Options.Answer), streamed when
// asked, cut in half for FaultTruncated.
func (s *Server) answerChat(w http.ResponseWriter, r *http.Request, n int64, req ChatRequest, fault Fault) {
	reply := s.opts.Answer(req)
	if req.Stream {
		s.stream(w, r, n, &req, &reply, fault)
		return
	}
	out := outPool.Get().(*[]byte)
	body := appendChatResponse((*out)[:0], n, time.Now().Unix(), &req, &reply)
	defer func() { *out = body[:0]; outPool.Put(out) }()
	if fault == FaultTruncated {
		body = body[:len(body)/2]
	} else {
		s.countTokens(usage(&req, &reply))
	}
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	w.Write(body) // a failed write means the client left
}

// hold applies Gate and Delay; false when the request was cancelled or the Server
// closed meanwhile (and has been dealt with).
func (s *Server) hold(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Gate != nil {
		select {
		case <-s.opts.Gate:
		case <-r.Context().Done():
			return false
		case <-s.closed:
			drop(w)
			return false
		}
	}
	if s.opts.Delay > 0 {
		t := time.NewTimer(s.opts.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		case <-s.closed:
			drop(w)
			return false
		}
	}
	return true
}

func (s *Server) decode(body []byte) (ChatRequest, error) {
	var wr wireRequest
	if err := json.Unmarshal(body, &wr); err != nil {
		return ChatRequest{}, fmt.Errorf("invalid JSON body: %w", err)
	}
	var raw map[string]any
	if s.opts.Capture {
		if err := json.Unmarshal(body, &raw); err == nil {
			s.capture(raw)
		}
	}
	req := ChatRequest{
		Model:       wr.Model,
		Messages:    make([]Message, len(wr.Messages)),
		Temperature: wr.Temperature,
		Seed:        wr.Seed,
		Raw:         raw,
	}
	if req.Model == "" {
		req.Model = s.opts.Models[0]
	}
	for i, m := range wr.Messages {
		text, err := m.text()
		if err != nil {
			return ChatRequest{}, fmt.Errorf("messages[%d].content: %w", i, err)
		}
		req.Messages[i] = Message{Role: m.Role, Content: text}
	}
	switch {
	case wr.MaxTokens != nil:
		req.MaxTokens = *wr.MaxTokens
	case wr.MaxCompletionTokens != nil:
		req.MaxTokens = *wr.MaxCompletionTokens
	}
	if wr.Logprobs != nil {
		req.Logprobs = *wr.Logprobs
	}
	if wr.TopLogprobs != nil {
		req.TopLogprobs = *wr.TopLogprobs
	}
	req.Stream = wr.Stream
	req.IncludeUsage = wr.StreamOptions != nil && wr.StreamOptions.IncludeUsage
	// The checks vLLM's request model makes that a client can trip over.
	switch {
	case len(wr.Messages) == 0:
		return req, errors.New("messages: a chat request needs at least one message")
	case wr.Stream && s.opts.NoStream:
		return req, errors.New("stream: the vllmtest double does not stream")
	case wr.StreamOptions != nil && !wr.Stream:
		return req, errors.New("Stream options can only be defined when `stream=True`.")
	case req.MaxTokens < 0:
		return req, fmt.Errorf("max_tokens must be at least 1, got %d.", req.MaxTokens)
	case req.TopLogprobs < 0:
		return req, fmt.Errorf("`top_logprobs` must be a positive value, got %d.", req.TopLogprobs)
	case req.TopLogprobs > 0 && !req.Logprobs:
		return req, errors.New("when using `top_logprobs`, `logprobs` must be set to true.")
	}
	return req, nil
}

// contextLengthMessage words the error as vLLM does for a prompt plus max_tokens
// longer than the context.
func (s *Server) contextLengthMessage(req ChatRequest) string {
	prompt := promptTokens(req)
	completion := req.MaxTokens
	if prompt+completion <= s.opts.MaxModelLen {
		// The fault is forced: make the numbers tell the story anyway.
		completion = s.opts.MaxModelLen - prompt + 904
	}
	return fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
		s.opts.MaxModelLen, prompt+completion, prompt, completion)
}

func (s *Server) writeError(w http.ResponseWriter, shape ErrorShape, status int, typ, msg string) {
	b := make([]byte, 0, 128+len(msg))
	if shape == ErrorFlat {
		b = append(b, `{"object":"error","message":`...)
	} else {
		b = append(b, `{"error":{"message":`...)
	}
	b = appendString(b, msg)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"param":null,"code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	if shape == ErrorFlat {
		b = append(b, '}')
	} else {
		b = append(b, "}}"...)
	}
	writeJSON(w, status, b)
}

// drop closes the connection without a response.
func drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	// HTTP/2 and recorders cannot hijack; this aborts the stream or connection.
	panic(http.ErrAbortHandler)
}

// promptTokens and countWords stand in for a tokenizer: deterministic, cheap, and
// of the right order of magnitude for English.
func promptTokens(req ChatRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += countWords(m.Content) + 4
	}
	return n
}

func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		sp := isSpace(s[i])
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// appendChatResponse appends vLLM's ChatCompletionResponse for one choice.
func appendChatResponse(b []byte, n int64, created int64, req *ChatRequest, rep *Reply) []byte {
	b = append(b, `{"id":"chatcmpl-`...)
	b = appendHex32(b, uint64(n))
	b = append(b, `","object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"model":`...)
	b = appendString(b, req.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if rep.Content == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *rep.Content)
	}
	b = append(b, `,"refusal":null,"annotations":null,"audio":null,"function_call":null,"tool_calls":[]`...)
	switch rep.ReasoningField {
	case "reasoning_content":
		b = appendReasoning(b, "reasoning_content", rep.Reasoning)
	case "both":
		b = appendReasoning(b, "reasoning", rep.Reasoning)
		b = appendReasoning(b, "reasoning_content", rep.Reasoning)
	default:
		b = appendReasoning(b, "reasoning", rep.Reasoning)
	}
	b = append(b, `},"logprobs":`...)
	if req.Logprobs {
		lps := rep.Logprobs
		if len(lps) == 0 && rep.Content != nil {
			lps = syntheticLogprobs(*rep.Content, req.TopLogprobs)
		}
		b = appendLogprobs(b, lps)
	} else {
		b = append(b, "null"...)
	}
	finish := rep.finish()
	b = append(b, `,"finish_reason":`...)
	b = appendString(b, finish)
	b = append(b, `,"stop_reason":null}],"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens":`...)
	b = appendUsage(b, req, rep)
	b = append(b, `,"prompt_logprobs":null,"kv_transfer_params":null}`...)
	return b
}

// usage is the prompt and completion token counts of a reply: the Reply's own, or
// the defaults its comments give.
func usage(req *ChatRequest, rep *Reply) (prompt, completion int) {
	prompt, completion = rep.PromptTokens, rep.CompletionTokens
	if prompt == 0 {
		prompt = promptTokens(*req)
	}
	if completion == 0 {
		switch {
		case rep.finish() == "length" && req.MaxTokens > 0:
			completion = req.MaxTokens
		case rep.Content != nil:
			completion = countWords(*rep.Content) + countWords(rep.Reasoning)
		default:
			completion = countWords(rep.Reasoning)
		}
	}
	return prompt, completion
}

// appendUsage appends the numbers of vLLM's UsageInfo after its opening
// `"usage":{"prompt_tokens":`, and closes it.
func appendUsage(b []byte, req *ChatRequest, rep *Reply) []byte {
	prompt, completion := usage(req, rep)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	return append(b, `,"prompt_tokens_details":null}`...)
}

func (rep *Reply) finish() string {
	if rep.FinishReason == "" {
		return "stop"
	}
	return rep.FinishReason
}

func appendReasoning(b []byte, key, val string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	if val == "" {
		return append(b, "null"...)
	}
	return appendString(b, val)
}

// appendLogprobs appends vLLM's ChatCompletionLogProbs.
func appendLogprobs(b []byte, lps []TokenLogprob) []byte {
	b = append(b, `{"content":[`...)
	for i, t := range lps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLogprob(b, t.Token, t.Logprob)
		b = append(b, `,"top_logprobs":[`...)
		for j, top := range t.Top {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendLogprob(b, top.Token, top.Logprob)
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}

// appendLogprob appends an unclosed {"token","logprob","bytes"} object.
func appendLogprob(b []byte, token string, lp float64) []byte {
	b = append(b, `{"token":`...)
	b = appendString(b, token)
	b = append(b, `,"logprob":`...)
	b = appendFloat(b, lp)
	b = append(b, `,"bytes":[`...)
	for i := 0; i < len(token); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(token[i]), 10)
	}
	return append(b, ']')
}
