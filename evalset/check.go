package evalset

// The check object of code and ifeval items: what their verdict is decided by,
// beyond the answer (which they only show).
//
// Decisions:
//   - A JSONL set may hold code and ifeval items, as the built-in task specs build
//     them: the item's "check" is the object those specs write (score.CodeCheck,
//     score.IFEvalCheck). It is validated here, line by line, before any request:
//     unknown keys, a code kind other than humaneval or mbpp, a kind's missing
//     fields, and an instruction id or kwarg IFEval does not know are errors
//     naming the line and the field "check".
//   - The code rules are codetask.Task.Validate's, repeated here because codetask
//     (through score) imports this package; a test holds the two together.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quanteval/quanteval/ifeval"
)

// Code kinds: the shapes of a code item's tests (codetask.HumanEval, codetask.MBPP).
const (
	CodeHumanEval = "humaneval" // prompt + completion, then test (defines check), then check(entry_point)
	CodeMBPP      = "mbpp"      // test_imports, the program, then each assert of test_list
)

// hasCheck reports whether items of type typ need a check object.
func hasCheck(typ string) bool { return typ == TypeCode || typ == TypeIFEval }

// codeCheck mirrors score.CodeCheck.
type codeCheck struct {
	Kind        string   `json:"kind"`
	Prompt      string   `json:"prompt"`
	EntryPoint  string   `json:"entry_point"`
	Test        string   `json:"test"`
	TestImports []string `json:"test_imports"`
	TestList    []string `json:"test_list"`
}

// ifevalCheck mirrors score.IFEvalCheck.
type ifevalCheck struct {
	InstructionIDs []string        `json:"instruction_id_list"`
	Kwargs         []ifeval.Kwargs `json:"kwargs"`
}

// parseCheck validates the check object c of an item of type typ and returns it
// compacted.
func parseCheck(typ string, c json.RawMessage) (json.RawMessage, error) {
	if !hasCheck(typ) {
		return nil, fmt.Errorf("only for code and ifeval items, not %s", typ)
	}
	if len(c) == 0 || isNull(c) {
		return nil, fmt.Errorf("missing: %s items need a check object (see the README's eval-set format)", typ)
	}
	dec := json.NewDecoder(bytes.NewReader(c))
	dec.DisallowUnknownFields()
	switch typ {
	case TypeCode:
		var cc codeCheck
		if err := dec.Decode(&cc); err != nil {
			return nil, fmt.Errorf("want {\"kind\", ...}: %v", err)
		}
		if err := validateCode(cc); err != nil {
			return nil, err
		}
	default:
		var ic ifevalCheck
		if err := dec.Decode(&ic); err != nil {
			return nil, fmt.Errorf("want {\"instruction_id_list\", \"kwargs\"}: %v", err)
		}
		if _, err := ifeval.Compile(ic.InstructionIDs, ic.Kwargs); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := json.Compact(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func validateCode(c codeCheck) error {
	switch c.Kind {
	case CodeHumanEval:
		if c.Prompt == "" || c.EntryPoint == "" || c.Test == "" {
			return errors.New("a humaneval check needs prompt, entry_point and test")
		}
	case CodeMBPP:
		if len(c.TestList) == 0 {
			return errors.New("an mbpp check needs test_list")
		}
	default:
		return fmt.Errorf("kind %q: want %q or %q", c.Kind, CodeHumanEval, CodeMBPP)
	}
	return nil
}
