package vllmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/golden"
)

// The types a client would decode into; pointers tell null from a value.
type chatResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role             string  `json:"role"`
			Content          *string `json:"content"`
			Reasoning        *string `json:"reasoning"`
			ReasoningContent *string `json:"reasoning_content"`
			ToolCalls        []any   `json:"tool_calls"`
		} `json:"message"`
		Logprobs *struct {
			Content []struct {
				Token       string  `json:"token"`
				Logprob     float64 `json:"logprob"`
				RawBytes    []int   `json:"bytes"`
				TopLogprobs []struct {
					Token   string  `json:"token"`
					Logprob float64 `json:"logprob"`
					Bytes   []int   `json:"bytes"`
				} `json:"top_logprobs"`
			} `json:"content"`
		} `json:"logprobs"`
		FinishReason string `json:"finish_reason"`
		StopReason   any    `json:"stop_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		TotalTokens      int `json:"total_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

type nestedError struct {
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Param   any    `json:"param"`
		Code    int    `json:"code"`
	} `json:"error"`
}

type flatError struct {
	Object  string `json:"object"`
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}

func post(t *testing.T, ctx context.Context, url string, body any, header ...string) (*http.Response, []byte, error) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func userMsg(content string) map[string]any {
	return map[string]any{"model": "test-model", "messages": []map[string]any{
		{"role": "system", "content": "Answer with the final answer only."},
		{"role": "user", "content": content},
	}}
}

func TestHealth(t *testing.T) {
	s, hs := Start(t, Options{})
	resp, body := get(t, hs.URL+"/health")
	if resp.StatusCode != 200 || len(body) != 0 {
		t.Fatalf("GET /health = %d %q, want 200 and an empty body", resp.StatusCode, body)
	}
	if s.Requests() != 0 {
		t.Errorf("Requests() = %d after health checks only, want 0", s.Requests())
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct{ set, want string }{{"", "0.11.0"}, {"0.8.5.post1", "0.8.5.post1"}} {
		_, hs := Start(t, Options{Version: tc.set})
		resp, body := get(t, hs.URL+"/version")
		var v map[string]string
		if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /version = %d %s (%v)", resp.StatusCode, body, err)
		}
		if !reflect.DeepEqual(v, map[string]string{"version": tc.want}) {
			t.Errorf("GET /version = %v, want version %q", v, tc.want)
		}
	}
}

