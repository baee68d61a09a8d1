package shard

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func ids(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParse(t *testing.T) {
	none := env()
	cases := []struct {
		name    string
		value   string
		count   int
		env     func(string) (string, bool)
		want    Spec
		wantErr string // a substring of the error; "" for none
	}{
		{"first", "0/4", 0, none, Spec{0, 4}, ""},
		{"last", "3/4", 0, none, Spec{3, 4}, ""},
		{"one shard", "0/1", 0, none, Spec{0, 1}, ""},
		{"spaces", " 2/8 ", 0, none, Spec{2, 8}, ""},
		{"count agrees", "1/4", 4, none, Spec{1, 4}, ""},
		{"count disagrees", "1/4", 5, none, Spec{}, "disagree"},
		{"index = count", "4/4", 0, none, Spec{}, "I must be 0 to 3"},
		{"negative index", "-1/4", 0, none, Spec{}, "I must be 0 to 3"},
		{"zero shards", "0/0", 0, none, Spec{}, "N must be 1"},
		{"too many shards", "0/100001", 0, none, Spec{}, "N must be 1"},
		{"no slash", "3", 0, none, Spec{}, "want I/N"},
		{"one-based", "1of4", 0, none, Spec{}, "want I/N"},
		{"words", "a/b", 0, none, Spec{}, "whole numbers"},
		{"empty", "", 0, none, Spec{}, "want I/N"},
		{"bad count flag", "0/4", -1, none, Spec{}, "--shard-count -1"},

		{"k8s", "auto", 8, env(EnvJobIndex, "5"), Spec{5, 8}, ""},
		{"k8s without count", "auto", 0, env(EnvJobIndex, "5"), Spec{}, "JOB_COMPLETION_INDEX=5 is set"},
		{"k8s index too big", "auto", 4, env(EnvJobIndex, "4"), Spec{}, "JOB_COMPLETION_INDEX=4 is not below --shard-count 4"},
		{"k8s not a number", "auto", 4, env(EnvJobIndex, "x"), Spec{}, `JOB_COMPLETION_INDEX="x"`},
		{"k8s wins over slurm", "auto", 3, env(EnvJobIndex, "2", EnvSlurmID, "0", EnvSlurmCount, "9"), Spec{2, 3}, ""},

		{"slurm from 0", "auto", 0, env(EnvSlurmID, "3", EnvSlurmCount, "4"), Spec{3, 4}, ""},
		{"slurm min", "auto", 0, env(EnvSlurmID, "1", EnvSlurmCount, "8", EnvSlurmMin, "1"), Spec{0, 8}, ""},
		{"slurm min last", "auto", 0, env(EnvSlurmID, "8", EnvSlurmCount, "8", EnvSlurmMin, "1"), Spec{7, 8}, ""},
		{"slurm step", "auto", 0, env(EnvSlurmID, "14", EnvSlurmCount, "4", EnvSlurmMin, "10", EnvSlurmStep, "2"), Spec{2, 4}, ""},
		{"slurm count flag agrees", "auto", 4, env(EnvSlurmID, "3", EnvSlurmCount, "4"), Spec{3, 4}, ""},
		{"slurm count flag disagrees", "auto", 5, env(EnvSlurmID, "3", EnvSlurmCount, "4"), Spec{}, "SLURM_ARRAY_TASK_COUNT=4 disagree"},
		{"slurm no count", "auto", 0, env(EnvSlurmID, "3"), Spec{}, "SLURM_ARRAY_TASK_COUNT is not"},
		{"slurm sparse", "auto", 0, env(EnvSlurmID, "9", EnvSlurmCount, "3", EnvSlurmMin, "1"), Spec{}, "SLURM_ARRAY_TASK_ID=9"},
		{"slurm below min", "auto", 0, env(EnvSlurmID, "0", EnvSlurmCount, "3", EnvSlurmMin, "1"), Spec{}, "contiguous"},
		{"slurm off step", "auto", 0, env(EnvSlurmID, "3", EnvSlurmCount, "3", EnvSlurmStep, "2"), Spec{}, "SLURM_ARRAY_TASK_STEP=2"},
		{"slurm zero count", "auto", 0, env(EnvSlurmID, "0", EnvSlurmCount, "0"), Spec{}, "SLURM_ARRAY_TASK_COUNT=0"},
		{"slurm bad min", "auto", 0, env(EnvSlurmID, "0", EnvSlurmCount, "2", EnvSlurmMin, "x"), Spec{}, `SLURM_ARRAY_TASK_MIN="x"`},
		{"slurm bad step", "auto", 0, env(EnvSlurmID, "0", EnvSlurmCount, "2", EnvSlurmStep, "0"), Spec{}, "SLURM_ARRAY_TASK_STEP=0"},
		{"nothing set", "auto", 4, none, Spec{}, "neither JOB_COMPLETION_INDEX"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.value, c.count, c.env)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Parse(%q, %d) = %v, %v; want an error containing %q", c.value, c.count, got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Parse(%q, %d) = %v, %v; want %v", c.value, c.count, got, err, c.want)
			}
			if again, err := Parse(got.String(), 0, none); err != nil || again != got {
				t.Errorf("String %q does not parse back: %v, %v", got.String(), again, err)
			}
		})
	}
}

