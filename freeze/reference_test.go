package freeze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
)

// TestRead reads a reference whose eval set is there, has changed, or is gone.
func TestRead(t *testing.T) {
	tests := []struct {
		name     string
		after    func(t *testing.T, setPath string) // what happens to the set after the run
		wantSet  bool
		fallback string
	}{
		{"set unchanged", func(*testing.T, string) {}, true, ""},
		{"set changed", func(t *testing.T, p string) {
			writeFile(t, p, `{"id": "story-01", "type": "exact", "prompt": "Once upon a time", "answer": "other"}`+"\n")
		}, false, "has changed since the run: each item is frozen as the single prompt its record holds"},
		{"set gone", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, false, "cannot be read ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			setPath := filepath.Join(dir, "set.jsonl")
			writeFile(t, setPath, `{"id": "story-01", "type": "exact", "prompt": "Once upon a time", "answer": "x"}`+"\n")
			set, err := evalset.Open(setPath)
			if err != nil {
				t.Fatal(err)
			}
			f := refRun()
			f.Evalset.Path, f.Evalset.SHA256 = setPath, set.SHA256
			resPath := filepath.Join(dir, "ref.json")
			if err := result.Write(resPath, f); err != nil {
				t.Fatal(err)
			}
			tt.after(t, setPath)

			ref, err := Read(resPath)
			if err != nil {
				t.Fatal(err)
			}
			if (ref.Set != nil) != tt.wantSet || ref.Path != resPath || len(ref.File.Items) != 4 {
				t.Errorf("set %v path %s items %d, want set %v", ref.Set != nil, ref.Path, len(ref.File.Items), tt.wantSet)
			}
			if tt.fallback == "" && ref.Fallback != "" || !strings.Contains(ref.Fallback, tt.fallback) ||
				tt.fallback != "" && !strings.HasPrefix(ref.Fallback, setPath) {
				t.Errorf("fallback %q, want %q after the set's path", ref.Fallback, tt.fallback)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("a missing result file read without an error")
	}
}

// TestReferenceJSONL freezes a run and reads the set back, and counts what was skipped.
func TestReferenceJSONL(t *testing.T) {
	ref := &Reference{Path: "ref.json", File: refRun()}
	items, err := ref.Items(true)
	if err != nil {
		t.Fatal(err)
	}
	data, err := ref.JSONL(items, true, "frozen.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), Header(ref.File, true)) {
		t.Errorf("the set does not start with its header:\n%s", data)
	}
	back, err := evalset.Parse("frozen.jsonl", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].ID != "story-01" || back[1].Type != evalset.TypeContains {
		t.Errorf("items %+v", back)
	}
	want := "froze 2 items of ref.json into out.jsonl; skipped 2 (1 errors, 1 without output)\n"
	if got := ref.Summary(len(items), "out.jsonl"); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}

	ref.File.Complete = false
	if _, err := ref.Items(false); err == nil || !strings.HasPrefix(err.Error(), "ref.json: ") {
		t.Errorf("incomplete reference: err %v, want one naming ref.json", err)
	}
	dup := []evalset.Item{items[0], items[0]}
	if _, err := ref.JSONL(dup, true, "frozen.jsonl"); err == nil || !strings.Contains(err.Error(), "does not read back") {
		t.Errorf("a set with a duplicate id: err %v, want a read-back error", err)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
