package task

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// state is what the template functions see of the row being rendered.
type state struct {
	row     Row
	index   int      // the row's index in its split
	split   string   // the split's name
	options []string // the item's options in letter order
	correct int      // the index of the correct option, -1 when not known yet
	groups  func(col string) ([]int, error)
}

// funcs are the functions templates may call; st is nil at parse time, when only
// their names and signatures matter.
func funcs(st *state) template.FuncMap {
	return template.FuncMap{
		"col":     func(name string) (any, error) { return lookup(st.row, name) },
		"trim":    strings.TrimSpace,
		"replace": func(s, old, new string) string { return strings.ReplaceAll(s, old, new) },
		"lower":   strings.ToLower,
		"upper":   strings.ToUpper,
		"letter": func(v any) (string, error) {
			i, ok := asIndex(v)
			if !ok || i < 0 || i >= 26 {
				return "", fmt.Errorf("letter: %v is not an index from 0 to 25", v)
			}
			return letter(i), nil
		},
		"options": func() string {
			var b strings.Builder
			for i, o := range st.options {
				fmt.Fprintf(&b, "%s. %s\n", letter(i), strings.TrimSpace(o))
			}
			return b.String()
		},
		"letters": func() string {
			n := len(st.options)
			if n == 0 {
				return ""
			}
			ls := make([]string, n)
			for i := range ls {
				ls[i] = letter(i)
			}
			if n == 1 {
				return ls[0]
			}
			return strings.Join(ls[:n-1], ", ") + " or " + ls[n-1]
		},
		"correct": func() (string, error) {
			if st.correct < 0 {
				return "", errors.New("correct: the answer is not known here (use it in fewshot.reply)")
			}
			return letter(st.correct), nil
		},
		"split":          func() string { return st.split },
		"row":            func() int { return st.index },
		"index_by":       func(col string) (int, error) { g, err := st.groups(col); return at(g, st.index), err },
		"gsm8k_answer":   gsm8kAnswer,
		"gsm8k_solution": gsm8kSolution,
	}
}

func at(g []int, i int) int {
	if i < len(g) {
		return g[i]
	}
	return 0
}

func letter(i int) string { return string(rune('A' + i)) }

// lookup reads a column, or a struct column's field as "COLUMN.FIELD".
func lookup(row Row, name string) (any, error) {
	if v, ok := row[name]; ok {
		return v, nil
	}
	if col, field, found := strings.Cut(name, "."); found {
		if m, ok := row[col].(map[string]any); ok {
			if v, ok := m[field]; ok {
				return v, nil
			}
		}
	}
	return nil, fmt.Errorf("no column %q", name)
}

// asIndex reads a whole number as the readers give it.
func asIndex(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case int32:
		return int(x), true
	case float64:
		return int(x), x == float64(int(x))
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		return i, err == nil
	}
	return 0, false
}

// asStrings reads a list column.
func asStrings(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		return x, true
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// gsm8kAnswer reads the number after a GSM8K solution's last "####", as datasets
// does: "$", "," and spaces dropped, a trailing "." too; written back in Go's
// shortest form.
func gsm8kAnswer(s string) (string, error) {
	i := strings.LastIndex(s, "####")
	if i < 0 {
		return "", errors.New(`gsm8k_answer: no "#### N" line`)
	}
	num := strings.NewReplacer(",", "", "$", "", " ", "").Replace(strings.TrimSpace(s[i+4:]))
	n, err := strconv.ParseFloat(strings.TrimSuffix(num, "."), 64)
	if err != nil {
		return "", fmt.Errorf("gsm8k_answer: %q after #### is not a number", strings.TrimSpace(s[i+4:]))
	}
	return strconv.FormatFloat(n, 'f', -1, 64), nil
}

// calcRE matches GSM8K's calculator annotations, "<<48/2=24>>".
var calcRE = regexp.MustCompile(`<<[^<>]*>>`)

// gsm8kSolution is a GSM8K solution before its "####", without calculator
// annotations: the reasoning of a few-shot reply.
func gsm8kSolution(s string) (string, error) {
	i := strings.LastIndex(s, "####")
	if i < 0 {
		return "", errors.New(`gsm8k_solution: no "#### N" line`)
	}
	return calcRE.ReplaceAllString(strings.TrimSpace(s[:i]), ""), nil
}
