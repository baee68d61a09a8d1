package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/hubtest"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// Rows of the reasoning benchmarks' repos as the hub's parquet holds them.
type gpqaRowP struct {
	RecordID   string `parquet:"Record ID,optional"`
	Question   string `parquet:"Question,optional"`
	Correct    string `parquet:"Correct Answer,optional"`
	Incorrect1 string `parquet:"Incorrect Answer 1,optional"`
	Incorrect2 string `parquet:"Incorrect Answer 2,optional"`
	Incorrect3 string `parquet:"Incorrect Answer 3,optional"`
	Explain    string `parquet:"Explanation,optional"`
	Subdomain  string `parquet:"Subdomain,optional"`
	Domain     string `parquet:"High-level domain,optional"`
}

type mmluProRowP struct {
	QuestionID  int64    `parquet:"question_id,optional"`
	Question    string   `parquet:"question,optional"`
	Options     []string `parquet:"options,list"`
	Answer      string   `parquet:"answer,optional"`
	AnswerIndex int64    `parquet:"answer_index,optional"`
	CotContent  string   `parquet:"cot_content,optional"`
	Category    string   `parquet:"category,optional"`
	Src         string   `parquet:"src,optional"`
}

type arcChoicesP struct {
	Text  []string `parquet:"text,list"`
	Label []string `parquet:"label,list"`
}

type arcRowP struct {
	ID        string      `parquet:"id,optional"`
	Question  string      `parquet:"question,optional"`
	Choices   arcChoicesP `parquet:"choices"`
	AnswerKey string      `parquet:"answerKey,optional"`
}

type aimeRowP struct {
	ID       int64  `parquet:"id,optional"`
	Problem  string `parquet:"problem,optional"`
	Solution string `parquet:"solution,optional"`
	Answer   string `parquet:"answer,optional"`
	URL      string `parquet:"url,optional"`
	Year     string `parquet:"year,optional"`
}

type platinumRowP struct {
	Question       string `parquet:"question,optional"`
	Answer         string `parquet:"answer,optional"`
	CleaningStatus string `parquet:"cleaning_status,optional"`
}

const (
	reasonCommit = "89abcdef0123456789abcdef0123456789abcdef"
	hubToken     = "hf_test_token_for_the_gated_repo_0123"
)

