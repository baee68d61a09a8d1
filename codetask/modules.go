package codetask

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/sandbox"
)

// The tests of a task may import modules that are not Python's own: EvalPlus's
// HumanEval+ compares floats with numpy. Where the sandbox's python lacks one,
// every program fails the same way (ModuleNotFoundError raised by the tests, not
// by the model's code), and the run would report a precision at 0% pass@1 instead
// of a missing package. So the modules are checked once, before the first request.

var (
	importLine = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+([^#\n;]+)`)
	fromLine   = regexp.MustCompile(`(?m)^[ \t]*from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b`)
	moduleName = regexp.MustCompile(`^[A-Za-z_]\w*$`)
)

// Imports returns the top-level modules outside Python's standard library that
// the task's own tests import (HumanEval's test code, MBPP's test_imports), sorted;
// relative imports are left out.
func Imports(t Task) []string {
	var out []string
	add := func(dotted string) {
		name, _, _ := strings.Cut(strings.TrimSpace(dotted), ".")
		if moduleName.MatchString(name) && !stdlib[name] && name != "__future__" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, src := range append([]string{t.Test}, t.TestImports...) {
		for _, m := range importLine.FindAllStringSubmatch(src, -1) {
			for _, part := range strings.Split(m[1], ",") {
				if f := strings.Fields(part); len(f) > 0 {
					add(f[0]) // "numpy as np" -> numpy
				}
			}
		}
		for _, m := range fromLine.FindAllStringSubmatch(src, -1) {
			add(m[1])
		}
	}
	slices.Sort(out)
	return out
}

// probeMark starts the line the module probe prints; a runner that does not run
// the probe (prints no such line) tells nothing.
const probeMark = "quanteval-missing-modules:"

// MissingModules returns which of modules the runner's python cannot import. A
// probe that does not run, or prints no answer, returns an error.
func MissingModules(ctx context.Context, r sandbox.Runner, modules []string) ([]string, error) {
	if len(modules) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(modules))
	for i, m := range modules {
		quoted[i] = fmt.Sprintf("%q", m)
	}
	src := fmt.Sprintf(`import importlib.util
missing = []
for m in [%s]:
    try:
        if importlib.util.find_spec(m) is None:
            missing.append(m)
    except Exception:
        missing.append(m)
print(%q, " ".join(missing))
`, strings.Join(quoted, ", "), probeMark)
	res := r.Run(ctx, sandbox.Program{Source: src})
	if res.Err != nil {
		return nil, fmt.Errorf("checking the tests' modules: %w", res.Err)
	}
	for _, line := range strings.Split(string(res.Stdout.Data), "\n") {
		if rest, ok := strings.CutPrefix(line, probeMark); ok {
			return strings.Fields(rest), nil
		}
	}
	return nil, fmt.Errorf("checking the tests' modules: the probe printed no answer (exit %d): %s",
		res.ExitCode, tail(string(res.Stderr.Data), 300))
}
