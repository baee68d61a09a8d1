package run

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/codetask"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/ifeval"
	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/sandbox"
	"github.com/quanteval/quanteval/task"
)

// needSandbox skips locally (fails under CI) where bwrap cannot run python.
func needSandbox(t *testing.T) {
	t.Helper()
	if _, err := sandbox.New(sandbox.Options{}); err != nil {
		testenv.Missing(t, "code tests need the sandbox: %v", err)
	}
}

// taskSet builds a built-in task's items from rows in its repo's schema.
func taskSet(t *testing.T, name string, rows []task.Row) *evalset.Set {
	t.Helper()
	sp, err := task.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	items, err := task.Build(sp, rows, task.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &evalset.Set{Name: name, Path: "builtin:" + name, SHA256: "sha-" + name, Items: task.EvalItems(items)}
}

func heRow(id, fn, test string) task.Row {
	return task.Row{"task_id": id, "entry_point": fn, "canonical_solution": "    return a + b\n",
		"prompt": "def " + fn + "(a, b):\n    \"\"\"Combine a and b (" + id + ").\"\"\"\n",
		"test":   "def check(candidate):\n" + test}
}

func mbppRow(id int64, prompt string, tests ...string) task.Row {
	list := make([]any, len(tests))
	for i, s := range tests {
		list[i] = s
	}
	return task.Row{"source_file": "x.ipynb", "task_id": id, "prompt": prompt, "code": "pass",
		"test_imports": []any{"import math"}, "test_list": list}
}

func fenced(code string) string { return "Here it is.\n```python\n" + code + "\n```\n" }

// replier answers each item's prompt with replies[item id].
func replier(t *testing.T, set *evalset.Set, replies map[string]string) func(vllmtest.ChatRequest) vllmtest.Reply {
	t.Helper()
	byPrompt := map[string]string{}
	for _, it := range set.Items {
		r, ok := replies[it.ID]
		if !ok {
			t.Fatalf("no reply for %s", it.ID)
		}
		p := it.Messages[len(it.Messages)-1].Content
		if _, dup := byPrompt[p]; dup {
			t.Fatalf("%s: the same prompt as another item", it.ID)
		}
		byPrompt[p] = r
	}
	return func(req vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text(byPrompt[req.LastUser()])}
	}
}

