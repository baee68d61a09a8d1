package client

// Streamed chat completions: the same request as Chat with "stream": true, the reply
// assembled from server-sent events, and the timing that only a stream can show.
//
// Decisions:
//   - The reply is a *Response, assembled so that scoring it gives what the
//     non-streamed reply gives: content and reasoning kept apart, "reasoning" winning
//     over "reasoning_content" as in chatOnce, finish_reason from the last choice
//     chunk that carries one, usage from the last chunk that carries it. Content is
//     nil when no delta carried any content text, as vLLM's non-streamed message has
//     "content": null for such a reply.
//   - Timing follows vLLM's benchmark (vllm/benchmarks/lib/endpoint_request_func.py
//     and serve.py): every chunk whose choices is non-empty is a token event, the
//     first one ends TTFT, the last one ends E2EL, the gaps between them are the ITL
//     list, and TPOT = (E2EL - TTFT) / (output tokens - 1). Where vLLM re-tokenises
//     the text when the server sends no usage, we count the chunks that carried text
//     and mark the count as estimated.
//   - A stream that ends before a finish_reason or [DONE] is a dropped connection
//     (errBadBody), which shouldRetry retries; the whole request is sent again. An
//     error object inside the stream is read by errorMessage like an error body and
//     becomes a *StatusError with the code the object names (500 when it names
//     none), so the same retry policy applies.
//   - Events are framed by the SSE rules: "data:" lines joined until a blank line,
//     comments (": ping") and other fields ignored. Bytes are buffered until a line
//     ends, so a chunk boundary inside a UTF-8 character or a JSON object is
//     invisible to the decoder.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Timing is what the chunks of one streamed reply say about its speed, in vLLM's
// definitions. Durations are in milliseconds from the moment the request was sent.
type Timing struct {
	TTFTMs       float64 `json:"ttft_ms"` // to the first chunk whose choices is non-empty
	E2ELMs       float64 `json:"e2el_ms"` // to the last chunk whose choices is non-empty
	OutputTokens int     `json:"output_tokens"`
	// OutputTokensEstimated is true when the server sent no usage and OutputTokens
	// counts the chunks that carried text.
	OutputTokensEstimated bool    `json:"output_tokens_estimated,omitempty"`
	TPOTMs                float64 `json:"tpot_ms"`     // (E2EL - TTFT) / (OutputTokens - 1); 0 for one token
	MeanITLMs             float64 `json:"mean_itl_ms"` // mean gap between token chunks
	// ITLMs lists every gap between token chunks, for a load test's percentiles; a
	// per-item record keeps only the mean.
	ITLMs []float64 `json:"-"`
}

// StreamReply is a streamed chat completion: the reply and its timing.
type StreamReply struct {
	*Response
	Timing Timing
}

// ChatStream sends req as a streamed chat completion and assembles the reply,
// retrying as Chat does. The timing is that of the attempt that succeeded.
func (c *Client) ChatStream(ctx context.Context, req Request) (*StreamReply, error) {
	return c.ChatStreamClock(ctx, req, time.Now)
}

