package vllmtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/servermetrics"
)

// TestStreamMatchesPlain: the same reply streamed and not streamed decodes to the
// same answer, reasoning, finish reason, usage and log-probabilities.
func TestStreamMatchesPlain(t *testing.T) {
	replies := map[string]Reply{
		"plain":             {Content: Text("The answer is 42.")},
		"utf-8":             {Content: Text("réponse: 四十二 ✓")},
		"reasoning":         {Content: Text("42"), Reasoning: "six times seven"},
		"reasoning_content": {Content: Text("42"), Reasoning: "six times seven", ReasoningField: "reasoning_content"},
		"both":              {Content: Text("42"), Reasoning: "think", ReasoningField: "both"},
		"null content":      {Reasoning: "ran out", FinishReason: "length"},
		"length":            {Content: Text("a b c"), FinishReason: "length", CompletionTokens: 3},
		"explicit logprobs": {Content: Text("yes"), Logprobs: []TokenLogprob{{Token: "y", Logprob: -0.5}, {Token: "es", Logprob: -0.1}}},
	}
	for name, rep := range replies {
		t.Run(name, func(t *testing.T) {
			_, hs := Start(t, Options{Answer: func(ChatRequest) Reply { return rep }})
			c, err := client.New(hs.URL, client.Options{})
			if err != nil {
				t.Fatal(err)
			}
			req := client.Request{Model: "test-model", Messages: []client.Message{{Role: "user", Content: "q"}}, MaxTokens: 9, TopLogprobs: 2}
			plain, err := c.Chat(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.ChatStream(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(plain.Logprobs) == 0 && len(st.Logprobs) == 0 {
				plain.Logprobs, st.Logprobs = nil, nil // [] and none write the same side-file line
			}
			if !reflect.DeepEqual(st.Response, plain) {
				t.Errorf("streamed %+v\nplain    %+v", *st.Response, *plain)
			}
			if st.Timing.OutputTokens != plain.Usage.CompletionTokens || st.Timing.OutputTokensEstimated {
				t.Errorf("timing %+v, usage %+v", st.Timing, plain.Usage)
			}
		})
	}
}

// TestStreamWire: the chunks are vLLM's: role first, usage on its own chunk with
// empty choices only when asked, [DONE] last; usage on every chunk when forced.
func TestStreamWire(t *testing.T) {
	for _, tc := range []struct {
		name            string
		opts            Options
		includeUsage    bool
		wantUsageChunks int
	}{
		{"no usage asked", Options{}, false, 0},
		{"usage asked", Options{}, true, 1},
		{"usage forced on every chunk", Options{UsageEveryChunk: true}, true, 6}, // role, 3 tokens, finish, usage
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Answer = func(ChatRequest) Reply { return Reply{Content: Text("one two three")} }
			_, hs := Start(t, tc.opts)
			body := `{"model":"test-model","messages":[{"role":"user","content":"x"}],"stream":true`
			if tc.includeUsage {
				body += `,"stream_options":{"include_usage":true}`
			}
			resp, err := http.Post(hs.URL+"/v1/chat/completions", "application/json", strings.NewReader(body+"}"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("Content-Type %q", ct)
			}
			events := strings.Split(strings.TrimSuffix(string(data), "\n\n"), "\n\n")
			if !strings.Contains(events[0], `"delta":{"role":"assistant","content":""}`) {
				t.Errorf("first event %s", events[0])
			}
			if last := events[len(events)-1]; last != "data: [DONE]" {
				t.Errorf("last event %q", last)
			}
			if n := strings.Count(string(data), `"usage":`); n != tc.wantUsageChunks {
				t.Errorf("%d chunks carry usage, want %d:\n%s", n, tc.wantUsageChunks, data)
			}
			if tc.includeUsage && !strings.Contains(string(data), `"choices":[],"usage":{"prompt_tokens":`) {
				t.Errorf("no usage chunk with empty choices:\n%s", data)
			}
		})
	}
}

// TestStreamTruncated: a cut stream is retried whole by the client and counted.
func TestStreamTruncated(t *testing.T) {
	s, hs := Start(t, Options{Answer: func(ChatRequest) Reply { return Reply{Content: Text("one two three four")} },
		Faults: FaultTimes(FaultTruncated, 1, nil)})
	c, _ := client.New(hs.URL, client.Options{Retries: 2})
	rep, err := c.ChatStream(t.Context(), client.Request{Model: "test-model", Messages: []client.Message{{Role: "user", Content: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attempts != 2 || s.Requests() != 2 || *rep.Content != "one two three four" {
		t.Errorf("attempts %d, requests %d, content %q", rep.Attempts, s.Requests(), *rep.Content)
	}
	c0, _ := client.New(hs.URL, client.Options{})
	s.opts.Faults = FaultTimes(FaultTruncated, 1, nil)
	_, err = c0.ChatStream(t.Context(), client.Request{Model: "test-model", Messages: []client.Message{{Role: "user", Content: "x"}}})
	if !errors.Is(err, client.ErrStreamCut) {
		t.Errorf("no retries: %v, want a cut stream", err)
	}
}

// TestStreamError: an error inside the stream is a 500 that the client retries.
func TestStreamError(t *testing.T) {
	s, hs := Start(t, Options{Answer: func(ChatRequest) Reply { return Reply{Content: Text("one two three four")} },
		Faults: FaultTimes(FaultStreamError, 1, nil)})
	c0, _ := client.New(hs.URL, client.Options{})
	req := client.Request{Model: "test-model", Messages: []client.Message{{Role: "user", Content: "x"}}}
	_, err := c0.ChatStream(t.Context(), req)
	var se *client.StatusError
	if !errors.As(err, &se) || se.StatusCode != 500 || !strings.Contains(se.Message, "EngineCore") {
		t.Fatalf("error %v, want the in-stream 500", err)
	}
	s.opts.Faults = FaultTimes(FaultStreamError, 1, nil)
	c, _ := client.New(hs.URL, client.Options{Retries: 1})
	rep, err := c.ChatStream(t.Context(), req)
	if err != nil || rep.Attempts != 2 || *rep.Content != "one two three four" {
		t.Errorf("retried: %v, %+v", err, rep)
	}
}

// TestStreamSchedule: TokenDelay spaces the chunks, Delay is the TTFT. The bounds
// are loose (lower bounds only are exact): the schedule is checked, not the clock.
func TestStreamSchedule(t *testing.T) {
	_, hs := Start(t, Options{Delay: 30 * time.Millisecond, TokenDelay: 10 * time.Millisecond,
		Answer: func(ChatRequest) Reply { return Reply{Content: Text("a b c d e")} }})
	c, _ := client.New(hs.URL, client.Options{})
	rep, err := c.ChatStream(context.Background(), client.Request{Model: "test-model", Messages: []client.Message{{Role: "user", Content: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	tm := rep.Timing
	if tm.TTFTMs < 30 || tm.TPOTMs < 10 || tm.OutputTokens != 5 || len(tm.ITLMs) != 6 {
		t.Errorf("timing %+v", tm)
	}
}

// TestMetrics: /metrics counts the tokens of finished replies under vLLM's names,
// which servermetrics reads; without Options.Metrics it is a 404.
func TestMetrics(t *testing.T) {
	_, hs := Start(t, Options{Metrics: true, Answer: func(ChatRequest) Reply { return Reply{Content: Text("a b c")} }})
	c, _ := client.New(hs.URL, client.Options{})
	req := client.Request{Model: "test-model", Messages: []client.Message{{Role: "user", Content: "x y"}}}
	if _, err := c.ChatStream(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	snap, err := servermetrics.NewScraper(hs.URL).Scrape(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Counters from zero: a scrape of a fresh server.
	zero, _ := servermetrics.Parse(bytes.NewReader([]byte("vllm:generation_tokens_total 0\nvllm:prompt_tokens_total 0\n")))
	lv := servermetrics.Summarize(zero, snap, nil)
	if lv.GenerationTokens == nil || *lv.GenerationTokens != 6 || lv.PromptTokens == nil || *lv.PromptTokens != 12 || lv.KVCacheUsagePeak == nil {
		t.Errorf("figures %+v", lv)
	}
	_, plain := Start(t, Options{})
	if _, err := servermetrics.NewScraper(plain.URL).Scrape(t.Context()); !errors.Is(err, servermetrics.ErrNoMetrics) {
		t.Errorf("without Metrics: %v, want ErrNoMetrics", err)
	}
}
