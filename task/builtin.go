package task

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed specs/*.yaml
var builtinFS embed.FS

// BuiltinPrefix names a built-in spec in Spec.File: "builtin:gsm8k".
const BuiltinPrefix = "builtin:"

// Builtins lists the names of the built-in specs, sorted.
func Builtins() []string {
	entries, _ := fs.ReadDir(builtinFS, "specs")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Builtin parses the built-in spec name.
func Builtin(name string) (*Spec, error) {
	data, err := builtinFS.ReadFile("specs/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("task: no built-in task %q (have %s)", name, strings.Join(Builtins(), ", "))
	}
	return Parse(BuiltinPrefix+name, data)
}
