package evalset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
)

// ReadFile reads and validates a JSONL eval set.
func ReadFile(path string) (*Set, error) {
	data, err := ReadInput(path)
	if err != nil {
		return nil, fmt.Errorf("evalset: %w", err)
	}
	items, d, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return &Set{Name: name, Path: path, SHA256: sum256(data), Items: items, MaxTokens: d.MaxTokens, System: d.System}, nil
}

// Parse validates JSONL eval-set data; file names the source in errors. Blank lines
// and lines starting with // are skipped. Every item is checked before any is
// returned, and the first bad line is reported as a *SyntaxError.
func Parse(file string, data []byte) ([]Item, error) {
	items, _, err := parse(file, data)
	return items, err
}

// Defaults are a set's own generation settings, given in a comment line
//
//	// defaults: {"max_tokens": 48, "system": ""}
//
// A frozen set needs them: its exact answers are only reachable with the settings of
// the run it was frozen from. Flags given on the command line win.
type Defaults struct {
	MaxTokens int     `json:"max_tokens,omitempty"`
	System    *string `json:"system,omitempty"`
}

// DefaultsPrefix starts the comment line that holds a set's Defaults.
const DefaultsPrefix = "// defaults:"

func parse(file string, data []byte) ([]Item, Defaults, error) {
	var items []Item
	var defaults Defaults
	seen := map[string]int{}
	err := Lines(file, data, func(line int, text []byte) error {
		text = bytes.TrimSpace(text)
		if d, ok := bytes.CutPrefix(text, []byte(DefaultsPrefix)); ok {
			dec := json.NewDecoder(bytes.NewReader(d))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&defaults); err != nil || defaults.MaxTokens < 0 {
				return &SyntaxError{File: file, Line: line, Field: "defaults",
					Err: fmt.Errorf("want {\"max_tokens\": N, \"system\": \"...\"}: %v", err)}
			}
			return nil
		}
		if len(text) == 0 || bytes.HasPrefix(text, []byte("//")) {
			return nil
		}
		it, field, err := parseItem(text)
		if err != nil {
			return &SyntaxError{File: file, Line: line, Field: field, Err: err}
		}
		if first, dup := seen[it.ID]; dup {
			return &SyntaxError{File: file, Line: line, Field: "id",
				Err: fmt.Errorf("duplicate id %q (first on line %d)", it.ID, first)}
		}
		seen[it.ID] = line
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, defaults, err
	}
	if len(items) == 0 {
		return nil, defaults, fmt.Errorf("%s: no items", file)
	}
	return items, defaults, nil
}

// parseItem decodes one line, returning the offending field with any error.
func parseItem(line []byte) (Item, string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Item{}, "", fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
		}
		return Item{}, "", fmt.Errorf("not a JSON object: %v", err)
	}
	var it Item
	for _, step := range []func(map[string]json.RawMessage, *Item) (string, error){
		parseHeader, parsePrompt, parseOptions, parseExpected,
	} {
		if field, err := step(raw, &it); err != nil {
			return it, field, err
		}
	}
	return it, "", nil
}

// parseHeader reads id, type and the plain text fields.
func parseHeader(raw map[string]json.RawMessage, it *Item) (string, error) {
	if err := str(raw, "id", &it.ID, true); err != nil {
		return "id", err
	}
	if it.ID == "" {
		return "id", errors.New("empty")
	}
	if err := str(raw, "type", &it.Type, true); err != nil {
		return "type", err
	}
	if !validType(it.Type) {
		return "type", fmt.Errorf("unknown type %q (want one of %s)", it.Type, strings.Join(Types, ", "))
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"prompt", &it.Prompt}, {"category", &it.Category}, {"system", &it.System}} {
		if err := str(raw, f.name, f.dst, false); err != nil {
			return f.name, err
		}
	}
	return "", nil
}

// parsePrompt reads messages and checks that exactly one of prompt and messages
// is given.
func parsePrompt(raw map[string]json.RawMessage, it *Item) (string, error) {
	if m, ok := raw["messages"]; ok && !isNull(m) {
		if err := json.Unmarshal(m, &it.Messages); err != nil {
			return "messages", errors.New("want a list of {\"role\", \"content\"} objects")
		}
		for i, msg := range it.Messages {
			if msg.Role == "" || msg.Content == "" {
				return "messages", fmt.Errorf("message %d: role and content are required", i)
			}
		}
	}
	switch {
	case it.Prompt == "" && len(it.Messages) == 0:
		return "prompt", errors.New("missing: give prompt or messages")
	case it.Prompt != "" && len(it.Messages) > 0:
		return "prompt", errors.New("give prompt or messages, not both")
	}
	return "", nil
}

