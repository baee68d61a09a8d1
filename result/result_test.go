package result

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *File {
	return &File{Schema: Schema, Complete: true, Model: "m", Evalset: Evalset{Name: "s", Count: 3},
		Params: Params{ExtraBody: json.RawMessage(`{}`)},
		Items: []Record{
			{ID: "a", Type: "number", Category: "x", Output: "<b>42</b>", OK: true, Expected: 42.0, FinishReason: "stop", Usage: Usage{PromptTokens: 1, CompletionTokens: 2}},
			{ID: "b", Type: "exact", Output: "no", Error: "HTTP 400: too long", Expected: "yes", Scores: map[string]bool{"flexible": true}},
			{ID: "c", Type: "number", Category: "x", OK: true, Expected: 1.0, FinishReason: "length", Usage: Usage{PromptTokens: 3, CompletionTokens: 4}},
		}}
}

// The streamed encoding is byte for byte what encoding/json's indented form is.
func TestEncodeMatchesIndentedJSON(t *testing.T) {
	for _, f := range []*File{sample(), {Schema: Schema, Items: nil}} {
		var got bytes.Buffer
		if err := Encode(&got, f); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		g := *f
		if g.Items == nil {
			g.Items = []Record{}
		}
		enc.Encode(&g)
		if got.String() != want.String() {
			t.Errorf("streamed encoding differs:\n%s\nwant:\n%s", got.String(), want.String())
		}
	}
}

func TestWriteReadSummarize(t *testing.T) {
	f := sample()
	f.Summary = Summarize(f.Items)
	s := f.Summary
	if s.Count != 3 || s.OK != 2 || s.Errors != 1 || s.ByType["number"].Accuracy != 1 || s.ByCategory["x"].Count != 2 ||
		s.FinishReasons["length"] != 1 || s.Usage.CompletionTokens != 6 || s.Metrics["flexible"].OK != 1 {
		t.Fatalf("summary %+v", s)
	}
	path := filepath.Join(t.TempDir(), "sub", "r.json")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil || len(back.Items) != 3 || back.Summary.OK != 2 || back.Items[0].Output != "<b>42</b>" {
		t.Fatalf("read back: %v %+v", err, back)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not json":   "hello",
		"no schema":  `{"items": []}`,
		"other":      `{"schema": "other/v9"}`,
		"dup id":     `{"schema": "quanteval/result/v1", "items": [{"id": "a"}, {"id": "a"}]}`,
		"missing id": `{"schema": "quanteval/result/v1", "items": [{"ok": true}]}`,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Read(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
	}
}
