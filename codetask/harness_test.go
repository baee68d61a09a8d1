package codetask

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/golden"
)

func TestBuildGolden(t *testing.T) {
	cases := []struct {
		name string
		task Task
		code string
		body bool
	}{
		{"humaneval_body", addAll, "return sum(xs)\n", true},
		{"humaneval_whole", addAll, "from __future__ import annotations\ndef add_all(xs):\n    return sum(xs)\n", false},
		{"mbpp", maxOf, "def max_of(a, b):\n    return max(a, b)\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, body := Build(c.task, c.code, "NONCE")
			if body != c.body {
				t.Errorf("body = %v, want %v", body, c.body)
			}
			golden.Check(t, filepath.Join("testdata", c.name+".py"), []byte(got))
		})
	}
}

func TestBuildQuotesAsserts(t *testing.T) {
	task := Task{Kind: MBPP, TestList: []string{`assert f("a\"b\n") == 'it''s'`, "assert f(1) ==\\\n  2"}}
	src, _ := Build(task, "f = len\n", "N")
	for _, want := range []string{`"assert f(\"a\\\"b\\n\") == 'it''s'",`, `"assert f(1) ==\\\n  2",`} {
		if !strings.Contains(src, want) {
			t.Errorf("test program lacks %s:\n%s", want, src)
		}
	}
}
