// Package client speaks the OpenAI-compatible HTTP API that vLLM, SGLang, llama.cpp's
// server and Ollama serve: chat completions, the model list, the server version.
//
// It is a thin layer on net/http rather than an SDK because an evaluation needs what
// SDKs smooth over: both field names vLLM has used for reasoning (reasoning,
// reasoning_content), both error shapes it has used, an arbitrary extra body merged
// into each request, and a retry policy whose every decision is visible and tested.
// The policy is two pure functions (shouldRetry, retryDelay) and a context-aware wait;
// RetryableStatus, RetryAfter, Backoff and Sleep give it to the house's other HTTP
// clients (hub downloads), so that every retry waits alike.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quanteval/quanteval/redact"
)

// Client talks to one server. It is safe for concurrent use.
type Client struct {
	base    *url.URL // ends in /v1
	http    *http.Client
	apiKey  string
	timeout time.Duration
	retries int
	// sleep waits between attempts; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// Options configure a Client. Zero values mean the documented defaults.
type Options struct {
	APIKey  string        // sent as "Authorization: Bearer"; never logged
	Timeout time.Duration // per attempt (default 1200s)
	Retries int           // further attempts after the first; 0: none
	// MaxConns bounds the connections open at once, idle ones included (0: 1024
	// idle, no bound on the rest). A run gives its concurrency: each connection is a
	// file descriptor, and one more than the requests in flight can need is one the
	// result file may not get.
	MaxConns int
	HTTP     *http.Client // default: a client sized for many requests in flight
}

// New returns a client for baseURL, given with or without a trailing /v1.
func New(baseURL string, opt Options) (*Client, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, http: opt.HTTP, apiKey: opt.APIKey, timeout: opt.Timeout, retries: opt.Retries, sleep: sleepCtx}
	if c.timeout <= 0 {
		c.timeout = 1200 * time.Second
	}
	if c.http == nil {
		c.http = &http.Client{Transport: transport(opt.MaxConns)}
	}
	return c, nil
}

// transport is the default transport with room for maxConns requests in flight, and
// no more connections than that (maxConns 0: 1024 idle, the rest unbounded).
func transport(maxConns int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The default keeps 2 idle connections per host: at concurrency 64 every other
	// request would dial anew.
	t.MaxIdleConnsPerHost = 1024
	t.MaxIdleConns = 1024
	if maxConns > 0 {
		t.MaxIdleConnsPerHost, t.MaxIdleConns, t.MaxConnsPerHost = maxConns, maxConns, maxConns
	}
	return t
}

// CloseIdleConnections closes the connections no request is using, giving their
// file descriptors back (a run does it before writing its result).
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// parseBaseURL normalises a server address to its /v1 root.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("base URL %q: invalid URL", redact.URL(s))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want http://HOST:PORT or https://...", redact.URL(s))
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/v1") {
		p += "/v1"
	}
	u.Path = p
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// BaseURL returns the /v1 root this client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Root returns the server root (the base URL without /v1), where vLLM serves /health
// and /version.
func (c *Client) Root() string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/v1")
	return u.String()
}

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one chat completion request.
type Request struct {
	Model       string
	Messages    []Message
	Temperature float64
	MaxTokens   int
	Seed        *int64
	TopLogprobs int // > 0 asks for logprobs with this many alternatives
	// Sampling parameters, each sent only when set: top_p, top_k (vLLM: -1 is all
	// tokens), min_p (vLLM) and presence_penalty.
	TopP            *float64
	TopK            *int64
	MinP            *float64
	PresencePenalty *float64
	// Extra is a JSON object merged into the body last: its keys win.
	Extra json.RawMessage
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// TopLogprob is one candidate at a position.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
}

// TokenLogprob is one generated token with its alternatives.
type TokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// Response is the part of a chat completion an evaluation keeps.
type Response struct {
	Content      *string // nil when the server sent null
	Reasoning    string  // "reasoning" or, from older vLLM, "reasoning_content"
	FinishReason string
	Usage        Usage
	// ReasoningTokens is usage.completion_tokens_details.reasoning_tokens, when the
	// server gives it (nil otherwise).
	ReasoningTokens *int
	Logprobs        []TokenLogprob
	Attempts        int // how many requests it took
	// Replica is the server of a Pool that answered; nil from a plain Client.
	Replica *Replica
}

// StatusError is an HTTP error answer, with the server's own message.
type StatusError struct {
	StatusCode int
	Message    string
	RetryAfter time.Duration // from the Retry-After header, when sent
}

