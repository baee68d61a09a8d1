package eval

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/datasets"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/task"
)

// taskSpec parses the task spec an eval-set spec names: task:PATH.yaml, or the name
// of a built-in spec that datasets.Open does not own (gsm8k and mmlu keep their
// mmlu:SUBJECT and hf: forms there). ok is false for other specs.
func taskSpec(text string) (sp *task.Spec, ok bool, err error) {
	if path, found := strings.CutPrefix(text, datasets.TaskPrefix); found {
		sp, err = task.ParseFile(path)
		return sp, true, err
	}
	if text == datasets.TaskGSM8K || text == datasets.TaskMMLU || !slices.Contains(task.Builtins(), text) {
		return nil, false, nil
	}
	sp, err = task.Builtin(text)
	return sp, true, err
}

// openTask opens the eval set of a task spec; ok is false for other specs. A spec
// error, a missing column or a missing file is the input's (exit 2); what the hub
// or the network failed at is the run's.
func openTask(ctx context.Context, o Options, progress io.Writer) (*evalset.Set, bool, error) {
	sp, ok, err := taskSpec(o.Evalset)
	if !ok {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, inputError(err)
	}
	if o.Task != "" {
		return nil, true, inputError(fmt.Errorf("--task names the schema of an hf: repo or a data file; %s is a task spec, which gives its own", o.Evalset))
	}
	set, err := datasets.OpenTask(ctx, sp, o.Evalset, o.datasetOptions(progress))
	if err != nil {
		return nil, true, classifyOpen(err)
	}
	return set, true, nil
}