func TestModels(t *testing.T) {
	_, hs := Start(t, Options{Models: []string{"Qwen/Qwen3-32B-FP8", "lora-a"}, MaxModelLen: 8192})
	resp, body := get(t, hs.URL+"/v1/models")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/models = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID          string           `json:"id"`
			Object      string           `json:"object"`
			Created     int64            `json:"created"`
			OwnedBy     string           `json:"owned_by"`
			Root        string           `json:"root"`
			Parent      *string          `json:"parent"`
			MaxModelLen int              `json:"max_model_len"`
			Permission  []map[string]any `json:"permission"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if list.Object != "list" || len(list.Data) != 2 {
		t.Fatalf("model list = %s", body)
	}
	for i, want := range []string{"Qwen/Qwen3-32B-FP8", "lora-a"} {
		d := list.Data[i]
		if d.ID != want || d.Root != want || d.Object != "model" || d.OwnedBy != "vllm" ||
			d.Parent != nil || d.MaxModelLen != 8192 || d.Created == 0 || len(d.Permission) != 1 ||
			d.Permission[0]["object"] != "model_permission" {
			t.Errorf("data[%d] = %+v", i, d)
		}
	}
}

func TestChat(t *testing.T) {
	type want struct {
		content                 *string
		reasoning, reasoningOld *string
		finish                  string
		prompt, completion      int
		logprobs                int // tokens; -1: null
		top                     int
	}
	tests := []struct {
		name   string
		opts   Options
		body   map[string]any
		want   want
		keys   []string // message keys that must be present
		nokeys []string // message keys that must be absent
	}{
		{
			name: "default echo",
			body: userMsg("What is 2 + 2?"),
			want: want{content: Text("What is 2 + 2?"), finish: "stop", prompt: 6 + 4 + 5 + 4, completion: 5, logprobs: -1},
			keys: []string{"role", "content", "tool_calls", "reasoning", "refusal"}, nokeys: []string{"reasoning_content"},
		},
		{
			name: "null content",
			opts: Options{Answer: func(ChatRequest) Reply { return Reply{} }},
			body: userMsg("x"),
			want: want{finish: "stop", prompt: 15, logprobs: -1},
			keys: []string{"content"},
		},
		{
			name: "reasoning",
			opts: Options{Answer: func(ChatRequest) Reply {
				return Reply{Content: Text("4"), Reasoning: "2 and 2 make 4", PromptTokens: 30, CompletionTokens: 12}
			}},
			body:   userMsg("What is 2 + 2?"),
			want:   want{content: Text("4"), reasoning: Text("2 and 2 make 4"), finish: "stop", prompt: 30, completion: 12, logprobs: -1},
			nokeys: []string{"reasoning_content"},
		},
		{
			name: "reasoning_content",
			opts: Options{Answer: func(ChatRequest) Reply {
				return Reply{Content: Text("4"), Reasoning: "2+2", ReasoningField: "reasoning_content"}
			}},
			body: userMsg("What is 2 + 2?"),
			want: want{content: Text("4"), reasoningOld: Text("2+2"), finish: "stop", prompt: 19, completion: 2, logprobs: -1},
			keys: []string{"reasoning_content"}, nokeys: []string{"reasoning"},
		},
		{
			name: "both reasoning keys",
			opts: Options{Answer: func(ChatRequest) Reply {
				return Reply{Content: Text("4"), Reasoning: "r", ReasoningField: "both"}
			}},
			body: userMsg("q"),
			want: want{content: Text("4"), reasoning: Text("r"), reasoningOld: Text("r"), finish: "stop", prompt: 15, completion: 2, logprobs: -1},
		},
		{
			name: "cut off by max_tokens",
			opts: Options{Answer: func(ChatRequest) Reply {
				return Reply{Content: Text("<think>let me see"), FinishReason: "length"}
			}},
			body: func() map[string]any { b := userMsg("q"); b["max_tokens"] = 256; return b }(),
			want: want{content: Text("<think>let me see"), finish: "length", prompt: 15, completion: 256, logprobs: -1},
		},
		{
			name: "no model named: the first served",
			opts: Options{Models: []string{"m1", "m2"}, Answer: func(r ChatRequest) Reply { return Reply{Content: Text(r.Model)} }},
			body: map[string]any{"messages": []map[string]any{{"role": "user", "content": "hi"}}},
			want: want{content: Text("m1"), finish: "stop", prompt: 5, completion: 1, logprobs: -1},
		},
		{
			name: "content as parts, escapes and unicode",
			body: map[string]any{"model": "test-model", "messages": []map[string]any{{"role": "user", "content": []map[string]any{
				{"type": "text", "text": "tab\t\"quote\" \\ é 中 \u2028"}, {"type": "image_url", "image_url": map[string]any{"url": "x"}}, {"type": "text", "text": "\x01end"},
			}}}},
			want: want{content: Text("tab\t\"quote\" \\ é 中 \u2028\x01end"), finish: "stop", prompt: 10, completion: 6, logprobs: -1},
		},
		{
			name: "synthesised logprobs",
			body: func() map[string]any {
				b := userMsg("The answer is 42.")
				b["logprobs"] = true
				b["top_logprobs"] = 3
				return b
			}(),
			want: want{content: Text("The answer is 42."), finish: "stop", prompt: 18, completion: 4, logprobs: 4, top: 3},
		},
		{
			name: "logprobs without top",
			body: func() map[string]any { b := userMsg("a b"); b["logprobs"] = true; return b }(),
			want: want{content: Text("a b"), finish: "stop", prompt: 16, completion: 2, logprobs: 2, top: 0},
		},
		{
			name: "given logprobs",
			opts: Options{Answer: func(ChatRequest) Reply {
				return Reply{Content: Text("7"), Logprobs: []TokenLogprob{{Token: "7", Logprob: -0.25, Top: []TopLogprob{{"7", -0.25}, {"1", -2}}}}}
			}},
			body: func() map[string]any { b := userMsg("q"); b["logprobs"] = true; b["top_logprobs"] = 2; return b }(),
			want: want{content: Text("7"), finish: "stop", prompt: 15, completion: 1, logprobs: 1, top: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, hs := Start(t, tc.opts)
			resp, data, err := post(t, t.Context(), hs.URL, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
			}
			var got chatResponse
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("decoding %s: %v", data, err)
			}
			if !strings.HasPrefix(got.ID, "chatcmpl-") || len(got.ID) != len("chatcmpl-")+32 || got.Object != "chat.completion" || got.Created == 0 || len(got.Choices) != 1 {
				t.Fatalf("envelope: %s", data)
			}
			c := got.Choices[0]
			m := c.Message
			if m.Role != "assistant" || m.ToolCalls == nil || len(m.ToolCalls) != 0 || c.StopReason != nil {
				t.Errorf("message = %+v, stop_reason %v", m, c.StopReason)
			}
			eq := func(what string, a, b *string) {
				if (a == nil) != (b == nil) || a != nil && *a != *b {
					t.Errorf("%s = %s, want %s", what, show(a), show(b))
				}
			}
			eq("content", m.Content, tc.want.content)
			eq("reasoning", m.Reasoning, tc.want.reasoning)
			eq("reasoning_content", m.ReasoningContent, tc.want.reasoningOld)
			if c.FinishReason != tc.want.finish {
				t.Errorf("finish_reason = %q, want %q", c.FinishReason, tc.want.finish)
			}
			u := got.Usage
			if u.PromptTokens != tc.want.prompt || u.CompletionTokens != tc.want.completion || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
				t.Errorf("usage = %+v, want prompt %d completion %d", u, tc.want.prompt, tc.want.completion)
			}
			if tc.want.logprobs < 0 {
				if c.Logprobs != nil {
					t.Errorf("logprobs = %+v, want null", c.Logprobs)
				}
			} else if c.Logprobs == nil || len(c.Logprobs.Content) != tc.want.logprobs {
				t.Errorf("logprobs = %+v, want %d tokens", c.Logprobs, tc.want.logprobs)
			} else {
				var joined strings.Builder
				for _, tok := range c.Logprobs.Content {
					joined.WriteString(tok.Token)
					if len(tok.TopLogprobs) != tc.want.top || !slices.Equal(tok.RawBytes, asInts(tok.Token)) {
						t.Errorf("token %+v: want %d top_logprobs and its bytes", tok, tc.want.top)
					}
					if tc.want.top > 0 && (tok.TopLogprobs[0].Token != tok.Token || tok.TopLogprobs[0].Logprob != tok.Logprob) {
						t.Errorf("token %q: top_logprobs[0] = %+v, want the token itself", tok.Token, tok.TopLogprobs[0])
					}
				}
				if joined.String() != *m.Content {
					t.Errorf("logprob tokens join to %q, want the content %q", joined.String(), *m.Content)
				}
			}
			var raw struct {
				Choices []struct{ Message map[string]json.RawMessage } `json:"choices"`
			}
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.keys {
				if _, ok := raw.Choices[0].Message[k]; !ok {
					t.Errorf("message has no key %q: %s", k, data)
				}
			}
			for _, k := range tc.nokeys {
				if _, ok := raw.Choices[0].Message[k]; ok {
					t.Errorf("message has key %q: %s", k, data)
				}
			}
		})
	}
}

func show(p *string) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *p)
}

func asInts(s string) []int {
	out := []int{}
	for i := 0; i < len(s); i++ {
		out = append(out, int(s[i]))
	}
	return out
}

func TestChatErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		body    any
		header  []string
		status  int
		flat    bool
		typ     string
		message string // substring
	}{
		{"unknown model", Options{}, map[string]any{"model": "nope", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, nil,
			404, false, "NotFoundError", "The model `nope` does not exist."},
		{"unknown model, old shape", Options{ErrorShape: ErrorFlat}, map[string]any{"model": "nope", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, nil,
			404, true, "NotFoundError", "The model `nope` does not exist."},
		{"invalid JSON", Options{}, `{"model":`, nil, 400, false, "BadRequestError", "invalid JSON body"},
		{"no messages", Options{}, map[string]any{"model": "test-model", "messages": []any{}}, nil, 400, false, "BadRequestError", "at least one message"},
		{"stream", Options{}, func() map[string]any { b := userMsg("x"); b["stream"] = true; return b }(), nil, 400, false, "BadRequestError", "does not stream"},
		{"top_logprobs without logprobs", Options{}, func() map[string]any { b := userMsg("x"); b["top_logprobs"] = 2; return b }(), nil,
			400, false, "BadRequestError", "`logprobs` must be set to true"},
		{"bad content", Options{}, map[string]any{"messages": []any{map[string]any{"role": "user", "content": 5}}}, nil,
			400, false, "BadRequestError", "messages[0].content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, hs := Start(t, tc.opts)
			resp, data, err := post(t, t.Context(), hs.URL, tc.body, tc.header...)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.status, data)
			}
			checkError(t, data, tc.flat, tc.status, tc.typ, tc.message)
			if s.Requests() != 1 || s.InFlight() != 0 {
				t.Errorf("Requests %d InFlight %d, want 1 and 0", s.Requests(), s.InFlight())
			}
		})
	}
}

func checkError(t *testing.T, data []byte, flat bool, code int, typ, message string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("error body %s: %v", data, err)
	}
	if flat {
		var e flatError
		json.Unmarshal(data, &e)
		if _, nested := m["error"]; nested || e.Object != "error" || e.Code != code || e.Type != typ || !strings.Contains(e.Message, message) {
			t.Errorf("flat error = %s, want type %s code %d message ~%q", data, typ, code, message)
		}
		if p, ok := m["param"]; !ok || p != nil {
			t.Errorf("flat error %s: want \"param\": null", data)
		}
		return
	}
	var e nestedError
	json.Unmarshal(data, &e)
	if e.Error == nil || m["object"] != nil || e.Error.Code != code || e.Error.Type != typ || !strings.Contains(e.Error.Message, message) {
		t.Errorf("nested error = %s, want type %s code %d message ~%q", data, typ, code, message)
	}
}

func TestRoutes(t *testing.T) {
	_, hs := Start(t, Options{APIKey: "sekret"})
	tests := []struct {
		method, path, auth string
		status             int
		body               string
	}{
		{"GET", "/nowhere", "", 404, `{"detail":"Not Found"}`},
		{"GET", "/v1/chat/completions", "Bearer sekret", 405, `{"detail":"Method Not Allowed"}`},
		{"POST", "/v1/models", "Bearer sekret", 405, `{"detail":"Method Not Allowed"}`},
		{"GET", "/v1/models", "", 401, `{"error":"Unauthorized"}`},
		{"GET", "/v1/models", "Bearer wrong", 401, `{"error":"Unauthorized"}`},
		{"POST", "/v1/chat/completions", "", 401, `{"error":"Unauthorized"}`},
		{"GET", "/health", "", 200, ``}, // vLLM does not guard /health and /version
		{"HEAD", "/health", "", 200, ``},
		{"GET", "/version", "", 200, `{"version":"0.11.0"}`},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, hs.URL+tc.path, strings.NewReader(`{}`))
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || string(data) != tc.body {
			t.Errorf("%s %s (auth %q) = %d %s, want %d %s", tc.method, tc.path, tc.auth, resp.StatusCode, data, tc.status, tc.body)
		}
	}
	// With the key, the chat endpoint answers.
	resp, data, err := post(t, t.Context(), hs.URL, userMsg("hi"), "Authorization", "Bearer sekret")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("with the key: %v %s", err, data)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		opts       Options
		status     int    // 0: the request fails with no response
		retryAfter string // "-": no header
		check      func(t *testing.T, data []byte)
	}{
		{name: "429", fault: Fault429, status: 429, retryAfter: "0", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 429, "RateLimitError", "Too many requests")
		}},
		{name: "429 Retry-After 1", fault: Fault429, opts: Options{RetryAfter: "1"}, status: 429, retryAfter: "1"},
		{name: "429 without Retry-After", fault: Fault429, opts: Options{RetryAfter: "-", ErrorShape: ErrorFlat}, status: 429, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, true, 429, "RateLimitError", "Too many requests")
		}},
		{name: "500", fault: Fault500, status: 500, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 500, "InternalServerError", "EngineCore")
		}},
		{name: "drop", fault: FaultDrop},
		{name: "truncated", fault: FaultTruncated, status: 200, retryAfter: "-", check: func(t *testing.T, d []byte) {
			var v chatResponse
			if err := json.Unmarshal(d, &v); err == nil || !bytes.HasPrefix(d, []byte(`{"id":"chatcmpl-`)) {
				t.Errorf("truncated body %s decoded (%v), want a cut-off response", d, err)
			}
		}},
		{name: "400 context length", fault: Fault400, status: 400, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 400, "BadRequestError",
				"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (15 in the messages, 4985 in the completion). Please reduce the length of the messages or completion.")
		}},
		{name: "400 small context, forced", fault: Fault400, opts: Options{MaxModelLen: 10000}, status: 400, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, false, 400, "BadRequestError", "maximum context length is 10000 tokens. However, you requested 10904 tokens (15 in the messages, 10889 in the completion)")
		}},
		{name: "400 old shape", fault: FaultOldError400, status: 400, retryAfter: "-", check: func(t *testing.T, d []byte) {
			checkError(t, d, true, 400, "BadRequestError", "This model's maximum context length is 4096 tokens.")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			var seen []int
			var mu sync.Mutex
			opts.Faults = func(n int, req ChatRequest) Fault {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, n)
				if n == 1 {
					return tc.fault
				}
				return FaultNone
			}
			s, hs := Start(t, opts)
			body := userMsg("q")
			body["max_tokens"] = 4985
			resp, data, err := post(t, t.Context(), hs.URL, body)
			switch {
			case tc.status == 0:
				if err == nil {
					t.Fatalf("got %d %s, want a dropped connection", resp.StatusCode, data)
				}
			case err != nil:
				t.Fatal(err)
			case resp.StatusCode != tc.status:
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, data)
			default:
				if ra, ok := resp.Header["Retry-After"]; tc.retryAfter == "-" && ok || tc.retryAfter != "-" && (len(ra) != 1 || ra[0] != tc.retryAfter) {
					t.Errorf("Retry-After = %q, want %q", ra, tc.retryAfter)
				}
				if tc.check != nil {
					tc.check(t, data)
				}
			}
			// The second request is fine: faults are per request.
			resp, data, err = post(t, t.Context(), hs.URL, userMsg("q"))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("second request: %v %s", err, data)
			}
			if s.Requests() != 2 || !slices.Equal(seen, []int{1, 2}) {
				t.Errorf("Requests %d, Faults saw %v; want 2 and [1 2]", s.Requests(), seen)
			}
			waitFor(t, func() bool { return s.InFlight() == 0 })
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStall(t *testing.T) {
	s, hs := Start(t, Options{Faults: faultTimes(FaultStall, 2, nil)})

	// A stalled request ends when its client gives up.
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { _, _, err := post(t, ctx, hs.URL, userMsg("q")); errc <- err }()
	if err := s.WaitInFlight(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stall: err = %v, want context.Canceled", err)
	}
	waitFor(t, func() bool { return s.InFlight() == 0 })

	// Close releases a stalled request with a dropped connection.
	go func() { _, _, err := post(t, t.Context(), hs.URL, userMsg("q")); errc <- err }()
	if err := s.WaitInFlight(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := <-errc; err == nil {
		t.Error("stall released by Close: no error, want a dropped connection")
	}
	// The fault was for two requests only.
	if resp, data, err := post(t, t.Context(), hs.URL, userMsg("q")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("third request: %v %s", err, data)
	}
	if s.Requests() != 3 {
		t.Errorf("Requests = %d, want 3", s.Requests())
	}
}

func TestConcurrencyCounters(t *testing.T) {
	gate := make(chan struct{})
	s, hs := Start(t, Options{Gate: gate})
	const n = 5
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			resp, _, err := post(t, t.Context(), hs.URL, userMsg(fmt.Sprint(i)))
			if err == nil {
				codes[i] = resp.StatusCode
			}
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := s.WaitInFlight(ctx, n); err != nil {
		t.Fatal(err)
	}
	if s.InFlight() != n || s.MaxInFlight() != n || s.Requests() != n {
		t.Errorf("held: InFlight %d MaxInFlight %d Requests %d, want %d each", s.InFlight(), s.MaxInFlight(), s.Requests(), n)
	}
	gate <- struct{}{} // one goes
	waitFor(t, func() bool { return s.InFlight() == n-1 })
	close(gate) // the rest go
	wg.Wait()
	if s.InFlight() != 0 || s.MaxInFlight() != n || s.Requests() != n {
		t.Errorf("done: InFlight %d MaxInFlight %d Requests %d, want 0, %d, %d", s.InFlight(), s.MaxInFlight(), s.Requests(), n, n)
	}
	if !slices.Equal(codes, []int{200, 200, 200, 200, 200}) {
		t.Errorf("status codes %v", codes)
	}
}

func TestCapture(t *testing.T) {
	s, hs := Start(t, Options{Capture: true, CaptureLimit: 3, Answer: func(r ChatRequest) Reply {
		// Raw is filled when capturing, so an answer can look at extra body keys.
		kw, _ := r.Raw["chat_template_kwargs"].(map[string]any)
		return Reply{Content: Text(fmt.Sprintf("%v %v %d %d %v", *r.Temperature, kw["enable_thinking"], *r.Seed, r.MaxTokens, r.TopLogprobs))}
	}})
	for i := range 5 {
		b := userMsg(fmt.Sprint("q", i))
		b["temperature"] = 0.0
		b["max_completion_tokens"] = 64
		b["seed"] = 7
		b["logprobs"] = true
		b["top_logprobs"] = 5
		b["chat_template_kwargs"] = map[string]any{"enable_thinking": false}
		resp, data, err := post(t, t.Context(), hs.URL, b, "Authorization", fmt.Sprint("Bearer k", i))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: %v %s", i, err, data)
		}
		var got chatResponse
		json.Unmarshal(data, &got)
		if c := got.Choices[0].Message.Content; c == nil || *c != "0 false 7 64 5" {
			t.Errorf("answer from the request's fields = %s, want \"0 false 7 64 5\"", show(c))
		}
	}
	bodies := s.Bodies()
	var users []string
	for _, b := range bodies {
		msgs := b["messages"].([]any)
		users = append(users, msgs[1].(map[string]any)["content"].(string))
		if b["temperature"] != 0.0 || b["seed"] != 7.0 || b["max_completion_tokens"] != 64.0 || b["logprobs"] != true {
			t.Errorf("captured body %v", b)
		}
	}
	if !slices.Equal(users, []string{"q2", "q3", "q4"}) {
		t.Errorf("Bodies() hold %v, want the last three in order", users)
	}
	if last := s.LastBody(); !reflect.DeepEqual(last, bodies[2]) {
		t.Errorf("LastBody() = %v, want %v", last, bodies[2])
	}
	if s.LastAuth() != "Bearer k4" {
		t.Errorf("LastAuth() = %q, want \"Bearer k4\"", s.LastAuth())
	}
	get(t, hs.URL+"/health")
	if s.LastAuth() != "" {
		t.Errorf("LastAuth() after a request without one = %q, want \"\"", s.LastAuth())
	}
}

