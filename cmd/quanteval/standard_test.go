package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/hubtest"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// gsm8kModel answers the hub fixture's questions ("Tom has N apples and buys 1 more")
// with reasoning that holds several numbers. Depending on the question number it ends
// with the strict phrase, with only a last number, or wrongly.
func gsm8kModel(r vllmtest.ChatRequest) vllmtest.Reply {
	var q, n int
	fmt.Sscanf(r.LastUser()[strings.Index(r.LastUser(), "question"):], "question %d: Tom has %d apples", &q, &n)
	var text string
	switch q % 3 {
	case 0:
		text = fmt.Sprintf("Tom starts with %d apples, buys 1, so %d + 1 = %d.\nThe final answer is %d.", n, n, n+1, n+1)
	case 1:
		text = fmt.Sprintf("Tom starts with %d apples and buys 1: **%d** apples.", n, n+1) // flexible only
	case 2:
		text = fmt.Sprintf("Tom has %d apples. The final answer is %d.", n, n+2) // wrong
	}
	return vllmtest.Reply{Content: vllmtest.Text(text)}
}

func TestRunGSM8KFromHub(t *testing.T) {
	hub := hubtest.NewServer(t)
	cache := hub.Setenv(t)
	hub.AddGSM8K(t, hubtest.GSM8KRows("test", 12), hubtest.GSM8KRows("train", 4))
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: gsm8kModel, Capture: true})
	out := filepath.Join(t.TempDir(), "gsm8k.json")
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "gsm8k", "--fewshot", "2", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Questions 0, 3, 6, 9 are right for both scores; 1, 4, 7, 10 only for flexible.
	if !strings.Contains(stdout, "accuracy = 0.333 (4/12), 0 errors") || !strings.Contains(stdout, "flexible = 0.667 (8/12)") {
		t.Errorf("stdout %q", stdout)
	}
	f, err := result.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Params.MaxTokens != 1024 || f.Params.System != "" || f.Evalset.Name != "gsm8k" || !strings.Contains(string(f.Evalset.Source), hubtest.GSM8KCommit) {
		t.Errorf("params %+v evalset %+v", f.Params, f.Evalset)
	}
	if f.Items[0].ID != "gsm8k-test-0000" || !f.Items[1].Scores["flexible"] || f.Items[1].Scores["strict"] || f.Items[1].Reason != "no_final_answer" {
		t.Errorf("items %+v %+v", f.Items[0], f.Items[1])
	}
	// Few-shot turns come before the question; no system message.
	msgs := srv.LastBody()["messages"].([]any)
	if len(msgs) != 5 || msgs[0].(map[string]any)["role"] != "user" {
		t.Errorf("messages %v", msgs)
	}
	// The cache is the hub's layout, and a second run makes no hub request.
	if _, err := os.Stat(filepath.Join(cache, "datasets--openai--gsm8k", "refs", "main")); err != nil {
		t.Error(err)
	}
	hub.ResetRequests()
	t.Setenv("HF_HUB_OFFLINE", "1")
	if code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "gsm8k", "--fewshot", "2", "--out", out+"2", "--quiet"); code != 0 {
		t.Fatalf("offline rerun: %s", stderr)
	}
	if n := len(hub.Requests()); n != 0 {
		t.Errorf("offline rerun made %d hub requests", n)
	}
	// Offline with nothing cached: exit 2 and a message naming what is missing.
	code, _, stderr = invoke(t, "run", "--base-url", hs.URL, "--evalset", "mmlu", "--quiet")
	if code != 2 || !strings.Contains(stderr, "cais/mmlu") {
		t.Errorf("offline miss: exit %d %q", code, stderr)
	}
}

var letterRE = regexp.MustCompile(`alpha (\d+)`)

