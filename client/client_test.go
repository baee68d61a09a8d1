package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseBaseURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8000", "http://127.0.0.1:8000/v1"},
		{"http://127.0.0.1:8000/", "http://127.0.0.1:8000/v1"},
		{"http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"},
		{"http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1"},
		{"https://proxy.example/llm", "https://proxy.example/llm/v1"},
		{" http://h:1/v1?x=1 ", "http://h:1/v1"},
	} {
		u, err := parseBaseURL(tc.in)
		if err != nil || u.String() != tc.want {
			t.Errorf("parseBaseURL(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:8000", "ftp://h/", "http://"} {
		if _, err := parseBaseURL(bad); err == nil {
			t.Errorf("parseBaseURL(%q): no error", bad)
		}
	}
}

func TestShouldRetry(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"429", &StatusError{StatusCode: 429}, true},
		{"500", &StatusError{StatusCode: 500}, true},
		{"503", &StatusError{StatusCode: 503}, true},
		{"408", &StatusError{StatusCode: 408}, true},
		{"400 context length", &StatusError{StatusCode: 400, Message: "maximum context length"}, false},
		{"401", &StatusError{StatusCode: 401}, false},
		{"404", &StatusError{StatusCode: 404}, false},
		{"timeout", context.DeadlineExceeded, true},
		{"canceled", context.Canceled, false},
		{"bad body", errBadBody, true},
		{"EOF", io.ErrUnexpectedEOF, true},
		{"other", errors.New("json: unsupported value"), false},
	} {
		if got := shouldRetry(tc.err); got != tc.want {
			t.Errorf("%s: shouldRetry = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{"first, no jitter", errBadBody, 0, 0, 500 * time.Millisecond},
		{"second", errBadBody, 1, 0, time.Second},
		{"third, full jitter takes 25%", errBadBody, 2, 0.999999, 1500*time.Millisecond + 2*time.Microsecond},
		{"capped", errBadBody, 20, 0, 30 * time.Second},
		{"retry-after wins", &StatusError{StatusCode: 429, RetryAfter: 7 * time.Second}, 0, 0.5, 7 * time.Second},
		{"retry-after capped", &StatusError{StatusCode: 429, RetryAfter: time.Hour}, 0, 0, 5 * time.Minute},
	} {
		got := retryDelay(tc.err, tc.attempt, tc.jitter)
		if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s: retryDelay = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, 250 * time.Millisecond},
		{map[string]string{"Retry-After": now.Add(3 * time.Second).Format(http.TimeFormat)}, 3 * time.Second},
		{map[string]string{"Retry-After": "soon"}, 0},
		{map[string]string{"Retry-After": "-1"}, 0},
		{nil, 0},
	} {
		h := http.Header{}
		for k, v := range tc.h {
			h.Set(k, v)
		}
		if got := parseRetryAfter(h, now); got != tc.want {
			t.Errorf("parseRetryAfter(%v) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

// serve answers each request with the next of responses (the last one repeats).
func serve(t *testing.T, responses ...func(w http.ResponseWriter, r *http.Request)) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		responses[min(i, len(responses)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, Options{Retries: 2, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return c, &n
}

func body(status int, s string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, s)
	}
}

const okBody = `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"42","reasoning":"6*7"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}`

func TestChat(t *testing.T) {
	for _, tc := range []struct {
		name         string
		responses    []func(http.ResponseWriter, *http.Request)
		wantContent  *string
		wantReason   string
		wantAttempts int
		wantErr      string
		wantRequests int32
	}{
		{name: "ok with reasoning", responses: []func(http.ResponseWriter, *http.Request){body(200, okBody)},
			wantContent: ptr("42"), wantReason: "6*7", wantAttempts: 1, wantRequests: 1},
		{name: "older reasoning_content and null content",
			responses:   []func(http.ResponseWriter, *http.Request){body(200, `{"choices":[{"message":{"content":null,"reasoning_content":"hmm"},"finish_reason":"length"}]}`)},
			wantContent: nil, wantReason: "hmm", wantAttempts: 1, wantRequests: 1},
		{name: "500 then ok", responses: []func(http.ResponseWriter, *http.Request){body(500, `oops`), body(200, okBody)},
			wantContent: ptr("42"), wantReason: "6*7", wantAttempts: 2, wantRequests: 2},
		{name: "truncated body then ok", responses: []func(http.ResponseWriter, *http.Request){body(200, okBody[:40]), body(200, okBody)},
			wantContent: ptr("42"), wantReason: "6*7", wantAttempts: 2, wantRequests: 2},
		{name: "400 new shape is not retried",
			responses:    []func(http.ResponseWriter, *http.Request){body(400, `{"error":{"message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","code":400}}`)},
			wantErr:      "HTTP 400: This model's maximum context length is 4096 tokens.",
			wantRequests: 1},
		{name: "400 old shape",
			responses:    []func(http.ResponseWriter, *http.Request){body(400, `{"object":"error","message":"prompt too long","type":"BadRequestError","param":null,"code":400}`)},
			wantErr:      "HTTP 400: prompt too long",
			wantRequests: 1},
		{name: "html error page", responses: []func(http.ResponseWriter, *http.Request){body(502, `<html>bad gateway</html>`)},
			wantErr: "after 3 attempts: HTTP 502: <html>bad gateway</html>", wantRequests: 3},
		{name: "no choices", responses: []func(http.ResponseWriter, *http.Request){body(200, `{"choices":[]}`)},
			wantErr: "after 3 attempts: invalid response body: no choices", wantRequests: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := serve(t, tc.responses...)
			resp, err := c.Chat(context.Background(), Request{Model: "m", Messages: []Message{{Role: "user", Content: "q"}}})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if (resp.Content == nil) != (tc.wantContent == nil) || resp.Content != nil && *resp.Content != *tc.wantContent {
					t.Errorf("content = %v, want %v", resp.Content, tc.wantContent)
				}
				if resp.Reasoning != tc.wantReason || resp.Attempts != tc.wantAttempts {
					t.Errorf("reasoning %q attempts %d, want %q %d", resp.Reasoning, resp.Attempts, tc.wantReason, tc.wantAttempts)
				}
			}
			if got := n.Load(); got != tc.wantRequests {
				t.Errorf("requests = %d, want %d", got, tc.wantRequests)
			}
		})
	}
}

func TestChatBody(t *testing.T) {
	var got map[string]any
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		json.NewDecoder(r.Body).Decode(&got)
		io.WriteString(w, okBody)
	}))
	defer srv.Close()
	c, _ := New(srv.URL+"/v1/", Options{APIKey: "sk-secret"})
	seed := int64(7)
	_, err := c.Chat(context.Background(), Request{Model: "m", Messages: []Message{{Role: "user", Content: "q"}},
		Temperature: 0.5, MaxTokens: 99, Seed: &seed, TopLogprobs: 3,
		Extra: json.RawMessage(`{"chat_template_kwargs":{"enable_thinking":false},"max_tokens":5}`)})
	if err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer sk-secret" {
		t.Errorf("Authorization = %q", auth)
	}
	want := map[string]any{"model": "m", "temperature": 0.5, "max_tokens": 5.0, "seed": 7.0, "logprobs": true, "top_logprobs": 3.0, "stream": false}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("body[%s] = %v, want %v", k, got[k], v)
		}
	}
	if kw, _ := got["chat_template_kwargs"].(map[string]any); kw["enable_thinking"] != false {
		t.Errorf("extra body not merged: %v", got)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	c, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		body(429, `{"error":{"message":"slow down"}}`)(w, r)
	}, body(200, okBody))
	var waited []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	if _, err := c.Chat(context.Background(), Request{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 1 || waited[0] != 3*time.Second {
		t.Errorf("waited %v, want [3s]", waited)
	}
}

func TestChatTimeoutIsRetriedThenFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, _ := New(srv.URL, Options{Retries: 1, Timeout: 50 * time.Millisecond})
	c.sleep = func(ctx context.Context, d time.Duration) error { return nil }
	_, err := c.Chat(context.Background(), Request{Model: "m"})
	var ae *AttemptError
	if !errors.As(err, &ae) || ae.Attempts != 2 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline after 2 attempts", err)
	}
}

