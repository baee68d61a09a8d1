package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// Repeated samples through the command: seed + i per sample, every sample a record,
// --resume with more samples asks only the new ones, and compare pairs items with
// the sign-flip test in the verdict's usual words.
func TestRepeatsThroughCommand(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 12 {
		fmt.Fprintf(&b, `{"id": "q%02d", "type": "number", "prompt": "question %d", "answer": %d}`+"\n", i, i, 100+i)
	}
	set := filepath.Join(dir, "twelve.jsonl")
	if err := os.WriteFile(set, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The reference is always right; the variant right only on odd seeds for items
	// 0-8, so it loses half of each of those items' samples.
	var mu sync.Mutex
	model := func(always bool, seen *[]int64, n *atomic.Int64) func(vllmtest.ChatRequest) vllmtest.Reply {
		return func(r vllmtest.ChatRequest) vllmtest.Reply {
			n.Add(1)
			var i int
			fmt.Sscanf(r.LastUser(), "question %d", &i)
			if i == 0 && seen != nil {
				mu.Lock()
				*seen = append(*seen, *r.Seed)
				mu.Unlock()
			}
			if always || i > 8 || *r.Seed%2 == 1 {
				return vllmtest.Reply{Content: vllmtest.Text(fmt.Sprint(100 + i))}
			}
			return vllmtest.Reply{Content: vllmtest.Text("7")}
		}
	}
	var seeds []int64
	var refN, varN atomic.Int64
	_, ref := vllmtest.Start(t, vllmtest.Options{Models: []string{"bf16"}, Answer: model(true, &seeds, &refN)})
	_, variant := vllmtest.Start(t, vllmtest.Options{Models: []string{"int4"}, Answer: model(false, nil, &varN)})
	refOut, varOut := filepath.Join(dir, "bf16.json"), filepath.Join(dir, "int4.json")
	run := func(url, out string, extra ...string) {
		t.Helper()
		args := append([]string{"run", "--base-url", url, "--evalset", set, "--seed", "40", "--temperature", "0.7",
			"--concurrency", "1", "--out", out, "--quiet"}, extra...)
		if code, _, stderr := invoke(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
	}
	run(ref.URL, refOut, "--repeats", "2")
	run(ref.URL, refOut, "--repeats", "4", "--resume")
	if got := refN.Load(); got != 48 {
		t.Errorf("2 then 4 samples of 12 items with --resume: %d requests, want 48", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seeds) != "[40 41 42 43]" {
		t.Errorf("item 0's seeds %v, want 40 + sample", seeds)
	}
	f, err := result.Read(refOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 48 || f.Summary.Samples != 4 || *f.Items[5].Sample != 1 || f.Items[5].ID != "q01" {
		t.Fatalf("%d records, samples %d, record 5: %s #%v", len(f.Items), f.Summary.Samples, f.Items[5].ID, f.Items[5].Sample)
	}
	run(variant.URL, varOut, "--repeats", "4")
	code, stdout, stderr := invoke(t, "compare", varOut, refOut, "--out-dir", filepath.Join(dir, "cmp"))
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"significantly lower (p = ", "paired sign-flip permutation test on per-item pass rates", "Repeated samples", "9 lost"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare lacks %q:\n%s", want, stdout)
		}
	}
}
