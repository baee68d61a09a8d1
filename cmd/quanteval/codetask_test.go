package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/hubtest"
	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/sandbox"
)

// Rows of the code and instruction repos as the hub's parquet holds them (column
// names and types as the hub serves them; pyarrow writes every column nullable).
type humanevalRowP struct {
	TaskID            string `parquet:"task_id,optional"`
	Prompt            string `parquet:"prompt,optional"`
	CanonicalSolution string `parquet:"canonical_solution,optional"`
	Test              string `parquet:"test,optional"`
	EntryPoint        string `parquet:"entry_point,optional"`
}

type mbppRowP struct {
	SourceFile  string   `parquet:"source_file,optional"`
	TaskID      int32    `parquet:"task_id,optional"`
	Prompt      string   `parquet:"prompt,optional"`
	Code        string   `parquet:"code,optional"`
	TestImports []string `parquet:"test_imports,list"`
	TestList    []string `parquet:"test_list,list"`
}

// ifevalKwargsP is one instruction's kwargs in google/IFEval's parquet conversion:
// a struct of every instruction's arguments, null where this one has none.
type ifevalKwargsP struct {
	NumHighlights    *int64   `parquet:"num_highlights,optional"`
	Relation         *string  `parquet:"relation,optional"`
	NumWords         *int64   `parquet:"num_words,optional"`
	NumPlaceholders  *int64   `parquet:"num_placeholders,optional"`
	PromptToRepeat   *string  `parquet:"prompt_to_repeat,optional"`
	NumParagraphs    *int64   `parquet:"num_paragraphs,optional"`
	PostscriptMarker *string  `parquet:"postscript_marker,optional"`
	FirstWord        *string  `parquet:"first_word,optional"`
	Keywords         []string `parquet:"keywords,list"`
	ForbiddenWords   []string `parquet:"forbidden_words,list"`
	LetFrequency     *int64   `parquet:"let_frequency,optional"`
	Letter           *string  `parquet:"letter,optional"`
	NumSentences     *int64   `parquet:"num_sentences,optional"`
	NthParagraph     *int64   `parquet:"nth_paragraph,optional"`
	EndPhrase        *string  `parquet:"end_phrase,optional"`
	SectionSpliter   *string  `parquet:"section_spliter,optional"`
	NumSections      *int64   `parquet:"num_sections,optional"`
	NumBullets       *int64   `parquet:"num_bullets,optional"`
	CapitalRelation  *string  `parquet:"capital_relation,optional"`
	CapitalFrequency *int64   `parquet:"capital_frequency,optional"`
	Language         *string  `parquet:"language,optional"`
}

type ifevalRowP struct {
	Key               int64           `parquet:"key,optional"`
	Prompt            string          `parquet:"prompt,optional"`
	InstructionIDList []string        `parquet:"instruction_id_list,list"`
	Kwargs            []ifevalKwargsP `parquet:"kwargs,list"`
}

const codeCommit = "0123456789abcdef0123456789abcdef01234567"

func heRowP(i int, fn, op string) humanevalRowP {
	return humanevalRowP{TaskID: fmt.Sprintf("HumanEval/%d", i), EntryPoint: fn,
		Prompt:            fmt.Sprintf("def %s(a, b):\n    \"\"\"Task %d: combine a and b.\"\"\"\n", fn, i),
		CanonicalSolution: "    return a " + op + " b\n",
		Test:              "def check(candidate):\n    assert candidate(6, 3) == 6 " + op + " 3\n    assert candidate(1, 2) == 1 " + op + " 2\n"}
}

