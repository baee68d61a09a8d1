package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// shardStandIn answers the built-in suite with some wrong answers and refuses two
// prompts with a 400 (error records), the same whichever process asks.
func shardStandIn(t *testing.T) string {
	t.Helper()
	s, err := evalset.Open(evalset.DefaultSuite)
	if err != nil {
		t.Fatal(err)
	}
	refuse := map[string]bool{s.Items[5].Prompt: true, s.Items[22].Prompt: true}
	_, hs := vllmtest.Start(t, vllmtest.Options{
		Answer: seedAnswers(t, 6),
		Faults: vllmtest.FaultTimes(vllmtest.Fault400, 1<<30, func(r vllmtest.ChatRequest) bool { return refuse[r.LastUser()] }),
	})
	return hs.URL
}

// normalised is a result file with what may differ between a merged and an
// unsharded run cleared: the run's times, each item's latency and stream timing,
// the summary's timing statistics, and the side file's name (named after the
// result file).
func normalised(t *testing.T, path string) []byte {
	t.Helper()
	f, err := result.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	f.StartedAt, f.FinishedAt, f.DurationS = time.Time{}, time.Time{}, 0
	for i := range f.Items {
		f.Items[i].LatencyMS, f.Items[i].Timing = 0, nil
	}
	f.Summary.Timing, f.Logprobs = nil, ""
	b, err := result.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(lines)
	return lines
}

// Eight `quanteval run --shard` invocations (half I/N, half auto as a Kubernetes
// Indexed Job's pods), merged by `quanteval merge`, give the unsharded run's result
// byte for byte (timings aside) and its log-probability lines; compare takes it.
func TestMergeOfEightShardsIsTheUnshardedRun(t *testing.T) {
	url := shardStandIn(t)
	dir := t.TempDir()
	common := []string{"--base-url", url, "--quiet", "--logprobs", "2", "--concurrency", "3"}
	whole := filepath.Join(dir, "whole.json")
	if code, _, stderr := invoke(t, append([]string{"run", "--out", whole}, common...)...); code != 0 {
		t.Fatalf("unsharded run: exit %d: %s", code, stderr)
	}
	const n = 8
	var shards []string
	for i := n - 1; i >= 0; i-- { // given to merge in reverse: order must not matter
		out := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		args := append([]string{"run", "--out", out, "--shard", fmt.Sprintf("%d/%d", i, n)}, common...)
		if i >= n/2 {
			t.Setenv("JOB_COMPLETION_INDEX", fmt.Sprint(i))
			args = append([]string{"run", "--out", out, "--shard", "auto", "--shard-count", fmt.Sprint(n)}, common...)
		}
		code, _, stderr := invoke(t, args...)
		os.Unsetenv("JOB_COMPLETION_INDEX")
		if code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, code, stderr)
		}
		f, err := result.Read(out)
		if err != nil || f.Shard == nil || f.Shard.Index != i || f.Evalset.Count != 40 {
			t.Fatalf("shard %d: %v %+v", i, err, f)
		}
		shards = append(shards, out)
	}
	merged := filepath.Join(dir, "merged.json")
	code, stdout, stderr := invoke(t, append(append([]string{"merge"}, shards...), "--out", merged)...)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	w, _ := result.Read(whole)
	if !strings.Contains(stdout, fmt.Sprintf("(%d/%d), 2 errors", w.Summary.OK, w.Summary.Count)) {
		t.Errorf("merge's summary line: %q", stdout)
	}
	got, want := normalised(t, merged), normalised(t, whole)
	if !bytes.Equal(got, want) {
		t.Fatalf("merged result differs from the unsharded run:\n%s", firstLineDiff(got, want))
	}
	m, _ := result.Read(merged)
	if m.Shard != nil || !m.Complete || m.Logprobs != "merged.logprobs.jsonl" || m.DurationS <= 0 {
		t.Errorf("merged: shard %+v, complete %v, logprobs %q, duration %v", m.Shard, m.Complete, m.Logprobs, m.DurationS)
	}
	// The side file holds the same lines (the unsharded run's are in the order the
	// answers came; the merged one's in set order).
	if g, w := sortedLines(t, filepath.Join(dir, "merged.logprobs.jsonl")), sortedLines(t, filepath.Join(dir, "whole.logprobs.jsonl")); !slices.Equal(g, w) || len(g) != 38 {
		t.Errorf("merged side file: %d lines, the unsharded run's %d; equal %v", len(g), len(w), slices.Equal(g, w))
	}
	if code, stdout, stderr := invoke(t, "compare", merged, whole, "--labels", "sharded,whole"); code != 0 || !strings.Contains(stdout, "sharded") {
		t.Errorf("compare of the merged result: exit %d: %s%s", code, stdout, stderr)
	}
}

// merge refuses, with exit 2 and the reason, what would not be one run's result.
func TestMergeRefuses(t *testing.T) {
	url := shardStandIn(t)
	dir := t.TempDir()
	shard := func(name, spec string, extra ...string) string {
		out := filepath.Join(dir, name+".json")
		args := append([]string{"run", "--base-url", url, "--quiet", "--limit", "12", "--out", out}, extra...)
		if spec != "" {
			args = append(args, "--shard", spec)
		}
		if code, _, stderr := invoke(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		return out
	}
	s0, s1, s2 := shard("s0", "0/3"), shard("s1", "1/3"), shard("s2", "2/3")
	hot := shard("hot", "1/3", "--temperature", "0.5")
	whole := shard("whole", "")
	copyOf := filepath.Join(dir, "s1-copy.json")
	b, _ := os.ReadFile(s1)
	os.WriteFile(copyOf, b, 0o644)
	out := filepath.Join(dir, "merged.json")
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"another run", []string{s0, hot, s2}, "temperature (0 vs 0.5)"},
		{"overlap", []string{s0, s1, copyOf, s2}, "are both shard 1/3"},
		{"missing", []string{s2, s0}, "missing shards 1/3"},
		{"not a shard", []string{s0, whole}, "not the result of a shard"},
		{"out is an input", []string{s0, s1, s2, out, "--out", s1}, "is one of the shards"},
	} {
		args := append([]string{"merge", "--out", out}, tc.files...)
		code, _, stderr := invoke(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 naming %q", tc.name, code, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: a refused merge wrote %s", tc.name, out)
		}
	}
	code, stdout, stderr := invoke(t, "merge", "--allow-partial", "--out", out, s2, s0)
	if code != 0 || !strings.Contains(stdout, "incomplete") {
		t.Fatalf("--allow-partial: exit %d: %s%s", code, stdout, stderr)
	}
	m, err := result.Read(out)
	if err != nil || m.Complete || len(m.Items) >= 12 || m.Evalset.Count != 12 {
		t.Fatalf("partial merge: %v, complete %v, %d items of %d", err, m.Complete, len(m.Items), m.Evalset.Count)
	}
}

func firstLineDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d and %d lines", len(la), len(lb))
}

// A bad --shard is bad usage, exit 2, before any request.
func TestRunShardUsage(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "8/8"}, "I must be 0 to 7"},
		{[]string{"--shard", "auto"}, "neither JOB_COMPLETION_INDEX"},
		{[]string{"--shard", "1/4", "--shard-count", "8"}, "disagree"},
		{[]string{"--shard-count", "8"}, "without --shard"},
	} {
		args := append([]string{"run", "--base-url", "http://127.0.0.1:1", "--model", "m", "--out", filepath.Join(t.TempDir(), "r.json")}, tc.args...)
		code, _, stderr := invoke(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 with %q", tc.args, code, stderr, tc.want)
		}
	}
}
