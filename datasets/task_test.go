package datasets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/task"
)

// oldHashes are the set hashes the Go-coded GSM8K and MMLU builders (the code
// before task specs) gave for the fixture's data, by spec and --fewshot. The
// built-in specs must give the same, so that results made before and after can be
// compared and resumed.
var oldHashes = map[string]string{
	"gsm8k/0": "e9cc97769172f943b365425e7f8274988096fac5e8968482a9d667a046b6a71e",
	"gsm8k/2": "665898861e45c554d57e6370334cf8ae67c772b26d87c3f7ea2ce400dd3cd086",
	"mmlu/0":  "5afd9825efec228952eee205f80411fd85f5c5afa81859a5ab57d7a5d80b2cea",
	"mmlu/2":  "9700e72804bbbd94a49ea54032b2ba7ed9e8ae4a57729a7af73e180940b9b9d0",
}

func TestSpecHashesEqualOldCode(t *testing.T) {
	_, c := fixture(t)
	for _, name := range []string{"gsm8k", "mmlu"} {
		sp, err := task.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{0, 2} {
			key := name + "/" + string(rune('0'+k))
			set, err := OpenTask(context.Background(), sp, name, Options{Hub: c, Fewshot: k})
			if err != nil {
				t.Fatal(err)
			}
			old := open(t, name, Options{Hub: c, Fewshot: k})
			if set.SHA256 != oldHashes[key] || old.SHA256 != oldHashes[key] {
				t.Errorf("%s: sha256 %s by the spec, %s by datasets.Open; the old code's %s", key, set.SHA256, old.SHA256, oldHashes[key])
			}
			if !reflect.DeepEqual(set.Source, old.Source) {
				t.Errorf("%s: source %+v, old %+v", key, set.Source, old.Source)
			}
		}
	}
}

// A spec over a local file: --sample is stratified by category and recorded,
// --limit applies after it, and neither changes the set's sha256; few-shot
// examples from a file source need --fewshot-file.
func TestOpenTaskFileSampleLimit(t *testing.T) {
	dir := t.TempDir()
	var rows strings.Builder
	for i := range 12 {
		fmt.Fprintf(&rows, `{"q": "question %d", "a": "%d", "topic": "t%d"}`+"\n", i, i, i%3)
	}
	if err := os.WriteFile(filepath.Join(dir, "rows.jsonl"), []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := "name: mine\nsource: {file: rows.jsonl}\nid: 'mine-{{row}}'\nprompt: '{{.q}}'\nanswer: '{{.a}}'\ncategory: '{{.topic}}'\nscorer: math\n" +
		"fewshot: {split: train, reply: '{{.a}}'}\n"
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := task.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := OpenTask(context.Background(), sp, "task:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Items) != 12 || whole.Name != "mine" || whole.Path != "task:"+path || whole.Source.File != filepath.Join(dir, "rows.jsonl") || whole.Source.SHA256 == "" {
		t.Fatalf("set %s %s: %d items, source %+v", whole.Name, whole.Path, len(whole.Items), whole.Source)
	}
	sampled, err := OpenTask(context.Background(), sp, "task:"+path, Options{Sample: 3, SampleSeed: 5, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(sampled.Items) != 2 || sampled.Source.Sample != 3 || sampled.Source.Seed != 5 || sampled.SHA256 != whole.SHA256 {
		t.Errorf("sample 3 limit 2: %d items, source %+v, sha256 equal %t", len(sampled.Items), sampled.Source, sampled.SHA256 == whole.SHA256)
	}
	// Stratified: a sample of 3 over 3 topics keeps one of each.
	all, err := OpenTask(context.Background(), sp, "task:"+path, Options{Sample: 3, SampleSeed: 5})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, it := range all.Items {
		seen[it.Category] = true
	}
	if len(all.Items) != 3 || len(seen) != 3 {
		t.Errorf("sample of 3: %d items over categories %v", len(all.Items), seen)
	}
	if _, err := OpenTask(context.Background(), sp, "task:"+path, Options{Fewshot: 1}); err == nil || !strings.Contains(err.Error(), "--fewshot-file") {
		t.Errorf("--fewshot without --fewshot-file: %v", err)
	}
	shots := filepath.Join(dir, "train.jsonl")
	if err := os.WriteFile(shots, []byte(`{"q": "shot", "a": "9", "topic": "t0"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withShot, err := OpenTask(context.Background(), sp, "task:"+path, Options{Fewshot: 1, FewshotFile: shots})
	if err != nil {
		t.Fatal(err)
	}
	if m := withShot.Items[0].Messages; len(m) != 3 || m[0].Content != "shot" || m[1].Content != "9" || withShot.SHA256 == whole.SHA256 {
		t.Errorf("few-shot turns %+v", m)
	}
}