// serveCodeRepos serves openai_humaneval, humanevalplus, mbpp (sanitized) and
// IFEval in their hub layouts.
func serveCodeRepos(t *testing.T) {
	t.Helper()
	hub := hubtest.NewServer(t)
	hub.Setenv(t)
	he := []humanevalRowP{heRowP(0, "add", "+"), heRowP(1, "sub", "-"), heRowP(2, "mul", "*")}
	hub.AddDataset("openai/openai_humaneval", codeCommit, map[string][]byte{
		"README.md": []byte("# humaneval\n"),
		"openai_humaneval/test-00000-of-00001.parquet": hubtest.WriteParquet(t, he),
	})
	hub.AddDataset("evalplus/humanevalplus", codeCommit, map[string][]byte{
		"README.md": []byte("# humanevalplus\n"),
		"data/test-00000-of-00001-5973903632b82d40.parquet": hubtest.WriteParquet(t, he[:2]),
	})
	mbpp := []mbppRowP{
		{SourceFile: "Benchmark Questions Verification V2.ipynb", TaskID: 2, Prompt: "Write a function to square a number.",
			Code: "def square(x):\n    return x * x", TestImports: []string{"import math"},
			TestList: []string{"assert square(3) == 9", "assert square(-2) == 4"}},
		{SourceFile: "Benchmark Questions Verification V2.ipynb", TaskID: 3, Prompt: "Write a function to double a number.",
			Code: "def double(x):\n    return 2 * x", TestImports: []string{},
			TestList: []string{"assert double(2) == 4", "assert double(5) == 10"}},
	}
	hub.AddDataset("google-research-datasets/mbpp", codeCommit, map[string][]byte{
		"README.md":                              []byte("# mbpp\n"),
		"sanitized/test-00000-of-00001.parquet":  hubtest.WriteParquet(t, mbpp),
		"full/test-00000-of-00001.parquet":       hubtest.WriteParquet(t, mbpp[:1]),
		"sanitized/train-00000-of-00001.parquet": hubtest.WriteParquet(t, mbpp[1:]),
	})
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	ife := []ifevalRowP{
		{Key: 1000, Prompt: "Write a short poem about the sea. Do not use any commas.",
			InstructionIDList: []string{"punctuation:no_comma", "length_constraints:number_words"},
			Kwargs:            []ifevalKwargsP{{}, {Relation: str("less than"), NumWords: num(40)}}},
		{Key: 1001, Prompt: "Describe a cat in lowercase letters only, and include the keywords whiskers and nap.",
			InstructionIDList: []string{"change_case:english_lowercase", "keywords:existence"},
			Kwargs:            []ifevalKwargsP{{}, {Keywords: []string{"whiskers", "nap"}}}},
	}
	hub.AddDatasetAt("google/IFEval", "refs/convert/parquet", codeCommit, map[string][]byte{
		"default/train/0000.parquet": hubtest.WriteParquet(t, ife),
	})
}

var taskNumRE = regexp.MustCompile(`Task (\d+):|function to (\w+) a number|poem about the sea|Describe a cat`)

// codeModel answers HumanEval task 0 always right, task 1 right on even seeds only,
// task 2 never (a wrong operator); MBPP's square right and double wrong; IFEval's
// poem with a comma (one instruction failed), the cat in lowercase with both
// keywords. wrong makes HumanEval task 0 wrong too (a "quantized" variant).
func codeModel(wrong bool) func(vllmtest.ChatRequest) vllmtest.Reply {
	fence := func(code string) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text("<think>easy</think>Here it is:\n```python\n" + code + "\n```\n")}
	}
	return func(r vllmtest.ChatRequest) vllmtest.Reply {
		m := taskNumRE.FindStringSubmatch(r.LastUser())
		seed := int64(0)
		if r.Seed != nil {
			seed = *r.Seed
		}
		switch {
		case m == nil:
			return vllmtest.Reply{Content: vllmtest.Text("no idea")}
		case m[1] == "0" && !wrong:
			return fence("def add(a, b):\n    return a + b")
		case m[1] == "0":
			return fence("def add(a, b):\n    return a - b")
		case m[1] == "1" && seed%2 == 0:
			return fence("def sub(a, b):\n    return a - b")
		case m[1] == "1":
			return fence("def sub(a, b):\n    return b - a")
		case m[1] == "2":
			return fence("def mul(a, b):\n    return a + b")
		case m[2] == "square":
			return fence("def square(x):\n    return math.pow(x, 2)")
		case m[2] == "double":
			return fence("def double(x):\n    return x + 2")
		case strings.HasPrefix(m[0], "poem"):
			return vllmtest.Reply{Content: vllmtest.Text("The sea is wide, and blue.")}
		default:
			return vllmtest.Reply{Content: vllmtest.Text("a cat with long whiskers takes a nap in the sun.")}
		}
	}
}

