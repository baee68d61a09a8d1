package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stepClock returns a clock that starts at a fixed instant and moves step forward on
// every call, so that timing arithmetic is exact.
func stepClock(step time.Duration) func() time.Time {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)-1) * step) }
}

// sseServer answers every chat request with the given raw stream; byByte flushes
// each byte on its own so chunk boundaries fall inside characters and objects.
func sseServer(t *testing.T, byByte bool, streams ...string) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	t.Helper()
	var n atomic.Int64
	var lastBody atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		lastBody.Store(string(b))
		i := int(n.Add(1)) - 1
		s := streams[min(i, len(streams)-1)]
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		if !byByte {
			io.WriteString(w, s)
			return
		}
		for j := 0; j < len(s); j++ {
			w.Write([]byte{s[j]})
			f.Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &lastBody
}

func testClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := New(url, Options{Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(context.Context, time.Duration) error { return nil }
	return c
}

func ev(s string) string { return "data: " + s + "\n\n" }

const (
	roleChunk  = `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`
	usageChunk = `{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":7,"total_tokens":10,"completion_tokens":3}}`
)

func contentChunk(s string) string {
	b, _ := json.Marshal(s)
	return `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":` + string(b) + `},"logprobs":null,"finish_reason":null}]}`
}

func finishChunk(reason string) string {
	return `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"` + reason + `","stop_reason":null}]}`
}

func TestChatStreamTiming(t *testing.T) {
	// Events at 10, 20, ... ms after the send: role 10, "Hé" 20, "llo" 30, finish 40,
	// usage 50, [DONE] 60; comments and blank lines take no clock reading.
	stream := ": ping\n\n" + ev(roleChunk) + "\n\n" + ev(contentChunk("Hé")) + ": ping\n\n" + ev(contentChunk("llo")) +
		ev(finishChunk("stop")) + ev(usageChunk) + "data: [DONE]\n\n"
	srv, _, body := sseServer(t, true, stream)
	c := testClient(t, srv.URL)
	r, err := c.ChatStreamClock(context.Background(), Request{Model: "m", Messages: []Message{{Role: "user", Content: "hi"}},
		Extra: json.RawMessage(`{"ignore_eos":true,"stream":false,"stream_options":{"continuous_usage_stats":true}}`)}, stepClock(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if r.Content == nil || *r.Content != "Héllo" || r.FinishReason != "stop" || r.Usage != (Usage{7, 3}) || r.Attempts != 1 {
		t.Errorf("reply = %+v content %q", r.Response, deref(r.Content))
	}
	want := Timing{TTFTMs: 10, E2ELMs: 40, OutputTokens: 3, TPOTMs: 15, MeanITLMs: 10, ITLMs: []float64{10, 10, 10}}
	if !reflect.DeepEqual(r.Timing, want) {
		t.Errorf("timing = %+v, want %+v", r.Timing, want)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(body.Load().(string)), &sent); err != nil {
		t.Fatal(err)
	}
	opts, _ := sent["stream_options"].(map[string]any)
	if sent["stream"] != true || opts["include_usage"] != true || opts["continuous_usage_stats"] != true || sent["ignore_eos"] != true {
		t.Errorf("body sent = %v", sent)
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestReadStreamCases(t *testing.T) {
	usageEvery := func(n int) string {
		return `,"usage":{"prompt_tokens":5,"completion_tokens":` + fmt.Sprint(n) + `}`
	}
	for _, tc := range []struct {
		name    string
		stream  string
		content string
		usage   Usage
		timing  Timing
		wantErr string // substring; "" for success
	}{
		{
			name: "usage on every chunk: the last wins",
			stream: ev(strings.TrimSuffix(roleChunk, "}")+usageEvery(0)+"}") +
				ev(strings.TrimSuffix(contentChunk("a"), "}")+usageEvery(1)+"}") +
				ev(strings.TrimSuffix(contentChunk("b"), "}")+usageEvery(2)+"}") +
				ev(strings.TrimSuffix(finishChunk("length"), "}")+usageEvery(2)+"}") + ev(`{"choices":[]`+usageEvery(2)+`}`) + "data: [DONE]\n\n",
			content: "ab", usage: Usage{5, 2},
			timing: Timing{TTFTMs: 1, E2ELMs: 4, OutputTokens: 2, TPOTMs: 3, MeanITLMs: 1, ITLMs: []float64{1, 1, 1}},
		},
		{
			name:    "usage missing: text chunks counted, estimated",
			stream:  ev(roleChunk) + ev(contentChunk("a")) + ev(contentChunk("b")) + ev(contentChunk("c")) + ev(finishChunk("stop")) + "data: [DONE]\n\n",
			content: "abc",
			timing:  Timing{TTFTMs: 1, E2ELMs: 5, OutputTokens: 3, OutputTokensEstimated: true, TPOTMs: 2, MeanITLMs: 1, ITLMs: []float64{1, 1, 1, 1}},
		},
		{
			name:    "CRLF lines, data without space, finish without [DONE]",
			stream:  "data:" + contentChunk("x") + "\r\n\r\n" + "data:" + finishChunk("stop") + "\r\n\r\n",
			content: "x",
			timing:  Timing{TTFTMs: 1, E2ELMs: 2, OutputTokens: 1, OutputTokensEstimated: true, MeanITLMs: 1, ITLMs: []float64{1}},
		},
		{
			name:    "one event over two data lines",
			stream:  "data: {\"choices\":[{\"delta\":{\"content\":\"z\"},\ndata: \"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
			content: "z",
			timing:  Timing{TTFTMs: 1, E2ELMs: 1, OutputTokens: 1, OutputTokensEstimated: true},
		},
		{
			name:    "a line longer than the read buffer",
			stream:  ev(contentChunk(strings.Repeat("é", 9000))) + ev(finishChunk("stop")) + "data: [DONE]\n\n",
			content: strings.Repeat("é", 9000),
			timing:  Timing{TTFTMs: 1, E2ELMs: 2, OutputTokens: 1, OutputTokensEstimated: true, MeanITLMs: 1, ITLMs: []float64{1}},
		},
		{
			name:    "cut before finish",
			stream:  ev(roleChunk) + ev(contentChunk("a")),
			wantErr: "stream ended before its finish chunk",
		},
		{
			name:    "cut inside an object",
			stream:  ev(roleChunk) + `data: {"choices":[{"delta":{"con`,
			wantErr: "invalid response body",
		},
		{
			name:    "error object, nested shape",
			stream:  ev(contentChunk("a")) + ev(`{"error":{"message":"engine died","type":"InternalServerError","code":500}}`),
			wantErr: "HTTP 500: in stream: engine died",
		},
		{
			name:    "error object, flat shape with a 400",
			stream:  ev(`{"object":"error","message":"bad logits","type":"BadRequestError","param":null,"code":400}`),
			wantErr: "HTTP 400: in stream: bad logits",
		},
		{
			name:    "only [DONE]",
			stream:  "data: [DONE]\n\n",
			wantErr: "no choices",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := stepClock(time.Millisecond)
			start := clock()
			r, err := readStream(strings.NewReader(tc.stream), start, clock)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if deref(r.Content) != tc.content || r.Usage != tc.usage {
				t.Errorf("content %q usage %+v, want %q %+v", deref(r.Content), r.Usage, tc.content, tc.usage)
			}
			if !reflect.DeepEqual(r.Timing, tc.timing) {
				t.Errorf("timing = %+v\nwant     %+v", r.Timing, tc.timing)
			}
		})
	}
}

func TestStreamErrorsRetry(t *testing.T) {
	for _, tc := range []struct {
		name      string
		first     string
		retry     bool
		wantCalls int64
	}{
		{"cut stream is retried whole", ev(roleChunk) + ev(contentChunk("par")), true, 2},
		{"500 in stream is retried", ev(`{"error":{"message":"boom","code":500}}`), true, 2},
		{"400 in stream is not", ev(`{"object":"error","message":"too long","code":400}`), false, 1},
		{"error without code counts as 500", ev(`{"error":"overloaded"}`), true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := ev(roleChunk) + ev(contentChunk("ok")) + ev(finishChunk("stop")) + ev(usageChunk) + "data: [DONE]\n\n"
			srv, calls, _ := sseServer(t, false, tc.first, good)
			r, err := testClient(t, srv.URL).ChatStream(context.Background(), Request{Model: "m"})
			if calls.Load() != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls.Load(), tc.wantCalls)
			}
			if !tc.retry {
				var se *StatusError
				var ae *AttemptError
				if !errors.As(err, &se) || !errors.As(err, &ae) || ae.Attempts != 1 {
					t.Fatalf("err = %v, want a StatusError after 1 attempt", err)
				}
				return
			}
			if err != nil || deref(r.Content) != "ok" || r.Attempts != 2 {
				t.Fatalf("reply %+v, err %v", r, err)
			}
		})
	}
}

func TestChatStreamHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"message":"maximum context length is 4096","type":"BadRequestError","code":400}}`)
	}))
	defer srv.Close()
	_, err := testClient(t, srv.URL).ChatStream(context.Background(), Request{Model: "m"})
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.Message != "maximum context length is 4096" || se.RetryAfter != 2*time.Second {
		t.Fatalf("err = %#v", err)
	}
}

// reply is one answer a server might give, rendered both ways.
type reply struct {
	content   *string
	reasoning string
	field     string // "reasoning", "reasoning_content" or "both"
	finish    string
	usage     *Usage
	logprobs  []TokenLogprob
}

func (rp reply) json() string {
	msg := map[string]any{"role": "assistant", "content": rp.content, "tool_calls": []any{}}
	if rp.field == "reasoning" || rp.field == "both" {
		msg["reasoning"] = rp.reasoning
	}
	if rp.field == "reasoning_content" || rp.field == "both" {
		msg["reasoning_content"] = rp.reasoning
	}
	ch := map[string]any{"index": 0, "message": msg, "finish_reason": rp.finish}
	if rp.logprobs != nil {
		ch["logprobs"] = map[string]any{"content": rp.logprobs}
	}
	b, _ := json.Marshal(map[string]any{"object": "chat.completion", "choices": []any{ch}, "usage": rp.usage})
	return string(b)
}

// sse splits the reply into vLLM's chunks: a role chunk, reasoning pieces, content
// pieces (split inside a multi-byte character's string is impossible in JSON, so
// the pieces are runes), a finish chunk, a usage chunk, [DONE].
func (rp reply) sse() string {
	var b strings.Builder
	emit := func(delta map[string]any, lp []TokenLogprob, finish any) {
		ch := map[string]any{"index": 0, "delta": delta, "finish_reason": finish}
		if lp != nil {
			ch["logprobs"] = map[string]any{"content": lp}
		}
		j, _ := json.Marshal(map[string]any{"object": "chat.completion.chunk", "choices": []any{ch}})
		b.WriteString(ev(string(j)))
	}
	emit(map[string]any{"role": "assistant", "content": ""}, nil, nil)
	for _, r := range rp.reasoning {
		d := map[string]any{}
		if rp.field == "reasoning" || rp.field == "both" {
			d["reasoning"] = string(r)
		}
		if rp.field == "reasoning_content" || rp.field == "both" {
			d["reasoning_content"] = string(r)
		}
		emit(d, nil, nil)
	}
	if rp.content != nil {
		for i, r := range []rune(*rp.content) {
			var lp []TokenLogprob
			if i < len(rp.logprobs) {
				lp = rp.logprobs[i : i+1]
			}
			emit(map[string]any{"content": string(r)}, lp, nil)
		}
	}
	emit(map[string]any{"content": ""}, nil, rp.finish)
	if rp.usage != nil {
		j, _ := json.Marshal(map[string]any{"object": "chat.completion.chunk", "choices": []any{}, "usage": rp.usage})
		b.WriteString(ev(string(j)))
	}
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

func TestStreamedEqualsNonStreamed(t *testing.T) {
	s := func(v string) *string { return &v }
	lp := []TokenLogprob{{Token: "4", Logprob: -0.1, TopLogprobs: []TopLogprob{{Token: "4", Logprob: -0.1}, {Token: "5", Logprob: -2.5}}}, {Token: "2", Logprob: -0.2, TopLogprobs: []TopLogprob{{Token: "2", Logprob: -0.2}}}}
	for _, tc := range []struct {
		name string
		rp   reply
	}{
		{"plain answer", reply{content: s("The answer is 42."), finish: "stop", usage: &Usage{12, 6}}},
		{"reasoning (current vLLM)", reply{content: s("42"), reasoning: "6 times 7…", field: "reasoning", finish: "stop", usage: &Usage{9, 20}}},
		{"reasoning_content (older vLLM)", reply{content: s("42"), reasoning: "so 42", field: "reasoning_content", finish: "stop", usage: &Usage{9, 20}}},
		{"both names during the transition", reply{content: s("√2 ≈ 1.41 🙂"), reasoning: "think", field: "both", finish: "stop", usage: &Usage{3, 8}}},
		{"cut by max_tokens inside reasoning, content null", reply{reasoning: "let me see", field: "reasoning", finish: "length", usage: &Usage{3, 16}}},
		{"no usage", reply{content: s("yes"), finish: "stop"}},
		{"logprobs", reply{content: s("42"), finish: "stop", usage: &Usage{1, 2}, logprobs: lp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, tc.rp.json())
			}))
			defer plain.Close()
			streamed, _, _ := sseServer(t, true, tc.rp.sse())
			want, err := testClient(t, plain.URL).Chat(context.Background(), Request{Model: "m"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := testClient(t, streamed.URL).ChatStream(context.Background(), Request{Model: "m"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Response, want) {
				t.Errorf("streamed %+v (content %q)\nplain    %+v (content %q)", *got.Response, deref(got.Content), *want, deref(want.Content))
			}
		})
	}
}

func TestChatStreamReusesConnection(t *testing.T) {
	stream := ev(roleChunk) + ev(contentChunk("a")) + ev(finishChunk("stop")) + ev(usageChunk) + "data: [DONE]\n\n"
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, stream)
		w.(http.Flusher).Flush()
		// The body's end comes after [DONE], as when a server's handler returns
		// a moment after its last write.
		time.Sleep(20 * time.Millisecond)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := testClient(t, srv.URL)
	for range 5 {
		if _, err := c.ChatStream(context.Background(), Request{Model: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 requests in a row opened %d connections, want 1", n)
	}
}

func TestChatStreamNotStreamed(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}]}`)
	}))
	defer srv.Close()
	_, err := testClient(t, srv.URL).ChatStream(context.Background(), Request{Model: "m"})
	if !errors.Is(err, ErrNotStreamed) || calls.Load() != 1 {
		t.Fatalf("err = %v after %d calls, want ErrNotStreamed at once", err, calls.Load())
	}
}

