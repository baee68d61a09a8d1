package servermetrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func parseFile(t *testing.T, name string) Snapshot {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func TestParseServers(t *testing.T) {
	const absent = -1.0
	for _, tc := range []struct {
		file string
		want [nFigures]float64 // absent when the server does not expose it
	}{
		{"vllm-v1.txt", [nFigures]float64{generationTokens: 131072, promptTokens: 256000, preemptions: 3, prefixHits: 51200, prefixQueries: 204800, kvCacheUsage: 0.4375, waiting: 12}},
		{"vllm-old.txt", [nFigures]float64{generationTokens: 8000, promptTokens: 5000, preemptions: 7, prefixHits: 250, prefixQueries: 1000, kvCacheUsage: 0.91, waiting: 5}},
		{"llamacpp.txt", [nFigures]float64{generationTokens: 2048, promptTokens: 4096, preemptions: absent, prefixHits: absent, prefixQueries: absent, kvCacheUsage: 0.125, waiting: 2}},
	} {
		s := parseFile(t, tc.file)
		for f := range nFigures {
			v, ok := s.get(f)
			if tc.want[f] == absent {
				if ok {
					t.Errorf("%s: %s = %v, want absent", tc.file, names[f][0], v)
				}
				continue
			}
			if !ok || v != tc.want[f] {
				t.Errorf("%s: %s = %v (present %v), want %v", tc.file, names[f][0], v, ok, tc.want[f])
			}
		}
	}
}

func TestParseSumsEnginesAndTakesLargestUsage(t *testing.T) {
	text := `# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0"} 100
vllm:generation_tokens_total{engine="1"} 50
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0"} 0.2
vllm:kv_cache_usage_perc{engine="1"} 0.7
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0"} 3
vllm:num_requests_waiting{engine="1"} 4
`
	s, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.value[generationTokens] != 150 || s.value[kvCacheUsage] != 0.7 || s.value[waiting] != 7 {
		t.Errorf("values = %v", s.value)
	}
	if _, err := Parse(strings.NewReader("<html>not found</html>")); err == nil {
		t.Error("HTML parsed as metrics")
	}
}

func TestSummarize(t *testing.T) {
	before := parseFile(t, "vllm-v1.txt")
	after := before
	after.value[generationTokens] += 1000
	after.value[promptTokens] += 2000
	after.value[prefixHits] += 500
	after.value[prefixQueries] += 2000
	after.value[kvCacheUsage] = 0.1
	after.value[waiting] = 0
	poll := before
	poll.value[kvCacheUsage] = 0.95
	poll.value[waiting] = 40
	lv := Summarize(before, after, []Snapshot{poll})
	if *lv.GenerationTokens != 1000 || *lv.PromptTokens != 2000 || *lv.Preemptions != 0 || *lv.PrefixCacheHitRate != 0.25 ||
		*lv.KVCacheUsagePeak != 0.95 || *lv.WaitingPeak != 40 || lv.Polls != 1 || !lv.Available {
		t.Errorf("level = %+v", lv)
	}
	if notes := lv.CrossCheck(2000, 1000); len(notes) != 0 {
		t.Errorf("matching counts noted: %q", notes)
	}
	if notes := lv.CrossCheck(2000, 900); len(notes) != 1 || !strings.Contains(notes[0], "1000 output tokens, the client 900") {
		t.Errorf("cross-check notes = %q", notes)
	}
	// A restart makes a counter go back: noted, not a negative figure.
	restarted := after
	restarted.value[generationTokens] = 5
	if lv := Summarize(before, restarted, nil); lv.GenerationTokens != nil || len(lv.Notes) != 1 {
		t.Errorf("restart: %+v", lv)
	}
	// llama.cpp has no prefix cache counters: the rate is absent, not 0.
	ll := parseFile(t, "llamacpp.txt")
	if lv := Summarize(ll, ll, nil); lv.PrefixCacheHitRate != nil || lv.Preemptions != nil || *lv.KVCacheUsagePeak != 0.125 {
		t.Errorf("llama.cpp level = %+v", lv)
	}
}

func TestWatcher(t *testing.T) {
	var gen atomic.Int64
	body, _ := os.ReadFile("testdata/vllm-v1.txt")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		n := gen.Add(100)
		text := strings.Replace(string(body), "vllm:generation_tokens_total{engine=\"0\",model_name=\"Qwen/Qwen3-8B-FP8\"} 131072.0",
			"vllm:generation_tokens_total{engine=\"0\",model_name=\"Qwen/Qwen3-8B-FP8\"} "+strconv.FormatInt(n, 10), 1)
		io.WriteString(w, text)
	}))
	defer srv.Close()
	w := &Watcher{Scraper: NewScraper(srv.URL + "/"), Every: 5 * time.Millisecond}
	end := w.Begin(context.Background())
	// Wait for a third scrape to arrive: the second (the first poll) has then been
	// taken, however slow the machine (polls are one after another).
	for gen.Load() < 300 {
		time.Sleep(time.Millisecond)
	}
	lv := end().(Level)
	// Each scrape adds 100; a poll cut short by the end still counts on the server.
	if !lv.Available || lv.Polls < 1 || lv.GenerationTokens == nil || *lv.GenerationTokens < float64(100*(lv.Polls+1)) {
		t.Errorf("level = %+v (polls %d)", lv, lv.Polls)
	}
}

func TestNoMetrics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		noted   string
	}{
		{"404 (Ollama)", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "no Prometheus /metrics"},
		{"HTML page", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>hello</body></html>") }, "no Prometheus /metrics"},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			sc := NewScraper(srv.URL)
			_, err := sc.Scrape(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if tc.noted == "no Prometheus /metrics" && !errors.Is(err, ErrNoMetrics) {
				t.Errorf("err = %v, want ErrNoMetrics", err)
			}
			lv := (&Watcher{Scraper: sc}).Begin(context.Background())().(Level)
			if lv.Available || len(lv.Notes) != 1 || !strings.Contains(lv.Notes[0], tc.noted) {
				t.Errorf("level = %+v", lv)
			}
		})
	}
}
