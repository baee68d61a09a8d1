package task

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/codetask"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/ifeval"
	"github.com/quanteval/quanteval/score"
)

// Rows in each repo's own schema, as the parquet reader gives them.
func humanevalRow() Row {
	return Row{"task_id": "HumanEval/0", "entry_point": "add",
		"prompt":             "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n",
		"canonical_solution": "    return a + b\n",
		"test":               "def check(candidate):\n    assert candidate(1, 2) == 3\n"}
}

func mbppRow() Row {
	return Row{"source_file": "Benchmark Questions Verification V2.ipynb", "task_id": int64(2),
		"prompt":       "Write a function to find the shared elements from the given two lists.",
		"code":         "def similar_elements(a, b):\n    return tuple(set(a) & set(b))",
		"test_imports": []any{},
		"test_list": []any{"assert set(similar_elements((3, 4), (4, 5))) == set((4,))",
			"assert set(similar_elements((1, 2), (2, 3))) == set((2,))"}}
}

// ifevalKwargs is one kwargs struct of the parquet conversion: every key present,
// the unused ones null.
func ifevalKwargs(set map[string]any) map[string]any {
	m := map[string]any{}
	for _, k := range ifeval.KwargKeys() {
		m[k] = nil
	}
	for k, v := range set {
		m[k] = v
	}
	return m
}

func ifevalRow() Row {
	return Row{"key": int64(1000), "prompt": "Write a short poem about the sea. Do not use any commas.",
		"instruction_id_list": []any{"punctuation:no_comma", "length_constraints:number_words"},
		"kwargs":              []any{ifevalKwargs(nil), ifevalKwargs(map[string]any{"relation": "less than", "num_words": int64(50)})}}
}

