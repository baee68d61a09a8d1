package codetask

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/quanteval/quanteval/sandbox"
)

func TestJudge(t *testing.T) {
	const n = "quanteval-abc"
	traceback := "Traceback (most recent call last):\n" +
		"  File \"/tmp/main.py\", line 30, in <module>\n    check(add_all)\n" +
		"  File \"/tmp/main.py\", line 22, in check\n    assert candidate([]) == 0\n           ^^^^^^^^^^^^^\n" +
		"  File \"/tmp/main.py\", line 9, in add_all\n    return xs[0]\n" +
		"IndexError: list index out of range\n"
	cases := []struct {
		name                  string
		task                  Task
		res                   sandbox.Result
		ok                    bool
		reason, failed, error string
	}{
		{"pass", addAll, sandbox.Result{Stderr: out("\n" + n + " PASS\n")}, true, "", "", ""},
		{"pass marker, exit 1 (atexit)", addAll, sandbox.Result{ExitCode: 1, Stderr: out("\n" + n + " PASS\n")}, false, ReasonTestFailed, "", "the tests passed but the program exited with status 1"},
		{"another run's marker", addAll, sandbox.Result{Stderr: out("\nquanteval-zzz PASS\n")}, false, ReasonTestFailed, "", "the program exited with status 0 before the tests finished"},
		{"marker not on its own line", addAll, sandbox.Result{Stderr: out("x" + n + " PASS\n")}, false, ReasonTestFailed, "", "the program exited with status 0 before the tests finished"},
		{"humaneval failure", addAll, sandbox.Result{ExitCode: 1, Stderr: out(traceback + "\n" + n + " FAIL\n")}, false, ReasonTestFailed, "assert candidate([]) == 0", "IndexError: list index out of range"},
		{"mbpp failure", maxOf, sandbox.Result{ExitCode: 1, Stderr: out("Traceback (most recent call last):\nAssertionError\n\n" + n + " FAIL 2\n")}, false, ReasonTestFailed, maxOf.TestList[2], "AssertionError"},
		{"mbpp index out of range", maxOf, sandbox.Result{ExitCode: 1, Stderr: out("\n" + n + " FAIL 9\n")}, false, ReasonTestFailed, "", "a test failed"},
		{"timeout beats everything", addAll, sandbox.Result{TimedOut: true, ExitCode: -1, Signal: syscall.SIGKILL, Stderr: out("MemoryError\n")}, false, ReasonTimeout, "", "wall-clock timeout"},
		{"cpu limit", addAll, sandbox.Result{ExitCode: -1, Signal: syscall.SIGXCPU}, false, ReasonTimeout, "", "CPU time limit"},
		{"memory", addAll, sandbox.Result{ExitCode: 1, Stderr: out("Traceback (most recent call last):\n  File \"/tmp/main.py\", line 3, in <module>\nMemoryError\n")}, false, ReasonMemory, "", "MemoryError"},
		{"memory in a test", addAll, sandbox.Result{ExitCode: 1, Stderr: out("Traceback (most recent call last):\nMemoryError: cannot allocate\n\n" + n + " FAIL\n")}, false, ReasonMemory, "", "MemoryError: cannot allocate"},
		{"syntax error", addAll, sandbox.Result{ExitCode: 1, Stderr: out("  File \"/tmp/main.py\", line 9\n    return sum(xs\n              ^\nSyntaxError: '(' was never closed\n")}, false, ReasonSyntaxError, "", "SyntaxError: '(' was never closed"},
		{"syntax error raised at run time is a failure", maxOf, sandbox.Result{ExitCode: 1, Stderr: out("Traceback (most recent call last):\n  File \"<test 0>\", line 1\nSyntaxError: invalid syntax\n\n" + n + " FAIL 0\n")}, false, ReasonTestFailed, maxOf.TestList[0], "SyntaxError: invalid syntax"},
		{"signal", addAll, sandbox.Result{ExitCode: -1, Signal: syscall.SIGSEGV}, false, ReasonTestFailed, "", "killed by signal segmentation fault"},
		{"bwrap failed", addAll, sandbox.Result{ExitCode: 1, Stderr: out("bwrap: Creating new namespace failed: Operation not permitted\n")}, false, ReasonSandboxError, "", "bwrap: Creating new namespace failed"},
		{"could not start", addAll, sandbox.Result{ExitCode: -1, Err: errors.New("sandbox: starting bwrap: no such file")}, false, ReasonSandboxError, "", "sandbox: starting bwrap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := judge(c.task, c.res, n)
			if rec.OK != c.ok || rec.Reason != c.reason || rec.FailedTest != c.failed || !strings.HasPrefix(rec.Error, c.error) {
				t.Errorf("judge = ok %v reason %q failed %q error %q; want %v %q %q %q...",
					rec.OK, rec.Reason, rec.FailedTest, rec.Error, c.ok, c.reason, c.failed, c.error)
			}
			if strings.Contains("\n"+rec.Stderr, "\n"+n) {
				t.Errorf("Stderr keeps a marker line: %q", rec.Stderr)
			}
		})
	}
}

func out(s string) sandbox.Output { return sandbox.Output{Data: []byte(s), Total: int64(len(s))} }

func TestTail(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"line1\nline2\nline3\n", 9, "line3\n"},
		{"abcdefghij", 4, "ghij"},
		{"ab\n", 2, "b\n"},
	}
	for _, c := range cases {
		if got := tail(c.s, c.n); got != c.want {
			t.Errorf("tail(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

type fixedRunner struct{ res sandbox.Result }

func (f fixedRunner) Run(context.Context, sandbox.Program) sandbox.Result { return f.res }

func TestScoreErrors(t *testing.T) {
	if _, err := Score(context.Background(), fixedRunner{}, Task{Kind: "cobol"}, "x"); err == nil {
		t.Error("Score accepted a task of an unknown kind")
	}
	if _, err := Score(context.Background(), fixedRunner{}, Task{Kind: HumanEval, Prompt: "def f():\n"}, "x"); err == nil {
		t.Error("Score accepted a humaneval task without test")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Score(ctx, fixedRunner{sandbox.Result{Err: context.Canceled}}, addAll, "```python\nx\n```")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Score with an ended ctx: %v", err)
	}
	rec, err := Score(context.Background(), fixedRunner{sandbox.Result{Unsafe: true, ExitCode: 1}}, addAll, "```python\nx = 1\n```")
	if err != nil || !rec.Unsafe || rec.OK || rec.Program != "x = 1\n" {
		t.Errorf("Score = %+v, %v", rec, err)
	}
}