func TestCodeTasks(t *testing.T) {
	needSandbox(t)
	he := taskSet(t, "humaneval", []task.Row{
		heRow("HumanEval/0", "add", "    assert candidate(1, 2) == 3\n"),
		heRow("HumanEval/1", "sub", "    assert candidate(3, 1) == 2\n"),
		heRow("HumanEval/2", "mul", "    assert candidate(2, 3) == 6\n"),
	})
	mbpp := taskSet(t, "mbpp", []task.Row{
		mbppRow(2, "Write a function that squares a number.", "assert square(3) == 9", "assert square(-2) == 4"),
		mbppRow(3, "Write a function that doubles a number.", "assert double(2) == 4", "assert double(5) == 10"),
		mbppRow(4, "Write a function that halves a number.", "assert half(4) == 2"),
		mbppRow(5, "Write a function that negates a number.", "assert neg(1) == -1"),
	})
	for _, tc := range []struct {
		set     *evalset.Set
		replies map[string]string
		want    map[string]string // id -> reason ("" passes)
	}{
		{he, map[string]string{
			"HumanEval/0": fenced("def add(a, b):\n    return a + b"),
			"HumanEval/1": fenced("def sub(a, b):\n    return a + b"),
			"HumanEval/2": fenced("def mul(a, b):\n    while True:\n        pass"),
		}, map[string]string{"HumanEval/0": "", "HumanEval/1": codetask.ReasonTestFailed, "HumanEval/2": codetask.ReasonTimeout}},
		{mbpp, map[string]string{
			"mbpp-2": fenced("def square(x):\n    return math.prod([x, x])"),
			"mbpp-3": fenced("def double(x):\n    return x * 2 if x < 5 else x"),
			"mbpp-4": fenced("def half(x:\n    return x / 2"),
			"mbpp-5": "<think>a negation is easy</think>",
		}, map[string]string{"mbpp-2": "", "mbpp-3": codetask.ReasonTestFailed, "mbpp-4": codetask.ReasonSyntaxError,
			"mbpp-5": codetask.ReasonNoCode}},
	} {
		t.Run(tc.set.Name, func(t *testing.T) {
			_, hs := vllmtest.Start(t, vllmtest.Options{Answer: replier(t, tc.set, tc.replies)})
			cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
			cfg.Sandbox.Timeout = 2 * time.Second
			f, err := Evaluate(context.Background(), cfg, tc.set)
			if err != nil {
				t.Fatal(err)
			}
			if f.Params.UnsafeExec {
				t.Error("unsafe_exec set by a sandboxed run")
			}
			passed := 0
			for _, r := range f.Items {
				want := tc.want[r.ID]
				if r.OK != (want == "") || r.Reason != want || r.Code == nil || r.Code.Reason != want || r.Code.Unsafe {
					t.Errorf("%s: ok %v reason %q code %+v, want reason %q", r.ID, r.OK, r.Reason, r.Code, want)
					continue
				}
				if r.OK {
					passed++
					if r.Code.ExitStatus != 0 || !strings.Contains(r.Code.Program, "def ") || r.Extracted != "pass" {
						t.Errorf("%s: passed with %+v", r.ID, r.Code)
					}
				}
			}
			if f.Summary.OK != passed || f.Summary.Count != len(tc.set.Items) || f.Summary.Errors != 0 {
				t.Errorf("summary %+v", f.Summary)
			}
			recs := map[string]*codetask.Record{}
			for _, r := range f.Items {
				recs[r.ID] = r.Code
			}
			switch tc.set.Name {
			case "humaneval":
				if c := recs["HumanEval/1"]; !strings.Contains(c.FailedTest, "assert candidate(3, 1) == 2") || !strings.Contains(c.Stderr, "AssertionError") {
					t.Errorf("wrong solution: failed test %q stderr %q", c.FailedTest, c.Stderr)
				}
			case "mbpp":
				if c := recs["mbpp-3"]; c.FailedTest != "assert double(5) == 10" || f.Items[1].Extracted != c.FailedTest {
					t.Errorf("failed test %q, want the second assert", c.FailedTest)
				}
				if c := recs["mbpp-5"]; c.Program != "" || c.ExitStatus != -1 {
					t.Errorf("no code: %+v", c)
				}
			}
		})
	}
}

// watchRunner runs programs on a real sandbox and tells when each has finished.
type watchRunner struct {
	inner sandbox.Runner
	runs  atomic.Int64
	done  func(p sandbox.Program)
}

func (w *watchRunner) Run(ctx context.Context, p sandbox.Program) sandbox.Result {
	w.runs.Add(1)
	r := w.inner.Run(ctx, p)
	if w.done != nil {
		w.done(p)
	}
	return r
}

// A program that sleeps 3 s holds back no request: with one request in flight at a
// time, every other item is asked, run and journaled before it ends.
func TestSlowProgramDoesNotHoldRequests(t *testing.T) {
	needSandbox(t)
	rows := []task.Row{heRow("HumanEval/0", "add", "    assert candidate(1, 2) == 3\n")}
	replies := map[string]string{"HumanEval/0": fenced("import time\ntime.sleep(3)\ndef add(a, b):\n    return a + b")}
	for i := 1; i <= 5; i++ {
		id := "HumanEval/" + string(rune('0'+i))
		rows = append(rows, heRow(id, "add", "    assert candidate(1, 2) == 3\n"))
		replies[id] = fenced("def add(a, b):\n    return a + b")
	}
	set := taskSet(t, "humaneval", rows)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: replier(t, set, replies)})
	sb, err := sandbox.New(sandbox.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var requestsWhenSlowEnded atomic.Int64
	w := &watchRunner{inner: sb, done: func(p sandbox.Program) {
		if strings.Contains(p.Source, "time.sleep(3)") {
			requestsWhenSlowEnded.Store(int64(srv.Requests()))
		}
	}}
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.Concurrency, cfg.runner = 1, w
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if f.Summary.OK != 6 {
		t.Fatalf("summary %+v", f.Summary)
	}
	if got := requestsWhenSlowEnded.Load(); got != 6 {
		t.Errorf("%d requests answered when the slow program ended, want all 6", got)
	}
	ids := journalIDs(t, JournalPath(out))
	if len(ids) != 6 || ids[5] != "HumanEval/0" {
		t.Errorf("journal order %v, want the slow item last", ids)
	}
}