func TestCodeItems(t *testing.T) {
	for _, tc := range []struct {
		spec, id, kind string
		row            Row
		task           codetask.Task
	}{
		{"humaneval", "HumanEval/0", codetask.HumanEval, humanevalRow(), codetask.Task{Kind: codetask.HumanEval,
			Prompt: humanevalRow()["prompt"].(string), EntryPoint: "add", Test: humanevalRow()["test"].(string)}},
		{"humaneval_plus", "HumanEval/0", codetask.HumanEval, humanevalRow(), codetask.Task{Kind: codetask.HumanEval,
			Prompt: humanevalRow()["prompt"].(string), EntryPoint: "add", Test: humanevalRow()["test"].(string)}},
		{"mbpp", "mbpp-2", codetask.MBPP, mbppRow(), codetask.Task{Kind: codetask.MBPP, Prompt: mbppRow()["prompt"].(string),
			TestList: []string{"assert set(similar_elements((3, 4), (4, 5))) == set((4,))",
				"assert set(similar_elements((1, 2), (2, 3))) == set((2,))"}}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			sp := builtin(t, tc.spec)
			it := build(t, sp, []Row{tc.row})[0]
			if it.ID != tc.id || it.Type != score.TypeCode {
				t.Fatalf("id %q type %q", it.ID, it.Type)
			}
			c, err := score.CodeCheckOf(&it.Item)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != tc.kind || c.Prompt != tc.task.Prompt && tc.kind == codetask.HumanEval ||
				c.EntryPoint != tc.task.EntryPoint || c.Test != tc.task.Test || !reflect.DeepEqual(c.TestList, tc.task.TestList) {
				t.Errorf("check %+v, want %+v", c, tc.task)
			}
			// The prompt the spec writes is the one codetask asks with.
			if got, want := lastTurn(it), codetask.ChatPrompt(tc.task); got != want {
				t.Errorf("prompt\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestIFEvalItem(t *testing.T) {
	it := build(t, builtin(t, "ifeval"), []Row{ifevalRow()})[0]
	if it.ID != "ifeval-1000" || it.Type != score.TypeIFEval || it.Answer != "punctuation:no_comma, length_constraints:number_words" {
		t.Fatalf("item %+v", it.Item)
	}
	// Null kwargs are dropped from the check: only what an instruction uses is hashed.
	if want := `{"instruction_id_list":["punctuation:no_comma","length_constraints:number_words"],` +
		`"kwargs":[{},{"num_words":50,"relation":"less than"}]}`; string(it.Check) != want {
		t.Errorf("check %s\nwant  %s", it.Check, want)
	}
	for _, tc := range []struct {
		reply  string
		strict bool
	}{
		{"The sea is wide and blue.", true},
		{"The sea, wide and blue.", false},
		{strings.Repeat("wave ", 60), false},
	} {
		o := score.Score(&it.Item, tc.reply)
		if o.OK != tc.strict || o.IFEval == nil || len(o.IFEval.Instructions) != 2 {
			t.Errorf("%q: outcome %+v", tc.reply, o)
		}
	}
}

// Rows that lack what a check needs are refused when the set is built, naming the
// row and the column.
func TestCheckErrors(t *testing.T) {
	bad := func(r Row, k string, v any) Row { r[k] = v; return r }
	for _, tc := range []struct {
		spec string
		row  Row
		want string
	}{
		{"humaneval", bad(humanevalRow(), "entry_point", ""), `"entry_point"`},
		{"mbpp", bad(mbppRow(), "test_list", []any{}), `"test_list"`},
		{"mbpp", bad(mbppRow(), "test_list", "assert f()"), `"test_list"`},
		{"ifeval", bad(ifevalRow(), "instruction_id_list", []any{"punctuation:no_comma", "no:such"}), `unknown id "no:such"`},
		{"ifeval", bad(ifevalRow(), "kwargs", []any{ifevalKwargs(nil)}), "2 instruction ids but 1 kwargs"},
	} {
		_, err := Build(builtin(t, tc.spec), []Row{tc.row}, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "row 0") {
			t.Errorf("%s: error %v, want one naming %s and row 0", tc.spec, err, tc.want)
		}
	}
}

func TestScorerKind(t *testing.T) {
	for _, tc := range []struct{ scorer, want string }{
		{"code", "scorer code needs kind humaneval or mbpp"},
		{"{name: code, kind: java}", `not "java"`},
		{"{name: exact, kind: mbpp}", "only for scorer code"},
	} {
		spec := "name: x\nsource: {hub: a/b}\nid: '{{.id}}'\nprompt: '{{.q}}'\nanswer: '{{.a}}'\nscorer: " + tc.scorer + "\n"
		_, err := Parse("x.yaml", []byte(spec))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "scorer.kind") {
			t.Errorf("%s: error %v, want %q", tc.scorer, err, tc.want)
		}
	}
}

// Items of every other scorer carry no check, so their set hashes stay the same.
func TestNoCheckElsewhere(t *testing.T) {
	it := build(t, builtin(t, "aime24"), []Row{{"id": int64(60), "problem": "What is 1+1?", "answer": "2"}})[0]
	if it.Check != nil {
		t.Fatalf("check %s", it.Check)
	}
	b, err := json.Marshal(it.Item)
	if err != nil || strings.Contains(string(b), "check") {
		t.Errorf("item JSON %s (%v)", b, err)
	}
	var _ evalset.Item = it.Item
}

// The items the code and ifeval specs build are what a JSONL set may hold: written
// out and read back by the eval-set reader, they are the same items.
func TestCheckItemsAsJSONL(t *testing.T) {
	var items []evalset.Item
	for _, tc := range []struct {
		spec string
		row  Row
	}{{"humaneval", humanevalRow()}, {"mbpp", mbppRow()}, {"ifeval", ifevalRow()}} {
		items = append(items, EvalItems(build(t, builtin(t, tc.spec), []Row{tc.row}))...)
	}
	var buf strings.Builder
	if err := evalset.WriteJSONL(&buf, items); err != nil {
		t.Fatal(err)
	}
	back, err := evalset.Parse("tasks.jsonl", []byte(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, items) {
		t.Errorf("read back\n%+v\nwant\n%+v", back, items)
	}
}

// The eval-set reader's rules for a code check are codetask's.
func TestCodeCheckRulesAgree(t *testing.T) {
	if evalset.CodeHumanEval != codetask.HumanEval || evalset.CodeMBPP != codetask.MBPP ||
		evalset.TypeCode != score.TypeCode || evalset.TypeIFEval != score.TypeIFEval {
		t.Fatal("the kinds or types differ")
	}
	for _, task := range []codetask.Task{
		{Kind: codetask.HumanEval, Prompt: "def f():\n", EntryPoint: "f", Test: "def check(c): pass"},
		{Kind: codetask.HumanEval, Prompt: "def f():\n", Test: "def check(c): pass"},
		{Kind: codetask.HumanEval, EntryPoint: "f", Test: "def check(c): pass"},
		{Kind: codetask.HumanEval, Prompt: "def f():\n", EntryPoint: "f"},
		{Kind: codetask.MBPP, TestList: []string{"assert f() == 1"}},
		{Kind: codetask.MBPP, TestImports: []string{"import math"}},
		{Kind: "python", TestList: []string{"assert f() == 1"}},
		{TestList: []string{"assert f() == 1"}},
	} {
		c, err := json.Marshal(score.CodeCheck{Kind: task.Kind, Prompt: task.Prompt, EntryPoint: task.EntryPoint,
			Test: task.Test, TestImports: task.TestImports, TestList: task.TestList})
		if err != nil {
			t.Fatal(err)
		}
		line := `{"id": "x", "type": "code", "prompt": "q", "check": ` + string(c) + `}`
		_, perr := evalset.Parse("set.jsonl", []byte(line))
		if verr := task.Validate(); (perr == nil) != (verr == nil) {
			t.Errorf("%+v: reader %v, codetask %v", task, perr, verr)
		}
	}
}
