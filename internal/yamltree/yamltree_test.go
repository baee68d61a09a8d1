package yamltree

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// node parses src and returns the value of its top mapping's key "v".
func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "v" {
			return Resolve(root.Content[i+1])
		}
	}
	t.Fatalf("%q has no key v", src)
	return nil
}

// errText is the one error d collected ("" when none).
func errText(t *testing.T, d *Decoder) string {
	t.Helper()
	switch len(d.Errs) {
	case 0:
		return ""
	case 1:
		var e *Error
		if !errors.As(d.Errs[0], &e) {
			t.Fatalf("%T is not an *Error", d.Errs[0])
		}
		return e.Error()
	}
	t.Fatalf("%d errors, want at most one: %v", len(d.Errs), d.Errs)
	return ""
}

func TestScalars(t *testing.T) {
	tests := []struct {
		name, src string
		read      func(d *Decoder, n *yaml.Node) any
		want      any
		err       string // "" for none
	}{
		{"string", "v: abc", func(d *Decoder, n *yaml.Node) any { return d.Str(n, "k") }, "abc", ""},
		{"a number as a string", "v: 12", func(d *Decoder, n *yaml.Node) any { return d.Str(n, "k") }, "12", ""},
		{"null string", "v: ~", func(d *Decoder, n *yaml.Node) any { return d.Str(n, "k") }, "", "f.yaml:1: k: want a string, got nothing"},
		{"integer", "v: 0x10", func(d *Decoder, n *yaml.Node) any { return d.Integer(n, "k", 1) }, 16, ""},
		{"integer below min", "v: 0", func(d *Decoder, n *yaml.Node) any { return d.Integer(n, "k", 1) }, 0, "f.yaml:1: k: 0 is below 1"},
		{"integer as a float", "v: 1.5", func(d *Decoder, n *yaml.Node) any { return d.Integer(n, "k", 0) }, 0, `want a whole number, got "1.5"`},
		{"int64p", "v: -3", func(d *Decoder, n *yaml.Node) any { return *d.Int64p(n, "k") }, int64(-3), ""},
		{"float from an int", "v: 2", func(d *Decoder, n *yaml.Node) any { return d.Float(n, "k") }, 2.0, ""},
		{"float from a string", "v: x", func(d *Decoder, n *yaml.Node) any { return d.Float(n, "k") }, 0.0, `want a number, got "x"`},
		{"boolean", "v: true", func(d *Decoder, n *yaml.Node) any { return d.Boolean(n, "k") }, true, ""},
		{"boolean from yes", "v: 'yes'", func(d *Decoder, n *yaml.Node) any { return d.Boolean(n, "k") }, false, "want true or false"},
		{"duration", "v: 1h30m", func(d *Decoder, n *yaml.Node) any { return d.Duration(n, "k") }, 90 * time.Minute, ""},
		{"duration in seconds", "v: 1.5", func(d *Decoder, n *yaml.Node) any { return d.Duration(n, "k") }, 1500 * time.Millisecond, ""},
		{"duration NaN", "v: .nan", func(d *Decoder, n *yaml.Node) any { return d.Duration(n, "k") }, time.Duration(0), "is not a number of seconds"},
		{"negative duration", "v: -2s", func(d *Decoder, n *yaml.Node) any { return d.Duration(n, "k") }, time.Duration(0), "negative duration -2s"},
		{"words", "v: [a, 1, true]", func(d *Decoder, n *yaml.Node) any { return d.Words(n, "k") }, []string{"a", "1", "true"}, ""},
		{"words with a null", "v: [a, ~]", func(d *Decoder, n *yaml.Node) any { return d.Words(n, "k") }, []string{"a"}, "k[1]: want a string, got nothing"},
		{"words from a mapping", "v: {a: 1}", func(d *Decoder, n *yaml.Node) any { return d.Words(n, "k") }, []string(nil), "want a list, got a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Decoder{File: "f.yaml"}
			got := tt.read(d, node(t, tt.src))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if e := errText(t, d); tt.err == "" && e != "" || !strings.Contains(e, tt.err) {
				t.Errorf("error %q, want %q", e, tt.err)
			}
		})
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		name, src string
		seen      []string
		err       string
	}{
		{"known keys", "v: {a: 1, b: 2}", []string{"a", "b"}, ""},
		{"an alias", "x: &x {a: 1}\nv: *x", []string{"a"}, ""},
		{"unknown key", "v: {a: 1, c: 2}", []string{"a"}, "f.yaml:1: top.c: unknown key (known: a, b)"},
		{"given twice", "v:\n  a: 1\n  a: 2", []string{"a"}, "f.yaml:3: top.a: given twice (first at line 2)"},
		{"merge key", "x: &x {a: 1}\nv: {<<: *x}", nil, "top.<<: merge keys are not supported"},
		{"not a mapping", "v: [a]", nil, "f.yaml:1: top: want a mapping, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Decoder{File: "f.yaml"}
			var seen []string
			ok := d.Fields(node(t, tt.src), "top", []string{"a", "b"}, func(k string, kn, v *yaml.Node) {
				if kn.Value != k || v.Kind != yaml.ScalarNode {
					t.Errorf("%s: key node %q, value kind %v", k, kn.Value, v.Kind)
				}
				seen = append(seen, k)
			})
			if !reflect.DeepEqual(seen, tt.seen) || ok != (tt.name != "not a mapping") {
				t.Errorf("saw %v (ok %v), want %v", seen, ok, tt.seen)
			}
			if e := errText(t, d); tt.err == "" && e != "" || !strings.Contains(e, tt.err) {
				t.Errorf("error %q, want %q", e, tt.err)
			}
		})
	}
}

func TestErrorAndJoin(t *testing.T) {
	inner := errors.New("bad")
	for _, tc := range []struct {
		e    *Error
		want string
	}{
		{&Error{File: "p.yaml", Line: 3, Key: "a.b", Err: inner}, "p.yaml:3: a.b: bad"},
		{&Error{File: "p.yaml", Err: inner}, "p.yaml: bad"},
	} {
		if got := tc.e.Error(); got != tc.want || !errors.Is(tc.e, inner) {
			t.Errorf("%q (Is %v), want %q", got, errors.Is(tc.e, inner), tc.want)
		}
	}
	if Join("", "a") != "a" || Join("a", "b") != "a.b" {
		t.Errorf("Join: %q %q", Join("", "a"), Join("a", "b"))
	}
}
