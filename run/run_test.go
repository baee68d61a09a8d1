package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// suite is the built-in suite, whose answers the double knows.
func suite(t *testing.T) *evalset.Set {
	t.Helper()
	s, err := evalset.Open(evalset.DefaultSuite)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// answerer answers each prompt of set with its expected answer, except for the ids in
// wrong, which get "I don't know".
func answerer(set *evalset.Set, wrong ...string) func(vllmtest.ChatRequest) vllmtest.Reply {
	want := map[string]string{}
	bad := map[string]bool{}
	for _, id := range wrong {
		bad[id] = true
	}
	for _, it := range set.Items {
		a := ""
		switch v := it.Answer.(type) {
		case float64:
			a = fmt.Sprint(v)
		case string:
			a = v
		case []string:
			a = v[0]
		}
		if bad[it.ID] {
			a = "I don't know"
		}
		want[it.Prompt] = a
	}
	return func(req vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text(want[req.LastUser()]), Reasoning: "thinking about " + req.LastUser()}
	}
}

func config(url, out string) Config {
	return Config{BaseURL: url, Model: "test-model", Out: out, Concurrency: 4, Timeout: 5 * time.Second, Retries: 3}
}

func TestEvaluate(t *testing.T) {
	set := suite(t)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set, "arith-07", "fmt-02"), Capture: true})
	out := filepath.Join(t.TempDir(), "acc.json")
	seed := int64(5)
	cfg := config(hs.URL, out)
	cfg.Seed = &seed
	cfg.ExtraBody = json.RawMessage(`{"chat_template_kwargs": {"enable_thinking": false}}`)
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if f.Summary.Count != 40 || f.Summary.OK != 38 || f.Summary.Errors != 0 || !f.Complete {
		t.Fatalf("summary %+v complete=%v", f.Summary, f.Complete)
	}
	if f.Server.Version != "0.11.0" || f.Evalset.SHA256 != set.SHA256 || f.Evalset.Count != 40 {
		t.Errorf("header: server %q evalset %+v", f.Server.Version, f.Evalset)
	}
	for i, r := range f.Items {
		if r.ID != set.Items[i].ID {
			t.Fatalf("items[%d] = %s, want eval-set order (%s)", i, r.ID, set.Items[i].ID)
		}
		if r.Reasoning == "" || r.FinishReason != "stop" || r.Attempts != 1 || r.Usage.CompletionTokens == 0 {
			t.Errorf("%s: record %+v", r.ID, r)
		}
	}
	if f.Summary.FinishReasons["stop"] != 40 || f.Summary.ByCategory["arithmetic"].Count != 21 {
		t.Errorf("summary slices: %+v", f.Summary)
	}
	// The file on disk is the result, and the journal holds every item.
	disk, err := result.Read(out)
	if err != nil || len(disk.Items) != 40 || disk.Summary.OK != 38 {
		t.Fatalf("result file: %v %+v", err, disk)
	}
	body := srv.LastBody()
	msgs := body["messages"].([]any)
	if body["seed"] != 5.0 || body["max_tokens"] != 256.0 || body["temperature"] != 0.0 ||
		msgs[0].(map[string]any)["content"] != DefaultSystem || body["chat_template_kwargs"] == nil {
		t.Errorf("request body %v", body)
	}
}

