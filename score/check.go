package score

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/ifeval"
)

// Item types whose verdict needs more than an answer: what they check travels in
// the item's Check object (CodeCheck, IFEvalCheck). Only these items carry one, so
// the set hashes of every other task stay as they were.
const (
	// TypeCode is a program run against the task's tests (package codetask); Score
	// cannot judge it alone (it needs a sandbox): the runner does.
	TypeCode = evalset.TypeCode
	// TypeIFEval is a reply checked against verifiable instructions (package ifeval).
	TypeIFEval = evalset.TypeIFEval
)

// CodeCheck is a code item's Check: the fields of its data set that the test
// program needs (codetask.Task's, by the data sets' column names).
type CodeCheck struct {
	Kind        string   `json:"kind"`                   // codetask.HumanEval or codetask.MBPP
	Prompt      string   `json:"prompt,omitempty"`       // HumanEval: signature and docstring
	EntryPoint  string   `json:"entry_point,omitempty"`  // HumanEval
	Test        string   `json:"test,omitempty"`         // HumanEval: defines check(candidate)
	TestImports []string `json:"test_imports,omitempty"` // MBPP
	TestList    []string `json:"test_list,omitempty"`    // MBPP: the asserts
}

// IFEvalCheck is an ifeval item's Check: the row's instructions.
type IFEvalCheck struct {
	InstructionIDs []string        `json:"instruction_id_list"`
	Kwargs         []ifeval.Kwargs `json:"kwargs"`
}

// CodeCheckOf reads a code item's Check.
func CodeCheckOf(it *evalset.Item) (CodeCheck, error) {
	var c CodeCheck
	if err := decodeCheck(it, TypeCode, &c); err != nil {
		return c, err
	}
	if c.Kind == "" {
		return c, fmt.Errorf("item %s: check: no kind", it.ID)
	}
	return c, nil
}

// IFEvalPrompt reads an ifeval item's Check and compiles its instructions.
func IFEvalPrompt(it *evalset.Item) (*ifeval.Prompt, error) {
	var c IFEvalCheck
	if err := decodeCheck(it, TypeIFEval, &c); err != nil {
		return nil, err
	}
	p, err := ifeval.Compile(c.InstructionIDs, c.Kwargs)
	if err != nil {
		return nil, fmt.Errorf("item %s: check: %w", it.ID, err)
	}
	return p, nil
}

func decodeCheck(it *evalset.Item, typ string, dst any) error {
	if it.Type != typ {
		return fmt.Errorf("item %s: type %s, not %s", it.ID, it.Type, typ)
	}
	if len(it.Check) == 0 {
		return fmt.Errorf("item %s: %w", it.ID, errNoCheck)
	}
	if err := json.Unmarshal(it.Check, dst); err != nil {
		return fmt.Errorf("item %s: check: %w", it.ID, err)
	}
	return nil
}

var errNoCheck = errors.New("no check object")
