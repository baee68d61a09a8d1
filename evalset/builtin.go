package evalset

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed builtin/*.jsonl
var builtinFS embed.FS

// BuiltinPrefix marks an eval set spec that names a suite embedded in the binary.
const BuiltinPrefix = "builtin:"

// DefaultSuite is the seed's 40-item suite, used when no eval set is given.
const DefaultSuite = BuiltinPrefix + "qwen3_32b_accuracy_suite_v1"

// Builtin describes one embedded suite.
type Builtin struct {
	Name  string
	Count int
	Types map[string]int
}

// Builtins lists the embedded suites, sorted by name.
func Builtins() ([]Builtin, error) {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil, err
	}
	var out []Builtin
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".jsonl")
		s, err := OpenBuiltin(name)
		if err != nil {
			return nil, err
		}
		b := Builtin{Name: name, Count: len(s.Items), Types: map[string]int{}}
		for _, it := range s.Items {
			b.Types[it.Type]++
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// OpenBuiltin reads an embedded suite by name (without the builtin: prefix).
func OpenBuiltin(name string) (*Set, error) {
	p := path.Join("builtin", name+".jsonl")
	data, err := builtinFS.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("evalset: no built-in suite %q (see `quanteval evalsets`)", name)
	}
	items, d, err := parse(BuiltinPrefix+name, data)
	if err != nil {
		return nil, err
	}
	return &Set{Name: name, Path: BuiltinPrefix + name, SHA256: sum256(data), Items: items, MaxTokens: d.MaxTokens, System: d.System}, nil
}

// Open reads a spec: "builtin:NAME" or the path of a JSONL file.
func Open(spec string) (*Set, error) {
	if name, ok := strings.CutPrefix(spec, BuiltinPrefix); ok {
		return OpenBuiltin(name)
	}
	return ReadFile(spec)
}