// serveReasoningRepos serves gpqa (gated, at refs/convert/parquet), MMLU-Pro, ARC,
// AIME 2024 and 2025 and GSM8K-Platinum in their hub layouts.
func serveReasoningRepos(t *testing.T) *hubtest.Server {
	t.Helper()
	hub := hubtest.NewServer(t)
	hub.Setenv(t)
	var gpqa []gpqaRowP
	for i := range 12 {
		gpqa = append(gpqa, gpqaRowP{RecordID: fmt.Sprintf("rec%02d", i), Question: fmt.Sprintf("gpqa question %d?", i),
			Correct: fmt.Sprintf("right %d", i), Incorrect1: fmt.Sprintf("wrong one %d", i), Incorrect2: fmt.Sprintf("wrong two %d", i),
			Incorrect3: fmt.Sprintf("wrong three %d", i), Subdomain: "Organic Chemistry", Domain: "Chemistry"})
	}
	hub.AddDatasetAt("Idavidrein/gpqa", "refs/convert/parquet", reasonCommit, map[string][]byte{
		"gpqa_diamond/train/0000.parquet": hubtest.WriteParquet(t, gpqa),
	})
	opts := []string{"o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9"}
	pro := []mmluProRowP{
		{QuestionID: 70, Question: "pro question ten?", Options: opts, Answer: "J", AnswerIndex: 9, Category: "physics", Src: "x"},
		{QuestionID: 71, Question: "pro question three?", Options: opts[:3], Answer: "B", AnswerIndex: 1, Category: "law", Src: "x"},
	}
	hub.AddDataset("TIGER-Lab/MMLU-Pro", reasonCommit, map[string][]byte{
		"data/test-00000-of-00001.parquet":       hubtest.WriteParquet(t, pro),
		"data/validation-00000-of-00001.parquet": hubtest.WriteParquet(t, pro[:1]),
	})
	hub.AddDataset("allenai/ai2_arc", reasonCommit, map[string][]byte{
		"ARC-Challenge/test-00000-of-00001.parquet": hubtest.WriteParquet(t, []arcRowP{
			{ID: "Mercury_1", Question: "arc digits?", Choices: arcChoicesP{Text: []string{"d1", "d2", "d3", "d4"}, Label: []string{"1", "2", "3", "4"}}, AnswerKey: "3"},
			{ID: "Mercury_2", Question: "arc letters?", Choices: arcChoicesP{Text: []string{"l1", "l2", "l3"}, Label: []string{"A", "B", "C"}}, AnswerKey: "B"},
		}),
	})
	hub.AddDataset("HuggingFaceH4/aime_2024", reasonCommit, map[string][]byte{
		"data/train-00000-of-00001.parquet": hubtest.WriteParquet(t, []aimeRowP{
			{ID: 60, Problem: "aime problem sixty", Answer: "033", Year: "2024"},
			{ID: 61, Problem: "aime problem sixty-one", Answer: "204", Year: "2024"},
		}),
	})
	hub.AddDataset("yentinglin/aime_2025", reasonCommit, map[string][]byte{
		"data/train-00000-of-00001.parquet": hubtest.WriteParquet(t, []aimeRowP{
			{ID: 0, Problem: "aime problem sixty", Answer: "33", Year: "2025"},
		}),
	})
	hub.AddDataset("madrylab/gsm8k-platinum", reasonCommit, map[string][]byte{
		"main/test-00000-of-00001.parquet": hubtest.WriteParquet(t, []platinumRowP{
			{Question: "plat q0: 2 + 2?", Answer: "2 + 2 = 4\n#### 4", CleaningStatus: "consensus"},
			{Question: "plat q1: 3 + 3?", Answer: "#### 7", CleaningStatus: "rejected"},
			{Question: "plat q2: 5 + 5?", Answer: "5 + 5 = 10\n#### 10", CleaningStatus: "revised"},
		}),
	})
	return hub
}

var optionLineRE = regexp.MustCompile(`(?m)^([A-Z])\. (.*)$`)

// reasoningModel answers each benchmark in a thinking model's way.
func reasoningModel(r vllmtest.ChatRequest) vllmtest.Reply {
	p := r.LastUser()
	letterOf := func(text string) string {
		for _, m := range optionLineRE.FindAllStringSubmatch(p, -1) {
			if m[2] == text {
				return m[1]
			}
		}
		return "?"
	}
	reply := "no idea"
	switch {
	case strings.Contains(p, "gpqa question"):
		var i int
		fmt.Sscanf(p[strings.Index(p, "gpqa question"):], "gpqa question %d", &i)
		reply = "<think>weighing them</think>The correct one is the right one.\nAnswer: " + letterOf(fmt.Sprintf("right %d", i))
	case strings.Contains(p, "pro question ten"):
		reply = "Let me think.\nAnswer: J"
	case strings.Contains(p, "pro question three"):
		reply = "The answer is o1" // the option's text, not its letter
	case strings.Contains(p, "arc digits"):
		reply = "Answer: C"
	case strings.Contains(p, "arc letters"):
		reply = "Option B is correct."
	case strings.Contains(p, "aime problem sixty-one"):
		reply = `So $\boxed{204.0}$`
	case strings.Contains(p, "aime problem sixty"):
		reply = `<think>long</think>The answer is $\boxed{33}$.`
	case strings.Contains(p, "plat q0"):
		reply = "The final answer is 4"
	case strings.Contains(p, "plat q2"):
		reply = "The final answer is 11"
	}
	return vllmtest.Reply{Content: vllmtest.Text(reply)}
}

