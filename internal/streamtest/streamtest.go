// Package streamtest is a stand-in for a streaming OpenAI-compatible server: POST
// /v1/chat/completions with "stream": true answers in vLLM's chunk shapes on a set
// schedule, the first token TTFT after the request and each further one TokenDelay
// after the one before. The load generator's tests and benchmark measure it and
// compare what they measured with the schedule.
//
// Decisions:
//   - The schedule is absolute (token k at TTFT + k*TokenDelay from arrival), so a
//     late write does not push every later token back.
//   - As vLLM does, the role chunk goes out with the first token, not before it, so
//     TTFT to the first chunk with choices is the set TTFT.
//   - ignore_eos is honoured unless IgnoreEOSUnsupported: then a reply stops after
//     NaturalLen tokens with finish_reason "stop", as a server that ignores it does.
package streamtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Options set the schedule. Zero values mean the defaults in the comments.
type Options struct {
	TTFT       time.Duration
	TokenDelay time.Duration
	// Tokens is the reply length when the request gives no max_tokens (16).
	Tokens int
	// NaturalLen is where the model would stop on its own (1<<30: never).
	NaturalLen           int
	IgnoreEOSUnsupported bool
	// NoUsage leaves out the usage chunk even when the request asks for it.
	NoUsage bool
}

// Server is the handler; Requests counts the chat requests it has begun.
type Server struct {
	opt      Options
	Requests atomic.Int64
}

// New returns a handler with the given schedule.
func New(opt Options) *Server {
	if opt.Tokens <= 0 {
		opt.Tokens = 16
	}
	if opt.NaturalLen <= 0 {
		opt.NaturalLen = 1 << 30
	}
	return &Server{opt: opt}
}

type chatRequest struct {
	Messages []struct {
		Content string `json:"content"`
	} `json:"messages"`
	MaxTokens     int  `json:"max_tokens"`
	IgnoreEOS     bool `json:"ignore_eos"`
	Stream        bool `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	s.Requests.Add(1)
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"the stand-in only streams","type":"BadRequestError","code":400}}`)
		return
	}
	n, finish := s.length(req)
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(m.Content)/5 + 1
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 0, 512)
	for k := range n {
		if err := waitUntil(r.Context(), arrived.Add(s.opt.TTFT+time.Duration(k)*s.opt.TokenDelay)); err != nil {
			return
		}
		buf = buf[:0]
		if k == 0 {
			buf = append(buf, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"stand-in","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`+"\n\n"...)
		}
		buf = append(buf, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"stand-in","choices":[{"index":0,"delta":{"content":"tok`...)
		buf = strconv.AppendInt(buf, int64(k), 10)
		buf = append(buf, ` "},"logprobs":null,"finish_reason":`...)
		if k == n-1 {
			buf = append(buf, `"`+finish+`"}]}`+"\n\n"...)
		} else {
			buf = append(buf, `null}]}`+"\n\n"...)
		}
		if k == n-1 && req.StreamOptions.IncludeUsage && !s.opt.NoUsage {
			buf = fmt.Appendf(buf, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"stand-in","choices":[],"usage":{"prompt_tokens":%d,"total_tokens":%d,"completion_tokens":%d}}`+"\n\n", prompt, prompt+n, n)
		}
		if k == n-1 {
			buf = append(buf, "data: [DONE]\n\n"...)
		}
		if _, err := w.Write(buf); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

// length is how many tokens the reply has and why it ends.
func (s *Server) length(req chatRequest) (int, string) {
	n := req.MaxTokens
	if n <= 0 {
		n = s.opt.Tokens
	}
	if (!req.IgnoreEOS || s.opt.IgnoreEOSUnsupported) && s.opt.NaturalLen < n {
		return s.opt.NaturalLen, "stop"
	}
	return n, "length"
}

func waitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
