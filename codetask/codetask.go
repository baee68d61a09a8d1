// Package codetask owns the verdict on a code task's reply: which program the reply
// holds, the test program built from it and the task's tests (HumanEval's check
// function, MBPP's asserts), and what running that in the sandbox means: pass, or
// one of the Reason constants with the test that failed. Running is package
// sandbox's; this package decides nothing about isolation.
//
// Decisions:
//   - The program is the last ```python (or ```py, ```python3) block of the reply,
//     else its last fenced block of any language, else the whole reply; closed
//     <think> blocks are removed first (score.StripThink) and an unclosed one, or a
//     reply with nothing left, is no_code. A fence left open at the end (a reply cut
//     by max_tokens) runs to the end of the reply. A fence indented by n spaces (in
//     a list item) takes up to n spaces off each of its lines, as CommonMark does.
//   - HumanEval: a reply is "only a body" when no line defines the entry point
//     (`def ENTRY_POINT(` at any indentation). The test program always starts with
//     the task's prompt: a body is appended to it (indented by four spaces when its
//     first line is not indented at all), a whole program follows it and redefines
//     the function. So the prompt's imports and helper functions (HumanEval/10's
//     is_palindrome, /38's encode_cyclic) exist for a reply that leaves them out.
//     `from __future__` lines of the reply are moved to the top, where Python
//     needs them.
//   - The tests pass only when the program exits with status 0 AND the harness wrote
//     its pass marker, which carries a random nonce per run: a program that calls
//     sys.exit(0) or os._exit(0) before the tests ran does not pass.
//   - MBPP's asserts run one by one (each compiled and executed on its own), so the
//     record names the assert that failed; HumanEval's check runs as a whole, and
//     the failed test is the line of check that raised, read from the traceback.
//   - Reasons, first match wins: sandbox_error (the sandbox could not run it),
//     timeout (wall clock or CPU limit), memory (a MemoryError), syntax_error (Python
//     refused to compile the program: no traceback, a SyntaxError, IndentationError
//     or TabError), test_failed (everything else, with the exception line).
package codetask

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/quanteval/quanteval/sandbox"
)

// Reasons a code task is not passed. They are written into result files: keep them
// stable.
const (
	ReasonNoCode       = "no_code"       // no program in the reply
	ReasonSyntaxError  = "syntax_error"  // Python could not compile the program
	ReasonTestFailed   = "test_failed"   // a test failed, or the program raised or exited first
	ReasonTimeout      = "timeout"       // the wall-clock timeout or the CPU limit ended it
	ReasonMemory       = "memory"        // it ran out of its address space (MemoryError)
	ReasonSandboxError = "sandbox_error" // the sandbox could not run it
)

// Kinds of task, by the shape of their tests.
const (
	HumanEval = "humaneval" // prompt + completion, then test (defines check), then check(entry_point)
	MBPP      = "mbpp"      // test_imports, the program, then each assert of test_list
)

// StderrLimit is how many bytes of the end of stderr a Record keeps.
const StderrLimit = 2048

// Task is one code task, with the fields of its data set.
type Task struct {
	Kind string // HumanEval or MBPP
	// Prompt is HumanEval's function signature with its docstring, or MBPP's problem
	// statement (only shown to the model, never run).
	Prompt      string
	EntryPoint  string   // HumanEval: the function's name
	Test        string   // HumanEval: the code defining check(candidate)
	TestImports []string // MBPP: import lines the asserts need
	TestList    []string // MBPP: the asserts
}

// Validate checks that the task has what its kind needs.
func (t Task) Validate() error {
	switch t.Kind {
	case HumanEval:
		if t.Prompt == "" || t.EntryPoint == "" || t.Test == "" {
			return fmt.Errorf("codetask: a humaneval task needs prompt, entry_point and test")
		}
	case MBPP:
		if len(t.TestList) == 0 {
			return fmt.Errorf("codetask: an mbpp task needs test_list")
		}
	default:
		return fmt.Errorf("codetask: unknown kind %q (want %q or %q)", t.Kind, HumanEval, MBPP)
	}
	return nil
}

// Record is the verdict on one reply.
type Record struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"` // "" when OK, else a Reason constant
	// Program is the program read from the reply (before the prompt or the tests
	// were added); Body says it was a HumanEval body appended to the prompt.
	Program    string        `json:"program"`
	Body       bool          `json:"body,omitempty"`
	ExitStatus int           `json:"exit_status"`           // -1 when a signal ended it or it never ran
	Signal     string        `json:"signal,omitempty"`      // the signal that ended it
	FailedTest string        `json:"failed_test,omitempty"` // the assert (MBPP) or line of check (HumanEval)
	Error      string        `json:"error,omitempty"`       // the exception, or what ended the program
	Stderr     string        `json:"stderr,omitempty"`      // the last StderrLimit bytes of stderr
	Unsafe     bool          `json:"unsafe,omitempty"`      // run without a sandbox
	Duration   time.Duration `json:"duration_ns"`
}

// Score reads the program from reply, runs it with the task's tests on r and judges
// it. The error is set only when ctx ended before the verdict (nothing to record)
// or the task is invalid.
func Score(ctx context.Context, r sandbox.Runner, t Task, reply string) (Record, error) {
	if err := t.Validate(); err != nil {
		return Record{}, err
	}
	code, ok := Extract(reply)
	if !ok {
		return Record{Reason: ReasonNoCode, ExitStatus: -1}, nil
	}
	nonce := newNonce()
	src, body := Build(t, code, nonce)
	res := r.Run(ctx, sandbox.Program{Source: src})
	if res.Err != nil && ctx.Err() != nil {
		return Record{}, fmt.Errorf("codetask: %w", ctx.Err())
	}
	rec := judge(t, res, nonce)
	rec.Program, rec.Body = code, body
	return rec, nil
}

func newNonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return "quanteval-" + hex.EncodeToString(b)
}

// tail returns the last n bytes of s, starting at a line when one starts in them.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	return s
}
