// Package yamltree decodes a YAML node tree by hand for the house's YAML files (the
// test plan, task specs): each value is checked for its kind, and every problem is
// collected as an *Error with the file, the line and the key's path, instead of
// stopping at the first one.
//
// Decisions: unknown keys, keys given twice and merge keys (<<) are errors; aliases
// are followed; a duration is a Go duration ("15s") or a number of seconds.
package yamltree

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a YAML file, at a line and a key.
type Error struct {
	File string
	Line int
	Key  string // a path such as variants[1].ready_timeout or source.split; "" for the whole file
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

// Decoder walks a YAML tree, collecting errors instead of stopping at the first.
type Decoder struct {
	File string  // the file's name, for errors
	Errs []error // each an *Error
}

// Fail records a problem at n (its line; none when n is nil) and key.
func (d *Decoder) Fail(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.Errs = append(d.Errs, &Error{File: d.File, Line: line, Key: key, Err: fmt.Errorf(format, args...)})
}

// Resolve follows aliases to the node they name.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Fields calls f for every key of mapping n (named at path key) with the key, its
// node and its value (aliases resolved); keys outside known, keys given twice and
// merge keys are errors. It reports false when n is not a mapping.
func (d *Decoder) Fields(n *yaml.Node, key string, known []string, f func(k string, kn, v *yaml.Node)) bool {
	n = Resolve(n)
	if n.Kind != yaml.MappingNode {
		d.Fail(n, key, "want a mapping, got %s", Describe(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], Resolve(n.Content[i+1])
		k := kn.Value
		full := Join(key, k)
		if k == "<<" {
			d.Fail(kn, full, "merge keys are not supported")
			continue
		}
		if at, dup := seen[k]; dup {
			d.Fail(kn, full, "given twice (first at line %d)", at)
			continue
		}
		seen[k] = kn.Line
		if !slices.Contains(known, k) {
			d.Fail(kn, full, "unknown key (known: %s)", strings.Join(known, ", "))
			continue
		}
		f(k, kn, v)
	}
	return true
}

// Join is the path of key under path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Describe names what n is, for an error: "a mapping", "a list", "nothing" or the
// quoted scalar.
func Describe(n *yaml.Node) string {
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

// Str reads a string (any scalar but null).
func (d *Decoder) Str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.Fail(n, key, "want a string, got %s", Describe(n))
		return ""
	}
	return n.Value
}

// Integer reads a whole number of at least min.
func (d *Decoder) Integer(n *yaml.Node, key string, min int) int {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.Fail(n, key, "want a whole number, got %s", Describe(n))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		var v64 int64
		if err := n.Decode(&v64); err != nil {
			d.Fail(n, key, "%v", err)
			return 0
		}
		v = int(v64)
	}
	if v < min {
		d.Fail(n, key, "%d is below %d", v, min)
	}
	return v
}

// Int64p reads a whole number into a new int64.
func (d *Decoder) Int64p(n *yaml.Node, key string) *int64 {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.Fail(n, key, "want a whole number, got %s", Describe(n))
		return nil
	}
	return &v
}

// Float reads a number.
func (d *Decoder) Float(n *yaml.Node, key string) float64 {
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		d.Fail(n, key, "want a number, got %s", Describe(n))
	}
	return v
}

// Boolean reads true or false.
func (d *Decoder) Boolean(n *yaml.Node, key string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.Fail(n, key, "want true or false, got %s", Describe(n))
	}
	return v
}

// Duration reads a Go duration ("15s") or a number of seconds, not negative.
func (d *Decoder) Duration(n *yaml.Node, key string) time.Duration {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.Fail(n, key, "want a duration such as 30m or 15s, got %s", Describe(n))
		return 0
	}
	var v time.Duration
	switch n.ShortTag() {
	case "!!int", "!!float":
		s, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsNaN(s) || math.IsInf(s, 0) {
			d.Fail(n, key, "%q is not a number of seconds", n.Value)
			return 0
		}
		v = time.Duration(s * float64(time.Second))
	default:
		var err error
		if v, err = time.ParseDuration(n.Value); err != nil {
			d.Fail(n, key, "%q is not a duration (want e.g. 30m, 15s, 1h30m, or seconds)", n.Value)
			return 0
		}
	}
	if v < 0 {
		d.Fail(n, key, "negative duration %s", n.Value)
		return 0
	}
	return v
}

// Words reads a list of scalars; numbers and booleans are kept as written.
func (d *Decoder) Words(n *yaml.Node, key string) []string {
	if n.Kind != yaml.SequenceNode {
		d.Fail(n, key, "want a list, got %s", Describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		e = Resolve(e)
		if e.Kind != yaml.ScalarNode || e.ShortTag() == "!!null" {
			d.Fail(e, fmt.Sprintf("%s[%d]", key, i), "want a string, got %s", Describe(e))
			continue
		}
		out = append(out, e.Value)
	}
	return out
}