func TestNoCapture(t *testing.T) {
	var raw map[string]any
	s, hs := Start(t, Options{Answer: func(r ChatRequest) Reply { raw = r.Raw; return defaultAnswer(r) }})
	if _, _, err := post(t, t.Context(), hs.URL, userMsg("x")); err != nil {
		t.Fatal(err)
	}
	if len(s.Bodies()) != 0 || s.LastBody() != nil || raw != nil {
		t.Errorf("without Capture: Bodies %v LastBody %v Raw %v, want none", s.Bodies(), s.LastBody(), raw)
	}
}

func TestFaultTimes(t *testing.T) {
	f := faultTimes(Fault429, 2, func(r ChatRequest) bool { return r.LastUser() == "x" })
	x, y := ChatRequest{Messages: []Message{{"user", "x"}}}, ChatRequest{Messages: []Message{{"user", "y"}}}
	var got []Fault
	for i, r := range []ChatRequest{y, x, y, x, x, x} {
		got = append(got, f(i+1, r))
	}
	want := []Fault{FaultNone, Fault429, FaultNone, Fault429, FaultNone, FaultNone}
	if !slices.Equal(got, want) {
		t.Errorf("faultTimes gave %v, want %v", got, want)
	}
	if s := fmt.Sprint(FaultOldError400, Fault(99)); s != "old-error-400 Fault(99)" {
		t.Errorf("Fault.String: %q", s)
	}
}

