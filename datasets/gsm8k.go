package datasets

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/evalset"
)

var gsm8kColumns = []column{{"question", colString}, {"answer", colString}}

// gsm8kRow is one problem: the question and the reference solution, whose last
// line is "#### N".
type gsm8kRow struct {
	question  string
	reasoning string  // the solution before "####"
	answer    float64 // the number after "####"
}

func gsm8kRows(file string, recs []record) ([]gsm8kRow, error) {
	rows := make([]gsm8kRow, len(recs))
	for i, r := range recs {
		if strings.TrimSpace(r[0].str) == "" {
			return nil, fmt.Errorf("datasets: %s: row %d: empty question", file, i)
		}
		reasoning, n, err := parseGSM8KAnswer(r[1].str)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: row %d: answer: %w", file, i, err)
		}
		rows[i] = gsm8kRow{question: r[0].str, reasoning: reasoning, answer: n}
	}
	return rows, nil
}

// parseGSM8KAnswer splits a reference solution at its last "####" and reads the
// number after it; "$", "," and a trailing "." are ignored, as the scorers ignore
// them in replies.
func parseGSM8KAnswer(s string) (reasoning string, n float64, err error) {
	i := strings.LastIndex(s, "####")
	if i < 0 {
		return "", 0, errors.New(`no "#### N" line`)
	}
	num := strings.TrimSpace(s[i+len("####"):])
	num = strings.NewReplacer(",", "", "$", "", " ", "").Replace(num)
	num = strings.TrimSuffix(num, ".")
	n, err = strconv.ParseFloat(num, 64)
	if err != nil {
		return "", 0, fmt.Errorf("%q after #### is not a number", strings.TrimSpace(s[i+4:]))
	}
	return strings.TrimSpace(s[:i]), n, nil
}

// calcRE matches GSM8K's calculator annotations, "<<48/2=24>>": tool traces of the
// original annotators, not reasoning a model should imitate.
var calcRE = regexp.MustCompile(`<<[^<>]*>>`)

// fewshotReply rewrites a reference solution as the reply the zero-shot prompt asks
// for: the reasoning without calculator annotations, then "The final answer is N".
func fewshotReply(r gsm8kRow) string {
	return calcRE.ReplaceAllString(r.reasoning, "") + "\nThe final answer is " + formatNumber(r.answer)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// gsm8kPrompt is the user turn for a problem. The last line's form is what the
// strict scorer reads; lm-evaluation-harness's chain-of-thought chat tasks ask for
// the same phrase.
func gsm8kPrompt(question string) string {
	return "Solve the following math problem. Think it through step by step, then give the result " +
		"on a last line of the form \"The final answer is N\", where N is the number alone.\n\n" +
		"Problem: " + strings.TrimSpace(question)
}

// gsm8kItems builds the items; shots are the few-shot examples, shared by every
// item as earlier turns.
func gsm8kItems(split string, rows []gsm8kRow, shots []gsm8kRow) []evalset.Item {
	var prefix []evalset.Message
	for _, s := range shots {
		prefix = append(prefix,
			evalset.Message{Role: "user", Content: gsm8kPrompt(s.question)},
			evalset.Message{Role: "assistant", Content: fewshotReply(s)})
	}
	items := make([]evalset.Item, len(rows))
	for i, r := range rows {
		msgs := append(append([]evalset.Message(nil), prefix...), evalset.Message{Role: "user", Content: gsm8kPrompt(r.question)})
		items[i] = evalset.Item{
			ID:       fmt.Sprintf("gsm8k-%s-%04d", split, i),
			Type:     evalset.TypeGSM8K,
			Messages: msgs,
			Answer:   r.answer,
		}
	}
	return items
}
