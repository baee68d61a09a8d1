package codetask

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
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

// probeMark starts each line the module probe prints; a runner that does not run
// the probe (prints no such line) tells nothing.
const probeMark = "quanteval-import:"

// ImportFailure is a module the programs' python cannot import.
type ImportFailure struct {
	Module string
	// Installed: the module is there but raised while importing (a shared
	// library it needs is missing, say); Error is then the exception's last line.
	Installed bool
	Error     string
}

// MissingModules imports each of modules with the runner's python, in the
// sandbox as the tests would, and returns those that fail. A probe that does not
// run, or prints no answer, returns an error.
func MissingModules(ctx context.Context, r sandbox.Runner, modules []string) ([]ImportFailure, error) {
	if len(modules) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(modules))
	for i, m := range modules {
		quoted[i] = strconv.Quote(m)
	}
	src := fmt.Sprintf(`import importlib, importlib.util
for m in [%s]:
    try:
        installed = importlib.util.find_spec(m) is not None
    except Exception:
        installed = False
    try:
        importlib.import_module(m)
        print(%q, m, "ok")
    except BaseException as e:
        msg = (type(e).__name__ + ": " + str(e)).strip().splitlines()[0][:300]
        print(%q, m, "installed" if installed else "missing", msg)
print(%q, "done")
`, strings.Join(quoted, ", "), probeMark, probeMark, probeMark)
	res := r.Run(ctx, sandbox.Program{Source: src})
	if res.Err != nil {
		return nil, fmt.Errorf("checking the tests' modules: %w", res.Err)
	}
	var out []ImportFailure
	finished := false
	for _, line := range strings.Split(string(res.Stdout.Data), "\n") {
		rest, ok := strings.CutPrefix(line, probeMark+" ")
		if !ok {
			continue
		}
		f := strings.SplitN(rest, " ", 3)
		switch {
		case f[0] == "done":
			finished = true
		case len(f) >= 2 && f[1] != "ok":
			fail := ImportFailure{Module: f[0], Installed: f[1] == "installed"}
			if len(f) == 3 {
				fail.Error = f[2]
			}
			out = append(out, fail)
		}
	}
	if !finished {
		return nil, fmt.Errorf("checking the tests' modules: the probe printed no answer (exit %d): %s",
			res.ExitCode, tail(string(res.Stderr.Data), 300))
	}
	return out, nil
}