func (e *StatusError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Message)
}

// errBadBody marks a 2xx answer whose body is not a valid completion: a cut-off
// stream is worth another try.
var errBadBody = errors.New("invalid response body")

// Chat sends a chat completion, retrying as shouldRetry and retryDelay decide.
func (c *Client) Chat(ctx context.Context, req Request) (*Response, error) {
	body, err := chatBody(req)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.chatOnce(ctx, body)
		if err == nil {
			resp.Attempts = attempt + 1
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, &AttemptError{Attempts: attempt + 1, Err: ctx.Err()}
		}
		if attempt >= c.retries || !shouldRetry(err) {
			return nil, &AttemptError{Attempts: attempt + 1, Err: err}
		}
		if err := c.sleep(ctx, retryDelay(err, attempt, jitter())); err != nil {
			return nil, &AttemptError{Attempts: attempt + 1, Err: err}
		}
	}
}

// AttemptError is a request that failed for good, with how many attempts it took.
type AttemptError struct {
	Attempts int
	Err      error
}

func (e *AttemptError) Error() string {
	if e.Attempts <= 1 {
		return e.Err.Error()
	}
	return fmt.Sprintf("after %d attempts: %v", e.Attempts, e.Err)
}

func (e *AttemptError) Unwrap() error { return e.Err }

func chatBody(req Request) ([]byte, error) {
	body := map[string]any{
		"model":       req.Model,
		"messages":    req.Messages,
		"temperature": req.Temperature,
		"max_tokens":  req.MaxTokens,
		"stream":      false,
	}
	if req.Seed != nil {
		body["seed"] = *req.Seed
	}
	for key, v := range map[string]any{"top_p": req.TopP, "min_p": req.MinP, "presence_penalty": req.PresencePenalty} {
		if p := v.(*float64); p != nil {
			body[key] = *p
		}
	}
	if req.TopK != nil {
		body["top_k"] = *req.TopK
	}
	if req.TopLogprobs > 0 {
		body["logprobs"] = true
		body["top_logprobs"] = req.TopLogprobs
	}
	if len(req.Extra) > 0 && string(req.Extra) != "null" {
		var extra map[string]any
		if err := json.Unmarshal(req.Extra, &extra); err != nil {
			return nil, fmt.Errorf("extra body: want a JSON object: %w", err)
		}
		for k, v := range extra {
			body[k] = v
		}
	}
	return json.Marshal(body)
}

