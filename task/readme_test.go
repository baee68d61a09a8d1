package task

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// thousands writes n with a comma between thousands, as the README does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// The README's row for each built-in task names its spec's repo, config, split,
// row count and scorer.
func TestReadmeBuiltinRows(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if name, rest, ok := strings.Cut(line, "` |"); ok && strings.HasPrefix(name, "| `") {
			if _, dup := rows[name[3:]]; !dup {
				rows[name[3:]] = rest
			}
		}
	}
	for _, n := range Builtins() {
		sp := builtin(t, n)
		row, ok := rows[n]
		if !ok {
			t.Errorf("%s: no README row", n)
			continue
		}
		cfg := "`" + sp.Source.Config + "`"
		if sp.Source.Config == "" || sp.Source.Config == "default" {
			cfg = "default"
		}
		want := []string{"`" + sp.Source.Hub + "`", cfg, "`" + sp.Source.Split + "`", "| " + thousands(sp.Source.Rows) + " |"}
		if sp.Source.Revision != "" {
			want = append(want, sp.Source.Revision)
		}
		if sp.Source.Rows == 0 {
			t.Errorf("%s: the spec gives no published row count", n)
		}
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("%s: README row %q lacks %q", n, row, w)
			}
		}
	}
}
