package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/hub"
	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/internal/hubtest"
)

var mmluSubjects = []string{"abstract_algebra", "anatomy", "college_physics"}

// mmluTest has subjects of 10, 4 and 1 items, as unequal as the real ones.
func mmluTest() []hubtest.MMLURow {
	var rows []hubtest.MMLURow
	for i, n := range []int{10, 4, 1} {
		rows = append(rows, hubtest.MMLURows("test", mmluSubjects[i:i+1], n)...)
	}
	return rows
}

// fixture serves both data sets and points the hub environment at them.
func fixture(t *testing.T) (*hubtest.Server, *hub.Client) {
	t.Helper()
	s := hubtest.NewServer(t)
	s.AddGSM8K(t, hubtest.GSM8KRows("test", 40), hubtest.GSM8KRows("train", 8))
	s.AddMMLU(t, mmluTest(), hubtest.MMLURows("dev", mmluSubjects, 5))
	s.Setenv(t)
	cfg := hub.ConfigFromEnv()
	cfg.Progress = nil
	return s, hub.New(cfg)
}

func open(t *testing.T, spec string, opt Options) *evalset.Set {
	t.Helper()
	set, ok, err := Open(context.Background(), spec, opt)
	if err != nil || !ok {
		t.Fatalf("Open(%q) = ok %t, %v", spec, ok, err)
	}
	return set
}

func ids(set *evalset.Set) []string {
	var out []string
	for _, it := range set.Items {
		out = append(out, it.ID)
	}
	return out
}

func roles(msgs []evalset.Message) string {
	var r []string
	for _, m := range msgs {
		r = append(r, m.Role)
	}
	return strings.Join(r, ",")
}

// goldenItems compares the items as JSONL with testdata/NAME.jsonl.
func goldenItems(t *testing.T, name string, items []evalset.Item) {
	t.Helper()
	var buf bytes.Buffer
	if err := evalset.WriteJSONL(&buf, items); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".jsonl")
	golden.Check(t, path, buf.Bytes())
	// What we produce must be a valid quanteval eval set.
	if _, err := evalset.Parse(path, buf.Bytes()); err != nil {
		t.Errorf("items do not parse as an eval set: %v", err)
	}
}

func TestOpenGSM8K(t *testing.T) {
	s, c := fixture(t)
	set := open(t, "gsm8k", Options{Hub: c, Fewshot: 2, Limit: 3})
	if set.Name != "gsm8k" || set.Path != "gsm8k" || set.MaxTokens != MaxTokensGSM8K {
		t.Errorf("set %q %q max %d", set.Name, set.Path, set.MaxTokens)
	}
	if got := ids(set); !slices.Equal(got, []string{"gsm8k-test-0000", "gsm8k-test-0001", "gsm8k-test-0002"}) {
		t.Errorf("ids %v", got)
	}
	for i, it := range set.Items {
		if it.Type != evalset.TypeGSM8K || it.Answer != float64(3*i+1) || roles(it.Messages) != "user,assistant,user,assistant,user" {
			t.Errorf("item %d: type %s answer %v roles %s", i, it.Type, it.Answer, roles(it.Messages))
		}
	}
	shot := set.Items[0].Messages[1].Content
	if strings.Contains(shot, "<<") || !strings.HasSuffix(shot, "The final answer is 1") {
		t.Errorf("few-shot reply %q", shot)
	}
	blob := hubtest.SHA256(hubtest.WriteParquet(t, hubtest.GSM8KRows("test", 40)))
	want := evalset.Source{Repo: GSM8KRepo, Config: "main", Split: "test", Revision: hubtest.GSM8KCommit,
		File: "main/test-00000-of-00001.parquet", SHA256: blob, Task: TaskGSM8K, Fewshot: 2}
	if *set.Source != want {
		t.Errorf("source %+v\nwant   %+v", *set.Source, want)
	}
	goldenItems(t, "gsm8k_fewshot2", set.Items)

	// A second run, without a hub client, reads the cache and makes no request.
	s.ResetRequests()
	again := open(t, "gsm8k", Options{Fewshot: 2, Limit: 3})
	if again.SHA256 != set.SHA256 || len(s.Requests()) != 0 {
		t.Errorf("second run: sha %s vs %s, %d requests", again.SHA256, set.SHA256, len(s.Requests()))
	}
	zero := open(t, "gsm8k", Options{Limit: 3})
	if zero.SHA256 == set.SHA256 || len(zero.Items[0].Messages) != 1 {
		t.Errorf("zero-shot: same hash as few-shot, or %d messages", len(zero.Items[0].Messages))
	}
	goldenItems(t, "gsm8k_zeroshot", zero.Items[:1])
}