func needBwrap(t *testing.T) {
	t.Helper()
	if _, err := sandbox.New(sandbox.Options{}); err != nil {
		testenv.Missing(t, "code tests need the sandbox: %v", err)
	}
}

// The built-in code and instruction tasks, end to end through the command: rows
// from the stand-in hub in each repo's schema, replies from the stand-in server,
// programs in the sandbox, rules for IFEval.
func TestRunCodeAndIFEvalTasks(t *testing.T) {
	needBwrap(t)
	serveCodeRepos(t)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: codeModel(false)})
	dir := t.TempDir()
	for _, tc := range []struct {
		evalset string
		want    map[string]string // id -> reason ("" passes)
		line    string
	}{
		{"humaneval", map[string]string{"HumanEval/0": "", "HumanEval/1": "", "HumanEval/2": "test_failed"},
			"accuracy = 0.667 (2/3), 0 errors"},
		{"humaneval_plus", map[string]string{"HumanEval/0": "", "HumanEval/1": ""}, "accuracy = 1.000 (2/2), 0 errors"},
		{"mbpp", map[string]string{"mbpp-2": "", "mbpp-3": "test_failed"}, "accuracy = 0.500 (1/2), 0 errors"},
		{"ifeval", map[string]string{"ifeval-1000": "", "ifeval-1001": ""}, "accuracy = 0.500 (1/2), 0 errors"},
	} {
		t.Run(tc.evalset, func(t *testing.T) {
			out := filepath.Join(dir, tc.evalset+".json")
			code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", tc.evalset, "--seed", "0", "--out", out, "--quiet")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, tc.line) {
				t.Errorf("stdout %q, want %q", stdout, tc.line)
			}
			f, err := result.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != len(tc.want) || !strings.Contains(string(f.Evalset.Source), codeCommit) {
				t.Fatalf("%d records, source %s", len(f.Items), f.Evalset.Source)
			}
			for _, r := range f.Items {
				want, ok := tc.want[r.ID]
				if !ok {
					t.Errorf("unexpected record %s", r.ID)
					continue
				}
				if tc.evalset == "ifeval" {
					checkIFEvalRecord(t, r)
					continue
				}
				if r.OK != (want == "") || r.Reason != want || r.Code == nil || !strings.Contains(r.Code.Program, "def ") {
					t.Errorf("%s: ok %v reason %q code %+v, want %q", r.ID, r.OK, r.Reason, r.Code, want)
				}
				if want == "test_failed" && (r.Code.FailedTest == "" || r.Code.ExitStatus == 0) {
					t.Errorf("%s: a failed test without its test or status: %+v", r.ID, r.Code)
				}
			}
		})
	}
}

