package plan

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeBenchKeys: every key of the bench block is in the README's example of
// it, and the example has no key the parser refuses.
func TestReadmeBenchKeys(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "\nbench:\n")
	if i < 0 {
		t.Fatal("README has no example of the bench block")
	}
	block, _, _ := strings.Cut(text[i+len("\nbench:\n"):], "```")
	seen := map[string]bool{}
	for _, line := range strings.Split(block, "\n") {
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		key, _, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		seen[key] = true
		found := false
		for _, k := range benchKeys {
			found = found || k == key
		}
		if !found {
			t.Errorf("README's bench block has %q, which the plan refuses", key)
		}
	}
	for _, k := range benchKeys {
		if !seen[k] && !strings.Contains(block, k+": ") {
			t.Errorf("bench key %q is not in the README's example", k)
		}
	}
}
