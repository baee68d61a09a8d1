package vllmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

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
		{"stream to a server that cannot", Options{NoStream: true}, func() map[string]any { b := userMsg("x"); b["stream"] = true; return b }(), nil, 400, false, "BadRequestError", "does not stream"},
		{"stream_options without stream", Options{}, func() map[string]any {
			b := userMsg("x")
			b["stream_options"] = map[string]any{"include_usage": true}
			return b
		}(), nil, 400, false, "BadRequestError", "stream=True"},
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

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) { r.status = status }

func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
