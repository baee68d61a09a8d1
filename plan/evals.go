package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/internal/yamltree"
	"go.yaml.in/yaml/v3"

	"github.com/quanteval/quanteval/eval"
)

func (d *decoder) evals(p *Plan, n, root *yaml.Node) {
	if n == nil {
		d.Fail(root, "evals", "missing: a plan needs at least one eval")
		return
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Fail(n, "evals", "want a list of evals, got %s", yamltree.Describe(n))
		return
	}
	names := map[string]int{}
	for i, en := range n.Content {
		en = yamltree.Resolve(en)
		key := fmt.Sprintf("evals[%d]", i)
		e := Eval{Line: en.Line, Options: eval.Defaults()}
		e.Evalset = ""
		var nameNode *yaml.Node
		ok := d.Fields(en, key, evalKeys, func(k string, kn, v *yaml.Node) {
			full := yamltree.Join(key, k)
			if k != "name" {
				d.setting(&e, eval.Lookup(k), v, full)
				return
			}
			e.Name, nameNode = d.Str(v, full), v
			if e.Name != "" && !safeName.MatchString(e.Name) {
				d.Fail(v, full, "%q cannot name a file (use letters, digits, . _ + -)", e.Name)
			}
		})
		if !ok {
			continue
		}
		if e.Evalset == "" {
			d.Fail(en, key+".evalset", "missing")
			continue
		}
		if e.Name == "" {
			e.Name = DefaultEvalName(e.Evalset, e.Task)
		}
		e.Given = givenInOrder(e.Given)
		at := nameNode
		if at == nil {
			at = en
		}
		// Names differing only in case are one file on a case-insensitive file system.
		if first, dup := names[strings.ToLower(e.Name)]; dup {
			d.Fail(at, key+".name", "result name %q is already used by the eval at line %d (give each a distinct name:)", e.Name, first)
		}
		names[strings.ToLower(e.Name)] = en.Line
		p.Evals = append(p.Evals, e)
	}
}

// setting reads the value of an evaluation setting as its kind is written in YAML,
// checks it and stores it in e.
func (d *decoder) setting(e *Eval, s *eval.Setting, n *yaml.Node, key string) {
	var v any
	before := len(d.Errs)
	switch s.Kind() {
	case eval.String:
		v = d.Str(n, key)
	case eval.OptionalString: // any scalar; nothing is ""
		if n.Kind != yaml.ScalarNode {
			d.Fail(n, key, "want a string, got %s", yamltree.Describe(n))
			return
		}
		v = n.Value
		if n.ShortTag() == "!!null" {
			v = ""
		}
	case eval.Int, eval.OptionalInt:
		p := d.Int64p(n, key)
		if p == nil {
			return
		}
		v = *p
	case eval.Float:
		v = d.Float(n, key)
	case eval.Seconds:
		v = d.Duration(n, key)
	case eval.JSONObject:
		v = d.extraBody(n, key)
	case eval.Bool:
		v = d.Boolean(n, key)
	}
	if len(d.Errs) > before {
		return // the value was not read
	}
	if err := s.Set(&e.Options, v); err != nil {
		d.Fail(n, key, "%v", err)
		return
	}
	e.Given = append(e.Given, s.Flag)
}

// givenInOrder puts flags in the order of eval.Settings.
func givenInOrder(flags []string) []string {
	var out []string
	for _, s := range eval.Settings {
		if slices.Contains(flags, s.Flag) {
			out = append(out, s.Flag)
		}
	}
	return out
}

// extraBody reads a mapping, or a string holding a JSON object as the flag takes it.
func (d *decoder) extraBody(n *yaml.Node, key string) json.RawMessage {
	var v any
	switch {
	case n.Kind == yaml.MappingNode:
		if err := n.Decode(&v); err != nil {
			d.Fail(n, key, "%v", err)
			return nil
		}
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		if err := json.Unmarshal([]byte(n.Value), &v); err != nil {
			d.Fail(n, key, "not JSON: %v", err)
			return nil
		}
		if _, ok := v.(map[string]any); !ok {
			d.Fail(n, key, "want a JSON object")
			return nil
		}
	default:
		d.Fail(n, key, "want a mapping (or a JSON object in a string), got %s", yamltree.Describe(n))
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		d.Fail(n, key, "%v", err)
		return nil
	}
	return b
}