// journalIDs lists the ids of a journal's records in the order they were written.
func journalIDs(t *testing.T, path string) []string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var ids []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<24)
	for first := true; sc.Scan(); first = false {
		if first {
			continue // the header
		}
		var r struct{ ID string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// A resumed run neither asks nor runs an item the journal holds.
func TestResumeRunsNoProgramTwice(t *testing.T) {
	needSandbox(t)
	set := taskSet(t, "mbpp", []task.Row{
		mbppRow(2, "Square.", "assert square(3) == 9"),
		mbppRow(3, "Double.", "assert double(2) == 4"),
		mbppRow(4, "Halve.", "assert half(4) == 2"),
	})
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: replier(t, set, map[string]string{
		"mbpp-2": fenced("def square(x):\n    return x * x"),
		"mbpp-3": fenced("def double(x):\n    return 2 * x"),
		"mbpp-4": fenced("def half(x):\n    return x"),
	})})
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &watchRunner{inner: sb}
	cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
	cfg.runner, cfg.Limit = w, 2
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatal(err)
	}
	if w.runs.Load() != 2 || srv.Requests() != 2 {
		t.Fatalf("first run: %d programs, %d requests", w.runs.Load(), srv.Requests())
	}
	cfg.Limit, cfg.Resume = 0, true
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if w.runs.Load() != 3 || srv.Requests() != 3 {
		t.Errorf("resumed: %d programs, %d requests in all, want 3 and 3", w.runs.Load(), srv.Requests())
	}
	if f.Summary.Count != 3 || f.Summary.OK != 2 || f.Items[2].Reason != codetask.ReasonTestFailed {
		t.Errorf("summary %+v, last %+v", f.Summary, f.Items[2])
	}
}

// A set whose tests import a module the sandbox's python lacks (HumanEval+'s
// numpy, where it is not installed) stops before its first request, naming the
// module and how to install it, instead of scoring every program test_failed.
func TestMissingTestModuleStopsTheRun(t *testing.T) {
	needSandbox(t)
	set := taskSet(t, "humaneval", []task.Row{
		heRow("HumanEval/0", "add", "    assert candidate(1, 2) == 3\n"),
		heRow("HumanEval/1", "add2", "    import quanteval_missing_numpy as np\n    assert np.allclose(candidate(1, 2), 3)\n"),
	})
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: replier(t, set, map[string]string{
		"HumanEval/0": fenced("def add(a, b):\n    return a + b"),
		"HumanEval/1": fenced("def add2(a, b):\n    return a + b")})})
	cfg := config(hs.URL, filepath.Join(t.TempDir(), "r.json"))
	_, err := Evaluate(context.Background(), cfg, set)
	if !errors.Is(err, ErrNoSandbox) || !strings.Contains(err.Error(), "quanteval_missing_numpy") ||
		!strings.Contains(err.Error(), "apt-get install -y python3-quanteval_missing_numpy") {
		t.Fatalf("error %v, want ErrNoSandbox naming the module and the package", err)
	}
	if srv.Requests() != 0 {
		t.Errorf("%d requests sent", srv.Requests())
	}
}

