package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/gpumem"
	"github.com/quanteval/quanteval/internal/streamtest"
	"github.com/quanteval/quanteval/servermetrics"
)

// fakeClock advances only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSender takes step of the fake clock per request and fails the requests whose
// index fail says; it records the most requests it saw in flight.
type fakeSender struct {
	clock    *fakeClock
	step     time.Duration
	fail     func(i int) error
	hold     time.Duration // real time each request stays in flight
	n        atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64
	gate     chan struct{} // when set, Send blocks until ctx ends or it closes
}

func (s *fakeSender) Send(ctx context.Context, r Request) (Sample, error) {
	i := int(s.n.Add(1) - 1)
	cur := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); cur > p && !s.peak.CompareAndSwap(p, cur); p = s.peak.Load() {
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return Sample{}, &client.AttemptError{Attempts: 1, Err: ctx.Err()}
		}
	}
	if s.hold > 0 {
		time.Sleep(s.hold)
	}
	if s.clock != nil {
		s.clock.advance(s.step)
	}
	if s.fail != nil {
		if err := s.fail(i); err != nil {
			return Sample{}, err
		}
	}
	return Sample{TTFTMs: 50, TPOTMs: 5, E2ELMs: 50 + 5*9, ITLMs: []float64{5}, InputTokens: 20, OutputTokens: 10, FinishReason: "length"}, nil
}

func TestRunCountsAndClock(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	snd := &fakeSender{clock: clock, step: 100 * time.Millisecond, hold: time.Millisecond, fail: func(i int) error {
		if i == 7 {
			return &client.AttemptError{Attempts: 4, Err: &client.StatusError{StatusCode: 503}}
		}
		return nil
	}}
	var progress []int
	r := &Runner{Sender: snd, Workload: Synthetic{InputLen: 3, OutputLen: 10}, Now: clock.Now,
		Progress: func(done, total int) { progress = append(progress, done*100+total) }}
	lr, err := r.Run(context.Background(), Level{Concurrency: 4, Requests: 20, Warmup: 3})
	if err != nil {
		t.Fatal(err)
	}
	// 3 warmup + 20 counted requests were sent; the clock moved 100ms per request,
	// but the level's clock starts after the warmup: 2.0 s.
	if got := snd.n.Load(); got != 23 {
		t.Errorf("sent %d requests, want 23", got)
	}
	st := lr.Stats
	if st.Completed != 19 || st.Failed != 1 || st.Errors["http_5xx"] != 1 || st.DurationS != 2 || !lr.Complete {
		t.Errorf("stats = %+v complete %v", st, lr.Complete)
	}
	if st.RequestThroughput != 9.5 || st.OutputThroughput != 95 || st.TotalThroughput != 95+190 {
		t.Errorf("throughputs = %v %v %v", st.RequestThroughput, st.OutputThroughput, st.TotalThroughput)
	}
	if p := snd.peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak in flight = %d, want at most the concurrency 4", p)
	}
	if len(progress) != 20 || progress[19] != 2020 {
		t.Errorf("progress = %v", progress)
	}
}

