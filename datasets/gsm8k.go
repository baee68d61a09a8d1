package datasets

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
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
// The gsm8k spec's fewshot.reply writes the same (gsm8k_solution, gsm8k_answer);
// this stays as the reference its test pins.
func fewshotReply(r gsm8kRow) string {
	return calcRE.ReplaceAllString(r.reasoning, "") + "\nThe final answer is " + formatNumber(r.answer)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
