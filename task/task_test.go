package task

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/score"
)

func builtin(t *testing.T, name string) *Spec {
	t.Helper()
	sp, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func build(t *testing.T, sp *Spec, rows []Row) []Item {
	t.Helper()
	items, err := Build(sp, rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func lastTurn(it Item) string { return it.Messages[len(it.Messages)-1].Content }

// Every built-in spec parses and refers to exactly its repo's real columns.
func TestBuiltinColumns(t *testing.T) {
	want := map[string][]string{
		"gsm8k":          {"answer", "question"},
		"gsm8k_platinum": {"answer", "cleaning_status", "question"},
		"mmlu":           {"answer", "choices", "question", "subject"},
		"math500":        {"answer", "problem", "subject", "unique_id"},
		"aime24":         {"answer", "id", "problem"},
		"aime25":         {"answer", "id", "problem"},
		"mmlu_pro":       {"answer_index", "category", "options", "question", "question_id"},
		"gpqa_diamond":   {"Correct Answer", "High-level domain", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Question", "Record ID", "Subdomain"},
		"arc_challenge":  {"answerKey", "choices", "id", "question"},
		"humaneval":      {"canonical_solution", "entry_point", "prompt", "task_id", "test"},
		"humaneval_plus": {"canonical_solution", "entry_point", "prompt", "task_id", "test"},
		"mbpp":           {"code", "prompt", "task_id", "test_imports", "test_list"},
		"ifeval":         {"instruction_id_list", "key", "kwargs", "prompt"},
	}
	names := Builtins()
	if len(names) != len(want) {
		t.Errorf("built-ins %v, want %d", names, len(want))
	}
	for _, n := range names {
		sp := builtin(t, n)
		if sp.Name != n || sp.File != "builtin:"+n {
			t.Errorf("%s: name %q file %q", n, sp.Name, sp.File)
		}
		if got := sp.Columns(); !reflect.DeepEqual(got, want[n]) {
			t.Errorf("%s: columns %q, want %q", n, got, want[n])
		}
		if !slices.Contains(Scorers, sp.Scorer) || sp.Source.Hub == "" {
			t.Errorf("%s: scorer %q hub %q", n, sp.Scorer, sp.Source.Hub)
		}
		// Repos that hold CSV or JSON lines are read from the hub's parquet conversion.
		if conv := n == "math500" || n == "gpqa_diamond" || n == "ifeval"; conv != (sp.Source.Revision == "refs/convert/parquet") {
			t.Errorf("%s: revision %q", n, sp.Source.Revision)
		}
	}
}

func TestMath500(t *testing.T) {
	sp := builtin(t, "math500")
	rows := []Row{
		{"problem": "Convert $(0,3)$ to polar coordinates.", "solution": "...", "answer": `\left( 3, \frac{\pi}{2} \right)`,
			"subject": "Precalculus", "level": int64(2), "unique_id": "test/precalculus/807.json"},
	}
	it := build(t, sp, rows)[0]
	want := "Convert $(0,3)$ to polar coordinates.\nPlease reason step by step, and put your final answer within \\boxed{}."
	if it.ID != "test/precalculus/807.json" || it.Type != score.TypeMath || it.Category != "Precalculus" || lastTurn(it) != want {
		t.Errorf("item %+v", it)
	}
	if o := score.Score(&it.Item, `<think>hmm</think>So $\boxed{(3,\frac{\pi}{2})}$.`); !o.OK {
		t.Errorf("right answer scored %+v", o)
	}
	d := sp.Defaults
	if d.MaxTokens != 32768 || *d.Temperature != 0.6 || *d.TopP != 0.95 || *d.TopK != 20 || d.MinP != nil {
		t.Errorf("defaults %+v", d)
	}
}

func TestAIME(t *testing.T) {
	for _, tt := range []struct {
		name string
		row  Row
		id   string
	}{
		{"aime24", Row{"id": int64(60), "problem": "Find $N$.", "solution": "...", "answer": "033", "url": "u", "year": "2024"}, "aime24-60"},
		{"aime25", Row{"id": int64(0), "problem": "Find $N$.", "solution": "...", "answer": "70", "url": "u", "year": "2025"}, "aime25-0"},
		{"aime25", Row{"id": "I-1", "problem": "Find $N$.", "answer": "70"}, "aime25-I-1"},
	} {
		sp := builtin(t, tt.name)
		it := build(t, sp, []Row{tt.row})[0]
		if it.ID != tt.id || it.Type != score.TypeAIME || sp.Defaults.Repeats != 4 {
			t.Errorf("%s: item %+v repeats %d", tt.name, it, sp.Defaults.Repeats)
		}
		right := `\boxed{` + strings.TrimLeft(tt.row["answer"].(string), "0") + "}"
		if o := score.Score(&it.Item, right); !o.OK {
			t.Errorf("%s: %q scored %+v", tt.name, right, o)
		}
	}
}

func TestMMLUPro(t *testing.T) {
	sp := builtin(t, "mmlu_pro")
	opts := []any{"o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9"}
	rows := []Row{
		{"question_id": int64(70), "question": "Which?", "options": opts, "answer": "J", "answer_index": int64(9),
			"cot_content": "", "category": "business", "src": "ori_mmlu-business"},
		{"question_id": int64(71), "question": "Which of three?", "options": opts[:3], "answer": "B", "answer_index": int64(1),
			"cot_content": "", "category": "law", "src": "stemez"},
	}
	items := build(t, sp, rows)
	if items[0].ID != "mmlu_pro-70" || items[0].Answer != "J" || items[0].Category != "business" || len(items[0].Options) != 10 {
		t.Errorf("item %+v", items[0])
	}
	if p := lastTurn(items[0]); !strings.Contains(p, "J. o9\n\nAnswer with") || !strings.Contains(p, "X is A, B, C, D, E, F, G, H, I or J.") {
		t.Errorf("prompt %q", p)
	}
	if p := lastTurn(items[1]); !strings.Contains(p, "X is A, B or C.") || items[1].Answer != "B" {
		t.Errorf("prompt %q answer %v", p, items[1].Answer)
	}
	if o := score.Score(&items[0].Item, "Answer: J"); !o.OK {
		t.Errorf("J scored %+v", o)
	}
}

func gpqaRow(id, correct string) Row {
	return Row{"Question": " What is it? ", "Correct Answer": correct, "Incorrect Answer 1": "wrong 1",
		"Incorrect Answer 2": "wrong 2", "Incorrect Answer 3": "wrong 3", "Record ID": id,
		"High-level domain": "Physics", "Subdomain": "Quantum Mechanics", "Explanation": "..."}
}

func TestGPQAShuffle(t *testing.T) {
	sp := builtin(t, "gpqa_diamond")
	var rows []Row
	for _, id := range []string{"rec06pnAkLOr2t2mp", "recA", "recB", "recC", "recD", "recE", "recF", "recG"} {
		rows = append(rows, gpqaRow(id, "right for "+id))
	}
	items := build(t, sp, rows)
	letters := map[string]bool{}
	for i, it := range items {
		j := int(it.Answer.(string)[0] - 'A')
		if it.Options[j] != rows[i]["Correct Answer"] || it.Order[j] != 0 {
			t.Errorf("%s: answer %v options %q order %v", it.ID, it.Answer, it.Options, it.Order)
		}
		letters[it.Answer.(string)] = true
		sorted := slices.Clone(it.Order)
		slices.Sort(sorted)
		if !reflect.DeepEqual(sorted, []int{0, 1, 2, 3}) {
			t.Errorf("%s: order %v is not a permutation", it.ID, it.Order)
		}
		if !strings.HasPrefix(lastTurn(it), "The following is a multiple choice question about physics.\n\nWhat is it?\n\nA. ") || it.Category != "Quantum Mechanics" {
			t.Errorf("%s: prompt %q", it.ID, lastTurn(it))
		}
	}
	if len(letters) < 2 {
		t.Errorf("8 items all answer %v: not shuffled", letters)
	}
	// The order depends on the item alone: the same row among others, or alone,
	// gets the same order, and every run gets it.
	again := build(t, sp, rows[3:4])
	if !reflect.DeepEqual(again[0].Order, items[3].Order) {
		t.Errorf("order %v alone, %v among others", again[0].Order, items[3].Order)
	}
	if got := permutation(20231120, items[1].ID, 4); !reflect.DeepEqual(got, items[1].Order) {
		t.Errorf("permutation %v, item order %v", got, items[1].Order)
	}
	if got, want := permutation(1, "x", 5), permutation(1, "x", 5); !reflect.DeepEqual(got, want) {
		t.Error("permutation is not deterministic")
	}
}

func arcRow(id string, labels []any, key string) Row {
	texts := make([]any, len(labels))
	for i := range labels {
		texts[i] = "text " + labels[i].(string)
	}
	return Row{"id": id, "question": "Which is it?", "choices": map[string]any{"text": texts, "label": labels}, "answerKey": key}
}

func TestARC(t *testing.T) {
	sp := builtin(t, "arc_challenge")
	rows := []Row{
		arcRow("Mercury_7175875", []any{"A", "B", "C", "D"}, "C"),
		arcRow("NYSEDREGENTS_2015_4_8", []any{"1", "2", "3", "4"}, "2"),
		arcRow("Mercury_SC_5", []any{"A", "B", "C", "D", "E"}, "E"),
	}
	items := build(t, sp, rows)
	for i, want := range []string{"C", "B", "E"} {
		if items[i].Answer != want || items[i].ID != "arc_challenge-"+rows[i]["id"].(string) {
			t.Errorf("item %d: id %s answer %v, want %s", i, items[i].ID, items[i].Answer, want)
		}
	}
	if p := lastTurn(items[1]); !strings.Contains(p, "\nA. text 1\nB. text 2\n") {
		t.Errorf("digit labels are shown as letters: %q", p)
	}
	bad := []Row{arcRow("x", []any{"A", "B"}, "Z")}
	if _, err := Build(sp, bad, Options{}); err == nil || !strings.Contains(err.Error(), `"Z" is none of the labels A, B`) {
		t.Errorf("unknown answer key: %v", err)
	}
}

func TestGSM8KPlatinum(t *testing.T) {
	sp := builtin(t, "gsm8k_platinum")
	rows := []Row{
		{"question": "Q?", "answer": "2+2=<<2+2=4>>4\n#### 4", "cleaning_status": "consensus"},
		{"question": "Unclear?", "answer": "#### 5", "cleaning_status": "rejected"},
		{"question": "R?", "answer": "#### 1,200", "cleaning_status": "revised"},
	}
	items := build(t, sp, rows)
	if len(items) != 2 {
		t.Fatalf("%d items, want the rejected row left out", len(items))
	}
	it := items[0]
	if it.ID != "gsm8k_platinum-test-0000" || it.Type != evalset.TypeGSM8K || it.Answer != 4.0 {
		t.Errorf("item %+v", it)
	}
	// Ids count every row of the split, kept or not.
	if items[1].ID != "gsm8k_platinum-test-0002" || items[1].Answer != 1200.0 {
		t.Errorf("item %+v", items[1])
	}
	if _, err := Build(sp, rows[1:2], Options{}); err == nil || !strings.Contains(err.Error(), "the filter keeps none of the 1 rows") {
		t.Errorf("all rejected: %v", err)
	}
	k := 1
	if _, err := Build(sp, rows, Options{Fewshot: &k, Shots: rows}); err == nil || !strings.Contains(err.Error(), "no fewshot.reply") {
		t.Errorf("few-shot without a reply template: %v", err)
	}
}

func TestMissingColumn(t *testing.T) {
	sp := builtin(t, "mmlu_pro")
	rows := []Row{{"question_id": int64(1), "question": "q", "options": []any{"a", "b"}, "answer": "A", "category": "law"}}
	_, err := Build(sp, rows, Options{})
	var ce *ColumnError
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Missing, []string{"answer_index"}) {
		t.Fatalf("err %v, want a ColumnError naming answer_index", err)
	}
	want := `builtin:mmlu_pro: answer: no column "answer_index" in the data; its columns are: answer, category, options, question, question_id`
	if err.Error() != want {
		t.Errorf("error\n %s\nwant\n %s", err, want)
	}
	// Columns are found in col calls, index_by, conditions and nested pipelines.
	sp2, err := Parse("t.yaml", []byte(`name: t
source: {hub: a/b}
id: '{{index_by "k"}}'
prompt: '{{if .cond}}{{trim (col "Long Name")}}{{end}}{{range .items}}{{.inner}}{{end}}'
answer: '{{.a.b}}'
scorer: exact
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := sp2.Columns(); !reflect.DeepEqual(got, []string{"Long Name", "a", "cond", "items", "k"}) {
		t.Errorf("columns %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"unknown key", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: exact\nfoo: 1\n", "t.yaml:7: foo: unknown key"},
		{"missing prompt", "name: x\nsource: {hub: a/b}\nid: i\nanswer: a\nscorer: exact\n", "t.yaml:1: prompt: missing"},
		{"bad template", "name: x\nsource: {hub: a/b}\nid: i\nprompt: '{{.q'\nanswer: a\nscorer: exact\n", "t.yaml:4: prompt: bad template"},
		{"unknown function", "name: x\nsource: {hub: a/b}\nid: i\nprompt: '{{shout .q}}'\nanswer: a\nscorer: exact\n", `function "shout" not defined`},
		{"unknown scorer", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: fuzzy\n", `t.yaml:6: scorer: unknown scorer "fuzzy"`},
		{"hub and file", "name: x\nsource: {hub: a/b, file: r.jsonl}\nid: i\nprompt: p\nanswer: a\nscorer: exact\n", "t.yaml:2: source: give either hub or file"},
		{"bad hub", "name: x\nsource: {hub: ab}\nid: i\nprompt: p\nanswer: a\nscorer: exact\n", `t.yaml:2: source.hub: "ab" is not a hub repo`},
		{"bad file", "name: x\nsource: {file: r.csv}\nid: i\nprompt: p\nanswer: a\nscorer: exact\n", "source.file: \"r.csv\": want a .parquet or .jsonl file"},
		{"choice without choices", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: choice\n", "choices: missing"},
		{"bad top_p", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: exact\ndefaults: {top_p: 1.5}\n", "t.yaml:7: defaults.top_p: 1.5 is outside [0, 1]"},
		{"bad repeats", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: exact\ndefaults:\n  repeats: 0\n", "t.yaml:8: defaults.repeats: 0 is below 1"},
		{"tolerance for math", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: {name: math, tolerance: 0.1}\n", "scorer.tolerance: only for number and gsm8k"},
		{"fewshot k without reply", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: exact\nfewshot: {split: train, k: 2}\n", "fewshot.reply: missing"},
		{"choices both", "name: x\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: choice\nchoices: {column: c, columns: [a, b]}\n", "t.yaml:7: choices: give either column"},
		{"duplicate key", "name: x\nname: y\nsource: {hub: a/b}\nid: i\nprompt: p\nanswer: a\nscorer: exact\n", "t.yaml:2: name: given twice (first at line 1)"},
		{"not a mapping", "- a\n- b\n", "t.yaml:1: want a mapping, got a list"},
		{"empty", "", "t.yaml: empty spec"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseFileAndScorerOptions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	spec := `name: mine
source: {file: data/rows.jsonl}
id: 'mine-{{row}}'
system: 'You are {{.who}}.'
prompt: '{{.q}}'
answer: '{{.a}}'
category: '{{upper .cat}}'
scorer: {name: number, tolerance: 0.5}
defaults: {max_tokens: 64, temperature: 0, min_p: 0.05, presence_penalty: 1.5, top_k: -1}
`
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Source.File != filepath.Join(dir, "data", "rows.jsonl") || sp.Source.Split != "test" {
		t.Errorf("source %+v", sp.Source)
	}
	d := sp.Defaults
	if d.MaxTokens != 64 || *d.Temperature != 0 || *d.MinP != 0.05 || *d.PresencePenalty != 1.5 || *d.TopK != -1 || d.TopP != nil {
		t.Errorf("defaults %+v", d)
	}
	items, err := Build(sp, []Row{{"q": "2+2?", "a": "1,000", "cat": "sum", "who": "terse"}, {"q": "3+3?", "a": 6.0, "cat": "sum", "who": "terse"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	if it.ID != "mine-0" || it.Answer != 1000.0 || *it.Tolerance != 0.5 || it.Category != "SUM" || it.System != "You are terse." || items[1].Answer != 6.0 {
		t.Errorf("item %+v", it)
	}
	if _, err := Build(sp, []Row{{"q": "x", "a": "many", "cat": "c", "who": "w"}}, Options{}); err == nil || !strings.Contains(err.Error(), `test row 0: answer: "many" is not a number`) {
		t.Errorf("non-numeric answer: %v", err)
	}
	if _, err := Build(sp, []Row{{"q": "x", "a": "1", "cat": "c", "who": "w"}, {"q": "y", "a": "1", "cat": "c", "who": "w"}}, Options{Split: "s"}); err != nil {
		t.Errorf("two rows: %v", err)
	}
}

func TestFilterAndNulls(t *testing.T) {
	sp, err := Parse("t.yaml", []byte("name: t\nsource: {hub: a/b}\nid: '{{row}}'\nprompt: '{{.q}}'\nanswer: a\nscorer: exact\nfilter: '{{.q}}'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(sp, []Row{{"q": "maybe"}}, Options{}); err == nil || !strings.Contains(err.Error(), `filter: rendered "maybe", want true or false`) {
		t.Errorf("filter not a boolean: %v", err)
	}
	sp.Filter = nil
	if _, err := Build(sp, []Row{{"q": "x"}, {"q": nil}}, Options{}); err == nil || !strings.Contains(err.Error(), "test row 1: prompt: printed <no value>: a column it reads is null") {
		t.Errorf("null cell: %v", err)
	}
}

func TestDuplicateIDs(t *testing.T) {
	sp, err := Parse("t.yaml", []byte("name: t\nsource: {hub: a/b}\nid: '{{.k}}'\nprompt: p\nanswer: a\nscorer: exact\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(sp, []Row{{"k": "x"}, {"k": "y"}, {"k": "x"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `rows 0 and 2 have the same id "x"`) {
		t.Errorf("err %v", err)
	}
}

func TestFewshotShortage(t *testing.T) {
	sp := builtin(t, "mmlu")
	rows := mmluMaps(nil)
	rows = append(rows, Row{"question": "q", "subject": "anatomy", "choices": []any{"a", "b"}, "answer": int64(0)})
	shots := []Row{{"question": "s", "subject": "anatomy", "choices": []any{"a", "b"}, "answer": int64(1)}}
	k := 2
	_, err := Build(sp, rows, Options{Fewshot: &k, Shots: shots})
	if err == nil || !strings.Contains(err.Error(), `2 few-shot examples asked, but the dev split has 1 examples with subject "anatomy"`) {
		t.Errorf("err %v", err)
	}
	k = 1
	items, err := Build(sp, rows, Options{Fewshot: &k, Shots: shots})
	if err != nil {
		t.Fatal(err)
	}
	if m := items[0].Messages; len(m) != 3 || m[1].Content != "Answer: B" {
		t.Errorf("messages %+v", m)
	}
}