func TestRunByDuration(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	snd := &fakeSender{clock: clock, step: 100 * time.Millisecond}
	r := &Runner{Sender: snd, Workload: Prompts{{MaxTokens: 10}}, Now: clock.Now}
	lr, err := r.Run(context.Background(), Level{Concurrency: 1, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Started at 0, 100, ..., 900 ms: ten requests; the tenth ends at 1 s.
	if lr.Stats.Completed != 10 || lr.Stats.DurationS != 1 {
		t.Errorf("completed %d in %v s, want 10 in 1", lr.Stats.Completed, lr.Stats.DurationS)
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	snd := &fakeSender{gate: make(chan struct{})}
	r := &Runner{Sender: snd, Workload: Prompts{{}}, Progress: func(done, total int) {
		if done == 1 {
			cancel()
		}
	}}
	go func() {
		// Let one request through, then hold the rest until Ctrl-C.
		snd.gate <- struct{}{}
	}()
	lr, err := r.Run(ctx, Level{Concurrency: 8, Requests: 100})
	if err != nil {
		t.Fatal(err)
	}
	if lr.Complete || lr.Stats.Completed != 1 || lr.Stats.Failed != 0 {
		t.Errorf("interrupted level: complete %v, stats %+v", lr.Complete, lr.Stats)
	}
}

func TestLevelValidate(t *testing.T) {
	for _, tc := range []struct {
		l  Level
		ok bool
	}{
		{Level{Concurrency: 1, Requests: 1}, true},
		{Level{Rate: 2.5, Duration: time.Second}, true},
		{Level{Rate: 2.5, Concurrency: 8, Requests: 10}, true},
		{Level{Requests: 1}, false},
		{Level{Concurrency: 1}, false},
		{Level{Concurrency: 1, Requests: 1, Duration: time.Second}, false},
		{Level{Concurrency: -1, Requests: 1}, false},
	} {
		if err := tc.l.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v", tc.l, err)
		}
	}
	if got := Sweep([]int{1, 4}, 10, 0, 2, 2); len(got) != 4 || got[2] != (Level{Concurrency: 4, Requests: 10, Warmup: 2}) {
		t.Errorf("Sweep = %+v", got)
	}
}

func TestArrivals(t *testing.T) {
	gap := Arrivals(20, 7)
	again := Arrivals(20, 7)
	sum := 0.0
	const n = 20000
	for i := range n {
		g := gap()
		if g != again() {
			t.Fatalf("gap %d differs for the same seed", i)
		}
		sum += g.Seconds()
	}
	if mean := sum / n; math.Abs(mean-0.05) > 0.05*0.03 {
		t.Errorf("mean gap %v s, want 0.05 within 3%%", mean)
	}
	if Arrivals(20, 8)() == Arrivals(20, 7)() {
		t.Error("different seeds, same first gap")
	}
}

func TestOpenLoop(t *testing.T) {
	snd := &fakeSender{hold: 5 * time.Millisecond}
	r := &Runner{Sender: snd, Workload: Prompts{{}}}
	lr, err := r.Run(context.Background(), Level{Rate: 2000, Seed: 1, Requests: 40, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if lr.Stats.Completed != 40 || snd.peak.Load() > 3 {
		t.Errorf("completed %d, peak in flight %d (cap 3)", lr.Stats.Completed, snd.peak.Load())
	}
}

func TestSynthetic(t *testing.T) {
	w := Synthetic{InputLen: 50, OutputLen: 128, Seed: 3}
	a, b := w.Request(0), w.Request(1)
	if n := len(strings.Fields(a.Messages[0].Content)); n != 50 {
		t.Errorf("prompt has %d words, want 50", n)
	}
	if a.MaxTokens != 128 || !a.IgnoreEOS || a.Messages[0].Role != "user" {
		t.Errorf("request = %+v", a)
	}
	if a.Messages[0].Content == b.Messages[0].Content || strings.Fields(a.Messages[0].Content)[0] == strings.Fields(b.Messages[0].Content)[0] {
		t.Error("two prompts share their start")
	}
	if !reflect.DeepEqual(w.Request(5), w.Request(5)) {
		t.Error("the same index gives another prompt")
	}
	p := Prompts{{MaxTokens: 1}, {MaxTokens: 2}}
	if p.Request(3).MaxTokens != 2 {
		t.Error("Prompts does not cycle")
	}
}

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&client.AttemptError{Attempts: 4, Err: &client.StatusError{StatusCode: 429}}, "http_429"},
		{&client.StatusError{StatusCode: 400}, "http_4xx"},
		{&client.StatusError{StatusCode: 502}, "http_5xx"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("%w: %w after 3 chunks", client.ErrBadBody, client.ErrStreamCut), "stream_cut"},
		{io.ErrUnexpectedEOF, "connection"},
		{fmt.Errorf("%w (Content-Type application/json)", client.ErrNotStreamed), "not_streamed"},
		{errors.New("json: bad"), "other"},
	} {
		if got := ErrorKind(tc.err); got != tc.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func standIn(t *testing.T, opt streamtest.Options) *client.Client {
	t.Helper()
	srv := httptest.NewServer(streamtest.New(opt))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientSenderEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opt       streamtest.Options
		wantShort int
		wantEst   int
	}{
		{"ignore_eos honoured", streamtest.Options{NaturalLen: 3}, 0, 0},
		{"ignore_eos ignored", streamtest.Options{NaturalLen: 3, IgnoreEOSUnsupported: true}, 6, 0},
		{"no usage", streamtest.Options{NoUsage: true}, 0, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Runner{Sender: &ClientSender{Client: standIn(t, tc.opt), Model: "m"}, Workload: Synthetic{InputLen: 10, OutputLen: 8}}
			lr, err := r.Run(context.Background(), Level{Concurrency: 3, Requests: 6})
			if err != nil {
				t.Fatal(err)
			}
			if lr.Stats.Completed != 6 || lr.ShortOutputs != tc.wantShort || lr.Stats.EstimatedOutputs != tc.wantEst {
				t.Errorf("completed %d short %d estimated %d; warnings %q", lr.Stats.Completed, lr.ShortOutputs, lr.Stats.EstimatedOutputs, lr.Warnings)
			}
			if tc.wantShort > 0 && (len(lr.Warnings) == 0 || !strings.Contains(lr.Warnings[0], "ignores ignore_eos")) {
				t.Errorf("warnings = %q", lr.Warnings)
			}
			wantOut := 48
			if tc.wantShort > 0 {
				wantOut = 18
			}
			if lr.Stats.OutputTokens != wantOut || tc.wantEst == 0 && lr.Stats.InputTokens == 0 {
				t.Errorf("tokens in/out = %d/%d, want out %d", lr.Stats.InputTokens, lr.Stats.OutputTokens, wantOut)
			}
		})
	}
}

func TestResultRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "bench.json")
	res := &Result{Model: "m", Complete: true, Params: Params{Workload: "synthetic", InputLen: 5, Concurrency: []int{1, 4}, SLO: SLO{TTFTMs: 100}},
		Levels: []LevelResult{{Level: Level{Concurrency: 4, Duration: 1500 * time.Millisecond}, Stats: Summarize(nil, time.Second, SLO{})}}}
	if err := Write(path, res); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != Schema || got.Levels[0].Level.Duration != 1500*time.Millisecond || got.Params.SLO.TTFTMs != 100 {
		t.Errorf("read back %+v", got)
	}
	var raw map[string]any
	data, _ := json.Marshal(res.Levels[0].Level)
	json.Unmarshal(data, &raw)
	if raw["duration_s"] != 1.5 {
		t.Errorf("level JSON = %s", data)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
	bad := filepath.Join(t.TempDir(), "r.json")
	Write(bad, &Result{Schema: "quanteval/result/v1"})
	if _, err := Read(bad); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("wrong schema read: %v", err)
	}
}

