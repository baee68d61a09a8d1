package task

import (
	"encoding/json"
	"fmt"

	"github.com/quanteval/quanteval/codetask"
	"github.com/quanteval/quanteval/ifeval"
	"github.com/quanteval/quanteval/score"
)

// CodeKinds are the kinds a code scorer may name: the shapes of their tests.
var CodeKinds = []string{codetask.HumanEval, codetask.MBPP}

// checkColumns are the columns the scorer itself reads into an item's Check.
func checkColumns(sp *Spec) []string {
	switch {
	case sp.Scorer == score.TypeCode && sp.Kind == codetask.HumanEval:
		return []string{"prompt", "entry_point", "test"}
	case sp.Scorer == score.TypeCode && sp.Kind == codetask.MBPP:
		return []string{"test_list", "test_imports"}
	case sp.Scorer == score.TypeIFEval:
		return []string{"instruction_id_list", "kwargs"}
	}
	return nil
}

// check builds the Check object of a code or ifeval item from its row; nil for
// every other scorer.
func check(sp *Spec, row Row) (json.RawMessage, error) {
	var v any
	switch sp.Scorer {
	case score.TypeCode:
		c, err := codeCheck(sp.Kind, row)
		if err != nil {
			return nil, err
		}
		v = c
	case score.TypeIFEval:
		c, err := ifevalCheck(row)
		if err != nil {
			return nil, err
		}
		v = c
	default:
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return b, nil
}

func codeCheck(kind string, row Row) (score.CodeCheck, error) {
	c := score.CodeCheck{Kind: kind}
	str := func(col string, dst *string) error {
		v, err := lookup(row, col)
		if err != nil {
			return err
		}
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("check: column %q is %T %v, want a non-empty string", col, v, v)
		}
		*dst = s
		return nil
	}
	list := func(col string, dst *[]string, need bool) error {
		v, err := lookup(row, col)
		if err != nil {
			return err
		}
		l, ok := asStrings(v)
		if v == nil {
			l, ok = nil, true
		}
		if !ok || (need && len(l) == 0) {
			return fmt.Errorf("check: column %q is %T %v, want a non-empty list of strings", col, v, v)
		}
		*dst = l
		return nil
	}
	var err error
	switch kind {
	case codetask.HumanEval:
		err = firstErr(str("prompt", &c.Prompt), str("entry_point", &c.EntryPoint), str("test", &c.Test))
	case codetask.MBPP:
		err = firstErr(list("test_list", &c.TestList, true), list("test_imports", &c.TestImports, false))
	}
	return c, err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// ifevalCheck reads the row's instructions and checks that they compile, so that a
// bad row stops the build, not the scoring.
func ifevalCheck(row Row) (score.IFEvalCheck, error) {
	var c score.IFEvalCheck
	ids, ok := asStrings(row["instruction_id_list"])
	if !ok {
		return c, fmt.Errorf("check: column \"instruction_id_list\" is %T, want a list of strings", row["instruction_id_list"])
	}
	raw, ok := row["kwargs"].([]any)
	if !ok {
		return c, fmt.Errorf("check: column \"kwargs\" is %T, want a list of objects", row["kwargs"])
	}
	c.InstructionIDs = ids
	for i, e := range raw {
		m, ok := e.(map[string]any)
		if e == nil {
			m, ok = map[string]any{}, true
		}
		if !ok {
			return c, fmt.Errorf("check: kwargs %d is %T, want an object", i, e)
		}
		k, err := ifeval.ParseKwargs(m)
		if err != nil {
			return c, fmt.Errorf("check: kwargs %d: %w", i, err)
		}
		c.Kwargs = append(c.Kwargs, k)
	}
	if _, err := ifeval.Compile(c.InstructionIDs, c.Kwargs); err != nil {
		return c, fmt.Errorf("check: %w", err)
	}
	return c, nil
}
