package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
)

// cmdEvalsetList lists the eval sets: the built-in suites and the standard data
// sets (`quanteval evalset list`, and `quanteval evalsets` as before).
func cmdEvalsetList(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usagef("evalset list: unexpected argument %q", args[0])
	}
	list, err := evalset.Builtins()
	if err != nil {
		return err
	}
	for _, b := range list {
		var types []string
		for _, t := range result.SortedKeys(b.Types) {
			types = append(types, fmt.Sprintf("%s %d", t, b.Types[t]))
		}
		fmt.Fprintf(stdout, "%s%s\t%d items\t%s\n", evalset.BuiltinPrefix, b.Name, b.Count, strings.Join(types, ", "))
	}
	return listTasks(stdout)
}
