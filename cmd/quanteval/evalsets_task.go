package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/quanteval/quanteval/datasets"
	"github.com/quanteval/quanteval/task"
)

// listTasks writes a line per built-in task spec: its name (as --evalset takes it),
// its source (repo, config, split), its size (the row count when the rows are in
// the hub cache, else the published count its spec gives, else "—") and its scorer.
func listTasks(stdout io.Writer) error {
	for _, name := range task.Builtins() {
		sp, err := task.Builtin(name)
		if err != nil {
			return err
		}
		size := "—"
		if n, ok := datasets.CachedRows(sp); ok {
			size = strconv.FormatInt(n, 10) + " rows"
		} else if sp.Source.Rows > 0 {
			size = strconv.Itoa(sp.Source.Rows) + " rows (not downloaded)"
		}
		shown := name
		if name == datasets.TaskMMLU {
			shown = "mmlu[:SUBJECT,...]"
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", shown, sp.Source, size, sp.Scorer)
	}
	return nil
}