// The reasoning benchmarks' built-in specs, end to end through the command from the
// stand-in hub: gpqa_diamond gated and shuffled (the order recorded per item),
// MMLU-Pro's ten options, ARC's digit keys, AIME's integers with its own four
// samples, GSM8K-Platinum's rejected rows left out.
func TestRunReasoningTasks(t *testing.T) {
	hub := serveReasoningRepos(t)
	hub.RequireToken(hubToken)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: reasoningModel})
	dir := t.TempDir()
	run := func(evalset string, extra ...string) (*result.File, string) {
		t.Helper()
		out := filepath.Join(dir, evalset+".json")
		args := append([]string{"run", "--base-url", hs.URL, "--evalset", evalset, "--out", out, "--quiet"}, extra...)
		code, stdout, stderr := invoke(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", evalset, code, stderr)
		}
		f, err := result.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		return f, stdout
	}

	// Gated: without the token, exit 1 naming HF_TOKEN; the token never shows.
	code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "gpqa_diamond", "--out", filepath.Join(dir, "x.json"), "--quiet")
	if code == 0 || !strings.Contains(stderr, "HF_TOKEN") {
		t.Errorf("gated without a token: exit %d: %s", code, stderr)
	}
	t.Setenv("HF_TOKEN", hubToken)
	f, stdout := run("gpqa_diamond")
	if f.Summary.OK != 12 || f.Params.MaxTokens != 32768 || strings.Contains(stdout, hubToken) {
		t.Errorf("gpqa: summary %+v, max_tokens %d", f.Summary, f.Params.MaxTokens)
	}
	moved := 0
	for _, r := range f.Items {
		o := r.OptionOrder
		sorted := slices.Sorted(slices.Values(o))
		if !slices.Equal(sorted, []int{0, 1, 2, 3}) || o[r.Expected.(string)[0]-'A'] != 0 {
			t.Errorf("%s: option order %v, expected %v: want a permutation with the correct answer (0) at the expected letter", r.ID, o, r.Expected)
		}
		if o[0] != 0 {
			moved++
		}
		if r.Category != "Organic Chemistry" || !strings.HasPrefix(r.ID, "gpqa_diamond-rec") {
			t.Errorf("%s: category %q", r.ID, r.Category)
		}
	}
	if moved < 6 {
		t.Errorf("the correct answer is shown first in %d of 12 items: not shuffled", 12-moved)
	}
	// The same order on a second run (a fixed seed per item).
	again, _ := run("gpqa_diamond", "--out", filepath.Join(dir, "gpqa2.json"))
	for i := range again.Items {
		if !slices.Equal(again.Items[i].OptionOrder, f.Items[i].OptionOrder) {
			t.Errorf("%s: order %v, then %v", f.Items[i].ID, f.Items[i].OptionOrder, again.Items[i].OptionOrder)
		}
	}

	f, _ = run("mmlu_pro")
	if f.Summary.OK != 2 || f.Items[0].Expected != "J" || !strings.Contains(f.Items[0].Prompt, "J. o9") ||
		f.Items[1].Expected != "B" || f.Items[0].OptionOrder != nil {
		t.Errorf("mmlu_pro: %+v\n%+v", f.Summary, f.Items)
	}
	f, _ = run("arc_challenge")
	if f.Summary.OK != 2 || f.Items[0].Expected != "C" || !strings.Contains(f.Items[0].Prompt, "C. d3") {
		t.Errorf("arc_challenge: %+v\n%+v", f.Summary, f.Items)
	}
	f, stdout = run("aime24", "--seed", "1")
	if len(f.Items) != 8 || f.Summary.Samples != 4 || f.Summary.OK != 8 || f.Params.Repeats != 4 || !strings.Contains(stdout, "avg@4 = 1.000") {
		t.Errorf("aime24: %d records, %+v, params %+v, %q", len(f.Items), f.Summary, f.Params, stdout)
	}
	f, _ = run("aime25", "--repeats", "1")
	if len(f.Items) != 1 || f.Items[0].ID != "aime25-0" || !f.Items[0].OK || f.Items[0].Normalized != "33" {
		t.Errorf("aime25: %+v", f.Items)
	}
	f, _ = run("gsm8k_platinum")
	if len(f.Items) != 2 || f.Items[0].ID != "gsm8k_platinum-test-0000" || f.Items[1].ID != "gsm8k_platinum-test-0002" || f.Summary.OK != 1 {
		t.Errorf("gsm8k_platinum: %+v", f.Items)
	}
}

