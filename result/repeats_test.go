package result

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/shard"
)

// samples makes item id's records: one per answer, "!" marking the right ones and
// "ERR" an error.
func samples(id string, answers ...string) []Record {
	var out []Record
	for s, a := range answers {
		r := Record{ID: id, Sample: SampleNo(s), Type: "number", Extracted: strings.TrimSuffix(a, "!"), OK: strings.HasSuffix(a, "!")}
		if a == "ERR" {
			r = Record{ID: id, Sample: SampleNo(s), Type: "number", Error: "HTTP 500", Reason: "error"}
		}
		out = append(out, r)
	}
	return out
}

func TestSummarizeRepeats(t *testing.T) {
	var recs []Record
	recs = append(recs, samples("a", "4!", "4!", "5", "4!")...)  // 3/4, majority 4 right
	recs = append(recs, samples("b", "7", "8!", "7", "8!")...)   // 2/4, tie 7 vs 8: 7 came first, wrong
	recs = append(recs, samples("c", "1", "2", "", "ERR")...)    // 0/4, majority 1 (tie, first), wrong
	recs = append(recs, samples("d", "9!", "9!", "9!", "9!")...) // 4/4
	recs = append(recs, samples("e", "", "3!", "ERR", "2")...)   // 1/4, tie 3 vs 2: 3 first, right
	s := Summarize(recs)
	if s.Samples != 4 || s.Count != 20 || s.OK != 10 || s.Errors != 2 {
		t.Fatalf("summary %+v", s)
	}
	// Per-item rates 0.75, 0.5, 0, 1, 0.25: mean 0.5, s = sqrt(0.625/4) = 0.395285,
	// se = 0.176777, t(0.975, 4) = 2.776445: half-width 0.490810.
	if a := s.AvgAtN; a == nil || a.Value != 0.5 || a.Items != 5 || math.Abs(a.Lo-(0.5-0.490810)) > 1e-5 || math.Abs(a.Hi-(0.5+0.490810)) > 1e-5 {
		t.Errorf("avg_at_n %+v", s.AvgAtN)
	}
	if s.Accuracy != 0.5 {
		t.Errorf("accuracy %v, want avg_at_n", s.Accuracy)
	}
	if s.MajAtN == nil || *s.MajAtN != 0.6 {
		t.Errorf("maj_at_n %v, want 3/5 (a, d, e)", s.MajAtN)
	}
	// pass@2 per item: 1-C(1,2)/C(4,2) = 1; 1-C(2,2)/C(4,2) = 5/6; 0; 1; 1-C(3,2)/C(4,2) = 1/2.
	want := map[string]float64{"1": 0.5, "2": (1 + 5.0/6 + 0 + 1 + 0.5) / 5, "4": (1 + 1 + 0 + 1 + 1) / 5.0}
	for k, v := range want {
		if math.Abs(s.PassAtK[k]-v) > 1e-12 {
			t.Errorf("pass@%s = %v, want %v", k, s.PassAtK[k], v)
		}
	}
	if len(s.PassAtK) != 3 {
		t.Errorf("pass_at_k %v, want k = 1, 2, 4", s.PassAtK)
	}
}

// One sample: no field of repeated samples, and the JSON is as it always was.
func TestSummarizeOneSample(t *testing.T) {
	s := Summarize([]Record{{ID: "a", OK: true}, {ID: "b"}})
	if s.Samples != 0 || s.AvgAtN != nil || s.PassAtK != nil || s.MajAtN != nil {
		t.Errorf("%+v", s)
	}
	b, _ := json.Marshal(Record{ID: "a"})
	if strings.Contains(string(b), "sample") {
		t.Errorf("record of one sample: %s", b)
	}
}

func TestReadRefusesDuplicateSample(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		items []Record
		want  string
	}{
		"ok":         {append(samples("a", "1", "2"), samples("b", "1", "2")...), ""},
		"dup sample": {append(samples("a", "1", "2"), Record{ID: "a", Sample: SampleNo(1)}), `duplicate sample 1 of "a"`},
		"dup id":     {[]Record{{ID: "a"}, {ID: "a"}}, `duplicate "a"`},
	} {
		path := filepath.Join(dir, name+".json")
		if err := Write(path, &File{Schema: Schema, Items: tc.items}); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	os.RemoveAll(dir)
}

// Shards of a repeated run merge into item order, then sample order.
func TestMergeSamples(t *testing.T) {
	const count, n, reps = 12, 3, 3
	ids := make([]string, count)
	for i := range ids {
		ids[i] = fmt.Sprintf("set-%d", i)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var shards []*File
	for i := 0; i < n; i++ {
		spec := shard.Spec{Index: i, Count: n}
		f := &File{Schema: Schema, Complete: true, Model: "m", Evalset: Evalset{Name: "s", SHA256: "abc", Count: count},
			Params: Params{Repeats: reps}, StartedAt: t0, FinishedAt: t0, Shard: &Shard{Index: i, Count: n}}
		for _, p := range spec.Select(ids) {
			// Samples written out of order, as a pool may finish them.
			for _, s := range []int{2, 0, 1} {
				f.Items = append(f.Items, Record{ID: ids[p], Sample: SampleNo(s), OK: (p+s)%2 == 0})
				f.Shard.Positions = append(f.Shard.Positions, p)
			}
		}
		shards = append(shards, f)
	}
	m, err := Merge([]*File{shards[2], shards[0], shards[1]}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || len(m.Items) != count*reps || m.Summary.Samples != reps {
		t.Fatalf("merged: complete %v, %d items, %d samples", m.Complete, len(m.Items), m.Summary.Samples)
	}
	for k, r := range m.Items {
		if r.ID != ids[k/reps] || r.SampleIndex() != k%reps {
			t.Fatalf("items[%d] = %s sample %d, want %s sample %d", k, r.ID, r.SampleIndex(), ids[k/reps], k%reps)
		}
	}
	// The same sample twice is refused; so is another N.
	dup := *shards[0]
	dup.Items = append(append([]Record{}, dup.Items...), dup.Items[0])
	dup.Shard = &Shard{Index: 0, Count: n, Positions: append(append([]int{}, dup.Shard.Positions...), dup.Shard.Positions[0])}
	if _, err := Merge([]*File{&dup, shards[1], shards[2]}, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "sample 2 is there twice") {
		t.Errorf("duplicate sample: %v", err)
	}
	other := *shards[1]
	other.Params.Repeats = 4
	if _, err := Merge([]*File{shards[0], &other, shards[2]}, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "repeats (3 vs 4)") {
		t.Errorf("other repeats: %v", err)
	}
}