// `evalset list` shows a task's size: the rows in the hub cache once read, else
// the published count of its spec.
func TestEvalsetListSizes(t *testing.T) {
	serveCodeRepos(t)
	code, stdout, stderr := invoke(t, "evalset", "list")
	if code != 0 || !strings.Contains(stdout, "\nhumaneval\topenai/openai_humaneval config openai_humaneval split test\t164 rows (not downloaded)\tcode\n") ||
		!strings.Contains(stdout, "\nmath500\tHuggingFaceH4/MATH-500 config default split test @refs/convert/parquet\t500 rows (not downloaded)\tmath\n") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: codeModel(false)})
	// --limit 1 still downloads the split: the cache holds its two rows.
	if code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "ifeval", "--limit", "1",
		"--out", filepath.Join(t.TempDir(), "r.json"), "--quiet"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	if _, stdout, _ = invoke(t, "evalset", "list"); !strings.Contains(stdout, "\nifeval\tgoogle/IFEval config default split train @refs/convert/parquet\t2 rows\tifeval\n") {
		t.Errorf("after a run: %s", stdout)
	}
}

func checkIFEvalRecord(t *testing.T, r result.Record) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	switch r.ID {
	case "ifeval-1000": // a comma: no_comma fails strict and loose; the length holds
		if r.OK || !strings.Contains(r.Extracted, "punctuation:no_comma") || strings.Contains(r.Extracted, "number_words") {
			t.Errorf("%s: %s", r.ID, s)
		}
	case "ifeval-1001":
		if !r.OK || r.Extracted != "all followed" {
			t.Errorf("%s: %s", r.ID, s)
		}
	}
	if !strings.Contains(s, `"instructions"`) {
		t.Errorf("%s: no per-instruction verdicts: %s", r.ID, s)
	}
}

