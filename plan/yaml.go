package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a plan, at a line and a key.
type Error struct {
	File string
	Line int
	Key  string // a path such as variants[1].ready_timeout; "" for the whole file
	Err  error
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", loc, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", loc, e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// decoder walks the YAML tree, collecting errors instead of stopping at the first.
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
// are errors.
func (d *decoder) fields(n *yaml.Node, key string, known []string, f func(k string, kn, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.fail(n, key, "want a mapping, got %s", describe(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], resolve(n.Content[i+1])
		k := kn.Value
		full := join(key, k)
		if k == "<<" {
			d.fail(kn, full, "merge keys are not supported")
			continue
		}
		if at, dup := seen[k]; dup {
			d.fail(kn, full, "given twice (first at line %d)", at)
			continue
		}
		seen[k] = kn.Line
		if !contains(known, k) {
			d.fail(kn, full, "unknown key (known: %s)", strings.Join(known, ", "))
			continue
		}
		f(k, kn, v)
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.fail(n, key, "want a whole number, got %s", describe(n))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		var v64 int64
		if err := n.Decode(&v64); err != nil {
			d.fail(n, key, "%v", err)
			return 0
		}
		v = int(v64)
	}
	if v < min {
		d.fail(n, key, "%d is below %d", v, min)
	}
	return v
}

func (d *decoder) int64p(n *yaml.Node, key string) *int64 {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.fail(n, key, "want a whole number, got %s", describe(n))
		return nil
	}
	return &v
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

// duration reads a Go duration ("15s") or a number of seconds.
func (d *decoder) duration(n *yaml.Node, key string) Duration {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.fail(n, key, "want a duration such as 30m or 15s, got %s", describe(n))
		return 0
	}
	var v time.Duration
	switch n.ShortTag() {
	case "!!int", "!!float":
		s, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsNaN(s) || math.IsInf(s, 0) {
			d.fail(n, key, "%q is not a number of seconds", n.Value)
			return 0
		}
		v = time.Duration(s * float64(time.Second))
	default:
		var err error
		if v, err = time.ParseDuration(n.Value); err != nil {
			d.fail(n, key, "%q is not a duration (want e.g. 30m, 15s, 1h30m, or seconds)", n.Value)
			return 0
		}
	}
	if v < 0 {
		d.fail(n, key, "negative duration %s", n.Value)
		return 0
	}
	return Duration(v)
}

// words reads a list of scalars; numbers and booleans are kept as written.
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
