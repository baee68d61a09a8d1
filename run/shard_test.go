package run

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/shard"
)

// A shard evaluates exactly the items of its shard after --limit, records their
// positions in the limited set, and keeps the limited set's count; the shards
// together are the limited set, each item once.
func TestShardSelectsItsItems(t *testing.T) {
	set := suite(t)
	var asked []string
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	const limit, n = 30, 4
	seen := map[int]string{}
	for i := range n {
		cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
		cfg.Limit, cfg.Shard = limit, &shard.Spec{Index: i, Count: n}
		f, err := Evaluate(context.Background(), cfg, set)
		if err != nil {
			t.Fatal(err)
		}
		if f.Shard == nil || f.Shard.Index != i || f.Shard.Count != n || len(f.Shard.Positions) != len(f.Items) {
			t.Fatalf("shard %d: bookkeeping %+v for %d items", i, f.Shard, len(f.Items))
		}
		if f.Evalset.Count != limit || !f.Complete || f.Summary.Count != len(f.Items) {
			t.Errorf("shard %d: evalset.count %d (want %d), complete %v, summary count %d", i, f.Evalset.Count, limit, f.Complete, f.Summary.Count)
		}
		if !slices.IsSorted(f.Shard.Positions) {
			t.Errorf("shard %d: positions not in set order: %v", i, f.Shard.Positions)
		}
		for k, p := range f.Shard.Positions {
			id := f.Items[k].ID
			if set.Items[p].ID != id || shard.Of(id, n) != i {
				t.Errorf("shard %d: item %q at position %d (set has %q there; hashes to %d)", i, id, p, set.Items[p].ID, shard.Of(id, n))
			}
			if other, dup := seen[p]; dup {
				t.Errorf("position %d in shard %d and in %s", p, i, other)
			}
			seen[p] = f.Items[k].ID
			asked = append(asked, id)
		}
		disk, err := result.Read(cfg.Out)
		if err != nil || disk.Shard == nil || !slices.Equal(disk.Shard.Positions, f.Shard.Positions) {
			t.Fatalf("shard %d on disk: %v, %+v", i, err, disk)
		}
	}
	if len(seen) != limit || len(asked) != limit {
		t.Fatalf("the %d shards hold %d positions, %d items; want %d", n, len(seen), len(asked), limit)
	}
}

// An unsharded run records no shard, and an empty shard writes positions [] (not
// null): the merge tells "no items" from "not a shard".
func TestShardBookkeepingEdges(t *testing.T) {
	set := suite(t)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	f, err := Evaluate(context.Background(), config(hs.URL, ""), set)
	if err != nil || f.Shard != nil {
		t.Fatalf("unsharded: %v, shard %+v", err, f.Shard)
	}
	one := *set
	one.Limit(1)
	id := one.Items[0].ID
	other := (shard.Of(id, 2) + 1) % 2
	_, sh := selectShard(Config{Shard: &shard.Spec{Index: other, Count: 2}}, &one)
	if sh == nil || sh.Positions == nil || len(sh.Positions) != 0 {
		t.Fatalf("empty shard: %+v", sh)
	}
}

// The shard is part of the journal's fingerprint: resuming another shard's journal,
// or an unsharded run's, is refused naming the shard.
func TestResumeRefusesOtherShard(t *testing.T) {
	set := suite(t)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.Shard = &shard.Spec{Index: 0, Count: 4}
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec *shard.Spec
		want string
	}{
		{&shard.Spec{Index: 1, Count: 4}, "shard (journal 0/4, now 1/4)"},
		{&shard.Spec{Index: 0, Count: 8}, "shard (journal 0/4, now 0/8)"},
		{nil, "shard (journal 0/4, now none)"},
	} {
		c := config(hs.URL, out)
		c.Resume, c.Shard = true, tc.spec
		_, err := Evaluate(context.Background(), c, set)
		if err == nil || !strings.Contains(err.Error(), "cannot resume") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("resume as %v: err = %v, want a refusal naming %s", tc.spec, err, tc.want)
		}
	}
	cfg.Resume = true // the same shard resumes
	if f, err := Evaluate(context.Background(), cfg, set); err != nil || f.Shard == nil || f.Shard.Index != 0 {
		t.Fatalf("resume of the same shard: %v, %+v", err, f)
	}
}
