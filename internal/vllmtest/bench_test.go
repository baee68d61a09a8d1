package vllmtest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

var benchBody = []byte(`{"model":"test-model","messages":[{"role":"system","content":"Answer with the final answer only, with no explanation."},{"role":"user","content":"What is 37 * 41?"}],"temperature":0,"max_tokens":256,"seed":1}`)

// BenchmarkChatHTTP is requests through loopback at concurrency 64, what the runner's
// benchmark puts on the double: read req/s.
func BenchmarkChatHTTP(b *testing.B) {
	hs := httptest.NewServer(New(Options{}))
	defer hs.Close()
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := hs.URL + "/v1/chat/completions"
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(benchBody))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkChatHandler is the handler's own cost, without the network.
func BenchmarkChatHandler(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
		body []byte
	}{
		{"plain", Options{}, benchBody},
		{"capture", Options{Capture: true}, benchBody},
		{"logprobs", Options{}, []byte(`{"model":"test-model","messages":[{"role":"user","content":"one two three four five six seven eight"}],"logprobs":true,"top_logprobs":5}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := New(bc.opts)
			rec := &recorder{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(bc.body))
				rec.body.Reset()
				s.ServeHTTP(rec, req)
				if rec.status != 200 {
					b.Fatalf("status %d: %s", rec.status, rec.body.Bytes())
				}
			}
		})
	}
}
