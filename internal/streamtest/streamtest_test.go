package streamtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, h http.Handler, body string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestReplies(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		opt        Options
		chunks     int
		finish     string
		usage      bool
	}{
		{"max_tokens with ignore_eos", `{"stream":true,"max_tokens":5,"ignore_eos":true,"stream_options":{"include_usage":true}}`, Options{NaturalLen: 2}, 5, "length", true},
		{"natural stop without ignore_eos", `{"stream":true,"max_tokens":5}`, Options{NaturalLen: 2}, 2, "stop", false},
		{"ignore_eos unsupported", `{"stream":true,"max_tokens":5,"ignore_eos":true,"stream_options":{"include_usage":true}}`, Options{NaturalLen: 2, IgnoreEOSUnsupported: true}, 2, "stop", true},
		{"default length, usage withheld", `{"stream":true,"stream_options":{"include_usage":true}}`, Options{Tokens: 3, NoUsage: true}, 3, "length", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, New(tc.opt), tc.body)
			if code != 200 {
				t.Fatalf("HTTP %d: %s", code, body)
			}
			if n := strings.Count(body, `"content":"tok`); n != tc.chunks {
				t.Errorf("%d token chunks, want %d", n, tc.chunks)
			}
			if !strings.Contains(body, `"finish_reason":"`+tc.finish+`"`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
				t.Errorf("body ends %q", body[max(0, len(body)-300):])
			}
			if got := strings.Contains(body, `"usage":`); got != tc.usage {
				t.Errorf("usage sent = %v, want %v", got, tc.usage)
			}
			if strings.Count(body, `"role":"assistant"`) != 1 {
				t.Error("want one role chunk")
			}
		})
	}
	if code, _ := post(t, New(Options{}), `{"stream":false}`); code != 400 {
		t.Errorf("non-streamed request: HTTP %d, want 400", code)
	}
}
