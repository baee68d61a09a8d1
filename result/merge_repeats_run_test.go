package result_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/run"
	"github.com/quanteval/quanteval/shard"
)

// Shards of a repeated run, each recording one position per item as `run --shard`
// does, merge into the unsharded repeated run's result, timings aside.
func TestMergeRepeatedEqualsUnshardedRun(t *testing.T) {
	set := openSuite(t)
	url := standIn(t, set)
	seed := int64(3)
	cfg := run.Config{BaseURL: url, Model: "test-model", Concurrency: 4, Timeout: 5 * time.Second, Seed: &seed, Repeats: 3}
	whole, err := run.Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Items) != 3*len(set.Items) || whole.Summary.AvgAtN == nil {
		t.Fatalf("whole run: %d records, summary %+v", len(whole.Items), whole.Summary)
	}
	want := withoutTimings(t, whole)
	ids := make([]string, len(set.Items))
	for i, it := range set.Items {
		ids[i] = it.ID
	}
	const n = 3
	var files []*result.File
	for i := range n {
		spec := shard.Spec{Index: i, Count: n}
		pos := spec.Select(ids)
		part := *set
		part.Items = nil
		for _, p := range pos {
			part.Items = append(part.Items, set.Items[p])
		}
		f, err := run.Evaluate(context.Background(), cfg, &part)
		if err != nil {
			t.Fatal(err)
		}
		f.Evalset.Count = len(set.Items)
		f.Shard = &result.Shard{Index: i, Count: n, Positions: pos}
		path := filepath.Join(t.TempDir(), fmt.Sprintf("shard%d.json", i))
		if err := result.Write(path, f); err != nil {
			t.Fatal(err)
		}
		back, err := result.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append([]*result.File{back}, files...)
	}
	merged, err := result.Merge(files, result.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	merged.Params.Concurrency = whole.Params.Concurrency
	if got := withoutTimings(t, merged); !bytes.Equal(got, want) {
		t.Errorf("merged result differs from the unsharded one:\n%s", firstDiff(got, want))
	}
}