// BenchmarkReadStream assembles a 64-token vLLM stream held in memory: the client's
// parsing cost per streamed reply, without the network.
func BenchmarkReadStream(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(ev(roleChunk))
	for i := range 64 {
		sb.WriteString(ev(contentChunk(fmt.Sprintf(" tok%d", i))))
	}
	sb.WriteString(ev(finishChunk("length")) + ev(usageChunk) + "data: [DONE]\n\n")
	stream := sb.String()
	clock := stepClock(time.Millisecond)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readStream(strings.NewReader(stream), clock(), clock); err != nil {
			b.Fatal(err)
		}
	}
}

// A connection dropped mid-stream (no chunked terminator) is retried whole.
func TestChatStreamDroppedConnection(t *testing.T) {
	var calls atomic.Int64
	good := ev(roleChunk) + ev(contentChunk("ok")) + ev(finishChunk("stop")) + ev(usageChunk) + "data: [DONE]\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if calls.Add(1) == 1 {
			io.WriteString(w, ev(roleChunk)+ev(contentChunk("par")))
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		io.WriteString(w, good)
	}))
	defer srv.Close()
	r, err := testClient(t, srv.URL).ChatStream(context.Background(), Request{Model: "m"})
	if err != nil || deref(r.Content) != "ok" || r.Attempts != 2 || calls.Load() != 2 {
		t.Fatalf("reply %+v, err %v, calls %d", r, err, calls.Load())
	}
}