func TestModelsAndResolve(t *testing.T) {
	var many strings.Builder
	many.WriteString(`{"data":[`)
	for i := range 25 {
		fmt.Fprintf(&many, `%s{"id":"m%02d"}`, map[bool]string{true: "", false: ","}[i == 0], i)
	}
	many.WriteString(`]}`)
	for _, tc := range []struct {
		name, body, given, want, wantErr string
		status                           int // of GET /v1/models; 0: 200
	}{
		{"one", `{"object":"list","data":[{"id":"Qwen/Qwen3-32B","object":"model"}]}`, "", "Qwen/Qwen3-32B", "", 0},
		{"given and listed", `{"data":[{"id":"a"},{"id":"b"}]}`, "b", "b", "", 0},
		{"given, not listed", `{"data":[{"id":"a"},{"id":"b"}]}`, "Qwen/Qwen3-32B", "", `the server does not serve model "Qwen/Qwen3-32B": it lists a, b; choose one with --model`, 0},
		{"given, a listed model's prefix", `{"data":[{"id":"org/model-FP8"}]}`, "org/model", "", `does not serve model "org/model": it lists org/model-FP8`, 0},
		{"given, ollama's :latest", `{"data":[{"id":"llama3:latest"}]}`, "llama3", "llama3", "", 0},
		{"given with another tag", `{"data":[{"id":"llama3:latest"}]}`, "llama3:8b", "", `does not serve model "llama3:8b"`, 0},
		{"given, many listed", many.String(), "x", "", "it lists m00, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19 and 5 more; choose", 0},
		{"given, the list empty", `{"data":[]}`, "x", "x", "", 0},
		{"given, no /v1/models", `{"detail":"Not Found"}`, "x", "x", "", 404},
		{"given, /v1/models refused", `{"error":"no key"}`, "x", "x", "", 401},
		{"given, /v1/models not JSON", `<html>`, "x", "x", "", 0},
		{"several", `{"data":[{"id":"a"},{"id":"b"}]}`, "", "", "the server lists 2 models (a, b): choose one with --model", 0},
		{"none (ollama says null)", `{"object":"list","data":null}`, "", "", "the server lists no model: give --model", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := serve(t, body(cmp.Or(tc.status, 200), tc.body))
			got, err := c.ResolveModel(context.Background(), tc.given)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/version" {
			io.WriteString(w, `{"version":"0.11.2"}`)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c, _ := New(srv.URL+"/v1", Options{})
	if v := c.Version(context.Background()); v != "0.11.2" {
		t.Errorf("Version = %q", v)
	}
	if !strings.HasSuffix(c.Root(), srv.URL[len("http://"):]) {
		t.Errorf("Root = %q", c.Root())
	}
}

func ptr(s string) *string { return &s }

// TestExportedPolicy: the policy other HTTP clients use is the one Chat uses.
func TestExportedPolicy(t *testing.T) {
	for code, want := range map[int]bool{200: false, 400: false, 401: false, 404: false, 408: true, 429: true, 500: true, 503: true} {
		if got := RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v", code, got)
		}
	}
	if got := RetryAfter(http.Header{"Retry-After": {"3"}}); got != 3*time.Second {
		t.Errorf("RetryAfter = %v, want 3s", got)
	}
	if got := Backoff(7*time.Second, 3); got != 7*time.Second {
		t.Errorf("Backoff with a Retry-After = %v, want 7s", got)
	}
	for _, tc := range []struct {
		attempt int
		base    time.Duration // the wait before jitter takes up to a quarter off
	}{{0, 500 * time.Millisecond}, {1, time.Second}, {5, 16 * time.Second}, {6, 30 * time.Second}, {40, 30 * time.Second}} {
		got := Backoff(0, tc.attempt)
		if got > tc.base || got < tc.base*3/4 {
			t.Errorf("Backoff(0, %d) = %v, want within [%v, %v]", tc.attempt, got, tc.base*3/4, tc.base)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
}

func TestRefusedKey(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
	}{
		{&AttemptError{Attempts: 1, Err: &StatusError{StatusCode: 401, Message: "invalid api key"}}, 401},
		{fmt.Errorf("wrapped: %w", &StatusError{StatusCode: 403}), 403},
		{&StatusError{StatusCode: 404}, 0},
		{&StatusError{StatusCode: 500}, 0},
		{errors.New("HTTP 401"), 0}, // text is not a status
		{nil, 0},
	} {
		status, ok := RefusedKey(tc.err)
		if status != tc.status || ok != (tc.status != 0) {
			t.Errorf("RefusedKey(%v) = %d, %v; want %d", tc.err, status, ok, tc.status)
		}
	}
}