// ChatStreamClock is ChatStream reading the time from now: once when the request is
// sent and once per event, so that a test can make every timing exact.
func (c *Client) ChatStreamClock(ctx context.Context, req Request, now func() time.Time) (*StreamReply, error) {
	body, err := streamBody(req)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		r, err := c.chatStreamOnce(ctx, body, now)
		if err == nil {
			r.Attempts = attempt + 1
			return r, nil
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

// streamBody is the body of a streamed chat request: req's, with the streaming
// keys in its extra body.
func streamBody(req Request) ([]byte, error) {
	extra, err := streamExtra(req.Extra)
	if err != nil {
		return nil, err
	}
	req.Extra = extra
	return chatBody(req)
}

// streamExtra merges the streaming keys into the user's extra body. The user's
// stream_options are kept, with include_usage forced on; "stream" is always true.
func streamExtra(extra json.RawMessage) (json.RawMessage, error) {
	m := map[string]any{}
	if len(extra) > 0 && string(extra) != "null" {
		if err := json.Unmarshal(extra, &m); err != nil {
			return nil, fmt.Errorf("extra body: want a JSON object: %w", err)
		}
	}
	opts, _ := m["stream_options"].(map[string]any)
	if opts == nil {
		opts = map[string]any{}
	}
	opts["include_usage"] = true
	m["stream_options"] = opts
	m["stream"] = true
	return json.Marshal(m)
}

func (c *Client) chatStreamOnce(ctx context.Context, body []byte, now func() time.Time) (*StreamReply, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	if c.apiKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	start := now()
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, &StatusError{StatusCode: resp.StatusCode, Message: errorMessage(data),
			RetryAfter: parseRetryAfter(resp.Header, time.Now())}
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		// A server that cannot stream may answer the whole completion at once;
		// asking again would get the same.
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, fmt.Errorf("%w (Content-Type %s): %s", ErrNotStreamed, ct, errorMessage(data))
	}
	r, err := readStream(resp.Body, start, now)
	if err == nil {
		// Read the end of the body after [DONE], so that the connection goes back
		// to the pool: a body closed before its end closes its connection, and at
		// high concurrency dialling anew would be measured as TTFT.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	}
	return r, err
}

// streamChunk is the wire shape of one chat.completion.chunk, or of an error sent
// inside the stream in either of vLLM's shapes.
type streamChunk struct {
	Choices []struct {
		Delta        wireMessage   `json:"delta"`
		Logprobs     *wireLogprobs `json:"logprobs"`
		FinishReason *string       `json:"finish_reason"`
	} `json:"choices"`
	Usage  *wireUsage      `json:"usage"`
	Error  json.RawMessage `json:"error"`
	Object string          `json:"object"`
	Code   json.RawMessage `json:"code"`
}

// assembler builds one reply from its chunks.
type assembler struct {
	start, first, last time.Time
	tokenChunks        int
	textChunks         int
	itl                []float64
	content            []byte
	sawContent         bool
	reasoning          []byte
	reasoningContent   []byte
	sawReasoning       bool
	finish             string
	usage              *wireUsage
	logprobs           []TokenLogprob
	done               bool // [DONE] or a finish_reason seen
	sawDone            bool // [DONE] seen: nothing follows
}

// readStream reads server-sent events from r until [DONE] or the end of the body.
// now is called once per event, when the event is complete.
func readStream(r io.Reader, start time.Time, now func() time.Time) (*StreamReply, error) {
	br := bufio.NewReaderSize(r, 4<<10) // longer lines are joined by readLine
	a := &assembler{start: start}
	var data []byte
	for {
		line, err := readLine(br)
		if err != nil && len(line) == 0 {
			if err != io.EOF {
				return nil, fmt.Errorf("%w: stream: %v", errBadBody, err)
			}
			// The body ended: an event without its blank line still counts.
			if len(data) > 0 {
				if err := a.event(data, now()); err != nil {
					return nil, err
				}
			}
			return a.reply()
		}
		switch {
		case len(line) == 0:
			if len(data) > 0 {
				if err := a.event(data, now()); err != nil {
					return nil, err
				}
				data = data[:0]
			}
			if a.sawDone {
				return a.reply()
			}
		case line[0] == ':':
			// A comment: vLLM and proxies send ": ping" to keep the connection open.
		case bytes.HasPrefix(line, []byte("data:")):
			v := bytes.TrimPrefix(line[5:], []byte(" "))
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, v...)
		}
	}
}

// readLine returns the next line without its "\n" or "\r\n", however the bytes
// arrive; a line longer than the buffer is joined from its pieces.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	if err == nil || len(line) > 0 && err == io.EOF {
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
	}
	return line, err
}

var doneData = []byte("[DONE]")

