package ifeval

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestLooseVariants(t *testing.T) {
	cases := []struct {
		reply string
		want  []string
	}{
		{"Sure:\n**A** b\nBye", []string{
			"Sure:\n**A** b\nBye", "Sure:\nA b\nBye",
			"**A** b\nBye", "Sure:\n**A** b", "**A** b",
			"A b\nBye", "Sure:\nA b", "A b"}},
		{"*one line*", []string{"*one line*", "one line", "", "", "", "", "", ""}},
		{"a\n b ", []string{"a\n b ", "a\n b ", "b", "a", "", "b", "a", ""}},
	}
	for _, c := range cases {
		if got := LooseVariants(c.reply); !reflect.DeepEqual(got, c.want) {
			t.Errorf("LooseVariants(%q)\n got %q\nwant %q", c.reply, got, c.want)
		}
	}
}

func mustCompile(t *testing.T, ids []string, kw []Kwargs) *Prompt {
	t.Helper()
	p, err := Compile(ids, kw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckPromptLevel(t *testing.T) {
	p := mustCompile(t,
		[]string{"punctuation:no_comma", "startend:end_checker", "punctuation:no_comma"},
		[]Kwargs{{}, {EndPhrase: "The end."}, {}})
	cases := []struct {
		name   string
		reply  string
		strict []bool
		loose  []bool
		failed []string
	}{
		{"all followed", "Once upon a time. The end.", []bool{true, true, true}, []bool{true, true, true}, nil},
		{"one failed both levels", "Once, upon a time. The end.", []bool{false, true, false}, []bool{false, true, false},
			[]string{"punctuation:no_comma", "punctuation:no_comma"}},
		// The comma sits in the first line: loose drops it.
		{"loose only", "Sure, here:\nOnce upon a time. **The end.**", []bool{false, false, false}, []bool{true, true, true},
			[]string{"punctuation:no_comma", "startend:end_checker", "punctuation:no_comma"}},
		{"blank", " \n\t ", []bool{false, false, false}, []bool{false, false, false},
			[]string{"punctuation:no_comma", "startend:end_checker", "punctuation:no_comma"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := p.Check(c.reply)
			var strict, loose []bool
			for _, in := range r.Instructions {
				strict = append(strict, in.Strict)
				loose = append(loose, in.Loose)
			}
			if !reflect.DeepEqual(strict, c.strict) || !reflect.DeepEqual(loose, c.loose) {
				t.Fatalf("strict %v loose %v, want %v %v", strict, loose, c.strict, c.loose)
			}
			if !reflect.DeepEqual(r.Failed(), c.failed) {
				t.Errorf("Failed() = %q, want %q", r.Failed(), c.failed)
			}
			allS, allL := !contains(c.strict, false), !contains(c.loose, false)
			if r.OK() != allS || r.PromptStrict != allS || r.PromptLoose != allL {
				t.Errorf("prompt strict %v loose %v, want %v %v", r.PromptStrict, r.PromptLoose, allS, allL)
			}
			if want := map[bool]string{true: "", false: ReasonNotFollowed}[allS]; r.Reason() != want {
				t.Errorf("Reason() = %q, want %q", r.Reason(), want)
			}
			m := r.Metrics()
			if m.Instructions != 3 || m.InstStrict != count(c.strict) || m.InstLoose != count(c.loose) ||
				m.PromptStrict != allS || m.PromptLoose != allL {
				t.Errorf("Metrics() = %+v", m)
			}
			want := map[string]bool{ScorePromptStrict: allS, ScorePromptLoose: allL}
			if !reflect.DeepEqual(r.Scores(), want) {
				t.Errorf("Scores() = %v, want %v", r.Scores(), want)
			}
		})
	}
}

// TestCheckKeepsTrailingWhitespace: lm-eval splits the reply as generated, so a
// closing newline is the last line the loose variants drop, and the reply's real
// last line stays in every variant. Leading whitespace is dropped, as lm-eval
// drops it after "</think>".
func TestCheckKeepsTrailingWhitespace(t *testing.T) {
	runCases(t, []checkCase{
		{"json, closing newline", "detectable_format:json_format", Kwargs{},
			"Here you go:\n```JSON\n{\"a\": true}\n```\nHope it helps!\n", false, false},
		{"json, no closing newline", "detectable_format:json_format", Kwargs{},
			"Here you go:\n```JSON\n{\"a\": true}\n```\nHope it helps!", false, true},
		{"comma in the last line, closing newline", "punctuation:no_comma", Kwargs{}, "Intro\nThe body of it\nBest, me\n", false, false},
		{"comma in the last line", "punctuation:no_comma", Kwargs{}, "Intro\nThe body of it\nBest, me", false, true},
		{"end phrase before a sign-off, blank lines after", "startend:end_checker", Kwargs{EndPhrase: "The end."},
			"Once upon a time.\nThe end.\nBye\n\n", false, false},
		{"leading blank lines dropped", "punctuation:no_comma", Kwargs{}, "\n\nIntro\nThe body of it\nBest, me", false, true},
	})
}

func contains(l []bool, v bool) bool {
	for _, b := range l {
		if b == v {
			return true
		}
	}
	return false
}

func count(l []bool) int {
	n := 0
	for _, b := range l {
		if b {
			n++
		}
	}
	return n
}

// TestRowsFromData reads rows in google/IFEval's JSON form (every kwargs key present,
// most null) and checks a reply to each.
func TestRowsFromData(t *testing.T) {
	f, err := os.Open("testdata/rows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	replies := map[int]struct {
		reply  string
		strict []bool
		loose  []bool
	}{
		1001: {"Dear [Neighbour name],\nOur cat Tom is lost near [street].\n\nP.S. He likes tuna.", []bool{true, true}, []bool{true, true}},
		1002: {"here are three fruits:\n* apple\n* pear\n* plum", []bool{true, true, true}, []bool{true, true, true}},
		1003: {"Der Regen fällt leise. Ich nehme meinen Regenschirm und springe in jede Pfütze auf dem Weg.", []bool{true, true, true}, []bool{true, true, true}},
		1004: {"```json\n{\"title\": \"<<Rain>>\"}\n```", []bool{true, true}, []bool{true, true}},
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var row Row
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("row %d: %v", n, err)
		}
		n++
		p, err := row.Compile()
		if err != nil {
			t.Fatal(err)
		}
		want, ok := replies[row.Key]
		if !ok {
			t.Fatalf("no reply for key %d", row.Key)
		}
		if !reflect.DeepEqual(p.IDs(), row.InstructionIDs) {
			t.Errorf("key %d: IDs() = %q", row.Key, p.IDs())
		}
		r := p.Check(want.reply)
		for i, in := range r.Instructions {
			if in.Strict != want.strict[i] || in.Loose != want.loose[i] {
				t.Errorf("key %d: %s = %+v, want strict %v loose %v", row.Key, in.ID, in, want.strict[i], want.loose[i])
			}
		}
	}
	if n != len(replies) {
		t.Errorf("read %d rows, want %d", n, len(replies))
	}
}

func TestParseKwargs(t *testing.T) {
	k, err := ParseKwargs(map[string]any{
		"num_words": float64(300), "relation": "at least", "let_frequency": int64(4),
		"nth_paragraph": int32(2), "num_bullets": 5, "keywords": []any{"a", "b"},
		"forbidden_words": []string{"x"}, "language": nil, "unknown_key": 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	if *k.NumWords != 300 || k.Relation != "at least" || *k.LetFrequency != 4 || *k.NthParagraph != 2 ||
		*k.NumBullets != 5 || !reflect.DeepEqual(k.Keywords, []string{"a", "b"}) ||
		!reflect.DeepEqual(k.ForbiddenWords, []string{"x"}) || k.Language != "" || k.NumSentences != nil {
		t.Errorf("ParseKwargs = %+v", k)
	}
	bad := []struct {
		m      map[string]any
		substr string
	}{
		{map[string]any{"num_words": 2.5}, `kwargs "num_words": want an integer, got 2.5`},
		{map[string]any{"num_words": "3"}, `kwargs "num_words": want an integer, got string`},
		{map[string]any{"relation": 1.0}, `kwargs "relation": want a string, got float64`},
		{map[string]any{"keywords": []any{"a", 1.0}}, `kwargs "keywords": item 1: want a string`},
		{map[string]any{"keywords": "a"}, `kwargs "keywords": want a list of strings`},
	}
	for _, b := range bad {
		if _, err := ParseKwargs(b.m); err == nil || !strings.Contains(err.Error(), b.substr) {
			t.Errorf("ParseKwargs(%v) error = %v, want %q", b.m, err, b.substr)
		}
	}
	if len(KwargKeys()) != 24 {
		t.Errorf("KwargKeys() has %d keys, want 24: %q", len(KwargKeys()), KwargKeys())
	}
}

func TestCheckFunc(t *testing.T) {
	r, err := Check([]string{"startend:quotation"}, []Kwargs{{}}, `"yes"`)
	if err != nil || !r.OK() || len(r.Instructions) != 1 {
		t.Errorf("Check = %+v, %v; want one instruction followed", r, err)
	}
	if _, err := Check([]string{"nope"}, []Kwargs{{}}, "x"); err == nil {
		t.Error("Check with an unknown id: no error")
	}
}

func TestKwargsJSONRoundTrip(t *testing.T) {
	in := Kwargs{Relation: "at least", NumWords: ip(0), Keywords: []string{"a"}, FirstWord: "x", NthParagraph: ip(2)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"first_word":"x","keywords":["a"],"nth_paragraph":2,"num_words":0,"relation":"at least"}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var out Kwargs
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
}

func TestRowCompileErrorNamesKey(t *testing.T) {
	var row Row
	in := `{"key": 7, "prompt": "p", "instruction_id_list": ["length_constraints:number_words"], "kwargs": [{"relation": "less than", "num_words": null}]}`
	if err := json.Unmarshal([]byte(in), &row); err != nil {
		t.Fatal(err)
	}
	_, err := row.Compile()
	if err == nil || err.Error() != "ifeval key 7: instruction 0 (length_constraints:number_words): num_words is null" {
		t.Errorf("Compile error = %v", err)
	}
}
