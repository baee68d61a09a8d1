package result

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/shard"
)

// shardsOf splits a result of items set-0..set-(count-1) into n shard results.
func shardsOf(count, n int) []*File {
	ids := make([]string, count)
	for i := range ids {
		ids[i] = fmt.Sprintf("set-%d", i)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var out []*File
	for i := 0; i < n; i++ {
		spec := shard.Spec{Index: i, Count: n}
		pos := spec.Select(ids)
		f := &File{Schema: Schema, Complete: true, Model: "m", Evalset: Evalset{Name: "s", SHA256: "abc", Count: count},
			Params:    Params{MaxTokens: 256, System: "sys", ExtraBody: json.RawMessage(`{"a":1,"b":2}`)},
			StartedAt: t0.Add(time.Duration(i) * time.Second), FinishedAt: t0.Add(time.Duration(10+i) * time.Second),
			Shard: &Shard{Index: i, Count: n, Positions: pos}}
		for _, p := range pos {
			f.Items = append(f.Items, Record{ID: ids[p], Type: "number", OK: p%3 != 0, FinishReason: "stop"})
		}
		f.Summary = Summarize(f.Items)
		out = append(out, f)
	}
	return out
}

func TestMergeRefuses(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(s []*File) []*File
		partial bool
		wantErr string
		is      error
	}{
		{"other model", func(s []*File) []*File { s[2].Model = "m2"; return s }, false, "differ in model (m vs m2)", ErrShardMismatch},
		{"other set", func(s []*File) []*File { s[1].Evalset.SHA256 = "def"; return s }, false, "eval set sha256 (abc vs def)", ErrShardMismatch},
		{"other temperature and seed", func(s []*File) []*File {
			seed := int64(1)
			s[1].Params.Temperature, s[1].Params.Seed = 0.7, &seed
			return s
		}, false, "temperature (0 vs 0.7); seed (none vs 1)", ErrShardMismatch},
		{"other extra body", func(s []*File) []*File { s[3].Params.ExtraBody = json.RawMessage(`{"a":2}`); return s }, false, "extra_body", ErrShardMismatch},
		{"other limit", func(s []*File) []*File { s[3].Params.Limit = 10; return s }, false, "limit (0 vs 10)", ErrShardMismatch},
		{"other shard count", func(s []*File) []*File { s[1].Shard.Count = 5; return s }, false, "shard count (4 vs 5)", ErrShardMismatch},
		{"same index twice", func(s []*File) []*File { return append(s, s[2]) }, false, "shard #3 and shard #5 are both shard 2/4", ErrShardMismatch},
		{"item in two shards", func(s []*File) []*File {
			s[1].Items = append(s[1].Items, s[0].Items[0])
			s[1].Shard.Positions = append(s[1].Shard.Positions, s[0].Shard.Positions[0])
			return s
		}, false, "belongs to shard 0/4, not 1", ErrShardMismatch},
		{"position in two shards", func(s []*File) []*File { s[1].Shard.Positions[0] = s[0].Shard.Positions[0]; return s }, false, "is in shard #1 and shard #2", ErrShardMismatch},
		{"positions do not match items", func(s []*File) []*File { s[1].Shard.Positions = s[1].Shard.Positions[1:]; return s }, false, "positions for", nil},
		{"position outside the set", func(s []*File) []*File { s[1].Shard.Positions[0] = 99; return s }, false, "outside the set of 60", nil},
		{"not a shard", func(s []*File) []*File { s[0].Shard = nil; return s }, false, "not the result of a shard", ErrShardMismatch},
		{"missing shards named", func(s []*File) []*File { return []*File{s[0], s[2]} }, false, "missing shards 1/4, 3/4", ErrMissingShards},
		{"incomplete shard named", func(s []*File) []*File { s[2].Complete = false; return s }, false, "incomplete shards 2/4 (shard #3)", ErrMissingShards},
		{"complete shards lacking an item", func(s []*File) []*File {
			s[1].Items, s[1].Shard.Positions = s[1].Items[1:], s[1].Shard.Positions[1:]
			return s
		}, true, "hold 59 items of 60", ErrShardMismatch},
		{"nothing", func([]*File) []*File { return nil }, false, "no shard results", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Merge(c.edit(shardsOf(60, 4)), MergeOptions{AllowPartial: c.partial})
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v, want errors.Is %v", err, c.is)
			}
		})
	}
}