// Without bwrap a code run stops before its first request, saying how to install
// it; --unsafe-exec runs without it and says so in the result.
func TestNoSandbox(t *testing.T) {
	set := taskSet(t, "mbpp", []task.Row{mbppRow(2, "Square.", "assert square(3) == 9")})
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: replier(t, set, map[string]string{
		"mbpp-2": fenced("def square(x):\n    return x * x")})})
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.Sandbox.Bwrap = filepath.Join(t.TempDir(), "no-bwrap")
	_, err := Evaluate(context.Background(), cfg, set)
	if !errors.Is(err, ErrNoSandbox) || !strings.Contains(err.Error(), "apt-get install -y bubblewrap") ||
		!strings.Contains(err.Error(), "--unsafe-exec") {
		t.Fatalf("error %v, want ErrNoSandbox with the install hint", err)
	}
	if srv.Requests() != 0 {
		t.Errorf("%d requests sent", srv.Requests())
	}
	if _, err := os.Stat(JournalPath(out)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left: %v", err)
	}

	if _, err := os.Stat(sandbox.DefaultPython); err != nil {
		testenv.Missing(t, "unsafe runs need %s: %v", sandbox.DefaultPython, err)
	}
	var progress strings.Builder
	cfg.UnsafeExec, cfg.Progress = true, &syncWriter{w: &progress}
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Params.UnsafeExec || !f.Items[0].OK || f.Items[0].Code == nil || !f.Items[0].Code.Unsafe {
		t.Errorf("unsafe run: params %+v item %+v", f.Params, f.Items[0])
	}
	if !strings.Contains(progress.String(), "WITHOUT a sandbox") {
		t.Errorf("no warning in %q", progress.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// IFEval replies are checked per instruction; the summary has the four accuracies.
func TestIFEvalRun(t *testing.T) {
	kw := func(set map[string]any) map[string]any {
		m := map[string]any{}
		for _, k := range ifeval.KwargKeys() {
			m[k] = nil
		}
		for k, v := range set {
			m[k] = v
		}
		return m
	}
	set := taskSet(t, "ifeval", []task.Row{
		{"key": int64(1), "prompt": "Describe the sea in lowercase, without commas.",
			"instruction_id_list": []any{"change_case:english_lowercase", "punctuation:no_comma"},
			"kwargs":              []any{kw(nil), kw(nil)}},
		{"key": int64(2), "prompt": "Describe a cat; end with 'Is there anything else I can help with?'",
			"instruction_id_list": []any{"startend:end_checker"},
			"kwargs":              []any{kw(map[string]any{"end_phrase": "Is there anything else I can help with?"})}},
	})
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: replier(t, set, map[string]string{
		"ifeval-1": "<think>keep it lowercase</think>the sea is wide, and blue.",
		"ifeval-2": "A cat purrs.\nIs there anything else I can help with?\n*",
	})})
	f, err := Evaluate(context.Background(), config(hs.URL, filepath.Join(t.TempDir(), "r.json")), set)
	if err != nil {
		t.Fatal(err)
	}
	one, two := f.Items[0], f.Items[1]
	if one.OK || one.Reason != ifeval.ReasonNotFollowed || len(one.Instructions) != 2 ||
		!one.Instructions[0].Strict || one.Instructions[1].Strict || one.Instructions[1].Loose {
		t.Errorf("item 1: %+v", one)
	}
	// The trailing "*" line fails strict; the loose variants drop it.
	if two.OK || len(two.Instructions) != 1 || two.Instructions[0].Strict || !two.Instructions[0].Loose {
		t.Errorf("item 2: %+v", two)
	}
	m := f.Summary.Metrics
	if m[ifeval.ScorePromptStrict].OK != 0 || m[ifeval.ScorePromptLoose].OK != 1 ||
		m[ifeval.ScoreInstStrict].Count != 3 || m[ifeval.ScoreInstStrict].OK != 1 || m[ifeval.ScoreInstLoose].OK != 2 {
		t.Errorf("metrics %+v", m)
	}
}

// startRunner calls started as each program starts.
type startRunner struct {
	watchRunner
	started func()
}

func (s *startRunner) Run(ctx context.Context, p sandbox.Program) sandbox.Result {
	s.started()
	return s.watchRunner.Run(ctx, p)
}

// A stop while a program runs leaves its item unfinished: not journaled, and asked
// and run again by --resume.
func TestStopDuringProgram(t *testing.T) {
	needSandbox(t)
	set := taskSet(t, "mbpp", []task.Row{mbppRow(2, "Square.", "assert square(3) == 9")})
	var asked atomic.Int64
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(vllmtest.ChatRequest) vllmtest.Reply {
		if asked.Add(1) == 1 {
			return vllmtest.Reply{Content: vllmtest.Text(fenced("import time\ntime.sleep(30)"))}
		}
		return vllmtest.Reply{Content: vllmtest.Text(fenced("def square(x):\n    return x * x"))}
	}})
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	r := &startRunner{watchRunner: watchRunner{inner: sb}, started: stop}
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.runner, cfg.Grace = r, 50*time.Millisecond
	f, err := Evaluate(ctx, cfg, set)
	if !errors.Is(err, context.Canceled) || f == nil || len(f.Items) != 0 || f.Complete {
		t.Fatalf("stopped run: err %v, result %+v", err, f)
	}
	if ids := journalIDs(t, JournalPath(out)); len(ids) != 0 {
		t.Errorf("journal holds %v", ids)
	}
	r.started = func() {}
	cfg.Resume = true
	f, err = Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if r.runs.Load() != 2 || asked.Load() != 2 || !f.Complete || !f.Items[0].OK {
		t.Errorf("resumed: %d programs, %d requests, items %+v", r.runs.Load(), asked.Load(), f.Items)
	}
}
