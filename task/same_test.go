package task_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/quanteval/quanteval/datasets"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/hubtest"
	"github.com/quanteval/quanteval/task"
)

// The gsm8k and mmlu specs build, from the same rows, the items datasets builds
// today: same ids, prompts, answers, few-shot turns, and so the same set hash.

func gsm8kMaps(rows []hubtest.GSM8KRow) []task.Row {
	out := make([]task.Row, len(rows))
	for i, r := range rows {
		out[i] = task.Row{"question": r.Question, "answer": r.Answer}
	}
	return out
}

func mmluMaps(rows []hubtest.MMLURow) []task.Row {
	out := make([]task.Row, len(rows))
	for i, r := range rows {
		choices := make([]any, len(r.Choices))
		for j, c := range r.Choices {
			choices[j] = c
		}
		out[i] = task.Row{"question": r.Question, "subject": r.Subject, "choices": choices, "answer": r.Answer}
	}
	return out
}

func writeParquet[T any](t *testing.T, name string, rows []T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, hubtest.WriteParquet(t, rows), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func compareItems(t *testing.T, want, got []evalset.Item) {
	t.Helper()
	// datasets passes the option texts on to scoring; EvalItems leaves them in
	// task.Item (neither is written, so neither is in the hash).
	want = append([]evalset.Item(nil), want...)
	for i := range want {
		want[i].Options = nil
	}
	if len(want) != len(got) {
		t.Fatalf("%d items, datasets builds %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(want[i], got[i]) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	var a, b bytes.Buffer
	if err := evalset.WriteJSONL(&a, want); err != nil {
		t.Fatal(err)
	}
	if err := evalset.WriteJSONL(&b, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the items' JSONL (and so the set hash) differs")
	}
}

func TestGSM8KSameAsDatasets(t *testing.T) {
	test := hubtest.GSM8KRows("test", 12)
	test[3].Question = "  padded question with $5 and 1,000 apples?  \n"
	test[4].Answer = "So 5,000 - 1,500 = <<5000-1500=3500>>3,500.\n#### 3,500"
	train := hubtest.GSM8KRows("train", 4)
	testFile, trainFile := writeParquet(t, "test.parquet", test), writeParquet(t, "train.parquet", train)
	sp, err := task.Builtin("gsm8k")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{0, 2} {
		set, ok, err := datasets.Open(context.Background(), testFile, datasets.Options{Task: "gsm8k", Fewshot: k, FewshotFile: trainFile})
		if err != nil || !ok {
			t.Fatalf("datasets.Open: %t, %v", ok, err)
		}
		items, err := task.Build(sp, gsm8kMaps(test), task.Options{Fewshot: &k, Shots: gsm8kMaps(train)})
		if err != nil {
			t.Fatal(err)
		}
		compareItems(t, set.Items, task.EvalItems(items))
	}
}

func TestMMLUSameAsDatasets(t *testing.T) {
	subjects := []string{"abstract_algebra", "college_physics", "high_school_us_history"}
	var test []hubtest.MMLURow
	for i, n := range []int{5, 3, 2} {
		test = append(test, hubtest.MMLURows("test", subjects[i:i+1], n)...)
	}
	// Interleave two subjects: ids number the rows within their subject.
	test[1], test[6] = test[6], test[1]
	test[2].Choices = []string{" padded ", "two", "three", "four", "five"}
	test[2].Answer = 4
	test[7].Question = "\n  padded question?  "
	dev := hubtest.MMLURows("dev", subjects, 3)
	testFile, devFile := writeParquet(t, "test.parquet", test), writeParquet(t, "dev.parquet", dev)
	sp, err := task.Builtin("mmlu")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{0, 2} {
		set, ok, err := datasets.Open(context.Background(), testFile, datasets.Options{Task: "mmlu", Fewshot: k, FewshotFile: devFile})
		if err != nil || !ok {
			t.Fatalf("datasets.Open: %t, %v", ok, err)
		}
		items, err := task.Build(sp, mmluMaps(test), task.Options{Fewshot: &k, Shots: mmluMaps(dev)})
		if err != nil {
			t.Fatal(err)
		}
		compareItems(t, set.Items, task.EvalItems(items))
		if got := items[2].Options; !reflect.DeepEqual(got, test[2].Choices) || items[2].Order != nil {
			t.Errorf("options %q order %v, want the row's choices unshuffled", got, items[2].Order)
		}
	}
}

// BenchmarkBuildMMLU builds the size of MMLU's test split (14042 rows, 57
// subjects) with 5 few-shot examples a subject.
func BenchmarkBuildMMLU(b *testing.B) {
	var subjects []string
	for i := range 57 {
		subjects = append(subjects, "subject_"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	rows := mmluMaps(hubtest.MMLURows("test", subjects, 14042/57))
	shots := mmluMaps(hubtest.MMLURows("dev", subjects, 5))
	sp, err := task.Builtin("mmlu")
	if err != nil {
		b.Fatal(err)
	}
	k := 5
	for b.Loop() {
		if _, err := task.Build(sp, rows, task.Options{Fewshot: &k, Shots: shots}); err != nil {
			b.Fatal(err)
		}
	}
}

// Rows read from the parquet file datasets reads build the same items: null cells
// (a zero answer written as null) read as zero.
func TestReadRowsMMLUSameAsDatasets(t *testing.T) {
	test := hubtest.MMLURows("test", []string{"anatomy", "virology"}, 5)
	path := writeParquet(t, "test.parquet", test)
	rows, err := task.ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0]["answer"] != int64(0) || rows[1]["answer"] != int64(1) {
		t.Errorf("answers %#v %#v, want int64 0 and 1", rows[0]["answer"], rows[1]["answer"])
	}
	set, ok, err := datasets.Open(context.Background(), path, datasets.Options{Task: "mmlu"})
	if err != nil || !ok {
		t.Fatalf("datasets.Open: %t, %v", ok, err)
	}
	items, err := task.Build(builtinSpec(t, "mmlu"), rows, task.Options{})
	if err != nil {
		t.Fatal(err)
	}
	compareItems(t, set.Items, task.EvalItems(items))
}

func builtinSpec(t *testing.T, name string) *task.Spec {
	t.Helper()
	sp, err := task.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}
