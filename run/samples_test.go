package run

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
)

// tenItems is a set of ten exact items: "question I" wants "aI".
func tenItems(t *testing.T) *evalset.Set {
	t.Helper()
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, `{"id": "q%d", "type": "exact", "prompt": "question %d", "answer": "a%d"}`+"\n", i, i, i)
	}
	path := filepath.Join(t.TempDir(), "ten.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := evalset.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// requestLog counts the requests by prompt and seed ("none" without one).
type requestLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *requestLog) add(req vllmtest.ChatRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int{}
	}
	seed := "none"
	if req.Seed != nil {
		seed = fmt.Sprint(*req.Seed)
	}
	l.n[req.LastUser()+" seed "+seed]++
}

// fractionRight answers item I right on the samples below I mod 5 (told by the seed,
// base + sample), else with one wrong answer of its own: item I has I mod 5 right
// samples of 4.
func fractionRight(base int64, log *requestLog) func(vllmtest.ChatRequest) vllmtest.Reply {
	return func(req vllmtest.ChatRequest) vllmtest.Reply {
		log.add(req)
		var i int
		fmt.Sscanf(req.LastUser(), "question %d", &i)
		s := int64(0)
		if req.Seed != nil {
			s = *req.Seed - base
		}
		if s < int64(i%5) {
			return vllmtest.Reply{Content: vllmtest.Text(fmt.Sprintf("a%d", i))}
		}
		return vllmtest.Reply{Content: vllmtest.Text(fmt.Sprintf("w%d", i))}
	}
}

func TestRepeats(t *testing.T) {
	set := tenItems(t)
	var log requestLog
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: fractionRight(100, &log)})
	cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
	seed := int64(100)
	cfg.Seed, cfg.Repeats = &seed, 4
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Complete || len(f.Items) != 40 || f.Params.Repeats != 4 {
		t.Fatalf("complete %v, %d records, repeats %d", f.Complete, len(f.Items), f.Params.Repeats)
	}
	for k, r := range f.Items {
		if r.ID != fmt.Sprintf("q%d", k/4) || r.Sample == nil || *r.Sample != k%4 {
			t.Fatalf("items[%d] = %s sample %d: want item order, then sample order", k, r.ID, r.SampleIndex())
		}
	}
	for i := range 10 {
		for s := range 4 {
			if n := log.n[fmt.Sprintf("question %d seed %d", i, 100+s)]; n != 1 {
				t.Errorf("item %d sample %d asked %d times, want once with seed %d", i, s, n, 100+s)
			}
		}
	}
	// Right samples per item: 0, 1, 2, 3, 4, twice. Rates average 0.5; pass@2 per
	// item 0, 1/2, 5/6, 1, 1; pass@4 is 1 where any is right; the majority is right
	// with 2 (a tie: the right answers came first), 3 and 4 right.
	s := f.Summary
	if s.Samples != 4 || s.AvgAtN == nil || s.AvgAtN.Value != 0.5 || s.Accuracy != 0.5 || s.AvgAtN.Items != 10 {
		t.Fatalf("summary %+v avg %+v", s, s.AvgAtN)
	}
	for k, want := range map[string]float64{"1": 0.5, "2": 2.0 / 3, "4": 0.8} {
		if math.Abs(s.PassAtK[k]-want) > 1e-12 {
			t.Errorf("pass@%s = %v, want %v", k, s.PassAtK[k], want)
		}
	}
	if s.MajAtN == nil || *s.MajAtN != 0.6 {
		t.Errorf("maj@n = %v, want 0.6", s.MajAtN)
	}
}

func TestRepeatsWithoutSeedSendNone(t *testing.T) {
	set := tenItems(t)
	set.Limit(3)
	var log requestLog
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: fractionRight(0, &log)})
	cfg := config(hs.URL, "")
	cfg.Repeats = 3
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 9 {
		t.Fatalf("%d records, want 9", len(f.Items))
	}
	for i := range 3 {
		if n := log.n[fmt.Sprintf("question %d seed none", i)]; n != 3 {
			t.Errorf("item %d: %d requests without a seed, want 3 (log %v)", i, n, log.n)
		}
	}
	cfg.Logprobs, cfg.Out = 2, filepath.Join(t.TempDir(), "lp.json")
	if _, err := Evaluate(context.Background(), cfg, set); err == nil || !strings.Contains(err.Error(), "--logprobs") {
		t.Errorf("logprobs with repeats: err = %v", err)
	}
}

// An interrupted repeated run loses no finished sample, and the resume asks each
// missing one once.
func TestRepeatsInterruptAndResume(t *testing.T) {
	set := tenItems(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log requestLog
	var answered atomic.Int32
	base := fractionRight(7, &log)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(req vllmtest.ChatRequest) vllmtest.Reply {
		if answered.Add(1) == 13 {
			cancel()
		}
		return base(req)
	}})
	cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
	seed := int64(7)
	cfg.Seed, cfg.Repeats, cfg.Concurrency = &seed, 4, 2
	f, err := Evaluate(ctx, cfg, set)
	if !errors.Is(err, context.Canceled) || f.Complete || len(f.Items) < 13 || len(f.Items) >= 40 {
		t.Fatalf("interrupted: err %v, complete %v, %d records", err, f.Complete, len(f.Items))
	}
	cfg.Resume = true
	f, err = Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Complete || len(f.Items) != 40 || f.Summary.AvgAtN.Value != 0.5 {
		t.Fatalf("resumed: complete %v, %d records, summary %+v", f.Complete, len(f.Items), f.Summary)
	}
	for i := range 10 {
		for s := range 4 {
			if n := log.n[fmt.Sprintf("question %d seed %d", i, 7+s)]; n != 1 {
				t.Errorf("item %d sample %d asked %d times over both sessions, want once", i, s, n)
			}
		}
	}
	if len(log.n) != 40 {
		t.Errorf("%d distinct requests, want 40", len(log.n))
	}
}

// A resume with a larger N asks only the new samples.
func TestResumeWithMoreRepeats(t *testing.T) {
	set := tenItems(t)
	set.Limit(4)
	var log requestLog
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: fractionRight(1, &log)})
	cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
	seed := int64(1)
	cfg.Seed, cfg.Repeats = &seed, 2
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatal(err)
	}
	cfg.Resume, cfg.Repeats = true, 4
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 16 || !f.Complete || f.Params.Repeats != 4 {
		t.Fatalf("%d records, complete %v", len(f.Items), f.Complete)
	}
	total := 0
	for k, n := range log.n {
		total += n
		if n != 1 {
			t.Errorf("%s asked %d times", k, n)
		}
	}
	if total != 16 {
		t.Errorf("%d requests in all, want 16 (8 then the 8 new samples)", total)
	}
}