func TestSyntheticLogprobs(t *testing.T) {
	for _, tc := range []struct {
		content string
		k       int
		tokens  []string
	}{
		{"", 3, nil},
		{"42", 1, []string{"42"}},
		{"The answer is\n 42.", 5, []string{"The", " answer", " is", "\n 42."}},
		{"  lead and trail  ", 20, []string{"  lead", " and", " trail", "  "}},
		{"the the the", 0, []string{"the", " the", " the"}},
	} {
		lps := syntheticLogprobs(tc.content, tc.k)
		if !reflect.DeepEqual(lps, syntheticLogprobs(tc.content, tc.k)) {
			t.Errorf("%q: not deterministic", tc.content)
		}
		var toks []string
		for _, lp := range lps {
			toks = append(toks, lp.Token)
			if lp.Logprob > -0.001 || lp.Logprob < -0.501 {
				t.Errorf("%q: token %q logprob %v out of [-0.501, -0.001]", tc.content, lp.Token, lp.Logprob)
			}
			if len(lp.Top) != max(tc.k, 0) {
				t.Errorf("%q: %d alternatives, want %d", tc.content, len(lp.Top), tc.k)
				continue
			}
			if tc.k == 0 {
				continue
			}
			if lp.Top[0] != (TopLogprob{lp.Token, lp.Logprob}) {
				t.Errorf("%q: top[0] = %v, want the chosen token", tc.content, lp.Top[0])
			}
			seen := map[string]bool{}
			mass := 0.0
			for j, top := range lp.Top {
				mass += math.Exp(top.Logprob)
				if seen[top.Token] || j > 0 && top.Logprob >= lp.Top[j-1].Logprob {
					t.Errorf("%q: alternatives %v not distinct and decreasing", tc.content, lp.Top)
					break
				}
				seen[top.Token] = true
			}
			if mass > 1+1e-12 {
				t.Errorf("%q: top probabilities sum to %v > 1", tc.content, mass)
			}
		}
		if !slices.Equal(toks, tc.tokens) || strings.Join(toks, "") != tc.content {
			t.Errorf("%q: tokens %q, want %q", tc.content, toks, tc.tokens)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s/", "\n\r\t\x00\x1f\x7f", "é中😀", "bad\xffutf8\xc3", "\u2028<>&"} {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: %s is not JSON: %v", s, b, err)
			continue
		}
		want, _ := json.Marshal(s)
		var wantS string
		json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Errorf("%q: decodes to %q, want %q", s, got, wantS)
		}
	}
}