func TestOpenMMLU(t *testing.T) {
	_, c := fixture(t)
	set := open(t, "mmlu:college_physics,anatomy", Options{Hub: c, Fewshot: 2})
	if set.Name != "mmlu:college_physics,anatomy" || set.MaxTokens != MaxTokensMMLU {
		t.Errorf("name %q max %d", set.Name, set.MaxTokens)
	}
	wantIDs := []string{"mmlu-anatomy-test-0000", "mmlu-anatomy-test-0001", "mmlu-anatomy-test-0002", "mmlu-anatomy-test-0003", "mmlu-college_physics-test-0000"}
	if got := ids(set); !slices.Equal(got, wantIDs) {
		t.Errorf("ids %v", got)
	}
	for i, it := range set.Items[:4] {
		if it.Type != evalset.TypeChoice || it.Answer != "ABCD"[i:i+1] || it.Category != "anatomy" {
			t.Errorf("item %d: %s %v %s", i, it.Type, it.Answer, it.Category)
		}
	}
	last := set.Items[4].Messages
	if roles(last) != "user,assistant,user,assistant,user" || last[1].Content != "Answer: A" || last[3].Content != "Answer: B" ||
		!strings.Contains(last[0].Content, "college_physics dev question 0") {
		t.Errorf("few-shot turns %+v", last)
	}
	if set.Source.Config != "all" || set.Source.Revision != hubtest.MMLUCommit || set.Source.File != "all/test-00000-of-00001.parquet" {
		t.Errorf("source %+v", set.Source)
	}
	goldenItems(t, "mmlu_fewshot2", set.Items[4:])

	// Subjects from the options add to the spec's; an unknown one lists the rest.
	both := open(t, "mmlu", Options{Hub: c, Subjects: []string{"anatomy,college_physics"}})
	if both.Name != "mmlu:anatomy,college_physics" || len(both.Items) != 5 {
		t.Errorf("name %q, %d items", both.Name, len(both.Items))
	}
	_, _, err := Open(context.Background(), "mmlu:anatomy,astronomy", Options{Hub: c})
	if err == nil || !strings.Contains(err.Error(), "no subject astronomy") || !strings.Contains(err.Error(), "abstract_algebra, anatomy, college_physics") {
		t.Errorf("err = %v", err)
	}
	_, _, err = Open(context.Background(), "mmlu", Options{Hub: c, Fewshot: 6})
	if err == nil || !strings.Contains(err.Error(), "has 5 examples of abstract_algebra") {
		t.Errorf("err = %v", err)
	}
}