// completion is the wire shape of a chat completion answer.
type completion struct {
	Choices []struct {
		Message      wireMessage   `json:"message"`
		Logprobs     *wireLogprobs `json:"logprobs"`
		FinishReason *string       `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
}

// wireMessage is a choice's message, or a streamed chunk's delta of one: the answer,
// and reasoning under either of the names vLLM has used.
type wireMessage struct {
	Content          *string `json:"content"`
	Reasoning        *string `json:"reasoning"`
	ReasoningContent *string `json:"reasoning_content"`
}

// wireLogprobs is a choice's log-probabilities.
type wireLogprobs struct {
	Content []TokenLogprob `json:"content"`
}

// wireUsage is usage as servers send it, with the details Usage leaves out.
type wireUsage struct {
	Usage
	CompletionTokensDetails *struct {
		ReasoningTokens *int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// apply puts u into r: the counts and, when given, the reasoning tokens. A nil u (no
// usage sent) leaves r as it is.
func (u *wireUsage) apply(r *Response) {
	if u == nil {
		return
	}
	r.Usage = u.Usage
	if d := u.CompletionTokensDetails; d != nil {
		r.ReasoningTokens = d.ReasoningTokens
	}
}

func (c *Client) chatOnce(ctx context.Context, body []byte) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	data, err := c.do(ctx, http.MethodPost, c.base.String()+"/chat/completions", body)
	if err != nil {
		return nil, err
	}
	var cmp completion
	if err := json.Unmarshal(data, &cmp); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadBody, err)
	}
	if len(cmp.Choices) == 0 {
		return nil, fmt.Errorf("%w: no choices", errBadBody)
	}
	ch := cmp.Choices[0]
	r := &Response{Content: ch.Message.Content}
	switch {
	case ch.Message.Reasoning != nil:
		r.Reasoning = *ch.Message.Reasoning
	case ch.Message.ReasoningContent != nil:
		r.Reasoning = *ch.Message.ReasoningContent
	}
	if ch.FinishReason != nil {
		r.FinishReason = *ch.FinishReason
	}
	cmp.Usage.apply(r)
	if ch.Logprobs != nil {
		r.Logprobs = ch.Logprobs.Content
	}
	return r, nil
}

// do sends one request and returns the body of a 2xx answer or a *StatusError.
func (c *Client) do(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if resp.StatusCode/100 != 2 {
		se := &StatusError{StatusCode: resp.StatusCode, Message: errorMessage(data)}
		se.RetryAfter = parseRetryAfter(resp.Header, time.Now())
		return nil, se
	}
	if err != nil {
		// The body broke off: the server or the connection went away mid-answer.
		return nil, fmt.Errorf("%w: reading: %v", errBadBody, err)
	}
	return data, nil
}

// errorMessage reads the server's message from either error shape vLLM has used,
// {"error":{"message":...}} and the older {"object":"error","message":...}, and
// falls back to the start of the body as text.
func errorMessage(body []byte) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  any             `json:"detail"`
	}
	if json.Unmarshal(body, &e) == nil {
		if len(e.Error) > 0 {
			var inner struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(e.Error, &inner) == nil && inner.Message != "" {
				return inner.Message
			}
			var s string
			if json.Unmarshal(e.Error, &s) == nil && s != "" {
				return s
			}
		}
		if e.Message != "" {
			return e.Message
		}
		if e.Detail != nil {
			return fmt.Sprint(e.Detail)
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// Models lists the ids that GET /v1/models returns.
func (c *Client) Models(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	data, err := c.do(ctx, http.MethodGet, c.base.String()+"/models", nil)
	if err != nil {
		return nil, fmt.Errorf("GET /v1/models: %w", err)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("GET /v1/models: %w", err)
	}
	ids := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// ResolveModel returns the model to ask for: model when the server lists it, else the
// single model the server lists. A model the server's list does not have is an
// *UnknownModelError, found before any request is sent; when the list cannot be had
// (the server has no /v1/models, or refuses it) or is empty, a given model is
// taken as it is.
func (c *Client) ResolveModel(ctx context.Context, model string) (string, error) {
	ids, err := c.Models(ctx)
	if model != "" {
		if err != nil || len(ids) == 0 || Listed(ids, model) {
			return model, nil
		}
		return "", &UnknownModelError{Model: model, Listed: ids}
	}
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", errors.New("the server lists no model: give --model")
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("the server lists %d models (%s): choose one with --model", len(ids), strings.Join(ids, ", "))
}

// Listed reports whether the server's list ids has model. Ollama lists "llama3:latest"
// and answers to "llama3", so a name without a tag matches its ":latest".
func Listed(ids []string, model string) bool {
	for _, id := range ids {
		if id == model || !strings.Contains(model, ":") && id == model+":latest" {
			return true
		}
	}
	return false
}

// UnknownModelError is a model the server's GET /v1/models does not list: every
// request for it would be a 404.
type UnknownModelError struct {
	Model  string
	Listed []string // what the server lists
}

// maxListed is the most model names an UnknownModelError names.
const maxListed = 20

func (e *UnknownModelError) Error() string {
	names := e.Listed
	more := ""
	if len(names) > maxListed {
		names, more = names[:maxListed], fmt.Sprintf(" and %d more", len(e.Listed)-maxListed)
	}
	return fmt.Sprintf("the server does not serve model %q: it lists %s%s; choose one with --model",
		e.Model, strings.Join(names, ", "), more)
}

// RefusedKey reports whether err is the server refusing the request's credentials
// (HTTP 401 or 403), and which of the two.
func RefusedKey(err error) (status int, ok bool) {
	var se *StatusError
	if errors.As(err, &se) && (se.StatusCode == http.StatusUnauthorized || se.StatusCode == http.StatusForbidden) {
		return se.StatusCode, true
	}
	return 0, false
}

// Version returns what GET /version says (vLLM: {"version": "..."}), or "" when the
// server has no such endpoint; the version is informative, never required.
func (c *Client) Version(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, u := range []string{c.Root() + "/version", c.base.String() + "/version", c.Root() + "/api/version"} {
		data, err := c.do(ctx, http.MethodGet, u, nil)
		if err != nil {
			continue
		}
		var v struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(data, &v) == nil && v.Version != "" {
			return v.Version
		}
	}
	return ""
}

// isNetErr reports a failure to reach the server or a connection dropped mid-way.
func isNetErr(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "EOF")
}