func TestConcurrencyBound(t *testing.T) {
	set := suite(t)
	gate := make(chan struct{})
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set), Gate: gate})
	done := make(chan error, 1)
	cfg := config(hs.URL, "")
	cfg.Concurrency = 7
	go func() {
		_, err := Evaluate(context.Background(), cfg, set)
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Exactly seven are in flight while work remains: release one at a time and check
	// that the pool refills to seven, never eight.
	for released := 0; released < 40; released++ {
		want := min(7, 40-released)
		if err := srv.WaitInFlight(ctx, want); err != nil {
			t.Fatalf("after %d released: in flight %d, want %d", released, srv.InFlight(), want)
		}
		gate <- struct{}{}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if srv.MaxInFlight() != 7 {
		t.Errorf("max in flight = %d, want 7", srv.MaxInFlight())
	}
}

func TestFaults(t *testing.T) {
	set := suite(t)
	set.Limit(6)
	faults := map[string]vllmtest.Fault{
		set.Items[0].Prompt: vllmtest.Fault429,
		set.Items[1].Prompt: vllmtest.Fault500,
		set.Items[2].Prompt: vllmtest.FaultDrop,
		set.Items[3].Prompt: vllmtest.FaultTruncated,
		set.Items[4].Prompt: vllmtest.Fault400,
		set.Items[5].Prompt: vllmtest.FaultOldError400,
	}
	var seen sync32
	srv, hs := vllmtest.Start(t, vllmtest.Options{
		Answer: answerer(set),
		Faults: func(n int, req vllmtest.ChatRequest) vllmtest.Fault {
			// Each transient fault happens once, then the item succeeds.
			f := faults[req.LastUser()]
			if f == vllmtest.Fault400 || f == vllmtest.FaultOldError400 || seen.first(req.LastUser()) {
				return f
			}
			return vllmtest.FaultNone
		},
	})
	cfg := config(hs.URL, "")
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range f.Items {
		switch i {
		case 0, 1, 2, 3:
			if !r.OK || r.Attempts != 2 || r.Error != "" {
				t.Errorf("%s: transient fault not retried: %+v", r.ID, r)
			}
		case 4, 5:
			if r.OK || r.Attempts != 1 || !strings.Contains(r.Error, "maximum context length is 4096 tokens") {
				t.Errorf("%s: 400 should be recorded, not retried: %+v", r.ID, r)
			}
		}
	}
	if f.Summary.Errors != 2 || f.Summary.Count != 6 || f.Summary.OK != 4 {
		t.Errorf("summary %+v", f.Summary)
	}
	if srv.Requests() != 10 {
		t.Errorf("requests = %d, want 10 (4 retried once, 2 not retried)", srv.Requests())
	}
}

// sync32 remembers which keys it has seen.
type sync32 struct {
	m atomic.Pointer[map[string]bool]
}

func (s *sync32) first(k string) bool {
	for {
		old := s.m.Load()
		n := map[string]bool{}
		if old != nil {
			if (*old)[k] {
				return false
			}
			for kk := range *old {
				n[kk] = true
			}
		}
		n[k] = true
		if s.m.CompareAndSwap(old, &n) {
			return true
		}
	}
}

func TestResumeDropsTornLine(t *testing.T) {
	set := suite(t)
	set.Limit(4)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	if _, err := Evaluate(context.Background(), config(hs.URL, out), set); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash: the last record was half written.
	j := JournalPath(out)
	data, _ := os.ReadFile(j)
	lines := strings.SplitAfter(string(data), "\n")
	torn := strings.Join(lines[:4], "") + lines[4][:20]
	if err := os.WriteFile(j, []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	cfg := config(hs.URL, out)
	cfg.Resume = true
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Complete || srv.Requests()-before != 1 {
		t.Errorf("complete=%v, sent %d, want the one torn item again", f.Complete, srv.Requests()-before)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	set := suite(t)
	cfg := config("http://"+addr, filepath.Join(t.TempDir(), "r.json"))
	cfg.Retries = 0
	f, err := Evaluate(context.Background(), cfg, set)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if f.Complete || len(f.Items) >= 40 {
		t.Errorf("should stop early: %d items", len(f.Items))
	}
	// The cause is the server's absence, not the stop that followed it.
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v, want the real cause", err)
	}
	for _, r := range f.Items {
		if strings.Contains(r.Error, "context canceled") {
			t.Errorf("%s: recorded the runner's own stop as an error: %s", r.ID, r.Error)
		}
	}
}

func TestSecretsStayOut(t *testing.T) {
	set := suite(t)
	set.Limit(2)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(strings.Replace(hs.URL, "http://", "http://user:s3cret@", 1), out)
	cfg.APIKey = "sk-k3y"
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{out, JournalPath(out)} {
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), "s3cret") || strings.Contains(string(data), "sk-k3y") {
			t.Errorf("%s holds a secret", p)
		}
	}
}

func TestStdoutRefusesResumeAndLogprobs(t *testing.T) {
	set := suite(t)
	for _, cfg := range []Config{{Model: "m", Out: "-", Resume: true}, {Model: "m", Out: "-", Logprobs: 2}} {
		if _, err := EvaluateWith(context.Background(), cfg, set, nil, ""); err == nil || !strings.Contains(err.Error(), "give --out PATH") {
			t.Errorf("%+v: err = %v", cfg, err)
		}
	}
}

func TestStdoutOut(t *testing.T) {
	set := suite(t)
	set.Limit(2)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	var buf strings.Builder
	cfg := config(hs.URL, "-")
	cfg.Stdout = &buf
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatal(err)
	}
	var f result.File
	if err := json.Unmarshal([]byte(buf.String()), &f); err != nil || f.Schema != result.Schema || len(f.Items) != 2 {
		t.Fatalf("stdout is not the result: %v", err)
	}
}

func TestResumeRetriesErrors(t *testing.T) {
	set := suite(t)
	set.Limit(5)
	down := true
	var mu atomic.Bool
	mu.Store(down)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set), Faults: func(n int, req vllmtest.ChatRequest) vllmtest.Fault {
		if mu.Load() && req.LastUser() == set.Items[2].Prompt {
			return vllmtest.Fault500
		}
		return vllmtest.FaultNone
	}})
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.Retries = 0
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil || f.Summary.Errors != 1 {
		t.Fatalf("first run: %v, %+v", err, f.Summary)
	}
	mu.Store(false) // the server is back
	before := srv.Requests()
	cfg.Resume = true
	f, err = Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if f.Summary.Errors != 0 || f.Summary.OK != 5 || srv.Requests()-before != 1 {
		t.Errorf("resume: %+v, sent %d, want only the errored item again", f.Summary, srv.Requests()-before)
	}
}

