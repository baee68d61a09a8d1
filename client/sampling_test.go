package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The sampling parameters are sent only when set; top_k goes as an integer (vLLM
// takes -1 for all tokens); the extra body's keys still win.
func TestChatBodySampling(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	k := func(x int64) *int64 { return &x }
	for _, tc := range []struct {
		name string
		req  Request
		want map[string]any // nil value: the key must be absent
	}{
		{"none set", Request{}, map[string]any{"top_p": nil, "top_k": nil, "min_p": nil, "presence_penalty": nil}},
		{"all set", Request{TopP: f(0.95), TopK: k(20), MinP: f(0), PresencePenalty: f(1.5)},
			map[string]any{"top_p": 0.95, "top_k": "20", "min_p": 0.0, "presence_penalty": 1.5}},
		{"top_k -1", Request{TopK: k(-1)}, map[string]any{"top_k": "-1", "top_p": nil}},
		{"extra body wins", Request{TopP: f(0.5), Extra: json.RawMessage(`{"top_p": 0.9}`)}, map[string]any{"top_p": 0.9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				json.NewDecoder(r.Body).Decode(&raw)
				io.WriteString(w, okBody)
			}))
			defer srv.Close()
			c, _ := New(srv.URL, Options{})
			tc.req.Model, tc.req.Messages = "m", []Message{{Role: "user", Content: "q"}}
			if _, err := c.Chat(context.Background(), tc.req); err != nil {
				t.Fatal(err)
			}
			for key, want := range tc.want {
				v, sent := raw[key]
				switch w := want.(type) {
				case nil:
					if sent {
						t.Errorf("%s sent (%s), want it absent", key, v)
					}
				case string: // an integer, as written
					if string(v) != w {
						t.Errorf("%s = %s, want %s", key, v, w)
					}
				case float64:
					var got float64
					if err := json.Unmarshal(v, &got); err != nil || got != w {
						t.Errorf("%s = %s, want %g", key, v, w)
					}
				}
			}
		})
	}
}

// usage.completion_tokens_details.reasoning_tokens is kept when the server gives it.
func TestChatReasoningTokens(t *testing.T) {
	for _, tc := range []struct {
		name, usage string
		want        *int
	}{
		{"given", `{"prompt_tokens":5,"completion_tokens":30,"completion_tokens_details":{"reasoning_tokens":21}}`, ptrInt(21)},
		{"zero given", `{"prompt_tokens":5,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":0}}`, ptrInt(0)},
		{"details null", `{"prompt_tokens":5,"completion_tokens":3,"completion_tokens_details":null}`, nil},
		{"no details", `{"prompt_tokens":5,"completion_tokens":3}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := serve(t, body(200, `{"choices":[{"message":{"content":"42"},"finish_reason":"stop"}],"usage":`+tc.usage+`}`))
			resp, err := c.Chat(context.Background(), Request{Model: "m", Messages: []Message{{Role: "user", Content: "q"}}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Usage.PromptTokens != 5 {
				t.Errorf("usage %+v", resp.Usage)
			}
			if (resp.ReasoningTokens == nil) != (tc.want == nil) || tc.want != nil && *resp.ReasoningTokens != *tc.want {
				t.Errorf("reasoning tokens %v, want %v", resp.ReasoningTokens, tc.want)
			}
		})
	}
}

func ptrInt(n int) *int { return &n }

// A streamed reply keeps reasoning_tokens too: run streams by default.
func TestChatStreamReasoningTokens(t *testing.T) {
	usage := `{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":30,"completion_tokens_details":{"reasoning_tokens":21}}}`
	stream := ev(roleChunk) + ev(contentChunk("42")) + ev(finishChunk("stop")) + ev(usage) + "data: [DONE]\n\n"
	srv, _, _ := sseServer(t, false, stream)
	r, err := testClient(t, srv.URL).ChatStream(context.Background(), Request{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Usage.CompletionTokens != 30 || r.ReasoningTokens == nil || *r.ReasoningTokens != 21 {
		t.Errorf("usage %+v, reasoning tokens %v; want 30 and 21", r.Usage, r.ReasoningTokens)
	}
}
