package datasets

import (
	"fmt"
	"strings"
)

var mmluColumns = []column{{"question", colString}, {"subject", colString}, {"choices", colStrings}, {"answer", colInt}}

type mmluRow struct {
	question string
	subject  string
	choices  []string
	answer   int // index into choices
}

// mmluRows reads and checks MMLU's records; the items are the mmlu spec's
// (task/specs/mmlu.yaml), built by specItems.
func mmluRows(file string, recs []record) ([]mmluRow, error) {
	rows := make([]mmluRow, len(recs))
	for i, r := range recs {
		row := mmluRow{question: r[0].str, subject: r[1].str, choices: r[2].list, answer: int(r[3].num)}
		switch {
		case strings.TrimSpace(row.question) == "":
			return nil, fmt.Errorf("datasets: %s: row %d: empty question", file, i)
		case row.subject == "" || strings.ContainsAny(row.subject, " ,:/"):
			return nil, fmt.Errorf("datasets: %s: row %d: bad subject %q", file, i, row.subject)
		case len(row.choices) < 2 || len(row.choices) > 26:
			return nil, fmt.Errorf("datasets: %s: row %d: %d choices, want 2 to 26", file, i, len(row.choices))
		case r[3].num < 0 || r[3].num >= int64(len(row.choices)):
			return nil, fmt.Errorf("datasets: %s: row %d: answer %d is not a choice index (0-%d)", file, i, r[3].num, len(row.choices)-1)
		}
		rows[i] = row
	}
	return rows, nil
}

// subjectsOf lists the subjects in the order they first appear.
func subjectsOf(rows []mmluRow) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if !seen[r.subject] {
			seen[r.subject] = true
			out = append(out, r.subject)
		}
	}
	return out
}