func TestAllFailed(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	_, hs := vllmtest.Start(t, vllmtest.Options{Faults: func(int, vllmtest.ChatRequest) vllmtest.Fault { return vllmtest.Fault400 }})
	out := filepath.Join(t.TempDir(), "r.json")
	f, err := Evaluate(context.Background(), config(hs.URL, out), set)
	if !errors.Is(err, ErrAllFailed) || !strings.Contains(err.Error(), "maximum context length") {
		t.Fatalf("err = %v, want ErrAllFailed with the server's message", err)
	}
	if !f.Complete || f.Summary.Errors != 3 {
		t.Errorf("result %+v", f.Summary)
	}
	if _, err := result.Read(out); err != nil {
		t.Errorf("the result must still be written: %v", err)
	}
}

func TestStalledResponseTimesOutAndRetries(t *testing.T) {
	set := suite(t)
	set.Limit(2)
	var stalled sync32
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set), Faults: func(n int, req vllmtest.ChatRequest) vllmtest.Fault {
		if req.LastUser() == set.Items[0].Prompt && stalled.first("x") {
			return vllmtest.FaultStall
		}
		return vllmtest.FaultNone
	}})
	cfg := config(hs.URL, "")
	cfg.Timeout = time.Second // the second attempt must answer within it, under -race on a loaded machine
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Items[0]; !r.OK || r.Attempts != 2 {
		t.Errorf("stalled item: %+v, want ok on the second attempt", r)
	}
}

func TestStopNowEndsTheGrace(t *testing.T) {
	set := suite(t)
	set.Limit(4)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set), Faults: func(int, vllmtest.ChatRequest) vllmtest.Fault { return vllmtest.FaultStall }})
	ctx, cancel := context.WithCancel(context.Background())
	stopNow := make(chan struct{})
	cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
	cfg.Grace, cfg.Timeout = time.Hour, time.Hour // only StopNow can end them
	cfg.StopNow = stopNow
	done := make(chan error, 1)
	go func() {
		_, err := Evaluate(ctx, cfg, set)
		done <- err
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := srv.WaitInFlight(wctx, 4); err != nil {
		t.Fatal(err)
	}
	cancel() // the first Ctrl-C: the stalled requests get their grace
	select {
	case err := <-done:
		t.Fatalf("returned during the grace: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(stopNow) // the second
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("StopNow did not end the grace")
	}
}

// TestLimitLeavesTheSetAlone: --limit applies to the run, not to the caller's set,
// which a matrix reuses for the next variant.
func TestLimitLeavesTheSetAlone(t *testing.T) {
	set := suite(t)
	n, first := len(set.Items), set.Items[0].ID
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	cfg := config(hs.URL, "")
	cfg.Limit = 3
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 3 || f.Evalset.Count != 3 {
		t.Fatalf("the run evaluated %d items (count %d), want 3", len(f.Items), f.Evalset.Count)
	}
	if len(set.Items) != n || set.Items[0].ID != first {
		t.Fatalf("the caller's set has %d items, want %d", len(set.Items), n)
	}
}

// TestKeyRefused: a run whose every request is refused (401, 403) says the server
// refused the key, whether it stopped early or asked every item; a refusal mixed with
// other failures is not called one.
func TestKeyRefused(t *testing.T) {
	_, keyed := vllmtest.Start(t, vllmtest.Options{APIKey: "sk-right"})
	var n atomic.Int32
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":{"message":"forbidden"}}`)
	}))
	defer forbidden.Close()
	mixed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer mixed.Close()
	for _, tc := range []struct {
		name  string
		url   string
		limit int
		want  error
		text  string
	}{
		{"401, stopped early", keyed.URL, 0, ErrKeyRefused, "the server refused the API key (HTTP 401): set it with --api-key-env / OPENAI_API_KEY"},
		{"401, every item asked", keyed.URL, 3, ErrKeyRefused, "the server refused the API key (HTTP 401): set it with --api-key-env"},
		{"403", forbidden.URL, 0, ErrKeyRefused, "the server refused the API key (HTTP 403)"},
		{"401 and 500", mixed.URL, 0, ErrUnreachable, "did not answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := suite(t)
			cfg := config(tc.url, filepath.Join(t.TempDir(), "r.json"))
			cfg.APIKey, cfg.Retries, cfg.Limit = "sk-wrong", 0, tc.limit
			f, err := Evaluate(context.Background(), cfg, set)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want %v: %q", err, tc.want, tc.text)
			}
			if tc.want == ErrKeyRefused && strings.Contains(err.Error(), "did not answer") {
				t.Errorf("err = %v: the server did answer", err)
			}
			if f == nil || len(f.Items) == 0 {
				t.Error("the result must still be written, with the refusals")
			}
		})
	}
}