// The exact bytes the double writes, pinned so a change to a shape is a visible diff.
func TestGolden(t *testing.T) {
	req := ChatRequest{Model: "Qwen/Qwen3-32B", Messages: []Message{{"system", "Answer only."}, {"user", "What is 37 * 41?"}}, MaxTokens: 256, Logprobs: true, TopLogprobs: 2}
	plain := req
	plain.Logprobs, plain.TopLogprobs = false, 0
	cases := map[string][]byte{
		"chat_reasoning.json": appendChatResponse(nil, 1, 1700000000, &plain,
			&Reply{Content: Text("1517"), Reasoning: "37*41 = 1517", PromptTokens: 25, CompletionTokens: 40}),
		"chat_reasoning_content_null.json": appendChatResponse(nil, 2, 1700000000, &plain,
			&Reply{Reasoning: "<cut", ReasoningField: "reasoning_content", FinishReason: "length"}),
		"chat_logprobs.json": appendChatResponse(nil, 3, 1700000000, &req, &Reply{Content: Text("It is 1517.")}),
		"models.json":        encodeModelList([]string{"Qwen/Qwen3-32B"}, 4096, 1700000000),
	}
	for _, shape := range []ErrorShape{ErrorNested, ErrorFlat} {
		rec := &recorder{header: http.Header{}}
		New(Options{ErrorShape: shape}).writeError(rec, shape, 404, "NotFoundError", "The model `x` does not exist.")
		cases[fmt.Sprintf("error_%d.json", shape)] = rec.body.Bytes()
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		got := cases[name]
		if !json.Valid(got) {
			t.Errorf("%s: invalid JSON %s", name, got)
		}
		var pretty bytes.Buffer
		json.Indent(&pretty, got, "", "  ")
		pretty.WriteByte('\n')
		golden.Check(t, filepath.Join("testdata", name), pretty.Bytes())
	}
}

// recorder is a minimal ResponseWriter for calling the handler without a network.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
