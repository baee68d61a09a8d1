package vllmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

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
