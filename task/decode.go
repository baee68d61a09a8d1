package task

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML tree, collecting errors instead of stopping at the first,
// in the plan's manner.
type decoder struct {
	file string
	errs []error
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: key, Err: fmt.Errorf(format, args...)})
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fields calls f for every key of mapping n (named at path key); keys outside known
// and keys given twice are errors.
func (d *decoder) fields(n *yaml.Node, key string, known []string, f func(k string, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.fail(n, key, "want a mapping, got %s", describe(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], resolve(n.Content[i+1])
		k := kn.Value
		full := k
		if key != "" {
			full = key + "." + k
		}
		if at, dup := seen[k]; dup {
			d.fail(kn, full, "given twice (first at line %d)", at)
			continue
		}
		seen[k] = kn.Line
		if !slices.Contains(known, k) {
			d.fail(kn, full, "unknown key (known: %s)", strings.Join(known, ", "))
			continue
		}
		f(k, v)
	}
	return true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (d *decoder) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.fail(n, key, "want a string, got %s", describe(n))
		return ""
	}
	return n.Value
}

func (d *decoder) integer(n *yaml.Node, key string, min int) int {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
		d.fail(n, key, "want a whole number, got %s", describe(n))
		return 0
	}
	if v < min {
		d.fail(n, key, "%d is below %d", v, min)
	}
	return v
}

func (d *decoder) float(n *yaml.Node, key string) float64 {
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		d.fail(n, key, "want a number, got %s", describe(n))
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, key string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.fail(n, key, "want true or false, got %s", describe(n))
	}
	return v
}

func (d *decoder) words(n *yaml.Node, key string) []string {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, key, "want a list, got %s", describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		e = resolve(e)
		if e.Kind != yaml.ScalarNode || e.ShortTag() == "!!null" {
			d.fail(e, fmt.Sprintf("%s[%d]", key, i), "want a string, got %s", describe(e))
			continue
		}
		out = append(out, e.Value)
	}
	return out
}
