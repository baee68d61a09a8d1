package codetask

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/sandbox"
)

var (
	sbOnce sync.Once
	sb     *sandbox.Sandbox
	sbErr  error
)

// newSandbox returns the tests' shared sandbox (3 s per program), or skips (fails
// under CI) without a working bwrap.
func newSandbox(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	sbOnce.Do(func() { sb, sbErr = sandbox.New(sandbox.Options{Timeout: 3 * time.Second}) })
	if sbErr != nil {
		testenv.Missing(t, "no working sandbox: %v", sbErr)
	}
	return sb
}

var addAll = Task{
	Kind: HumanEval,
	Prompt: `from typing import List


def add_all(xs: List[int]) -> int:
    """Return the sum of xs.
    >>> add_all([1, 2])
    3
    """
`,
	EntryPoint: "add_all",
	Test: `

METADATA = {"author": "test"}


def check(candidate):
    assert candidate([1, 2]) == 3
    assert candidate([]) == 0
    assert candidate([5, -5, 7]) == 7
`,
}

var maxOf = Task{
	Kind:        MBPP,
	Prompt:      "Write a function to find the maximum of two numbers.",
	TestImports: []string{"import math"},
	TestList: []string{
		"assert max_of(1, 2) == 2",
		"assert max_of(5, 3) == 5",
		"assert math.isclose(max_of(1.5, 1.25), 1.5)",
	},
}

func TestScoreSolutions(t *testing.T) {
	s := newSandbox(t)
	cases := []struct {
		name       string
		task       Task
		reply      string
		reason     string
		body       bool
		failedTest string
		errPrefix  string
	}{
		{"humaneval whole function", addAll, "Sure:\n```python\nfrom typing import List\n\ndef add_all(xs: List[int]) -> int:\n    return sum(xs)\n```\n", "", false, "", ""},
		{"humaneval body", addAll, "```python\n    return sum(xs)\n```", "", true, "", ""},
		{"humaneval unindented body", addAll, "total = 0\nfor x in xs:\n    total += x\nreturn total", "", true, "", ""},
		{"humaneval whole function without the prompt's import", addAll, "```python\ndef add_all(xs: List[int]) -> int:\n    return sum(xs)\n```", "", false, "", ""},
		{"humaneval __future__ import", addAll, "```python\nfrom __future__ import annotations\ndef add_all(xs: list[int]) -> int:\n    return sum(xs)\n```", "", false, "", ""},
		{"humaneval wrong on the second test", addAll, "```python\ndef add_all(xs):\n    return sum(xs) if xs else 1\n```", ReasonTestFailed, false, "assert candidate([]) == 0", "AssertionError"},
		{"humaneval raises in the candidate", addAll, "```python\ndef add_all(xs):\n    return xs[0] + sum(xs[1:])\n```", ReasonTestFailed, false, "assert candidate([]) == 0", "IndexError: list index out of range"},
		{"humaneval syntax error", addAll, "```python\ndef add_all(xs):\n    return sum(xs\n```", ReasonSyntaxError, false, "", "SyntaxError"},
		{"humaneval indentation error", addAll, "```python\ndef add_all(xs):\nreturn sum(xs)\n```", ReasonSyntaxError, false, "", "IndentationError"},
		{"humaneval raises at import", addAll, "```python\nimport numpyy\ndef add_all(xs):\n    return sum(xs)\n```", ReasonTestFailed, false, "", "ModuleNotFoundError"},
		{"humaneval exits 0 before the tests", addAll, "```python\nimport sys\ndef add_all(xs):\n    return sum(xs)\nsys.exit(0)\n```", ReasonTestFailed, false, "", "the program exited with status 0 before the tests finished"},
		{"humaneval os._exit(0) in the candidate", addAll, "```python\nimport os\ndef add_all(xs):\n    os._exit(0)\n```", ReasonTestFailed, false, "", "the program exited with status 0"},
		{"humaneval prose only", addAll, "I cannot solve this.", ReasonSyntaxError, true, "", "SyntaxError"},
		{"humaneval no code", addAll, "<think>let me see", ReasonNoCode, false, "", ""},
		{"humaneval memory", addAll, "```python\ndef add_all(xs):\n    b = bytearray(4 << 30)\n    return sum(xs)\n```", ReasonMemory, false, "", "MemoryError"},
		{"mbpp correct", maxOf, "```python\ndef max_of(a, b):\n    return a if a > b else b\n```", "", false, "", ""},
		{"mbpp wrong on the second assert", maxOf, "```python\ndef max_of(a, b):\n    return b\n```", ReasonTestFailed, false, "assert max_of(5, 3) == 5", "AssertionError"},
		{"mbpp uses the test import", maxOf, "```python\ndef max_of(a, b):\n    return math.fsum([max(a, b)])\n```", "", false, "", ""},
		{"mbpp wrong name", maxOf, "```python\ndef maximum(a, b):\n    return max(a, b)\n```", ReasonTestFailed, false, "assert max_of(1, 2) == 2", "NameError: name 'max_of' is not defined"},
		{"mbpp replaced stderr and exits 0", maxOf, "```python\nimport sys, io\nsys.stderr = io.StringIO()\ndef max_of(a, b):\n    raise SystemExit(0)\n```", ReasonTestFailed, false, "assert max_of(1, 2) == 2", "SystemExit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec, err := Score(context.Background(), s, c.task, c.reply)
			if err != nil {
				t.Fatal(err)
			}
			if rec.OK != (c.reason == "") || rec.Reason != c.reason || rec.Body != c.body ||
				rec.FailedTest != c.failedTest || !strings.HasPrefix(rec.Error, c.errPrefix) {
				t.Errorf("got ok=%v reason=%q body=%v failed=%q error=%q\nwant reason=%q body=%v failed=%q error=%q...\nstderr:\n%s",
					rec.OK, rec.Reason, rec.Body, rec.FailedTest, rec.Error, c.reason, c.body, c.failedTest, c.errPrefix, rec.Stderr)
			}
			if c.reason != ReasonNoCode && rec.Program == "" {
				t.Error("record lacks the program")
			}
			if strings.Contains(rec.Stderr, "quanteval-") {
				t.Errorf("stderr keeps a marker: %s", rec.Stderr)
			}
		})
	}
}

// BenchmarkScore measures the verdicts per second on a correct HumanEval reply, with
// the sandbox's default worker count (the CPUs).
func BenchmarkScore(b *testing.B) {
	s, err := sandbox.New(sandbox.Options{})
	if err != nil {
		testenv.Missing(b, "no working sandbox: %v", err)
	}
	reply := "```python\ndef add_all(xs):\n    return sum(xs)\n```"
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec, err := Score(context.Background(), s, addAll, reply)
			if err != nil || !rec.OK {
				b.Errorf("Score = %+v, %v", rec, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "programs/s")
}
