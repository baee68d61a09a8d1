package evalset

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	good := `{"id": "a", "type": "number", "prompt": "1+1?", "answer": 2}`
	for _, tc := range []struct {
		name  string
		line  string
		field string
		want  string
	}{
		{"invalid JSON", `{"id": "x", `, "", "invalid JSON"},
		{"not an object", `[1, 2]`, "", "not a JSON object"},
		{"missing id", `{"type": "number", "prompt": "q", "answer": 1}`, "id", "missing"},
		{"id not a string", `{"id": 7, "type": "number", "prompt": "q", "answer": 1}`, "id", "want a string, got a number 7"},
		{"missing type", `{"id": "x", "prompt": "q", "answer": 1}`, "type", "missing"},
		{"unknown type", `{"id": "x", "type": "regex", "prompt": "q", "answer": 1}`, "type", `unknown type "regex"`},
		{"no prompt", `{"id": "x", "type": "number", "answer": 1}`, "prompt", "give prompt or messages"},
		{"prompt and messages", `{"id": "x", "type": "number", "prompt": "q", "messages": [{"role": "user", "content": "q"}], "answer": 1}`, "prompt", "not both"},
		{"bad messages", `{"id": "x", "type": "number", "messages": "q", "answer": 1}`, "messages", "list"},
		{"message without role", `{"id": "x", "type": "number", "messages": [{"content": "q"}], "answer": 1}`, "messages", "role and content"},
		{"missing answer", `{"id": "x", "type": "number", "prompt": "q"}`, "answer", "missing"},
		{"number as string", `{"id": "x", "type": "number", "prompt": "q", "answer": "1,234"}`, "answer", `got the string "1,234"`},
		{"exact as number", `{"id": "x", "type": "exact", "prompt": "q", "answer": 5}`, "answer", "non-empty string"},
		{"contains empty list", `{"id": "x", "type": "contains", "prompt": "q", "answer": []}`, "answer", "list of strings"},
		{"contains empty element", `{"id": "x", "type": "contains", "prompt": "q", "answer": ["a", ""]}`, "answer", "element 1 is empty"},
		{"choice not a letter", `{"id": "x", "type": "choice", "prompt": "q", "answer": "b"}`, "answer", "capital letter"},
		{"negative tolerance", `{"id": "x", "type": "number", "prompt": "q", "answer": 1, "tolerance": -1}`, "tolerance", "non-negative"},
		{"tolerance on exact", `{"id": "x", "type": "exact", "prompt": "q", "answer": "a", "tolerance": 1}`, "tolerance", "only for number"},
		{"category not a string", `{"id": "x", "type": "number", "prompt": "q", "answer": 1, "category": ["a"]}`, "category", "got a list"},
		{"duplicate id", `{"id": "a", "type": "exact", "prompt": "q", "answer": "a"}`, "id", `duplicate id "a" (first on line 1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := good + "\n\n" + tc.line + "\n"
			_, err := Parse("set.jsonl", []byte(data))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.File != "set.jsonl" || se.Line != 3 || se.Field != tc.field || !strings.Contains(se.Error(), tc.want) {
				t.Fatalf("err = %q (line %d, field %q), want line 3, field %q, containing %q", se, se.Line, se.Field, tc.field, tc.want)
			}
			if !strings.HasPrefix(se.Error(), "set.jsonl:3:") {
				t.Errorf("message %q does not start with file:line", se)
			}
		})
	}
}

func TestParseItems(t *testing.T) {
	data := `// a comment line
{"id": "n", "type": "number", "prompt": "37*41?", "answer": 1517, "category": "arithmetic", "tolerance": 0.5}
{"id": "e", "type": "exact", "prompt": "say hi", "answer": "hi", "system": "be terse"}
{"id": "c1", "type": "contains", "prompt": "capital of France?", "answer": "Paris"}
{"id": "c2", "type": "contains", "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}], "answer": ["x", "y"]}
{"id": "g", "type": "gsm8k", "prompt": "q", "answer": -3.5}
{"id": "m", "type": "choice", "prompt": "q", "answer": "C", "extra": "ignored"}
`
	items, err := Parse("x.jsonl", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 6 {
		t.Fatalf("%d items", len(items))
	}
	if items[0].Answer != 1517.0 || *items[0].Tolerance != 0.5 || items[0].Category != "arithmetic" {
		t.Errorf("number item %+v", items[0])
	}
	if !reflect.DeepEqual(items[2].Answer, []string{"Paris"}) || !reflect.DeepEqual(items[3].Answer, []string{"x", "y"}) {
		t.Errorf("contains answers %v %v", items[2].Answer, items[3].Answer)
	}
	if got := items[3].Chat(); len(got) != 3 || got[2].Content != "c" {
		t.Errorf("messages %+v", got)
	}
	if got := items[1].Chat(); len(got) != 1 || got[0].Role != "user" || got[0].Content != "say hi" || items[1].System != "be terse" {
		t.Errorf("prompt chat %+v", got)
	}
	if items[4].Answer != -3.5 || items[5].Answer != "C" {
		t.Errorf("gsm8k/choice %v %v", items[4].Answer, items[5].Answer)
	}
}

func TestReadFileAndRoundTrip(t *testing.T) {
	s, err := Open(DefaultSuite)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.jsonl")
	f, _ := os.Create(path)
	if err := WriteJSONL(f, s.Items); err != nil {
		t.Fatal(err)
	}
	f.Close()
	back, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != "copy" || len(back.SHA256) != 64 || !reflect.DeepEqual(back.Items, s.Items) {
		t.Errorf("round trip differs: %s %d items", back.Name, len(back.Items))
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open("builtin:nope"); err == nil || !strings.Contains(err.Error(), `no built-in suite "nope"`) {
		t.Errorf("unknown builtin: %v", err)
	}
	if _, err := Parse("empty.jsonl", []byte("\n\n")); err == nil || !strings.Contains(err.Error(), "no items") {
		t.Errorf("empty set: %v", err)
	}
}

func TestBuiltins(t *testing.T) {
	list, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range list {
		if "builtin:"+b.Name == DefaultSuite {
			found = true
			if b.Count != 40 || b.Types[TypeNumber] == 0 || b.Types[TypeExact] == 0 || b.Types[TypeContains] == 0 {
				t.Errorf("default suite %+v", b)
			}
		}
	}
	if !found {
		t.Errorf("default suite not listed in %+v", list)
	}
}

func TestDefaultsDirective(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "frozen.jsonl")
	os.WriteFile(p, []byte("// a comment\n"+`// defaults: {"max_tokens": 48, "system": ""}`+"\n"+`{"id": "a", "type": "exact", "prompt": "q", "answer": "x"}`+"\n"), 0o644)
	s, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxTokens != 48 || s.System == nil || *s.System != "" {
		t.Errorf("defaults: max_tokens %d system %v", s.MaxTokens, s.System)
	}
	_, err = Parse("bad.jsonl", []byte(`// defaults: {"max_tokens": 48, "temprature": 1}`+"\n"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 1 || se.Field != "defaults" {
		t.Errorf("bad directive: %v", err)
	}
	b, err := OpenBuiltin("tinystories_consistency_v1")
	if err != nil || b.MaxTokens != 48 || b.System == nil || *b.System != "" {
		t.Errorf("tiny set defaults: %v %+v", err, b)
	}
}