// HumanEval with --repeats 4: every sample is a record, the summary has pass@k, the
// closing line names avg@n, pass@k and maj@n, and compare shows pass@1 and pass@k
// for code with the paired statistics of repeated samples.
func TestRunHumanEvalRepeatsAndCompare(t *testing.T) {
	needBwrap(t)
	serveCodeRepos(t)
	dir := t.TempDir()
	for _, v := range []struct {
		name  string
		wrong bool
	}{{"bf16", false}, {"int4", true}} {
		_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{v.name}, Answer: codeModel(v.wrong)})
		code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "humaneval", "--repeats", "4",
			"--seed", "10", "--temperature", "0.6", "--out", filepath.Join(dir, v.name+".json"), "--quiet")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", v.name, code, stderr)
		}
		want := []string{"avg@4 = 0.167 (95% CI ", "pass@1 = 0.167, pass@2 = 0.278, pass@4 = 0.333\n", "maj@4 = 0.333\n"}
		if !v.wrong { // task 1's tie (2 right, 2 failing) goes to sample 0, which is right
			want = []string{"avg@4 = 0.500 (95% CI ", ", 3 items)\n", "pass@1 = 0.500, pass@2 = 0.611, pass@4 = 0.667\n", "maj@4 = 0.667\n"}
		}
		if !strings.HasSuffix(stdout, "accuracy = "+map[bool]string{false: "0.500 (6/12)", true: "0.167 (2/12)"}[v.wrong]+", 0 errors\n") {
			t.Errorf("%s: the last line is not the accuracy: %q", v.name, stdout)
		}
		for _, want := range want {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: closing lines %q lack %q", v.name, stdout, want)
			}
		}
	}
	f, err := result.Read(filepath.Join(dir, "bf16.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Task 0 right 4/4, task 1 on seeds 10 and 12 (samples 0 and 2), task 2 never.
	s := f.Summary
	if len(f.Items) != 12 || s.Samples != 4 || f.Params.Repeats != 4 {
		t.Fatalf("%d records, samples %d, repeats %d", len(f.Items), s.Samples, f.Params.Repeats)
	}
	for i, r := range f.Items {
		if r.Sample == nil || *r.Sample != i%4 {
			t.Errorf("record %d (%s): sample %v, want %d", i, r.ID, r.Sample, i%4)
		}
	}
	if math.Abs(s.AvgAtN.Value-0.5) > 1e-12 || math.Abs(s.PassAtK["1"]-0.5) > 1e-12 ||
		math.Abs(s.PassAtK["4"]-2.0/3) > 1e-12 || math.Abs(s.PassAtK["2"]-(1+5.0/6)/3) > 1e-12 {
		t.Errorf("avg@n %+v pass@k %v", s.AvgAtN, s.PassAtK)
	}
	outDir := filepath.Join(dir, "cmp")
	code, stdout, stderr := invoke(t, "compare", filepath.Join(dir, "int4.json"), filepath.Join(dir, "bf16.json"),
		"--out-dir", outDir, "--format", "md,json")
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"pass@1", "pass@4", "Repeated samples", "only 3 items in common: too few for a verdict"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(outDir, "compare.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cmp struct {
		Code struct {
			Variants []struct {
				Label   string             `json:"label"`
				PassAtK map[string]float64 `json:"pass_at_k"`
				VsRef   *struct {
					Test    string `json:"test"`
					Verdict string `json:"verdict"`
				} `json:"vs_ref"`
			} `json:"variants"`
		} `json:"code"`
	}
	if err := json.Unmarshal(b, &cmp); err != nil {
		t.Fatal(err)
	}
	if len(cmp.Code.Variants) != 2 {
		t.Fatalf("compare.json code section: %s", b)
	}
	q := cmp.Code.Variants[0]
	if q.VsRef == nil || q.VsRef.Test != "paired_sign_flip" || q.VsRef.Verdict != "too_few" || math.Abs(q.PassAtK["4"]-1.0/3) > 1e-12 {
		t.Errorf("int4 code row %+v (vs_ref %+v): want the sign-flip test and pass@4 = 1/3", q, q.VsRef)
	}
}

// A JSONL set of one's own may hold code and ifeval items, each with its check.
func TestRunJSONLCodeAndIFEval(t *testing.T) {
	needBwrap(t)
	dir := t.TempDir()
	set := filepath.Join(dir, "mine.jsonl")
	data := `{"id": "sq", "type": "code", "prompt": "Write a function to square a number.", "check": {"kind": "mbpp", "test_imports": ["import math"], "test_list": ["assert square(3) == 9"]}}
{"id": "db", "type": "code", "prompt": "Write a function to double a number.", "check": {"kind": "mbpp", "test_list": ["assert double(5) == 10"]}}
{"id": "poem", "type": "ifeval", "prompt": "Write a poem about the sea without commas.", "check": {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}}
`
	if err := os.WriteFile(set, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: codeModel(false)})
	out := filepath.Join(dir, "r.json")
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", set, "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "accuracy = 0.333 (1/3), 0 errors") {
		t.Errorf("stdout %q", stdout)
	}
	f, err := result.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Items[1]; r.Reason != "test_failed" || r.Code == nil || r.Code.FailedTest != "assert double(5) == 10" {
		t.Errorf("double: %+v code %+v", r, r.Code)
	}
	if r := f.Items[2]; r.OK || r.Extracted != "punctuation:no_comma" {
		t.Errorf("poem: %+v", r)
	}
	// A code item without its check stops the run before any request, naming the line.
	if err := os.WriteFile(set, []byte(`{"id": "sq", "type": "code", "prompt": "Write square."}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = invoke(t, "run", "--base-url", hs.URL, "--evalset", set, "--out", out+"2", "--quiet")
	if code != 2 || !strings.Contains(stderr, `mine.jsonl:1: field "check"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// Without bwrap a code task stops before its first request, exit 2, saying how to
// install it.
func TestRunCodeTaskWithoutSandbox(t *testing.T) {
	serveCodeRepos(t)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: codeModel(false), Capture: true})
	bin := t.TempDir()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		testenv.Missing(t, "the sandbox needs prlimit (util-linux): %v", err)
	}
	if err := os.Symlink(prlimit, filepath.Join(bin, "prlimit")); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, tc := range []struct{ path, want string }{
		{bin, "bwrap not found"},                 // prlimit only
		{empty, "apt-get install -y util-linux"}, // nothing at all
	} {
		t.Setenv("PATH", tc.path)
		code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "mbpp", "--out", filepath.Join(t.TempDir(), "r.json"), "--quiet")
		if code != 2 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "apt-get install -y bubblewrap python3") {
			t.Errorf("PATH %s: exit %d: %s", tc.path, code, stderr)
		}
	}
	if n := len(srv.Bodies()); n != 0 {
		t.Errorf("%d requests sent without a sandbox", n)
	}
	// --unsafe-exec runs the programs anyway, and says so in the result and the report.
	t.Setenv("PATH", bin)
	out := filepath.Join(t.TempDir(), "unsafe.json")
	code, _, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "mbpp", "--unsafe-exec", "--out", out)
	if code != 0 || !strings.Contains(stderr, "WITHOUT a sandbox") {
		t.Fatalf("--unsafe-exec: exit %d: %s", code, stderr)
	}
	f, err := result.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Params.UnsafeExec || f.Summary.OK != 1 || f.Items[0].Code == nil || !f.Items[0].Code.Unsafe {
		t.Errorf("params %+v summary %+v", f.Params, f.Summary)
	}
	code, stdout, stderr := invoke(t, "compare", out, out, "--labels", "a,b", "--out-dir", t.TempDir())
	if code != 0 || !strings.Contains(stdout, "code ran WITHOUT a sandbox (--unsafe-exec)") {
		t.Errorf("compare: exit %d: %s%s", code, stdout, stderr)
	}
}