func TestSampling(t *testing.T) {
	_, c := fixture(t)
	t.Run("gsm8k same seed same items", func(t *testing.T) {
		a := open(t, "gsm8k", Options{Hub: c, Sample: 10, SampleSeed: 7})
		b := open(t, "gsm8k", Options{Hub: c, Sample: 10, SampleSeed: 7})
		other := open(t, "gsm8k", Options{Hub: c, Sample: 10, SampleSeed: 8})
		if !slices.Equal(ids(a), ids(b)) || a.SHA256 != b.SHA256 {
			t.Errorf("same seed: %v vs %v", ids(a), ids(b))
		}
		if slices.Equal(ids(a), ids(other)) {
			t.Errorf("seeds 7 and 8 picked the same items %v", ids(a))
		}
		if a.SHA256 != other.SHA256 {
			t.Error("seeds 7 and 8 hash differently: the hash is of the items drawn from, not of the draw")
		}
		if len(a.Items) != 10 || !slices.IsSorted(ids(a)) || a.Source.Sample != 10 || a.Source.Seed != 7 {
			t.Errorf("sample: %v, source %+v", ids(a), a.Source)
		}
		limited := open(t, "gsm8k", Options{Hub: c, Sample: 10, SampleSeed: 7, Limit: 3})
		if !slices.Equal(ids(limited), ids(a)[:3]) {
			t.Errorf("limit after sample: %v, want %v", ids(limited), ids(a)[:3])
		}
		all := open(t, "gsm8k", Options{Hub: c, Sample: 1000, SampleSeed: 7})
		if len(all.Items) != 40 || all.Source.Sample != 40 {
			t.Errorf("oversized sample: %d items, source sample %d", len(all.Items), all.Source.Sample)
		}
	})
	t.Run("mmlu stratified", func(t *testing.T) {
		for seed := int64(0); seed < 20; seed++ {
			set := open(t, "mmlu", Options{Hub: c, Sample: 6, SampleSeed: seed})
			per := map[string]int{}
			for _, it := range set.Items {
				per[it.Category]++
			}
			// 1 each, then 3 shared over 9, 3 and 0 items left: 2.25, 0.75, 0.
			if per["abstract_algebra"] != 3 || per["anatomy"] != 2 || per["college_physics"] != 1 {
				t.Fatalf("seed %d: per subject %v", seed, per)
			}
			if !slices.IsSorted(ids(set)) { // the fixture's subjects are in id order
				t.Fatalf("seed %d: not in data-set order: %v", seed, ids(set))
			}
		}
		_, _, err := Open(context.Background(), "mmlu", Options{Hub: c, Sample: 2})
		if err == nil || !strings.Contains(err.Error(), "cannot keep all 3 subjects") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestHashIsOfTheSource: the sha256 names the items the selection is drawn from,
// so --limit and --sample leave it as it is, and the few-shot count and the subject
// list (which change the items themselves) change it.
func TestHashIsOfTheSource(t *testing.T) {
	_, c := fixture(t)
	tests := []struct {
		name      string
		spec      string
		a, b      Options
		wantSame  bool
		wantCount [2]int
	}{
		{"gsm8k --limit 3 and 10", "gsm8k", Options{Limit: 3}, Options{Limit: 10}, true, [2]int{3, 10}},
		{"gsm8k --limit and all", "gsm8k", Options{Limit: 3, Fewshot: 2}, Options{Fewshot: 2}, true, [2]int{3, 40}},
		{"gsm8k --sample and --limit", "gsm8k", Options{Sample: 10, SampleSeed: 1}, Options{Limit: 5}, true, [2]int{10, 5}},
		{"gsm8k --fewshot 1 and 2", "gsm8k", Options{Fewshot: 1, Limit: 3}, Options{Fewshot: 2, Limit: 3}, false, [2]int{3, 3}},
		{"mmlu --limit", "mmlu:anatomy,college_physics", Options{Limit: 2}, Options{}, true, [2]int{2, 5}},
		{"mmlu --sample", "mmlu", Options{Sample: 5, SampleSeed: 3}, Options{Sample: 6, SampleSeed: 4, Limit: 4}, true, [2]int{5, 4}},
		{"mmlu subjects", "mmlu:anatomy", Options{}, Options{Subjects: []string{"college_physics"}}, false, [2]int{4, 5}},
		{"mmlu --fewshot", "mmlu", Options{Fewshot: 1, Limit: 2}, Options{Limit: 2}, false, [2]int{2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.Hub, tt.b.Hub = c, c
			a, b := open(t, tt.spec, tt.a), open(t, tt.spec, tt.b)
			if len(a.Items) != tt.wantCount[0] || len(b.Items) != tt.wantCount[1] {
				t.Errorf("%d and %d items, want %v", len(a.Items), len(b.Items), tt.wantCount)
			}
			if same := a.SHA256 == b.SHA256; same != tt.wantSame {
				t.Errorf("same sha256 = %v, want %v (%s, %s)", same, tt.wantSame, a.SHA256, b.SHA256)
			}
			// The same options again: the same hash and the same items.
			again := open(t, tt.spec, tt.a)
			if again.SHA256 != a.SHA256 || !slices.Equal(ids(again), ids(a)) {
				t.Errorf("the same options again: sha %s vs %s, ids %v vs %v", again.SHA256, a.SHA256, ids(again), ids(a))
			}
		})
	}
	// The hash of a whole set is that of its items as a JSONL eval set file, so that
	// a set written out and read back keeps its hash.
	whole := open(t, "gsm8k", Options{Hub: c, Fewshot: 2})
	var buf bytes.Buffer
	if err := evalset.WriteJSONL(&buf, whole.Items); err != nil {
		t.Fatal(err)
	}
	if limited := open(t, "gsm8k", Options{Hub: c, Fewshot: 2, Limit: 1}); limited.SHA256 != hubtest.SHA256(buf.Bytes()) {
		t.Errorf("sha256 %s, want that of the whole set's JSONL %s", limited.SHA256, hubtest.SHA256(buf.Bytes()))
	}
}

// The sampler's picks are pinned: a seed must name the same items on every build.
func TestSamplerStable(t *testing.T) {
	got := fmt.Sprint(newSampler(7).choose(1319, 8))
	const want = "[197 303 316 371 768 1148 1274 1309]"
	if got != want {
		t.Errorf("choose(1319, 8) with seed 7 = %s, want %s", got, want)
	}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		sizes []int
		k     int
		want  []int
	}{
		{[]int{10, 4, 1}, 6, []int{3, 2, 1}},
		{[]int{10, 4, 1}, 3, []int{1, 1, 1}},
		{[]int{10, 4, 1}, 15, []int{10, 4, 1}},
		{[]int{10, 4, 1}, 99, []int{10, 4, 1}},
		{[]int{5, 5}, 5, []int{3, 2}}, // ties go to the earlier subject
		{[]int{1, 1, 1}, 3, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		got, err := allocate(tt.sizes, tt.k)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("allocate(%v, %d) = %v, %v; want %v", tt.sizes, tt.k, got, err, tt.want)
		}
	}
	// Every subject kept, none over its size, the total exact: over many shapes.
	s := newSampler(1)
	for trial := 0; trial < 500; trial++ {
		sizes := make([]int, 1+s.uintn(60))
		total := 0
		for i := range sizes {
			sizes[i] = 1 + int(s.uintn(300))
			total += sizes[i]
		}
		k := len(sizes) + int(s.uintn(uint64(total-len(sizes)+1)))
		got, err := allocate(sizes, k)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for i, n := range got {
			if n < 1 || n > sizes[i] {
				t.Fatalf("allocate(%v, %d)[%d] = %d", sizes, k, i, n)
			}
			sum += n
		}
		if sum != k {
			t.Fatalf("allocate(%v, %d) sums to %d", sizes, k, sum)
		}
	}
	if _, err := allocate([]int{3, 3, 3}, 2); err == nil {
		t.Error("allocate of fewer than the groups: no error")
	}
}

func TestParseGSM8KAnswer(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"He has 72 apples.\n#### 72", 72, ""},
		{"#### 1,234", 1234, ""},
		{"loss\n#### -5", -5, ""},
		{"#### $3.50.", 3.5, ""},
		{"a #### 1\nb #### 2", 2, ""},
		{"no marker 5", 0, "no \"#### N\""},
		{"#### five", 0, `"five" after #### is not a number`},
	}
	for _, tt := range tests {
		_, got, err := parseGSM8KAnswer(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	r := gsm8kRow{reasoning: "Half is 48/2=<<48/2=24>>24.\nSo 24+3=<<24+3=27>>27.", answer: 1234}
	if got := fewshotReply(r); got != "Half is 48/2=24.\nSo 24+3=27.\nThe final answer is 1234" {
		t.Errorf("fewshotReply = %q", got)
	}
}

type badGSM8K struct {
	Question string `parquet:"question,optional"`
	Answer   int64  `parquet:"answer,optional"`
}

type badMMLU struct {
	Question string `parquet:"question"`
	Subject  string `parquet:"subject"`
	Choices  string `parquet:"choices"`
	Label    int64  `parquet:"label"`
}

func TestSchemaErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, task string
		data       []byte
		want       string
	}{
		{"g.parquet", TaskGSM8K, hubtest.WriteParquet(t, []badGSM8K{{"q", 1}}),
			"g.parquet: want columns question (string), answer (string); found question (string), answer (int64)"},
		{"m.parquet", TaskMMLU, hubtest.WriteParquet(t, []badMMLU{{"q", "s", "abc", 1}}),
			"m.parquet: want columns question (string), subject (string), choices (list<string>), answer (int64); " +
				"found question (string), subject (string), choices (string), label (int64)"},
		{"gsm-as-mmlu.parquet", TaskMMLU, hubtest.WriteParquet(t, hubtest.GSM8KRows("x", 1)),
			"found question (string), answer (string)"},
		{"garbage.parquet", TaskGSM8K, []byte("not parquet at all"), "not a readable parquet file"},
		{"bad.jsonl", TaskMMLU, []byte(`{"question":"q","subject":"s","choices":["a","b"],"answer":"B"}` + "\n"),
			`bad.jsonl:1: column "answer": want int64, got a string`},
		{"missing.jsonl", TaskGSM8K, []byte(`{"question":"q"}` + "\n"), `missing.jsonl:1: no column "answer"`},
		{"noanswer.jsonl", TaskGSM8K, []byte(`{"question":"q","answer":"42"}` + "\n"), `row 0: answer: no "#### N" line`},
		{"range.jsonl", TaskMMLU, []byte(`{"question":"q","subject":"s","choices":["a","b"],"answer":2}` + "\n"), "answer 2 is not a choice index (0-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(tt.name, tt.data)
			_, ok, err := Open(context.Background(), p, Options{Task: tt.task})
			if !ok || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = ok %t, %v\nwant %q", ok, err, tt.want)
			}
			if strings.HasSuffix(tt.name, ".parquet") && tt.name != "garbage.parquet" {
				var se *SchemaError
				if !errors.As(err, &se) || se.File != p {
					t.Errorf("err %T is not a *SchemaError for %s", err, p)
				}
			}
		})
	}
}

