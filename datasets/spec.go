package datasets

import (
	"fmt"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/task"
)

// specItems builds a standard data set's items with its built-in task spec (the
// ids, prompts, answers and few-shot turns are the spec's), from rows this package
// has read and checked; k is the number of few-shot examples, taken from shots.
func specItems(name, split string, rows, shots []task.Row, k int) ([]evalset.Item, error) {
	sp, err := task.Builtin(name)
	if err != nil {
		return nil, err
	}
	built, err := task.Build(sp, rows, task.Options{Split: split, Fewshot: &k, Shots: shots})
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	items := make([]evalset.Item, len(built))
	for i := range built {
		items[i] = built[i].Item
		items[i].Options = built[i].Options
	}
	return items, nil
}

// gsm8kMaps gives GSM8K's records (question, answer) as a spec reads rows.
func gsm8kMaps(recs []record) []task.Row {
	out := make([]task.Row, len(recs))
	for i, r := range recs {
		out[i] = task.Row{"question": r[0].str, "answer": r[1].str}
	}
	return out
}

// mmluMaps gives MMLU's rows as a spec reads them.
func mmluMaps(rows []mmluRow) []task.Row {
	out := make([]task.Row, len(rows))
	for i, r := range rows {
		choices := make([]any, len(r.choices))
		for j, c := range r.choices {
			choices[j] = c
		}
		out[i] = task.Row{"question": r.question, "subject": r.subject, "choices": choices, "answer": int64(r.answer)}
	}
	return out
}
