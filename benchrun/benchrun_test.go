package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/servermetrics"
)

// forced answers max_tokens words that stop for "length", as vLLM with ignore_eos.
func forced(req vllmtest.ChatRequest) vllmtest.Reply {
	return vllmtest.Reply{Content: vllmtest.Text(strings.Repeat("tok ", req.MaxTokens)), FinishReason: "length"}
}

// serverFigures decodes a level's {"metrics": ...}.
func serverFigures(t *testing.T, lr loadgen.LevelResult) servermetrics.Level {
	t.Helper()
	var v struct {
		Metrics servermetrics.Level `json:"metrics"`
	}
	if err := json.Unmarshal(lr.Server, &v); err != nil {
		t.Fatalf("server figures %s: %v", lr.Server, err)
	}
	return v.Metrics
}

// TestSweep: a two-level sweep of synthetic prompts against the stand-in with a set
// TTFT and token delay and vLLM's /metrics: every request counted, latencies at
// least the schedule's, the server's token counts equal to the client's.
func TestSweep(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: forced, Metrics: true, Capture: true,
		Delay: 20 * time.Millisecond, TokenDelay: 2 * time.Millisecond})
	var log bytes.Buffer
	res, err := Run(context.Background(), Options{BaseURL: hs.URL, Concurrency: []int{1, 4}, Requests: 8, Warmup: 2,
		InputLen: 12, OutputLen: 6, SLO: loadgen.SLO{TTFTMs: 10_000}, Progress: &log, MetricsEvery: 10 * time.Millisecond, Tool: "quanteval test"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Model != "test-model" || res.Server.Version != "0.11.0" || !res.Server.Metrics || len(res.Levels) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, lr := range res.Levels {
		st := lr.Stats
		if !lr.Complete || st.Completed != 8 || st.Failed != 0 || st.OutputTokens != 48 || lr.ShortOutputs != 0 {
			t.Errorf("%s: %+v", LevelName(lr.Level), st)
		}
		if st.TTFT.Median < 20 || st.TPOT.Median < 2 || st.E2EL.Median < 30 || st.RequestThroughput <= 0 {
			t.Errorf("%s: TTFT %+v TPOT %+v E2EL %+v", LevelName(lr.Level), st.TTFT, st.TPOT, st.E2EL)
		}
		if g := st.Goodput; g == nil || g.Good != 8 {
			t.Errorf("goodput %+v", g)
		}
		m := serverFigures(t, lr)
		if !m.Available || m.GenerationTokens == nil || *m.GenerationTokens != 48 || m.Polls == 0 {
			t.Errorf("%s: server figures %+v", LevelName(lr.Level), m)
		}
	}
	if srv.Requests() != 2*(8+2) {
		t.Errorf("%d requests, want 20 (2 levels of 8 and 2 warmup)", srv.Requests())
	}
	body := srv.LastBody()
	if body["ignore_eos"] != true || body["max_tokens"] != 6.0 || body["stream"] != true {
		t.Errorf("body %v", body)
	}
	if !strings.Contains(log.String(), "level 2/2: concurrency 4") {
		t.Errorf("progress:\n%s", log.String())
	}
}

// TestNoMetricsAndIgnoredEOS: a server without /metrics is a note; one that stops
// before max_tokens is reported as ignoring ignore_eos, from the lengths measured.
func TestNoMetricsAndIgnoredEOS(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text("short reply")}
	}})
	res, err := Run(context.Background(), Options{BaseURL: hs.URL, Concurrency: []int{2}, Requests: 4, InputLen: 5, OutputLen: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Server.Metrics || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "no Prometheus /metrics") {
		t.Errorf("notes %q, metrics %v", res.Notes, res.Server.Metrics)
	}
	lr := res.Levels[0]
	if lr.ShortOutputs != 4 || len(lr.Server) != 0 || !strings.Contains(strings.Join(lr.Warnings, "\n"), "ignores ignore_eos") {
		t.Errorf("level %+v", lr)
	}
}

// TestEvalsetPrompts: an eval set's prompts are cycled, with the system message run
// sends and the set's max_tokens, and not forced.
func TestEvalsetPrompts(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{Capture: true})
	set, err := evalset.Open(evalset.DefaultSuite)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{BaseURL: hs.URL, Evalset: evalset.DefaultSuite, Concurrency: []int{1}, Requests: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Params.Workload == "synthetic" || res.Params.IgnoreEOS || res.Levels[0].Stats.Completed != 3 {
		t.Errorf("params %+v, stats %+v", res.Params, res.Levels[0].Stats)
	}
	bodies := srv.Bodies()
	msgs := bodies[len(bodies)-1]["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["content"] != set.Items[2].Prompt {
		t.Errorf("third request's messages %v", msgs)
	}
	if _, ok := bodies[0]["ignore_eos"]; ok {
		t.Error("an eval set's prompt was forced with ignore_eos")
	}
}

// TestInterrupted: a bench stopped mid-way keeps the levels measured, the last
// incomplete, and says it was interrupted.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(req vllmtest.ChatRequest) vllmtest.Reply {
		if n.Add(1) == 6 {
			cancel() // during the second level
		}
		return forced(req)
	}})
	res, err := Run(ctx, Options{BaseURL: hs.URL, Concurrency: []int{1, 1, 1}, Requests: 4, InputLen: 3, OutputLen: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want an interruption", err)
	}
	if res == nil || res.Complete || len(res.Levels) != 2 || !res.Levels[0].Complete || res.Levels[1].Complete {
		t.Fatalf("result %+v", res)
	}
	if c := res.Levels[1].Stats.Completed; c < 1 || c > 2 {
		t.Errorf("interrupted level counted %d requests", c)
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, o := range []Options{
		{Requests: 5, Duration: time.Second},
		{Rate: 2, Concurrency: []int{1, 2}},
		{Rate: -1},
		{Concurrency: []int{0}},
	} {
		var ie *eval.InputError
		if _, err := Run(context.Background(), o); !errors.As(err, &ie) {
			t.Errorf("%+v: %v, want an input error", o, err)
		}
	}
}

func TestParseSLO(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want loadgen.SLO
		ok   bool
	}{
		{"ttft:200,tpot:50,e2el:5000", loadgen.SLO{TTFTMs: 200, TPOTMs: 50, E2ELMs: 5000}, true},
		{" TPOT : 12.5 ", loadgen.SLO{TPOTMs: 12.5}, true},
		{"", loadgen.SLO{}, true},
		{"ttft", loadgen.SLO{}, false},
		{"ttft:-1", loadgen.SLO{}, false},
		{"itl:5", loadgen.SLO{}, false},
		{"ttft:fast", loadgen.SLO{}, false},
	} {
		got, err := ParseSLO(tc.in)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("ParseSLO(%q) = %+v, %v", tc.in, got, err)
		}
	}
	for in, ok := range map[string]bool{"1,4,16,64": true, "8": true, "1,,2": false, "0": false, "a": false, "": false} {
		if _, err := ParseInts(in); (err == nil) != ok {
			t.Errorf("ParseInts(%q): %v", in, err)
		}
	}
}

// TestWriteTable: the table of a fixed result.
func TestWriteTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res loadgen.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, &res); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "table.md"), b.Bytes())
}
