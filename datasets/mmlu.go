package datasets

import (
	"fmt"
	"strings"

	"github.com/quanteval/quanteval/evalset"
)

var mmluColumns = []column{{"question", colString}, {"subject", colString}, {"choices", colStrings}, {"answer", colInt}}

type mmluRow struct {
	question string
	subject  string
	choices  []string
	answer   int // index into choices
	index    int // row index within its subject in the split, for the id
}

func mmluRows(file string, recs []record) ([]mmluRow, error) {
	rows := make([]mmluRow, len(recs))
	perSubject := map[string]int{}
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
		row.index = perSubject[row.subject]
		perSubject[row.subject]++
		rows[i] = row
	}
	return rows, nil
}

func letter(i int) string { return string(rune('A' + i)) }

// mmluPrompt is the user turn for a question: the generative form of the MMLU
// prompt, asking for the "Answer: X" line the choice scorer reads.
func mmluPrompt(r mmluRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The following is a multiple choice question about %s.\n\n", strings.ReplaceAll(r.subject, "_", " "))
	b.WriteString(strings.TrimSpace(r.question))
	b.WriteString("\n\n")
	letters := make([]string, len(r.choices))
	for i, c := range r.choices {
		letters[i] = letter(i)
		fmt.Fprintf(&b, "%s. %s\n", letters[i], strings.TrimSpace(c))
	}
	last := len(letters) - 1
	fmt.Fprintf(&b, "\nAnswer with the letter of the correct choice. You may reason briefly first; "+
		"end your reply with a line of the form \"Answer: X\", where X is %s or %s.",
		strings.Join(letters[:last], ", "), letters[last])
	return b.String()
}

// mmluItems builds the items; shots holds each subject's few-shot examples, given
// as earlier turns answered "Answer: X".
func mmluItems(split string, rows []mmluRow, shots map[string][]mmluRow) []evalset.Item {
	prefixes := map[string][]evalset.Message{} // the shot turns, built once a subject
	items := make([]evalset.Item, len(rows))
	for i, r := range rows {
		prefix, ok := prefixes[r.subject]
		if !ok {
			for _, s := range shots[r.subject] {
				prefix = append(prefix,
					evalset.Message{Role: "user", Content: mmluPrompt(s)},
					evalset.Message{Role: "assistant", Content: "Answer: " + letter(s.answer)})
			}
			prefixes[r.subject] = prefix
		}
		msgs := make([]evalset.Message, 0, len(prefix)+1)
		msgs = append(append(msgs, prefix...), evalset.Message{Role: "user", Content: mmluPrompt(r)})
		items[i] = evalset.Item{
			ID:       fmt.Sprintf("mmlu-%s-%s-%04d", r.subject, split, r.index),
			Type:     evalset.TypeChoice,
			Messages: msgs,
			Answer:   letter(r.answer),
			Category: r.subject,
		}
	}
	return items
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
