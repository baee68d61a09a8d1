package result_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
	"github.com/quanteval/quanteval/shard"
)

// A stand-in that answers most items right, some wrong, and refuses some with a 400
// (an error record), the same way whichever process asks.
func standIn(t *testing.T, set *evalset.Set) string {
	t.Helper()
	want := map[string]string{}
	for n, it := range set.Items {
		a := fmt.Sprint(it.Answer)
		if v, ok := it.Answer.([]string); ok {
			a = v[0]
		}
		if n%7 == 3 {
			a = "I don't know"
		}
		want[it.Prompt] = a
	}
	refuse := map[string]bool{set.Items[5].Prompt: true, set.Items[22].Prompt: true}
	_, hs := vllmtest.Start(t, vllmtest.Options{
		Answer: func(req vllmtest.ChatRequest) vllmtest.Reply {
			return vllmtest.Reply{Content: vllmtest.Text(want[req.LastUser()]), Reasoning: "hm " + req.LastUser()}
		},
		Faults: vllmtest.FaultTimes(vllmtest.Fault400, 1<<30, func(r vllmtest.ChatRequest) bool { return refuse[r.LastUser()] }),
	})
	return hs.URL
}

func openSuite(t *testing.T) *evalset.Set {
	t.Helper()
	s, err := evalset.Open(evalset.DefaultSuite)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runShard does what `run --shard` does: evaluate the shard's items, record the
// shard with the items' positions in the set, and the whole set's count.
func runShard(t *testing.T, url, out string, spec shard.Spec, concurrency int) *result.File {
	t.Helper()
	set := openSuite(t)
	ids := make([]string, len(set.Items))
	for i, it := range set.Items {
		ids[i] = it.ID
	}
	pos := spec.Select(ids)
	whole := len(set.Items)
	var mine []evalset.Item
	for _, p := range pos {
		mine = append(mine, set.Items[p])
	}
	set.Items = mine
	cfg := run.Config{BaseURL: url, Model: "test-model", Concurrency: concurrency, Timeout: 5 * time.Second}
	f, err := run.Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	f.Evalset.Count = whole
	f.Shard = &result.Shard{Index: spec.Index, Count: spec.Count, Positions: pos}
	if err := result.Write(out, f); err != nil {
		t.Fatal(err)
	}
	return f
}

// withoutTimings clears what may differ between a merged and an unsharded result:
// the run's times, and each item's latency and stream timing with their summary.
func withoutTimings(t *testing.T, f *result.File) []byte {
	t.Helper()
	g := *f
	g.StartedAt, g.FinishedAt, g.DurationS = time.Time{}, time.Time{}, 0
	g.Summary.Timing = nil // recomputed from the records' own timings
	g.Items = append([]result.Record(nil), f.Items...)
	for i := range g.Items {
		g.Items[i].LatencyMS, g.Items[i].Timing = 0, nil
	}
	g.Summary.Timing = nil // the runs stream: timings are measured, not merged
	b, err := result.Marshal(&g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The merge of 1, 3 and 8 shards, written to files and read back, is the unsharded
// run's result byte for byte, timings aside.
func TestMergeEqualsUnshardedRun(t *testing.T) {
	set := openSuite(t)
	url := standIn(t, set)
	dir := t.TempDir()
	whole, err := run.Evaluate(context.Background(), run.Config{BaseURL: url, Model: "test-model", Concurrency: 4, Timeout: 5 * time.Second}, set)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Summary.Errors != 2 || whole.Summary.OK == whole.Summary.Count-2 {
		t.Fatalf("the stand-in should give errors and wrong answers: %+v", whole.Summary)
	}
	want := withoutTimings(t, whole)
	for _, n := range []int{1, 3, 8} {
		var files []*result.File
		var names []string
		for i := n - 1; i >= 0; i-- { // given in reverse order: order must not matter
			path := filepath.Join(dir, fmt.Sprintf("n%d-shard%d.json", n, i))
			runShard(t, url, path, shard.Spec{Index: i, Count: n}, 1+i%3)
			f, err := result.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			files, names = append(files, f), append(names, path)
		}
		merged, err := result.Merge(files, result.MergeOptions{Names: names})
		if err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		if !merged.Complete || merged.Shard != nil {
			t.Errorf("%d shards: complete %v, shard %+v", n, merged.Complete, merged.Shard)
		}
		// Concurrency is bookkeeping of each process; the first shard's is kept.
		merged.Params.Concurrency = whole.Params.Concurrency
		if got := withoutTimings(t, merged); !bytes.Equal(got, want) {
			t.Errorf("%d shards: merged result differs from the unsharded one:\n%s", n, firstDiff(got, want))
		}
		if merged.DurationS <= 0 || merged.StartedAt.After(files[len(files)-1].StartedAt) {
			t.Errorf("%d shards: timings %v %v %v", n, merged.StartedAt, merged.FinishedAt, merged.DurationS)
		}
	}
}

func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: got %s\nwant %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}
