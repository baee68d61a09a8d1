package codetask

import (
	"fmt"
	"strconv"
	"strings"
)

// Build returns the test program for code (a program read from a reply) and
// whether code was taken as a HumanEval body. nonce goes into the markers the
// harness writes to stderr (file descriptor 2, past any sys.stderr the program
// replaced): "NONCE PASS" after the last test, "NONCE FAIL [i]" when a test fails.
func Build(t Task, code, nonce string) (src string, body bool) {
	if t.Kind == MBPP {
		return buildMBPP(t, code, nonce), false
	}
	return buildHumanEval(t, code, nonce)
}

func buildHumanEval(t Task, code, nonce string) (string, bool) {
	future, code := hoistFuture(code)
	body := !definesFunc(code, t.EntryPoint)
	if body && !startsIndented(code) {
		code = indent(code, "    ")
	}
	var b strings.Builder
	b.WriteString(future)
	b.WriteString(t.Prompt)
	if !strings.HasSuffix(t.Prompt, "\n") {
		b.WriteString("\n")
	}
	if !body {
		b.WriteString("\n\n")
	}
	b.WriteString(code)
	fmt.Fprintf(&b, "\n\n%s\n\n", strings.TrimRight(t.Test, "\n"))
	fmt.Fprintf(&b, `try:
    check(%s)
except BaseException:
    __import__("os").write(2, __import__("traceback").format_exc().encode("utf-8", "replace"))
    __import__("os").write(2, b"\n%s FAIL\n")
    __import__("os")._exit(1)
__import__("os").write(2, b"\n%s PASS\n")
`, t.EntryPoint, nonce, nonce)
	return b.String(), body
}

func buildMBPP(t Task, code, nonce string) string {
	future, code := hoistFuture(code)
	var b strings.Builder
	b.WriteString(future)
	for _, imp := range t.TestImports {
		b.WriteString(strings.TrimSpace(imp) + "\n")
	}
	b.WriteString(code)
	b.WriteString("\n\n__quanteval_tests = [\n")
	for _, test := range t.TestList {
		fmt.Fprintf(&b, "    %s,\n", strconv.Quote(test))
	}
	fmt.Fprintf(&b, `]
for __quanteval_i, __quanteval_t in enumerate(__quanteval_tests):
    try:
        exec(compile(__quanteval_t, "<test %%d>" %% __quanteval_i, "exec"), globals())
    except BaseException:
        __import__("os").write(2, __import__("traceback").format_exc().encode("utf-8", "replace"))
        __import__("os").write(2, ("\n%s FAIL %%d\n" %% __quanteval_i).encode())
        __import__("os")._exit(1)
__import__("os").write(2, b"\n%s PASS\n")
`, nonce, nonce)
	return b.String()
}

// hoistFuture splits the `from __future__ import` lines off code: Python accepts
// them only at the top of a file.
func hoistFuture(code string) (future, rest string) {
	var f, r []string
	for _, line := range strings.Split(code, "\n") {
		if strings.HasPrefix(line, "from __future__ import") {
			f = append(f, line)
		} else {
			r = append(r, line)
		}
	}
	if len(f) == 0 {
		return "", code
	}
	return strings.Join(f, "\n") + "\n", strings.Join(r, "\n")
}

// startsIndented reports whether the first non-blank line of code is indented.
func startsIndented(code string) bool {
	for _, line := range strings.Split(code, "\n") {
		if strings.TrimSpace(line) != "" {
			return line[0] == ' ' || line[0] == '\t'
		}
	}
	return false
}

func indent(code, by string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "\n")
}
