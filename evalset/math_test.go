package evalset

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// math and aime items take their answer as a string or a JSON number (kept as
// written); a choice item may carry its options, which are read but not written.
func TestParseMathAndOptions(t *testing.T) {
	data := `{"id": "m", "type": "math", "prompt": "q", "answer": "\\frac{1}{2}"}
{"id": "a", "type": "aime", "prompt": "q", "answer": 33}
{"id": "a2", "type": "aime", "prompt": "q", "answer": "033"}
{"id": "c", "type": "choice", "prompt": "q", "answer": "K", "options": ["a","b","c","d","e","f","g","h","i","j","k"]}
`
	set, err := Parse("set.jsonl", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{`\frac{1}{2}`, "33", "033", "K"}
	for i, w := range want {
		if set[i].Answer != w {
			t.Errorf("item %s: answer %#v, want %#v", set[i].ID, set[i].Answer, w)
		}
	}
	if got := set[3].Options; len(got) != 11 || got[10] != "k" {
		t.Errorf("options %q", got)
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, set[3:]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "options") {
		t.Errorf("options written: %s", buf.String())
	}
	back, err := Parse("back.jsonl", buf.Bytes())
	if err != nil || !reflect.DeepEqual(back[0].Answer, "K") {
		t.Errorf("read back %v, %v", back, err)
	}
	for _, tc := range []struct{ line, field, want string }{
		{`{"id": "x", "type": "math", "prompt": "q", "answer": ""}`, "answer", "non-empty string for type math"},
		{`{"id": "x", "type": "aime", "prompt": "q", "answer": [1]}`, "answer", "non-empty string for type aime"},
		{`{"id": "x", "type": "exact", "prompt": "q", "answer": "a", "options": ["a", "b"]}`, "options", "only for choice"},
		{`{"id": "x", "type": "choice", "prompt": "q", "answer": "A", "options": ["a"]}`, "options", "at least two"},
		{`{"id": "x", "type": "choice", "prompt": "q", "answer": "A", "options": "ab"}`, "options", "list"},
	} {
		_, err := Parse("set.jsonl", []byte(tc.line))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Field != tc.field || !strings.Contains(se.Error(), tc.want) {
			t.Errorf("%s: %v, want field %s: %s", tc.line, err, tc.field, tc.want)
		}
	}
	if !reflect.DeepEqual(Types[len(Types)-4:], []string{TypeMath, TypeAIME, TypeCode, TypeIFEval}) {
		t.Errorf("types %v", Types)
	}
}