// evalplusTest is a test column in EvalPlus's shape (evalplus/humanevalplus): numpy
// for its float comparison, then the inputs and expected outputs.
const evalplusTest = `import numpy as np

def is_floats(x) -> bool:
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)):
        return all(isinstance(i, float) for i in x)
    return False

def assertion(out, exp, atol):
    exact_match = out == exp
    if atol == 0 and is_floats(exp):
        atol = 1e-6
    if not exact_match and atol != 0:
        assert np.allclose(out, exp, rtol=1e-07, atol=atol)
    else:
        assert exact_match

def check(candidate):
    inputs = [[6, 3], [1, 2], [0.5, 0.25]]
    results = [9, 3, 0.75]
    for i, (inp, exp) in enumerate(zip(inputs, results)):
        assertion(candidate(*inp), exp, 0)
`

// HumanEval+ with EvalPlus's own test code: where the sandbox's python has numpy
// the task runs; where it has not, the run stops before its first request, naming
// the module and the package, instead of scoring every program test_failed.
func TestHumanEvalPlusNeedsNumpy(t *testing.T) {
	needBwrap(t)
	hub := hubtest.NewServer(t)
	hub.Setenv(t)
	row := heRowP(0, "add", "+")
	row.Test = evalplusTest
	hub.AddDataset("evalplus/humanevalplus", codeCommit, map[string][]byte{
		"README.md": []byte("# humanevalplus\n"),
		"data/test-00000-of-00001-5973903632b82d40.parquet": hubtest.WriteParquet(t, []humanevalRowP{row}),
	})
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: codeModel(false)})
	out := filepath.Join(t.TempDir(), "he+.json")
	code, stdout, stderr := invoke(t, "run", "--base-url", hs.URL, "--evalset", "humaneval_plus", "--out", out, "--quiet")
	if exec.Command(sandbox.DefaultPython, "-c", "import numpy").Run() == nil {
		if code != 0 || !strings.Contains(stdout, "accuracy = 1.000 (1/1)") {
			t.Errorf("with numpy: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		return
	}
	if code != 2 || !strings.Contains(stderr, "import numpy") || !strings.Contains(stderr, "apt-get install -y python3-numpy") {
		t.Errorf("without numpy: exit %d, stderr %q; want exit 2 naming numpy and python3-numpy", code, stderr)
	}
	if srv.Requests() != 0 {
		t.Errorf("%d requests sent before the stop", srv.Requests())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a result was written")
	}
}
