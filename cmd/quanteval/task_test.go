package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunTaskSpecMissingColumn: a task spec whose template names a column the data
// lacks stops `run` with exit 2 before any request, naming the column and the
// columns the data has.
func TestRunTaskSpecMissingColumn(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rows.jsonl"), []byte(`{"question": "1+1?", "solution": "2"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(spec, []byte("name: t\nsource: {file: rows.jsonl}\nid: 't-{{row}}'\nprompt: '{{.question}}'\nanswer: '{{.answer}}'\nscorer: math\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Nothing listens at the base URL: the error must come first.
	code, _, stderr := invoke(t, "run", "--evalset", "task:"+spec, "--base-url", "http://127.0.0.1:9", "--out", filepath.Join(dir, "r.json"), "--quiet")
	if code != 2 || !strings.Contains(stderr, `t.yaml:5: answer: no column "answer"`) || !strings.Contains(stderr, "question, solution") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
