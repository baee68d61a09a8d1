package datasets

import (
	"context"
	"reflect"
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
