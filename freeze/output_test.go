package freeze

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/result"
)

// Freezing into one of its own inputs would destroy it: refused, naming both.
func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"ref.json", "set.jsonl", "ref.logprobs.jsonl"} {
		os.WriteFile(name, []byte("{}\n"), 0o644)
	}
	os.Symlink("ref.json", "link.json")
	f := &result.File{Evalset: result.Evalset{Path: filepath.Join(dir, "set.jsonl")}, Logprobs: "ref.logprobs.jsonl"}
	for _, tc := range []struct {
		out, input string
	}{
		{"ref.json", "ref.json"},
		{"./ref.json", "ref.json"},
		{"link.json", "ref.json"},
		{"set.jsonl", filepath.Join(dir, "set.jsonl")},
		{"ref.logprobs.jsonl", "ref.logprobs.jsonl"},
		{"frozen.jsonl", ""},
		{"-", ""},
	} {
		err := CheckOutput(tc.out, "ref.json", f)
		var ce *result.ClashError
		if tc.input == "" {
			if err != nil {
				t.Errorf("%s: %v, want no clash", tc.out, err)
			}
			continue
		}
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.out) || !strings.Contains(err.Error(), "same file as "+tc.input) {
			t.Errorf("%s: err = %v, want a clash with %s", tc.out, err, tc.input)
		}
	}
}
