package vllmtest

// Streamed replies, in vLLM's chat.completion.chunk shapes: a first chunk with the
// role and an empty content, one chunk per token (reasoning tokens first, under the
// Reply's reasoning field, then content tokens, each with its log-probability when
// asked), a chunk with the finish_reason, the usage chunk (choices empty) when the
// request asked for it with stream_options.include_usage, then "data: [DONE]".
//
// FaultTruncated cuts the stream half-way, with neither finish chunk nor [DONE]:
// what a client sees when a connection drops mid-reply. FaultStreamError sends an
// error object half-way instead, as vLLM does when the engine fails mid-stream.

import (
	"net/http"
	"strconv"
	"time"
)

// chunk is one token's delta.
type chunk struct {
	field string // "content", "reasoning", "reasoning_content"
	text  string
	lps   []TokenLogprob // sent with this chunk when the request asked for logprobs
}

// chunks splits a reply into the deltas a stream sends.
func chunks(req *ChatRequest, rep *Reply) []chunk {
	var out []chunk
	if rep.Reasoning != "" {
		for _, tok := range splitTokens(rep.Reasoning) {
			switch rep.ReasoningField {
			case "reasoning_content":
				out = append(out, chunk{field: "reasoning_content", text: tok})
			case "both":
				out = append(out, chunk{field: "both", text: tok})
			default:
				out = append(out, chunk{field: "reasoning", text: tok})
			}
		}
	}
	if rep.Content == nil {
		return out
	}
	toks := splitTokens(*rep.Content)
	var lps []TokenLogprob
	if req.Logprobs {
		lps = rep.Logprobs
		if len(lps) == 0 {
			lps = syntheticLogprobs(*rep.Content, req.TopLogprobs)
		}
	}
	for i, tok := range toks {
		c := chunk{field: "content", text: tok}
		switch {
		case len(lps) == len(toks):
			c.lps = lps[i : i+1]
		case i == 0:
			c.lps = lps // explicit log-probabilities of another tokenisation: all at once
		}
		out = append(out, c)
	}
	if len(toks) == 0 && len(lps) > 0 {
		out = append(out, chunk{field: "content", lps: lps})
	}
	return out
}

// stream answers req as server-sent events.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, n int64, req *ChatRequest, rep *Reply, fault Fault) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	head := []byte(`data: {"id":"chatcmpl-`)
	head = appendHex32(head, uint64(n))
	head = append(head, `","object":"chat.completion.chunk","created":`...)
	head = strconv.AppendInt(head, time.Now().Unix(), 10)
	head = append(head, `,"model":`...)
	head = appendString(head, req.Model)
	head = append(head, `,"choices":`...)

	cs := chunks(req, rep)
	prompt, completion := usage(req, rep)
	var b []byte
	send := func(body func([]byte) []byte, withUsage bool) bool {
		b = append(b[:0], head...)
		b = body(b)
		if withUsage {
			b = append(b, `,"usage":{"prompt_tokens":`...)
			b = appendUsage(b, req, rep)
		}
		b = append(b, "}\n\n"...)
		if _, err := w.Write(b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	every := s.opts.UsageEveryChunk && req.IncludeUsage
	cut := len(cs) / 2
	// The role chunk goes out with the first token, as vLLM's does.
	if !send(func(b []byte) []byte {
		return append(b, `[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]`...)
	}, every) {
		return
	}
	for i, c := range cs {
		if fault == FaultTruncated && i == cut {
			return // the handler returns mid-stream: no finish chunk, no [DONE]
		}
		if fault == FaultStreamError && i == cut {
			w.Write([]byte(`data: {"error":{"object":"error","message":"EngineCore encountered an issue.","type":"InternalServerError","param":null,"code":500}}` + "\n\ndata: [DONE]\n\n"))
			return
		}
		if i > 0 && !s.tokenWait(r) {
			return
		}
		if !send(func(b []byte) []byte { return appendDelta(b, c, req.Logprobs) }, every) {
			return
		}
	}
	if fault == FaultTruncated {
		return
	}
	if !send(func(b []byte) []byte {
		b = append(b, `[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":`...)
		b = appendString(b, rep.finish())
		return append(b, `,"stop_reason":null}]`...)
	}, every) {
		return
	}
	if req.IncludeUsage && !send(func(b []byte) []byte { return append(b, "[]"...) }, true) {
		return
	}
	s.countTokens(prompt, completion)
	w.Write([]byte("data: [DONE]\n\n"))
}

// appendDelta appends the choices array of one token's chunk.
func appendDelta(b []byte, c chunk, logprobs bool) []byte {
	b = append(b, `[{"index":0,"delta":{`...)
	switch c.field {
	case "both":
		b = append(b, `"reasoning":`...)
		b = appendString(b, c.text)
		b = append(b, `,"reasoning_content":`...)
		b = appendString(b, c.text)
	default:
		b = append(b, '"')
		b = append(b, c.field...)
		b = append(b, `":`...)
		b = appendString(b, c.text)
	}
	b = append(b, `},"logprobs":`...)
	if logprobs && c.field == "content" {
		b = appendLogprobs(b, c.lps)
	} else {
		b = append(b, "null"...)
	}
	return append(b, `,"finish_reason":null}]`...)
}

// tokenWait waits Options.TokenDelay between two chunks; false when the request
// was cancelled or the Server closed.
func (s *Server) tokenWait(r *http.Request) bool {
	if s.opts.TokenDelay <= 0 {
		return true
	}
	t := time.NewTimer(s.opts.TokenDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closed:
	}
	return false
}