// Every item is in exactly one shard, for every number of shards from 1 to 16.
func TestEveryItemInExactlyOneShard(t *testing.T) {
	items := ids(2000, "item-")
	for n := 1; n <= 16; n++ {
		seen := make([]int, len(items))
		for i := 0; i < n; i++ {
			for _, p := range (Spec{i, n}).Select(items) {
				seen[p]++
			}
		}
		for p, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: item %s is in %d shards", n, items[p], c)
			}
		}
	}
}

// Adding items to a set never moves an item already there; growing the number of
// shards by one moves only about 1/(n+1) of the items, all into the new shard.
func TestStability(t *testing.T) {
	old := ids(3000, "q")
	grown := append(ids(500, "new-"), old...) // new items first: positions shift, shards must not
	for n := 1; n <= 16; n++ {
		for _, id := range old {
			if Of(id, n) != Of(id, n) {
				t.Fatal("not deterministic")
			}
		}
		before := map[string]int{}
		for i := 0; i < n; i++ {
			for _, p := range (Spec{i, n}).Select(old) {
				before[old[p]] = i
			}
		}
		for i := 0; i < n; i++ {
			for _, p := range (Spec{i, n}).Select(grown) {
				if b, ok := before[grown[p]]; ok && b != i {
					t.Fatalf("n=%d: %s moved from shard %d to %d when items were added", n, grown[p], b, i)
				}
			}
		}
	}
	for n := 1; n < 16; n++ {
		moved := 0
		for _, id := range old {
			a, b := Of(id, n), Of(id, n+1)
			if a != b {
				moved++
				if b != n {
					t.Fatalf("%s moved from %d to %d, not to the new shard %d", id, a, b, n)
				}
			}
		}
		want := float64(len(old)) / float64(n+1)
		if math.Abs(float64(moved)-want) > 4*math.Sqrt(want)+5 {
			t.Errorf("%d -> %d shards moved %d items, want about %.0f", n, n+1, moved, want)
		}
	}
}

// Shards are about equal: each within 5 standard deviations of the mean, for ids
// that differ in one character and for random-looking ids.
func TestDistribution(t *testing.T) {
	for _, items := range [][]string{ids(10000, "gsm8k-"), ids(10000, "")} {
		for _, n := range []int{2, 3, 8, 16} {
			counts := make([]int, n)
			for _, id := range items {
				counts[Of(id, n)]++
			}
			mean := float64(len(items)) / float64(n)
			sd := math.Sqrt(mean * (1 - 1/float64(n)))
			for i, c := range counts {
				if math.Abs(float64(c)-mean) > 5*sd {
					t.Errorf("n=%d: shard %d has %d items, want about %.0f (± %.0f)", n, i, c, mean, 5*sd)
				}
			}
		}
	}
}

// The assignment is part of the file format (merge checks it): pin a few values.
func TestOfIsPinned(t *testing.T) {
	got := []int{Of("arith-01", 4), Of("arith-02", 4), Of("fmt-02", 4), Of("logic-08", 4), Of("x", 1), Of("x", 0)}
	want := pinned
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Of changed: got %v, want %v (a changed assignment breaks merging older shards)", got, want)
	}
}

// pinned were computed by an independent Python implementation of the same rule
// (sha256 prefix, big-endian, jump consistent hash).
var pinned = []int{1, 0, 1, 0, 0, 0}

func TestOfMatchesReference(t *testing.T) {
	want := []int{1, 5, 4, 6, 6, 6, 4, 4, 6, 5, 1, 0, 6, 5, 6, 5, 3, 3, 1, 0}
	for i, w := range want {
		if got := Of(fmt.Sprintf("q%d", i), 7); got != w {
			t.Errorf("Of(q%d, 7) = %d, want %d", i, got, w)
		}
	}
}