func TestLocalFiles(t *testing.T) {
	dir := t.TempDir()
	pq := filepath.Join(dir, "gsm8k_copy.parquet")
	data := hubtest.WriteParquet(t, hubtest.GSM8KRows("test", 5))
	if err := os.WriteFile(pq, data, 0o644); err != nil {
		t.Fatal(err)
	}
	jl := filepath.Join(dir, "mmlu_copy.jsonl")
	var buf bytes.Buffer
	for _, r := range mmluTest() {
		line, err := json.Marshal(map[string]any{"question": r.Question, "subject": r.Subject, "choices": r.Choices, "answer": r.Answer, "extra": 1})
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(append(line, '\n'))
	}
	if err := os.WriteFile(jl, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	set := open(t, pq, Options{Task: "gsm8k", Limit: 2})
	if set.Name != "gsm8k_copy" || len(set.Items) != 2 || set.Source.File != pq || set.Source.SHA256 != hubtest.SHA256(data) ||
		set.Source.Repo != "" || set.Source.Revision != "" || set.Items[1].ID != "gsm8k-test-0001" {
		t.Errorf("parquet: %q %d items, source %+v", set.Name, len(set.Items), set.Source)
	}
	m := open(t, jl, Options{Task: "mmlu", Subjects: []string{"anatomy"}})
	if m.Name != "mmlu_copy:anatomy" || len(m.Items) != 4 || m.Items[3].Answer != "D" {
		t.Errorf("jsonl: %q %d items", m.Name, len(m.Items))
	}
	// The same rows from the hub and from a local copy make the same items.
	_, c := fixture(t)
	hubSet := open(t, "mmlu:anatomy", Options{Hub: c})
	if hubSet.SHA256 != m.SHA256 {
		t.Error("the same items from the hub and a local copy hash differently")
	}
	shots := open(t, jl, Options{Task: "mmlu", Subjects: []string{"anatomy"}, Fewshot: 1, FewshotFile: jl})
	if len(shots.Items[0].Messages) != 3 {
		t.Errorf("local few-shot: %d messages", len(shots.Items[0].Messages))
	}
}

func TestSpecs(t *testing.T) {
	_, c := fixture(t)
	ctx := context.Background()
	tests := []struct {
		spec    string
		opt     Options
		ok      bool
		wantErr string
	}{
		{"builtin:qwen3_32b_accuracy_suite_v1", Options{}, false, ""},
		{"my_suite.jsonl", Options{}, false, ""},
		{"notes.txt", Options{Task: "gsm8k"}, false, ""},
		{"data.parquet", Options{}, true, "--task gsm8k or --task mmlu"},
		{"hf:someone/thing", Options{}, true, "--task gsm8k or --task mmlu"},
		{"gsm8k", Options{Task: "mmlu"}, true, "gsm8k is a gsm8k set, not --task mmlu"},
		{"gsm8k", Options{Subjects: []string{"anatomy"}}, true, "subjects are for MMLU"},
		{"mmlu:", Options{}, true, "names no subject"},
		{"hf:a/b", Options{Task: "squad"}, true, `unknown task "squad"`},
		{"gsm8k", Options{Limit: -1}, true, "may be negative"},
		{"x.parquet", Options{Task: "gsm8k", Fewshot: 2}, true, "needs the file of examples (the train split)"},
		{"hf:someone/thing", Options{Task: "gsm8k", Hub: c}, true, "dataset someone/thing not found"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, ok, err := Open(ctx, tt.spec, tt.opt)
			if ok != tt.ok || (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open = ok %t, %v; want ok %t, %q", ok, err, tt.ok, tt.wantErr)
			}
		})
	}
}

