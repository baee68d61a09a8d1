package codetask

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/quanteval/quanteval/sandbox"
)

func TestImports(t *testing.T) {
	for _, tt := range []struct {
		name string
		task Task
		want []string
	}{
		{"standard library only", Task{Test: "import math\nfrom typing import List\nimport re, itertools\n"}, nil},
		{"numpy as np", Task{Test: "import numpy as np\n\ndef check(candidate):\n    assert np.allclose(candidate(1), 2)\n"}, []string{"numpy"}},
		{"from a submodule", Task{Test: "from scipy.special import comb\n"}, []string{"scipy"}},
		{"several on a line", Task{Test: "import os, numpy as np, sympy\n"}, []string{"numpy", "sympy"}},
		{"inside a function", Task{Test: "def check(candidate):\n    import pandas\n    assert candidate(1)\n"}, []string{"pandas"}},
		{"MBPP test_imports", Task{Kind: MBPP, TestImports: []string{"import math", "from sortedcontainers import SortedList"}}, []string{"sortedcontainers"}},
		{"comment and relative", Task{Test: "# import numpy\nfrom . import helper\nfrom __future__ import annotations\n"}, nil},
		{"trailing comment and semicolon", Task{Test: "import regex  # third party\nimport json; import yaml\n"}, []string{"regex"}},
		{"once each, sorted", Task{Test: "import numpy\nimport attr\nfrom numpy import array\n"}, []string{"attr", "numpy"}},
	} {
		if got := Imports(tt.task); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Imports = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The probe imports in the real sandbox: a module Python has is not missing, one
// it lacks is, and one that is there but raises on import (a package whose shared
// library the sandbox cannot see) is reported as installed, with its error.
func TestMissingModules(t *testing.T) {
	sb := newSandbox(t)
	got, err := MissingModules(context.Background(), sb, []string{"json", "quanteval_no_such_module", "math"})
	want := []ImportFailure{{Module: "quanteval_no_such_module",
		Error: "ModuleNotFoundError: No module named 'quanteval_no_such_module'"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("MissingModules = %+v, %v; want %+v", got, err, want)
	}
	if got, err := MissingModules(context.Background(), sb, nil); got != nil || err != nil {
		t.Errorf("no modules: %+v, %v", got, err)
	}
}

// A module that is installed but raises on import counts as missing, with its
// error: unsafe mode runs the host's python, where the test can plant one.
func TestMissingModulesBrokenImport(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "quanteval_broken_mod.py"), []byte("raise ImportError('libfoo.so.3: cannot open shared object file')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unsafe, err := sandbox.New(sandbox.Options{Unsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := MissingModules(context.Background(), pathRunner{unsafe, dir}, []string{"quanteval_broken_mod"})
	want := []ImportFailure{{Module: "quanteval_broken_mod", Installed: true, Error: "ImportError: libfoo.so.3: cannot open shared object file"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("MissingModules = %+v, %v; want %+v", got, err, want)
	}
}

// pathRunner puts dir on the program's sys.path first.
type pathRunner struct {
	r   sandbox.Runner
	dir string
}

func (p pathRunner) Run(ctx context.Context, prog sandbox.Program) sandbox.Result {
	prog.Source = fmt.Sprintf("import sys\nsys.path.insert(0, %q)\n", p.dir) + prog.Source
	return p.r.Run(ctx, prog)
}

// silentRunner runs nothing and prints nothing.
type silentRunner struct{}

func (silentRunner) Run(context.Context, sandbox.Program) sandbox.Result { return sandbox.Result{} }

func TestMissingModulesProbeWithoutAnswer(t *testing.T) {
	if _, err := MissingModules(context.Background(), silentRunner{}, []string{"numpy"}); err == nil {
		t.Error("a probe that printed nothing gave no error")
	}
}
