package codetask

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/sandbox"
)

var (
	// exceptionLine is the last line of a traceback: "ValueError: x", "AssertionError".
	exceptionLine = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Exit|Interrupt|Warning|Iteration))\b.*$`)
	syntaxLine    = regexp.MustCompile(`(?m)^(SyntaxError|IndentationError|TabError)\b.*$`)
	// frameLine is a traceback frame in the test program.
	frameLine = regexp.MustCompile(`(?m)^  File "[^"]*main\.py", line (\d+), in (\S+)$`)
)

// judge turns what the sandbox did into a Record (all but Program and Body).
func judge(t Task, res sandbox.Result, nonce string) Record {
	stderr := string(res.Stderr.Data)
	rec := Record{ExitStatus: res.ExitCode, Unsafe: res.Unsafe, Duration: res.Duration,
		Stderr: tail(withoutMarkers(stderr, nonce), StderrLimit)}
	if res.Signal != 0 {
		rec.Signal = res.Signal.String()
	}
	passed := strings.Contains(stderr, "\n"+nonce+" PASS\n")
	failed, failIndex := failMarker(stderr, nonce)
	switch {
	case res.Err != nil:
		rec.Reason, rec.Error = ReasonSandboxError, res.Err.Error()
	case isSandboxFailure(stderr) && !failed:
		rec.Reason, rec.Error = ReasonSandboxError, firstLine(stderr)
	case res.TimedOut:
		rec.Reason, rec.Error = ReasonTimeout, "wall-clock timeout"
	case res.CPULimited():
		rec.Reason, rec.Error = ReasonTimeout, "CPU time limit"
	case passed && res.ExitCode == 0:
		rec.OK = true
	case lastException(stderr) == "MemoryError" || strings.HasPrefix(lastException(stderr), "MemoryError:"):
		rec.Reason, rec.Error = ReasonMemory, lastException(stderr)
	case !failed && !strings.Contains(stderr, "Traceback (most recent call last):") && syntaxLine.MatchString(stderr):
		rec.Reason, rec.Error = ReasonSyntaxError, syntaxLine.FindString(stderr)
	default:
		rec.Reason = ReasonTestFailed
		rec.Error = failureCause(res, stderr, passed, failed)
		if failed {
			rec.FailedTest = failedTest(t, failIndex, stderr)
		}
	}
	return rec
}

// failMarker finds the harness's "NONCE FAIL [i]" line; i is -1 without an index.
func failMarker(stderr, nonce string) (bool, int) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(nonce) + ` FAIL ?(\d*)$`).FindStringSubmatch(stderr)
	if m == nil {
		return false, -1
	}
	i, err := strconv.Atoi(m[1])
	if err != nil {
		return true, -1
	}
	return true, i
}

// failedTest names the failed test: MBPP's assert by its index, HumanEval's line
// of check from the innermost frame of check in the traceback.
func failedTest(t Task, i int, stderr string) string {
	if t.Kind == MBPP {
		if i >= 0 && i < len(t.TestList) {
			return t.TestList[i]
		}
		return ""
	}
	frames := frameLine.FindAllStringSubmatchIndex(stderr, -1)
	for k := len(frames) - 1; k >= 0; k-- {
		f := frames[k]
		if stderr[f[4]:f[5]] != "check" {
			continue
		}
		// Python prints the frame's source line under it.
		rest := stderr[f[1]:]
		if rest = strings.TrimPrefix(rest, "\n"); rest != "" {
			line, _, _ := strings.Cut(rest, "\n")
			return strings.TrimSpace(line)
		}
		return "line " + stderr[f[2]:f[3]]
	}
	return ""
}

// failureCause says why a program that did not pass failed.
func failureCause(res sandbox.Result, stderr string, passed, failed bool) string {
	switch {
	case res.Signal != 0:
		return "killed by signal " + res.Signal.String()
	case lastException(stderr) != "":
		return lastException(stderr)
	case failed:
		return "a test failed"
	case passed:
		return fmt.Sprintf("the tests passed but the program exited with status %d", res.ExitCode)
	default:
		return fmt.Sprintf("the program exited with status %d before the tests finished", res.ExitCode)
	}
}

func lastException(stderr string) string {
	all := exceptionLine.FindAllString(stderr, -1)
	if len(all) == 0 {
		return ""
	}
	return strings.TrimSpace(all[len(all)-1])
}

// isSandboxFailure reports stderr that bwrap or prlimit wrote when they failed,
// before python started.
func isSandboxFailure(stderr string) bool {
	return strings.HasPrefix(stderr, "bwrap: ") || strings.HasPrefix(stderr, "prlimit: ")
}

func withoutMarkers(stderr, nonce string) string {
	lines := strings.Split(stderr, "\n")
	out := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, nonce+" ") {
			out = append(out, l)
		}
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
