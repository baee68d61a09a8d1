package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/quanteval/quanteval/gpumem"
	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/server"
)

// standIn is an OpenAI-compatible endpoint for the bench: streamed replies of three
// content chunks and a usage chunk, plain replies that answer the fake items
// right, and no /metrics.
func standIn(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"data":[{"id":"ref"},{"id":"q"}]}`)
			return
		}
		if r.URL.Path == "/health" {
			return
		}
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var body struct {
			Model     string `json:"model"`
			Stream    bool   `json:"stream"`
			IgnoreEOS bool   `json:"ignore_eos"`
			Messages  []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if !body.Stream {
			answer := map[string]string{"q1": "5", "q2": "42", "q3": "6"}[strings.Trim(strings.Fields(body.Messages[0].Content)[0], "[]")]
			fmt.Fprintf(w, `{"choices":[{"message":{"content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}`, answer)
			return
		}
		if !body.IgnoreEOS {
			http.Error(w, "want ignore_eos", 400)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, tok := range []string{"a", "b", "c"} {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", tok)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n")
		fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBenchAndRepeats runs a plan with a bench and reference_repeats on an
// external endpoint: each variant's bench result has every level repeated, with
// its deployment; the reference's evals run twice; the report hears of both.
func TestBenchAndRepeats(t *testing.T) {
	srv := standIn(t)
	dir := t.TempDir()
	src := fmt.Sprintf(`
output: %s
reference_repeats: 2
server: {kind: external, base_url: %q, cost_per_hour: 2}
variants:
  - {name: REF, model: ref, reference: true, env: {VLLM_BATCH_INVARIANT: "1", OTHER: x}}
  - {name: Q, model: q, cost_per_hour: 1}
evals: [{evalset: a.jsonl}, {evalset: b.jsonl}]
bench: {concurrency: [1, 2], requests: 4, repeats: 2, output_len: 3, input_len: 5}
`, filepath.Join(dir, "out"), srv.URL)
	p, err := plan.Parse(filepath.Join(dir, "plan.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var reported [][]ResultRef
	fe := &fakeEval{}
	m, err := Run(context.Background(), Options{Plan: p, Evaluate: fe.Evaluate,
		Report: func(_ context.Context, _ string, refs []ResultRef) error {
			reported = append(reported, refs)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fe.jobs) != 6 { // REF: a, b, a again, b again; Q: a, b
		t.Errorf("%d eval jobs, want 6", len(fe.jobs))
	}
	for _, vr := range m.Variants {
		res, dep, err := loadgen.ReadWithDeployment(BenchPath(p.Output, vr.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Complete || len(res.Levels) != 4 || res.Levels[1].Repeat != 1 || res.Levels[2].Level.Concurrency != 2 || res.Server.Metrics {
			t.Errorf("%s: bench complete %v, %d levels, metrics %v", vr.Name, res.Complete, len(res.Levels), res.Server.Metrics)
		}
		for _, lr := range res.Levels {
			if st := lr.Stats; st.Completed != 4 || st.OutputTokens != 12 || st.OutputThroughput <= 0 || st.TTFT.Median <= 0 {
				t.Errorf("%s level %+v: %+v", vr.Name, lr.Level, st)
			}
		}
		if dep == nil || dep.Variant != vr.Name || dep.CostPerHour != vr.CostPerHour || dep.Memory == nil || !strings.Contains(dep.Memory.Note, "external") {
			t.Errorf("%s: deployment %+v", vr.Name, dep)
		}
		if vr.Bench == nil || !vr.Bench.Complete || vr.Bench.Levels != 4 || vr.Bench.SHA256 == "" {
			t.Errorf("%s: manifest bench %+v", vr.Name, vr.Bench)
		}
	}
	ref, q := m.Variants[0], m.Variants[1]
	if ref.CostPerHour != 2 || q.CostPerHour != 1 || ref.Determinism["VLLM_BATCH_INVARIANT"] != "1" || len(ref.Determinism) != 1 || q.Determinism != nil {
		t.Errorf("costs %v %v, determinism %v %v", ref.CostPerHour, q.CostPerHour, ref.Determinism, q.Determinism)
	}
	if len(ref.Repeats) != 2 || ref.Repeats[0].Result != RepeatPath(p.Output, "REF", "a", 2) || !ref.Repeats[1].Complete || len(q.Repeats) != 0 {
		t.Errorf("repeats %+v / %+v", ref.Repeats, q.Repeats)
	}
	if len(reported) != 2 || len(reported[0]) != 3 {
		t.Fatalf("reported %+v", reported)
	}
	got := reported[0]
	if got[0].Label != "REF" || got[0].Bench != BenchPath(p.Output, "REF") || got[1].Label != "REF#2" || got[1].Repeat != 2 ||
		got[1].Path != RepeatPath(p.Output, "REF", "a", 2) || got[2].Label != "Q" || got[2].Bench != BenchPath(p.Output, "Q") {
		t.Errorf("report refs %+v", got)
	}

	// Resumed: nothing is run again, not even the server's bench.
	fe2 := &fakeEval{}
	m, err = Run(context.Background(), Options{Plan: p, Evaluate: fe2.Evaluate, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fe2.jobs) != 0 || m.Variants[0].Status != StatusSkipped {
		t.Errorf("resume ran %d jobs, status %s", len(fe2.jobs), m.Variants[0].Status)
	}
	reported = nil
	if _, err := Run(context.Background(), Options{Plan: p, Evaluate: fe2.Evaluate, Resume: true,
		Report: func(_ context.Context, _ string, refs []ResultRef) error {
			reported = append(reported, refs)
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	if len(reported) != 2 || len(reported[1]) != 3 || reported[1][1].Repeat != 2 || reported[1][1].Path != RepeatPath(p.Output, "REF", "b", 2) {
		t.Errorf("resumed report refs %+v: the repeats on disk belong in it", reported)
	}
	// Without the bench result, resume runs the bench alone.
	os.Remove(BenchPath(p.Output, "Q"))
	m, err = Run(context.Background(), Options{Plan: p, Evaluate: fe2.Evaluate, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fe2.jobs) != 0 || m.Variants[1].Bench == nil || !m.Variants[1].Bench.Complete || m.Variants[0].Status != StatusSkipped {
		t.Errorf("resume without Q's bench: %d jobs, bench %+v", len(fe2.jobs), m.Variants[1].Bench)
	}
}

// TestReadMemory reads the memory of the devices CUDA_VISIBLE_DEVICES names from
// recorded nvidia-smi output: a MIG instance by UUID (its own memory, not the
// board's), whole GPUs by index, and no nvidia-smi as a note.
func TestReadMemory(t *testing.T) {
	read := func(file string) *gpumem.Reader {
		return &gpumem.Reader{Run: func(_ context.Context, args ...string) ([]byte, error) {
			if file == "" {
				return nil, gpumem.ErrNoSMI
			}
			if args[0] == "-L" {
				return nil, fmt.Errorf("no list")
			}
			return os.ReadFile(filepath.Join("..", "gpumem", "testdata", file))
		}}
	}
	spec := server.Spec{Kind: server.KindVLLM, Model: "m"}
	tests := []struct {
		name, file, visible string
		used, total         int
		note                string
	}{
		{"MIG by UUID", "mig-h100-uuids.xml", "MIG-0a9b8c7d-6e5f-5a4b-8c3d-2e1f0a9b8c7d", 42211, 47488, ""},
		{"two GPUs", "plain-2gpu.xml", "0,1", -1, -1, ""},
		{"no nvidia-smi", "", "0", 0, 0, "nvidia-smi not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runner{o: Options{GPU: read(tt.file)}}
			v := plan.Variant{Server: plan.Server{Env: map[string]string{"CUDA_VISIBLE_DEVICES": tt.visible}}}
			m := r.readMemory(context.Background(), spec, v)
			if tt.note != "" {
				if !strings.Contains(m.Note, tt.note) || m.Known() {
					t.Errorf("memory %+v, want the note %q", m, tt.note)
				}
				return
			}
			if m.Note != "" || !m.Known() {
				t.Fatalf("memory %+v", m)
			}
			if tt.used >= 0 && (m.AfterLoadMiB != tt.used || m.TotalMiB != tt.total || m.PeakMiB != tt.used) {
				t.Errorf("memory %+v, want %d of %d MiB", m, tt.used, tt.total)
			}
			if tt.used < 0 && (len(m.Devices) != 2 || m.AfterLoadMiB <= 0 || m.TotalMiB <= m.AfterLoadMiB) {
				t.Errorf("two GPUs: %+v", m)
			}
		})
	}
}

// TestGPUPeak sums the devices' peaks per level and keeps the highest level.
func TestGPUPeak(t *testing.T) {
	used := []string{"100", "300", "200"}
	var mu sync.Mutex
	call := 0
	xml := func() []byte {
		mu.Lock()
		defer mu.Unlock()
		u := used[min(call, len(used)-1)]
		call++
		return []byte(`<nvidia_smi_log><gpu id="0"><product_name>X</product_name><uuid>GPU-1</uuid><fb_memory_usage><total>1000 MiB</total><used>` + u + ` MiB</used></fb_memory_usage></gpu></nvidia_smi_log>`)
	}
	g := &gpuPeak{w: &gpumem.Watcher{Reader: &gpumem.Reader{Run: func(context.Context, ...string) ([]byte, error) { return xml(), nil }}, Visible: "0"}}
	end := g.Begin(context.Background()) // reads 100
	end()                                // reads 300
	end = g.Begin(context.Background())  // reads 200
	end()
	if !g.seen || g.peakMiB != 300 {
		t.Errorf("peak %d (seen %v), want 300", g.peakMiB, g.seen)
	}
}

// TestDryRunBench: the dry run lists the reference's second runs and each
// variant's bench.
func TestDryRunBench(t *testing.T) {
	p, err := plan.Parse("p.yaml", []byte(`
output: out
reference_repeats: 2
variants: [{name: A, model: a, reference: true}, {name: B, model: b}]
evals: [{evalset: x.jsonl}]
bench: {concurrency: [1, 8], requests: 10, repeats: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := DryRun(&b, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  again:   x -> out/A/repeat2/x.json (noise floor)\n",
		"  bench:   4 levels (concurrency 1,8, 10 requests each, 128 words in, 128 tokens out, 2 repeats) -> out/bench/B.json\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Count(b.String(), "again:") != 1 {
		t.Errorf("repeats shown for a variant that is not the reference:\n%s", b.String())
	}
}

// TestBenchAPIKey benches a server that refuses streamed requests without the
// evals' key: the bench sends the key named by the evals' api_key_env.
func TestBenchAPIKey(t *testing.T) {
	inner := standIn(t)
	t.Setenv("BENCH_TEST_KEY", "sk-bench-secret")
	var mu sync.Mutex
	var streamed int
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"stream":true`)) {
			if r.Header.Get("Authorization") != "Bearer sk-bench-secret" {
				http.Error(w, `{"error":"Unauthorized"}`, http.StatusUnauthorized)
				return
			}
			mu.Lock()
			streamed++
			mu.Unlock()
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, inner.URL+r.URL.Path, bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	dir := t.TempDir()
	src := fmt.Sprintf(`
output: %s
server: {kind: external, base_url: %q}
variants:
  - {name: REF, model: ref, reference: true}
evals: [{evalset: a.jsonl, api_key_env: BENCH_TEST_KEY}]
bench: {concurrency: [2], requests: 4, output_len: 3, input_len: 5}
`, filepath.Join(dir, "out"), proxy.URL)
	p, err := plan.Parse(filepath.Join(dir, "plan.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Run(context.Background(), Options{Plan: p, Evaluate: (&fakeEval{}).Evaluate})
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Variants[0].Bench; b == nil || !b.Complete || streamed != 4 {
		t.Errorf("bench %+v, %d streamed requests with the key, want 4", b, streamed)
	}
	data, err := os.ReadFile(BenchPath(p.Output, "REF"))
	if err != nil || bytes.Contains(data, []byte("sk-bench-secret")) {
		t.Errorf("bench result: %v, or it holds the key", err)
	}
}

// TestDeterminismInherited: a server quanteval starts inherits its environment, so
// a determinism setting exported there is recorded too, unless the plan's env sets
// it otherwise; an external endpoint's are the plan's alone.
func TestDeterminismInherited(t *testing.T) {
	t.Setenv("VLLM_BATCH_INVARIANT", "1")
	t.Setenv("PYTHONHASHSEED", "7")
	plan := map[string]string{"PYTHONHASHSEED": "0", "OTHER": "x"}
	for _, tc := range []struct {
		inherit bool
		want    map[string]string
	}{
		{true, map[string]string{"VLLM_BATCH_INVARIANT": "1", "PYTHONHASHSEED": "0"}},
		{false, map[string]string{"PYTHONHASHSEED": "0"}},
	} {
		got := determinism(plan, tc.inherit)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("inherit %v: %v, want %v", tc.inherit, got, tc.want)
		}
	}
}