func TestRunMMLUSampleAndCompare(t *testing.T) {
	hub := hubtest.NewServer(t)
	hub.Setenv(t)
	subjects := []string{"college_physics", "high_school_physics", "virology"}
	hub.AddMMLU(t, hubtest.MMLURows("test", subjects, 10), hubtest.MMLURows("dev", subjects, 5))
	// Two "variants": one always right, one wrong on virology.
	letters := "ABCD"
	answer := func(wrongOn string) func(vllmtest.ChatRequest) vllmtest.Reply {
		return func(r vllmtest.ChatRequest) vllmtest.Reply {
			m := letterRE.FindAllStringSubmatch(r.LastUser(), -1)
			var i int
			fmt.Sscanf(m[len(m)-1][1], "%d", &i)
			l := letters[i%4 : i%4+1]
			if wrongOn != "" && strings.Contains(r.LastUser(), wrongOn) {
				l = letters[(i+1)%4 : (i+1)%4+1]
			}
			return vllmtest.Reply{Content: vllmtest.Text("Let me think.\nAnswer: " + l)}
		}
	}
	dir := t.TempDir()
	for _, v := range []struct{ name, wrong string }{{"bf16", ""}, {"int4", "virology"}} {
		_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{v.name}, Answer: answer(v.wrong)})
		code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "mmlu:virology,college_physics",
			"--sample", "8", "--sample-seed", "3", "--out", filepath.Join(dir, v.name+".json"), "--quiet")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", v.name, code, stderr)
		}
	}
	a, _ := result.Read(filepath.Join(dir, "bf16.json"))
	b, _ := result.Read(filepath.Join(dir, "int4.json"))
	if a.Evalset.SHA256 != b.Evalset.SHA256 || len(a.Items) != 8 {
		t.Fatalf("the two samples differ: %s vs %s, %d items", a.Evalset.SHA256, b.Evalset.SHA256, len(a.Items))
	}
	for i := range a.Items {
		if a.Items[i].ID != b.Items[i].ID {
			t.Fatalf("item %d: %s vs %s", i, a.Items[i].ID, b.Items[i].ID)
		}
	}
	if a.Summary.Accuracy != 1 || len(a.Summary.ByCategory) != 2 {
		t.Errorf("bf16 summary %+v", a.Summary)
	}
	code, stdout, stderr := invoke(t, "compare", filepath.Join(dir, "int4.json"), filepath.Join(dir, "bf16.json"))
	if code != 0 {
		t.Fatalf("compare: %s", stderr)
	}
	vir := b.Summary.ByCategory["virology"].Count
	if !strings.Contains(stdout, fmt.Sprintf("%d lost", vir)) || !strings.Contains(stdout, "virology") {
		t.Errorf("compare output lacks the virology flips:\n%s", stdout)
	}
}

func TestRunLocalParquetWithFewshotFile(t *testing.T) {
	hubtest.NewServer(t).Setenv(t) // no hub data: everything is local
	dir := t.TempDir()
	test := filepath.Join(dir, "test-00000-of-00001.parquet")
	train := filepath.Join(dir, "train-00000-of-00001.parquet")
	os.WriteFile(test, hubtest.WriteParquet(t, hubtest.GSM8KRows("test", 6)), 0o644)
	os.WriteFile(train, hubtest.WriteParquet(t, hubtest.GSM8KRows("train", 3)), 0o644)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: gsm8kModel, Capture: true})
	out := filepath.Join(dir, "r.json")
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", test, "--task", "gsm8k",
		"--fewshot", "3", "--fewshot-file", train, "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "(2/6)") {
		t.Errorf("stdout %q", stdout)
	}
	if msgs := srv.LastBody()["messages"].([]any); len(msgs) != 7 {
		t.Errorf("%d messages, want 3 few-shot pairs and the question", len(msgs))
	}
	// Without the file, --fewshot on a local set is bad usage that says what to add.
	code, _, stderr = invoke(t, "run", "--base-url", hs.URL, "--evalset", test, "--task", "gsm8k", "--fewshot", "3", "--quiet")
	if code != 2 || !strings.Contains(stderr, "fewshot") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

func TestRunResumeMismatchIsBadUsage(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: seedAnswers(t, 0)})
	out := filepath.Join(t.TempDir(), "r.json")
	if code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--out", out, "--limit", "2", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--out", out, "--limit", "2", "--max-tokens", "99", "--resume", "--quiet")
	if code != 2 || !strings.Contains(stderr, "max_tokens (journal 256, now 99)") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}
