package codetask

import (
	"context"
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

// The probe runs in the real sandbox: a module Python has is not missing, one it
// lacks is.
func TestMissingModules(t *testing.T) {
	sb := newSandbox(t)
	got, err := MissingModules(context.Background(), sb, []string{"json", "quanteval_no_such_module", "math"})
	if err != nil || !reflect.DeepEqual(got, []string{"quanteval_no_such_module"}) {
		t.Errorf("MissingModules = %q, %v; want the one Python lacks", got, err)
	}
	if got, err := MissingModules(context.Background(), sb, nil); got != nil || err != nil {
		t.Errorf("no modules: %q, %v", got, err)
	}
}

// silentRunner runs nothing and prints nothing.
type silentRunner struct{}

func (silentRunner) Run(context.Context, sandbox.Program) sandbox.Result { return sandbox.Result{} }

func TestMissingModulesProbeWithoutAnswer(t *testing.T) {
	if _, err := MissingModules(context.Background(), silentRunner{}, []string{"numpy"}); err == nil {
		t.Error("a probe that printed nothing gave no error")
	}
}
