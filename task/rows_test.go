package task

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/golden"
	"github.com/quanteval/quanteval/score"
)

type arcChoicesP struct {
	Text  []string `parquet:"text,list"`
	Label []string `parquet:"label,list"`
}

// arcRowP is a row of allenai/ai2_arc as the hub's parquet holds it.
type arcRowP struct {
	ID        string      `parquet:"id,optional"`
	Question  string      `parquet:"question,optional"`
	Choices   arcChoicesP `parquet:"choices"`
	AnswerKey string      `parquet:"answerKey,optional"`
}

func TestReadRowsParquet(t *testing.T) {
	path := writeParquet(t, "arc.parquet", []arcRowP{
		{ID: "Mercury_1", Question: "Which?", Choices: arcChoicesP{Text: []string{"x", "y", "z"}, Label: []string{"1", "2", "3"}}, AnswerKey: "3"},
	})
	rows, err := ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{"id": "Mercury_1", "question": "Which?", "answerKey": "3",
		"choices": map[string]any{"text": []any{"x", "y", "z"}, "label": []any{"1", "2", "3"}}}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %#v\nwant %#v", rows, want)
	}
	items, err := Build(builtin(t, "arc_challenge"), rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Answer != "C" || !strings.Contains(lastTurn(items[0]), "C. z\n") {
		t.Errorf("item %+v", items[0])
	}
}

func TestReadRowsJSONL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	data := `{"question_id": 7, "options": ["a", "b"], "score": 0.5, "meta": {"n": 2}}

{"question_id": 8, "options": [], "score": 1, "meta": null}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{"question_id": int64(7), "options": []any{"a", "b"}, "score": 0.5, "meta": map[string]any{"n": int64(2)}},
		{"question_id": int64(8), "options": []any{}, "score": int64(1), "meta": nil},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %#v\nwant %#v", rows, want)
	}
	if err := os.WriteFile(path, []byte("{\"a\": 1}\n[1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRows(path); err == nil || !strings.Contains(err.Error(), "rows.jsonl:2: not a JSON object") {
		t.Errorf("bad line: %v", err)
	}
	if _, err := ReadRows(filepath.Join(t.TempDir(), "none.parquet")); err == nil {
		t.Error("missing file: no error")
	}
}

// A user's spec reads its rows from a file next to it; the items are golden.
func TestUserSpecGolden(t *testing.T) {
	sp, err := ParseFile(filepath.Join("testdata", "capitals.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sp.Source.String(); got != filepath.Join("testdata", "capitals.jsonl") {
		t.Errorf("source %q", got)
	}
	rows, err := ReadRows(sp.Source.File)
	if err != nil {
		t.Fatal(err)
	}
	items, err := Build(sp, rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := evalset.WriteJSONL(&buf, EvalItems(items)); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		fmt.Fprintf(&buf, "# %s options %q order %v\n", it.ID, it.Options, it.Order)
	}
	golden.Check(t, filepath.Join("testdata", "capitals.golden.jsonl"), buf.Bytes())
	for _, it := range items {
		right := "Answer: " + it.Answer.(string)
		if o := score.ScoreOptions(&it.Item, it.Options, right); !o.OK {
			t.Errorf("%s: %q scored %+v", it.ID, right, o)
		}
		j := int(it.Answer.(string)[0] - 'A')
		if o := score.ScoreOptions(&it.Item, it.Options, it.Options[j]); !o.OK {
			t.Errorf("%s: the right option's text scored %+v", it.ID, o)
		}
	}
	if hub := (Source{Hub: "a/b", Config: "c", Split: "test", Revision: "v1"}).String(); hub != "a/b config c split test @v1" {
		t.Errorf("hub source %q", hub)
	}
}