// countingProbe checks that Begin comes after the warmup and end after the level.
type countingProbe struct {
	snd          *fakeSender
	atBegin      int64
	atEnd        int64
	serverOutput float64
}

type probeLevel struct {
	Output float64 `json:"output"`
	out    float64
}

func (p probeLevel) CrossCheck(in, out int) []string {
	if float64(out) != p.out {
		return []string{"server and client disagree"}
	}
	return nil
}

func (p *countingProbe) Begin(ctx context.Context) func() any {
	p.atBegin = p.snd.n.Load()
	return func() any {
		p.atEnd = p.snd.n.Load()
		return probeLevel{Output: p.serverOutput, out: p.serverOutput}
	}
}

func TestRunProbe(t *testing.T) {
	snd := &fakeSender{}
	probe := &countingProbe{snd: snd, serverOutput: 77}
	r := &Runner{Sender: snd, Workload: Prompts{{}}, Probe: probe}
	lr, err := r.Run(context.Background(), Level{Concurrency: 2, Requests: 5, Warmup: 2})
	if err != nil {
		t.Fatal(err)
	}
	if probe.atBegin != 2 || probe.atEnd != 7 || string(lr.Server) != `{"output":77}` {
		t.Errorf("probe began after %d, ended after %d requests; server %s", probe.atBegin, probe.atEnd, lr.Server)
	}
	// The fake sender reports 10 output tokens a request: 50, not 77.
	if len(lr.Warnings) != 1 || lr.Warnings[0] != "server and client disagree" {
		t.Errorf("warnings = %q", lr.Warnings)
	}
}

var (
	_ Probe = (*servermetrics.Watcher)(nil)
	_ Probe = (*gpumem.Watcher)(nil)
)

func TestRunAll(t *testing.T) {
	r := &Runner{Sender: &fakeSender{}, Workload: Prompts{{}}}
	res, complete, err := r.RunAll(context.Background(), Sweep([]int{1, 2}, 3, 0, 0, 2))
	if err != nil || !complete || len(res) != 4 {
		t.Fatalf("%d results, complete %v, %v", len(res), complete, err)
	}
	var reps []int
	for _, lr := range res {
		reps = append(reps, lr.Level.Concurrency*10+lr.Repeat)
	}
	if !reflect.DeepEqual(reps, []int{10, 11, 20, 21}) {
		t.Errorf("concurrency*10+repeat = %v", reps)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, complete, err = r.RunAll(ctx, Sweep([]int{1, 2}, 3, 0, 0, 1))
	if err != nil || complete || len(res) != 1 {
		t.Errorf("cancelled: %d results, complete %v, %v", len(res), complete, err)
	}
	if _, _, err := r.RunAll(context.Background(), []Level{{Concurrency: 1}}); err == nil {
		t.Error("invalid level ran")
	}
}

func TestClientSenderNoStream(t *testing.T) {
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
		io.WriteString(w, `{"choices":[{"message":{"content":"x y z"},"finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":3}}`)
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, client.Options{})
	s, err := (&ClientSender{Client: c, Model: "m", NoStream: true}).Send(context.Background(), Request{MaxTokens: 3, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.OutputTokens != 3 || s.InputTokens != 4 || s.TTFTMs != s.E2ELMs || s.E2ELMs <= 0 || s.TPOTMs != 0 || s.FinishReason != "length" {
		t.Errorf("sample = %+v", s)
	}
	if b := body.Load().(string); !strings.Contains(b, `"stream":false`) || !strings.Contains(b, `"ignore_eos":true`) {
		t.Errorf("body = %s", b)
	}
}

func TestProbes(t *testing.T) {
	snd := &fakeSender{}
	a := &countingProbe{snd: snd, serverOutput: 30}
	b := &countingProbe{snd: snd, serverOutput: 31}
	r := &Runner{Sender: snd, Workload: Prompts{{}}, Probe: Probes{"metrics": a, "other": b}}
	lr, err := r.Run(context.Background(), Level{Concurrency: 1, Requests: 3})
	if err != nil {
		t.Fatal(err)
	}
	if string(lr.Server) != `{"metrics":{"output":30},"other":{"output":31}}` {
		t.Errorf("server = %s", lr.Server)
	}
	// The client counted 30 output tokens: only "other" disagrees.
	if len(lr.Warnings) != 1 {
		t.Errorf("warnings = %q", lr.Warnings)
	}
}