// parseOptions reads what only some types take: tolerance, options, check.
func parseOptions(raw map[string]json.RawMessage, it *Item) (string, error) {
	if t, ok := raw["tolerance"]; ok && !isNull(t) {
		var tol float64
		if err := json.Unmarshal(t, &tol); err != nil || tol < 0 || math.IsNaN(tol) {
			return "tolerance", errors.New("want a non-negative number")
		}
		if it.Type != TypeNumber && it.Type != TypeGSM8K {
			return "tolerance", fmt.Errorf("only for number and gsm8k items, not %s", it.Type)
		}
		it.Tolerance = &tol
	}
	if o, ok := raw["options"]; ok && !isNull(o) {
		if it.Type != TypeChoice {
			return "options", fmt.Errorf("only for choice items, not %s", it.Type)
		}
		if err := json.Unmarshal(o, &it.Options); err != nil || len(it.Options) < 2 {
			return "options", errors.New("want a list of at least two strings")
		}
	}
	if c, ok := raw["check"]; ok && !isNull(c) || hasCheck(it.Type) {
		chk, err := parseCheck(it.Type, c)
		if err != nil {
			return "check", err
		}
		it.Check = chk
	}
	return "", nil
}

// parseExpected reads the answer, which an item checked otherwise (code, ifeval)
// may leave out.
func parseExpected(raw map[string]json.RawMessage, it *Item) (string, error) {
	a, ok := raw["answer"]
	if hasCheck(it.Type) && (!ok || isNull(a)) {
		it.Answer = "" // shown only: the check decides
		return "", nil
	}
	if !ok || isNull(a) {
		return "answer", errors.New("missing")
	}
	ans, err := parseAnswer(it.Type, a)
	if err != nil {
		return "answer", err
	}
	it.Answer = ans
	return "", nil
}

func parseAnswer(typ string, a json.RawMessage) (any, error) {
	switch typ {
	case TypeNumber, TypeGSM8K:
		var f float64
		if err := json.Unmarshal(a, &f); err != nil {
			// A number written as a string ("1,234") is a common slip: say so.
			var s string
			if json.Unmarshal(a, &s) == nil {
				return nil, fmt.Errorf("want a JSON number for type %s, got the string %q", typ, s)
			}
			return nil, fmt.Errorf("want a JSON number for type %s", typ)
		}
		return f, nil
	case TypeCode, TypeIFEval:
		var s string
		if err := json.Unmarshal(a, &s); err != nil {
			return nil, fmt.Errorf("want a string (shown as the expected answer) for type %s, got %s", typ, JSONKind(a))
		}
		return s, nil
	case TypeExact, TypeMath, TypeAIME:
		var s string
		if err := json.Unmarshal(a, &s); err == nil && s != "" {
			return s, nil
		}
		var f float64
		if typ != TypeExact && json.Unmarshal(a, &f) == nil {
			// A math or aime answer may be written as a JSON number: 204, 0.5.
			return strings.TrimSpace(string(a)), nil
		}
		return nil, fmt.Errorf("want a non-empty string for type %s", typ)
	case TypeChoice:
		var s string
		if err := json.Unmarshal(a, &s); err != nil || len(s) != 1 || s[0] < 'A' || s[0] > 'Z' {
			return nil, errors.New("want one capital letter (\"A\"..\"Z\") for type choice")
		}
		return s, nil
	case TypeContains:
		var s string
		if json.Unmarshal(a, &s) == nil {
			if s == "" {
				return nil, errors.New("empty string")
			}
			return []string{s}, nil
		}
		var list []string
		if err := json.Unmarshal(a, &list); err != nil || len(list) == 0 {
			return nil, errors.New("want a string or a non-empty list of strings for type contains")
		}
		for i, s := range list {
			if s == "" {
				return nil, fmt.Errorf("element %d is empty", i)
			}
		}
		return list, nil
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}

func str(raw map[string]json.RawMessage, key string, dst *string, required bool) error {
	v, ok := raw[key]
	if !ok || isNull(v) {
		if required {
			return errors.New("missing")
		}
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("want a string, got %s", JSONKind(v))
	}
	return nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// JSONKind names the kind of a JSON value for an error message: "a string",
// "a list", ..., with a number's text ("a number 7").
func JSONKind(v json.RawMessage) string {
	t := bytes.TrimSpace(v)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number " + string(t)
}

func validType(t string) bool {
	for _, v := range Types {
		if t == v {
			return true
		}
	}
	return false
}

// WriteJSONL writes items in the format Parse reads.
func WriteJSONL(w io.Writer, items []Item) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range items {
		it := items[i]
		if l, ok := it.Answer.([]string); ok && len(l) == 1 {
			it.Answer = l[0]
		}
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}
