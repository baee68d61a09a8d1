package evalset

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// code and ifeval items carry a check object; their answer is only shown, so it
// may be left out.
func TestParseCheckItems(t *testing.T) {
	data := `{"id": "he", "type": "code", "prompt": "Write add.", "answer": "    return a + b\n", "check": {"kind": "humaneval", "prompt": "def add(a, b):\n", "entry_point": "add", "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n"}}
{"id": "mb", "type": "code", "prompt": "Write square.", "check": {"kind": "mbpp", "test_imports": ["import math"], "test_list": ["assert square(3) == 9"]}}
{"id": "if", "type": "ifeval", "prompt": "Write a poem without commas.", "check": {"instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"], "kwargs": [{}, {"relation": "less than", "num_words": 40}]}}
{"id": "if-nulls", "type": "ifeval", "prompt": "Short.", "answer": "", "check": {"instruction_id_list": ["length_constraints:number_words"], "kwargs": [{"relation": "less than", "num_words": 40, "keywords": null, "letter": null}]}}
`
	set, err := Parse("set.jsonl", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if set[0].Type != TypeCode || set[0].Answer != "    return a + b\n" || set[1].Answer != "" || set[2].Type != TypeIFEval {
		t.Fatalf("items %+v", set)
	}
	if want := `{"kind":"mbpp","test_imports":["import math"],"test_list":["assert square(3) == 9"]}`; string(set[1].Check) != want {
		t.Errorf("check %s, want %s", set[1].Check, want)
	}
	// Written and read back, the items are the same.
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, set); err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.jsonl", buf.Bytes())
	if err != nil || !reflect.DeepEqual(back, set) {
		t.Errorf("read back %+v, %v\nwant %+v", back, err, set)
	}
}

func TestParseCheckErrors(t *testing.T) {
	const he = `"kind": "humaneval", "prompt": "def f():\n", "entry_point": "f", "test": "def check(c): pass"`
	for _, tc := range []struct{ line, field, want string }{
		{`{"id": "x", "type": "code", "prompt": "q"}`, "check", "missing: code items need a check object"},
		{`{"id": "x", "type": "ifeval", "prompt": "q", "check": null}`, "check", "missing: ifeval items need"},
		{`{"id": "x", "type": "code", "prompt": "q", "check": [1]}`, "check", `want {"kind", ...}`},
		{`{"id": "x", "type": "code", "prompt": "q", "check": {"kind": "python", "test_list": ["assert 1"]}}`, "check", `kind "python"`},
		{`{"id": "x", "type": "code", "prompt": "q", "check": {"kind": "humaneval", "prompt": "def f():\n", "test": "t"}}`, "check", "needs prompt, entry_point and test"},
		{`{"id": "x", "type": "code", "prompt": "q", "check": {"kind": "mbpp", "test_list": []}}`, "check", "needs test_list"},
		{`{"id": "x", "type": "code", "prompt": "q", "check": {` + he + `, "tests": []}}`, "check", `unknown field "tests"`},
		{`{"id": "x", "type": "code", "prompt": "q", "answer": 3, "check": {` + he + `}}`, "answer", "want a string"},
		{`{"id": "x", "type": "ifeval", "prompt": "q", "check": {"instruction_id_list": ["punctuation:no_semicolon"], "kwargs": [{}]}}`, "check", "no_semicolon"},
		{`{"id": "x", "type": "ifeval", "prompt": "q", "check": {"instruction_id_list": ["punctuation:no_comma"]}}`, "check", "1 instruction ids but 0 kwargs"},
		{`{"id": "x", "type": "ifeval", "prompt": "q", "check": {"instruction_id_list": ["length_constraints:number_words"], "kwargs": [{}]}}`, "check", "num_words"},
		{`{"id": "x", "type": "exact", "prompt": "q", "answer": "a", "check": {"kind": "mbpp"}}`, "check", "only for code and ifeval items"},
	} {
		_, err := Parse("set.jsonl", []byte(tc.line))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Field != tc.field || !strings.Contains(se.Error(), tc.want) {
			t.Errorf("%s:\n%v\nwant field %s: %s", tc.line, err, tc.field, tc.want)
		}
	}
}