func TestOtherRepo(t *testing.T) {
	s, c := fixture(t)
	s.AddDataset("me/gsm8k-hard", hubtest.MMLUCommit, map[string][]byte{
		"main/test-00000-of-00001.parquet": hubtest.WriteParquet(t, hubtest.GSM8KRows("hard", 3)),
	})
	set := open(t, "hf:me/gsm8k-hard", Options{Task: "gsm8k", Hub: c})
	if set.Name != "hf:me/gsm8k-hard" || len(set.Items) != 3 || set.Source.Repo != "me/gsm8k-hard" || set.Source.Revision != hubtest.MMLUCommit {
		t.Errorf("%q %d items, source %+v", set.Name, len(set.Items), set.Source)
	}
	// Few-shot needs a train split the repo does not have: the error says so.
	_, _, err := Open(context.Background(), "hf:me/gsm8k-hard", Options{Task: "gsm8k", Hub: c, Fewshot: 1})
	if err == nil || !strings.Contains(err.Error(), "no file matches main/train-*.parquet") || !strings.Contains(err.Error(), "--fewshot 1") {
		t.Errorf("err = %v", err)
	}
}

func TestOfflineMiss(t *testing.T) {
	s, _ := fixture(t)
	_, _, err := Open(context.Background(), "mmlu:anatomy", Options{})
	if !errors.Is(err, hub.ErrNotCached) || !strings.Contains(err.Error(), "all/test-*.parquet") {
		t.Errorf("err = %v", err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests without a hub client", n)
	}
}