func TestMergeWholeAndPartial(t *testing.T) {
	s := shardsOf(60, 4)
	// Concurrency and timeouts may differ: bookkeeping, not part of the run.
	s[1].Params.Concurrency, s[2].Params.Retries = 16, 9
	m, err := Merge([]*File{s[3], s[1], s[0], s[2]}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || len(m.Items) != 60 || m.Shard != nil {
		t.Fatalf("complete %v, %d items, shard %v", m.Complete, len(m.Items), m.Shard)
	}
	for i, r := range m.Items {
		if r.ID != fmt.Sprintf("set-%d", i) {
			t.Fatalf("items[%d] = %s: not in set order", i, r.ID)
		}
	}
	if m.Summary.Count != 60 || m.Summary.OK != 40 || m.Summary.ByType["number"].Count != 60 {
		t.Errorf("summary %+v", m.Summary)
	}
	if !m.StartedAt.Equal(s[0].StartedAt) || !m.FinishedAt.Equal(s[3].FinishedAt) || m.DurationS != 13 {
		t.Errorf("timings %v %v %v", m.StartedAt, m.FinishedAt, m.DurationS)
	}
	if s[0].Shard == nil || len(s[0].Items) == 60 {
		t.Error("Merge modified its input")
	}

	s = shardsOf(60, 4)
	s[2].Complete = false
	s[2].Items, s[2].Shard.Positions = s[2].Items[:3], s[2].Shard.Positions[:3]
	m, err = Merge([]*File{s[0], s[2], s[3]}, MergeOptions{AllowPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	want := len(s[0].Items) + 3 + len(s[3].Items)
	if m.Complete || len(m.Items) != want || m.Summary.Count != want {
		t.Errorf("partial merge: complete %v, %d items (want %d), summary count %d", m.Complete, len(m.Items), want, m.Summary.Count)
	}
}

// A streamed run's shards say stream, but not one that got no item (its records
// carry no timing): the merge says stream whichever shard comes first, as the
// unsharded run's result does.
func TestMergeStreamFromTheRecords(t *testing.T) {
	s := shardsOf(4, 8) // some of the 8 shards get no item
	empty := -1
	for i, f := range s {
		if len(f.Items) == 0 && empty < 0 {
			empty = i
		}
		for j := range f.Items {
			f.Items[j].Timing = &Timing{TTFTMs: 10, E2ELMs: 20, OutputTokens: 3}
		}
		f.Summary = Summarize(f.Items)
		f.Params.Stream = len(f.Items) > 0
	}
	if empty < 0 {
		t.Fatal("every shard got an item; the test needs an empty one")
	}
	order := append([]*File{s[empty]}, append(append([]*File{}, s[:empty]...), s[empty+1:]...)...)
	m, err := Merge(order, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Params.Stream || m.Summary.Timing == nil {
		t.Errorf("merged params.stream %v, timing %v; want streamed like the unsharded run", m.Params.Stream, m.Summary.Timing)
	}
}

// The merged result encodes and reads back like any result; the shard field is
// absent from it and present in a shard's file.
func TestMergedFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := shardsOf(20, 2)
	if err := Write(filepath.Join(dir, "s0.json"), s[0]); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "s0.json"))
	if !strings.Contains(string(b), `"shard": {`) || !strings.Contains(string(b), `"positions": [`) {
		t.Errorf("shard file lacks its shard field:\n%.400s", b)
	}
	back, err := Read(filepath.Join(dir, "s0.json"))
	if err != nil || back.Shard == nil || fmt.Sprint(back.Shard.Positions) != fmt.Sprint(s[0].Shard.Positions) {
		t.Fatalf("read back: %v %+v", err, back)
	}
	m, err := Merge(s, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "m.json"), m); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "m.json"))
	if strings.Contains(string(b), `"shard"`) {
		t.Error("merged file has a shard field")
	}
}

func TestMergeLogprobs(t *testing.T) {
	dir := t.TempDir()
	s := shardsOf(10, 2)
	var paths []string
	for k, f := range s {
		f.Logprobs = fmt.Sprintf("s%d.logprobs.jsonl", k)
		var lines []string
		for i := len(f.Items) - 1; i >= 0; i-- { // written as they finished: any order
			lines = append(lines, fmt.Sprintf(`{"id":%q,"tokens":[{"token":"t","logprob":-0.5,"top_logprobs":[]}]}`, f.Items[i].ID))
		}
		os.WriteFile(filepath.Join(dir, f.Logprobs), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("s%d.json", k)))
	}
	m, err := Merge(s, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.logprobs.jsonl")
	if err := MergeLogprobs(out, m, paths, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLogprobs(out)
	if err != nil || len(got) != 10 {
		t.Fatalf("%d lines, %v", len(got), err)
	}
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		if !strings.Contains(l, fmt.Sprintf(`"id":"set-%d"`, i)) {
			t.Errorf("line %d = %s: not in set order", i+1, l)
		}
	}
	// A side line missing for an answered item of a complete result is an error.
	os.WriteFile(filepath.Join(dir, s[1].Logprobs), nil, 0o644)
	if err := MergeLogprobs(out, m, paths, s); err == nil || !strings.Contains(err.Error(), "no line") {
		t.Errorf("err = %v", err)
	}
}
