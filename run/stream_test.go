package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// TestStreamScoresAsPlain: a streamed run and a --stream=false run of the same
// replies give the same records, summary and log-probability side file; only the
// streamed one has timings.
func TestStreamScoresAsPlain(t *testing.T) {
	set := suite(t)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set, "arith-07", "fmt-02"), Capture: true})
	dir := t.TempDir()
	runOnce := func(name string, noStream bool) *result.File {
		cfg := config(hs.URL, filepath.Join(dir, name+".json"))
		cfg.Logprobs, cfg.NoStream = 3, noStream
		f, err := Evaluate(context.Background(), cfg, set)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	streamed, plain := runOnce("streamed", false), runOnce("plain", true)
	if streamed.Summary.Timing == nil || streamed.Summary.Timing.Items != 40 || plain.Summary.Timing != nil {
		t.Fatalf("timing summaries: streamed %+v, plain %+v", streamed.Summary.Timing, plain.Summary.Timing)
	}
	for i, r := range streamed.Items {
		tm := r.Timing
		if tm == nil || tm.OutputTokens != r.Usage.CompletionTokens || tm.OutputTokensEstimated || tm.E2ELMs < tm.TTFTMs || tm.TTFTMs <= 0 {
			t.Errorf("%s: timing %+v, usage %+v", r.ID, tm, r.Usage)
		}
		if plain.Items[i].Timing != nil {
			t.Errorf("%s: a plain run has a timing", r.ID)
		}
		r.Timing, r.LatencyMS = nil, 0
		p := plain.Items[i]
		p.LatencyMS = 0
		if !reflect.DeepEqual(r, p) {
			t.Errorf("streamed %+v\nplain    %+v", r, p)
		}
	}
	s, p := streamed.Summary, plain.Summary
	s.Timing = nil
	if !reflect.DeepEqual(s, p) || s.OK != 38 {
		t.Errorf("summaries differ:\n%+v\n%+v", s, p)
	}
	a, errA := os.ReadFile(filepath.Join(dir, "streamed.logprobs.jsonl"))
	b, errB := os.ReadFile(filepath.Join(dir, "plain.logprobs.jsonl"))
	if errA != nil || errB != nil || len(a) == 0 {
		t.Fatal(errA, errB)
	}
	if !sameLines(a, b) {
		t.Errorf("side files differ:\n%s\n%s", a, b)
	}
}

// sameLines compares two side files line by line, in any order (items finish in
// any order).
func sameLines(a, b []byte) bool {
	count := map[string]int{}
	for _, l := range splitLines(a) {
		count[l]++
	}
	for _, l := range splitLines(b) {
		count[l]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}

// TestStreamBodyAndCutStream: the body asks for a stream with usage; a stream cut
// half-way, or one with an error inside, is retried whole and counted in attempts.
func TestStreamBodyAndCutStream(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	long := "the answer is " + fmt.Sprint(set.Items[0].Answer)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Capture: true,
		Answer: func(req vllmtest.ChatRequest) vllmtest.Reply { return vllmtest.Reply{Content: vllmtest.Text(long)} },
		Faults: func(n int, req vllmtest.ChatRequest) vllmtest.Fault {
			switch n {
			case 1:
				return vllmtest.FaultTruncated
			case 3: // item 1's first attempt
				return vllmtest.FaultStreamError
			}
			return vllmtest.FaultNone
		}})
	cfg := config(hs.URL, "")
	cfg.Concurrency = 1
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Items[0]; r.Attempts != 2 || r.Error != "" || r.Output != long || r.Timing == nil {
		t.Errorf("cut stream: %+v", r)
	}
	if r := f.Items[1]; r.Attempts != 2 || r.Error != "" || r.Output != long {
		t.Errorf("error inside the stream: %+v", r)
	}
	body := srv.LastBody()
	if body["stream"] != true || !reflect.DeepEqual(body["stream_options"], map[string]any{"include_usage": true}) {
		t.Errorf("body %v", body)
	}
}

// noStreamedLogprobs streams replies without their log-probabilities.
type noStreamedLogprobs struct{ notStreaming }

func (n *noStreamedLogprobs) ChatStream(ctx context.Context, req client.Request) (*client.StreamReply, error) {
	n.streams++
	s := "42"
	return &client.StreamReply{Response: &client.Response{Content: &s, FinishReason: "stop", Attempts: 1}}, nil
}

func (n *noStreamedLogprobs) Chat(ctx context.Context, req client.Request) (*client.Response, error) {
	r, err := n.notStreaming.Chat(ctx, req)
	r.Logprobs = []client.TokenLogprob{{Token: "42", Logprob: -0.1}}
	return r, err
}

// TestNoStreamedLogprobsFallsBack: a stream without the log-probabilities asked for
// is asked again plainly, as are all later requests, and the run says so.
func TestNoStreamedLogprobsFallsBack(t *testing.T) {
	set := &evalset.Set{Name: "t", Items: []evalset.Item{
		{ID: "a", Type: "number", Prompt: "6*7?", Answer: 42.0},
		{ID: "b", Type: "number", Prompt: "40+2?", Answer: 42.0},
	}}
	chat := &noStreamedLogprobs{}
	var log strings.Builder
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := Config{Model: "m", Concurrency: 1, Logprobs: 2, Out: out, Progress: &log}
	f, err := EvaluateWith(context.Background(), cfg, set, chat, "")
	if err != nil {
		t.Fatal(err)
	}
	side, _ := os.ReadFile(LogprobsPath(out))
	if f.Summary.OK != 2 || chat.streams != 1 || chat.chats != 2 || strings.Count(string(side), `"logprob":-0.1`) != 2 {
		t.Errorf("ok %d, streams %d, chats %d, side file %s", f.Summary.OK, chat.streams, chat.chats, side)
	}
	if !strings.Contains(log.String(), "streams no log-probabilities") {
		t.Errorf("no note:\n%s", log.String())
	}
}

// notStreaming is a Chatter whose stream is answered by a plain JSON document.
type notStreaming struct{ streams, chats int }

func (n *notStreaming) Chat(ctx context.Context, req client.Request) (*client.Response, error) {
	n.chats++
	s := "42"
	return &client.Response{Content: &s, FinishReason: "stop", Attempts: 1}, nil
}

func (n *notStreaming) ChatStream(ctx context.Context, req client.Request) (*client.StreamReply, error) {
	n.streams++
	return nil, &client.AttemptError{Attempts: 1, Err: fmt.Errorf("%w (Content-Type application/json)", client.ErrNotStreamed)}
}

// TestNotStreamedFallsBack: a server that answers a stream with one JSON document
// is asked again plainly, and never streamed to again.
func TestNotStreamedFallsBack(t *testing.T) {
	set := &evalset.Set{Name: "t", Items: []evalset.Item{
		{ID: "a", Type: "number", Prompt: "6*7?", Answer: 42.0},
		{ID: "b", Type: "number", Prompt: "40+2?", Answer: 42.0},
		{ID: "c", Type: "number", Prompt: "84/2?", Answer: 42.0},
	}}
	chat := &notStreaming{}
	cfg := Config{Model: "m", Concurrency: 1}
	f, err := EvaluateWith(context.Background(), cfg, set, chat, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Summary.OK != 3 || chat.streams != 1 || chat.chats != 3 || f.Summary.Timing != nil {
		t.Errorf("ok %d, streams %d, chats %d, timing %+v", f.Summary.OK, chat.streams, chat.chats, f.Summary.Timing)
	}
}