// event takes one complete SSE data payload received at t.
func (a *assembler) event(data []byte, t time.Time) error {
	if bytes.Equal(bytes.TrimSpace(data), doneData) {
		a.done, a.sawDone = true, true
		return nil
	}
	var ch streamChunk
	if err := json.Unmarshal(data, &ch); err != nil {
		return fmt.Errorf("%w: stream chunk: %v", errBadBody, err)
	}
	if len(ch.Error) > 0 && string(ch.Error) != "null" || ch.Object == "error" {
		return streamError(data, ch)
	}
	if ch.Usage != nil {
		u := *ch.Usage
		a.usage = &u
	}
	if len(ch.Choices) == 0 {
		return nil
	}
	a.tokenChunk(t)
	c := ch.Choices[0]
	text := false
	if d := c.Delta.Content; d != nil && *d != "" {
		a.content = append(a.content, *d...)
		a.sawContent, text = true, true
	}
	if d := c.Delta.Reasoning; d != nil {
		a.reasoning = append(a.reasoning, *d...)
		a.sawReasoning = true
		text = text || *d != ""
	}
	if d := c.Delta.ReasoningContent; d != nil {
		a.reasoningContent = append(a.reasoningContent, *d...)
		text = text || *d != ""
	}
	if text {
		a.textChunks++
	}
	if c.Logprobs != nil {
		a.logprobs = append(a.logprobs, c.Logprobs.Content...)
	}
	if c.FinishReason != nil && *c.FinishReason != "" {
		a.finish = *c.FinishReason
		a.done = true
	}
	return nil
}

func (a *assembler) tokenChunk(t time.Time) {
	if a.tokenChunks == 0 {
		a.first = t
	} else {
		a.itl = append(a.itl, ms(t.Sub(a.last)))
	}
	a.last = t
	a.tokenChunks++
}

// streamError turns an error object inside the stream into a *StatusError.
func streamError(data []byte, ch streamChunk) error {
	code := 0
	raw := ch.Code
	if len(ch.Error) > 0 {
		var inner struct {
			Code json.RawMessage `json:"code"`
		}
		if json.Unmarshal(ch.Error, &inner) == nil && len(inner.Code) > 0 {
			raw = inner.Code
		}
	}
	if n, err := strconv.Atoi(string(bytes.Trim(raw, `"`))); err == nil && n >= 400 && n <= 599 {
		code = n
	}
	if code == 0 {
		code = http.StatusInternalServerError
	}
	return &StatusError{StatusCode: code, Message: "in stream: " + errorMessage(data)}
}

// errCut is a stream that ended before its finish chunk and [DONE].
var errCut = errors.New("stream ended before its finish chunk")

// ErrBadBody is in the chain of an error for a 2xx answer whose body is no valid
// completion, a stream broken off mid-way among them; ErrStreamCut is also in it
// when a stream ended cleanly but before its finish chunk and [DONE].
var (
	ErrBadBody   = errBadBody
	ErrStreamCut = errCut
)

// ErrNotStreamed is a 2xx answer that is one JSON document rather than a stream: the
// server does not stream (or a proxy buffered it); run without streaming.
var ErrNotStreamed = errors.New("the server answered a streamed request without streaming")

func (a *assembler) reply() (*StreamReply, error) {
	if !a.done {
		return nil, fmt.Errorf("%w: %w after %d chunks", errBadBody, errCut, a.tokenChunks)
	}
	if a.tokenChunks == 0 {
		return nil, fmt.Errorf("%w: stream carried no choices", errBadBody)
	}
	r := &Response{FinishReason: a.finish, Logprobs: a.logprobs}
	if a.sawContent {
		s := string(a.content)
		r.Content = &s
	}
	if a.sawReasoning {
		r.Reasoning = string(a.reasoning)
	} else {
		r.Reasoning = string(a.reasoningContent)
	}
	a.usage.apply(r)
	return &StreamReply{Response: r, Timing: a.timing()}, nil
}

// timing applies vLLM's definitions to the recorded chunk times.
func (a *assembler) timing() Timing {
	t := Timing{TTFTMs: ms(a.first.Sub(a.start)), E2ELMs: ms(a.last.Sub(a.start)), ITLMs: a.itl}
	if a.usage != nil && a.usage.CompletionTokens > 0 {
		t.OutputTokens = a.usage.CompletionTokens
	} else {
		t.OutputTokens, t.OutputTokensEstimated = a.textChunks, true
	}
	if t.OutputTokens > 1 {
		t.TPOTMs = (t.E2ELMs - t.TTFTMs) / float64(t.OutputTokens-1)
	}
	if len(a.itl) > 0 {
		sum := 0.0
		for _, g := range a.itl {
			sum += g
		}
		t.MeanITLMs = sum / float64(len(a.itl))
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