type math500RowP struct {
	Problem  string `parquet:"problem,optional"`
	Solution string `parquet:"solution,optional"`
	Answer   string `parquet:"answer,optional"`
	Subject  string `parquet:"subject,optional"`
	Level    int64  `parquet:"level,optional"`
	UniqueID string `parquet:"unique_id,optional"`
}

// The issue's own example spec, as written: a hub repo whose main holds JSON lines
// (HuggingFaceH4/MATH-500's test.jsonl) is read from the hub's parquet conversion
// when the spec names no revision; offline, from the cache.
func TestRunIssueExampleSpec(t *testing.T) {
	hub := hubtest.NewServer(t)
	hub.Setenv(t)
	hub.AddDataset("HuggingFaceH4/MATH-500", reasonCommit, map[string][]byte{
		"README.md": []byte("# MATH-500\n"), "test.jsonl": []byte(`{"problem": "p"}` + "\n"),
	})
	rows := []math500RowP{
		{Problem: "problem 0: what is 1/2?", Answer: `\frac{1}{2}`, Subject: "Algebra", Level: 1, UniqueID: "test/algebra/1.json"},
		{Problem: "problem 1: how many degrees?", Answer: `90^\circ`, Subject: "Geometry", Level: 2, UniqueID: "test/geometry/5.json"},
	}
	const convCommit = "fedcba9876543210fedcba9876543210fedcba98"
	hub.AddBranch("HuggingFaceH4/MATH-500", "refs/convert/parquet", convCommit, map[string][]byte{
		"default/test/0000.parquet": hubtest.WriteParquet(t, rows),
	})
	dir := t.TempDir()
	spec := filepath.Join(dir, "math500.yaml")
	if err := os.WriteFile(spec, []byte(`name: math500
source: {hub: HuggingFaceH4/MATH-500, split: test}   # or: {file: rows.jsonl} / {file: rows.parquet}
id: "{{.unique_id}}"
prompt: |
  {{.problem}}
  Please reason step by step, and put your final answer within \boxed{}.
answer: "{{.answer}}"
category: "{{.subject}}"
scorer: math
defaults: {max_tokens: 32768, temperature: 0.6, top_p: 0.95, top_k: 20}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(r vllmtest.ChatRequest) vllmtest.Reply {
		if strings.Contains(r.LastUser(), "problem 0") {
			return vllmtest.Reply{Content: vllmtest.Text(`So $\boxed{0.5}$.`)}
		}
		return vllmtest.Reply{Content: vllmtest.Text(`\boxed{90}`)}
	}})
	for _, offline := range []string{"", "1"} {
		t.Setenv("HF_HUB_OFFLINE", offline)
		out := filepath.Join(dir, "r"+offline+".json")
		code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "task:"+spec, "--out", out, "--quiet")
		if code != 0 {
			t.Fatalf("offline %q: exit %d: %s", offline, code, stderr)
		}
		f, err := result.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "accuracy = 1.000 (2/2)") || !strings.Contains(string(f.Evalset.Source), convCommit) {
			t.Errorf("offline %q: %s, source %s", offline, stdout, f.Evalset.Source)
		}
	}
}
