package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/codetask"
	"github.com/quanteval/quanteval/ifeval"
	"github.com/quanteval/quanteval/result"
)

func codeRec(i int, ok bool, reason string) result.Record {
	r := rec(fmt.Sprintf("HumanEval/%d", i), "code", "", ok)
	r.Reason = reason
	r.Code = &codetask.Record{OK: ok, Reason: reason, Program: "def f(): pass"}
	return r
}

func ifevalRec(i int, ids []string, strict []bool) result.Record {
	r := rec(fmt.Sprintf("ifeval-%d", i), "ifeval", "", true)
	for j, id := range ids {
		r.Instructions = append(r.Instructions, ifeval.InstructionResult{ID: id, Strict: strict[j], Loose: strict[j]})
		r.OK = r.OK && strict[j]
	}
	r.Scores = map[string]bool{ifeval.ScorePromptStrict: r.OK, ifeval.ScorePromptLoose: r.OK}
	return r
}

// taskInputs: 12 code tasks (the reference passes 10, the variant 5: 6 lost, 1
// gained) and 4 IFEval prompts where the variant stops writing in lowercase.
func taskInputs() []Input {
	var ref, q []result.Record
	for i := range 12 {
		ref = append(ref, codeRec(i, i < 10, map[bool]string{true: "", false: codetask.ReasonTestFailed}[i < 10]))
		switch {
		case i < 4:
			q = append(q, codeRec(i, true, ""))
		case i < 10:
			q = append(q, codeRec(i, false, codetask.ReasonTimeout))
		case i == 10:
			q = append(q, codeRec(i, true, ""))
		default:
			q = append(q, codeRec(i, false, codetask.ReasonSyntaxError))
		}
	}
	ids := []string{"change_case:english_lowercase", "punctuation:no_comma"}
	for i := range 4 {
		ref = append(ref, ifevalRec(i, ids, []bool{true, i > 0}))
		q = append(q, ifevalRec(i, ids, []bool{i == 0, i > 0}))
	}
	qf := file("model-fp4", q)
	qf.Params.UnsafeExec = true
	return []Input{{Path: "fp4.json", File: qf}, {Path: "bf16.json", File: file("model-bf16", ref)}}
}

func TestCodeSection(t *testing.T) {
	c, err := Build(taskInputs(), Options{Labels: []string{"fp4", "bf16"}})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Code
	if s == nil || len(s.Variants) != 2 {
		t.Fatalf("code %+v", s)
	}
	q, ref := s.Variants[0], s.Variants[1]
	if q.PassAt1.OK != 5 || q.PassAt1.Count != 12 || ref.PassAt1.OK != 10 || !q.Unsafe || ref.Unsafe {
		t.Errorf("pass@1 %+v / %+v", q, ref)
	}
	if p := q.VsRef; p == nil || p.Lost != 6 || p.Gained != 1 || p.Common != 12 || ref.VsRef != nil {
		t.Errorf("paired %+v", q.VsRef)
	}
	if q.Reasons[codetask.ReasonTimeout] != 6 || q.Reasons[codetask.ReasonSyntaxError] != 1 || ref.Reasons[codetask.ReasonTestFailed] != 2 {
		t.Errorf("reasons %v / %v", q.Reasons, ref.Reasons)
	}
	if got := reasonList(q.Reasons); got != "timeout 6, syntax_error 1" {
		t.Errorf("reason list %q", got)
	}
	warned := false
	for _, w := range c.Warnings {
		warned = warned || strings.Contains(w, "fp4: code ran WITHOUT a sandbox")
	}
	if !warned {
		t.Errorf("no unsafe warning in %q", c.Warnings)
	}
}

func TestIFEvalSection(t *testing.T) {
	c, err := Build(taskInputs(), Options{Labels: []string{"fp4", "bf16"}})
	if err != nil {
		t.Fatal(err)
	}
	s := c.IFEval
	if s == nil || len(s.Variants) != 2 || len(s.Changes) != 1 {
		t.Fatalf("ifeval %+v", s)
	}
	if m := s.Variants[1].Summary; m.Prompts != 4 || m.PromptStrict != 0.75 || m.InstStrict != 7.0/8 {
		t.Errorf("reference %+v", m)
	}
	ch := s.Changes[0].Changes
	if len(ch) != 2 || ch[0].ID != "change_case:english_lowercase" || ch[0].DeltaStrict != -0.75 || ch[1].DeltaStrict != 0 {
		t.Errorf("changes %+v, want lowercase first with -0.75", ch)
	}
}

func TestTaskSectionsRendered(t *testing.T) {
	c, err := Build(taskInputs(), Options{Labels: []string{"fp4", "bf16"}})
	if err != nil {
		t.Fatal(err)
	}
	var md, js, html bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**Code: pass@1**",
		"| fp4 (unsafe exec) | 0.417 (5/12) |",
		"timeout 6, syntax_error 1",
		"**IFEval per instruction: fp4 against bf16, largest drop first (strict)**",
		"| change_case:english_lowercase | 4 | 1.000 | 0.250 | -75.0 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	if err := c.JSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Code struct {
			Variants []struct {
				PassAt1 struct{ OK int } `json:"pass_at_1"`
				Unsafe  bool             `json:"unsafe_exec"`
			}
		}
		IFEval struct {
			Changes []struct {
				ByInstruction []ifeval.InstructionChange `json:"by_instruction"`
			}
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Code.Variants) != 2 || doc.Code.Variants[0].PassAt1.OK != 5 || !doc.Code.Variants[0].Unsafe ||
		len(doc.IFEval.Changes) != 1 || doc.IFEval.Changes[0].ByInstruction[0].DeltaStrict != -0.75 {
		t.Errorf("JSON %s", js.String())
	}
	if err := c.HTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<section id="code">`, `<section id="ifeval">`, `<section id="ifeval-change-1">`,
		"<td>change_case:english_lowercase</td>", "-75.0"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// A set without code or IFEval items has no task sections.
func TestNoTaskSections(t *testing.T) {
	c := build(t, Options{})
	if c.Code != nil || c.IFEval != nil || len(c.taskTables(0)) != 0 {
		t.Errorf("code %+v ifeval %+v", c.Code, c.IFEval)
	}
}

// pass@k comes from the result summary only when a sampled run wrote it.
func TestPassAtKAbsent(t *testing.T) {
	if got := passAtK(result.Summary{}); got != nil {
		t.Errorf("no pass_at_k: %v", got)
	}
}
