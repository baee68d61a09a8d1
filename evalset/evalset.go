// Package evalset owns the items a model is evaluated on: their JSONL format, the
// reader that validates it line by line, and the suites built into the binary.
//
// An eval set is read whole and validated before any request is sent, so a bad line
// stops a run before it costs anything; errors name the file, the line and the field.
// What is read is bounded (input.go): only regular files of at most MaxFileBytes,
// lines of at most MaxLineBytes, UTF-8 only (a leading byte-order mark is skipped).
package evalset

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Scorer types an item may have. The first three are the seed's; gsm8k and choice
// carry the standard data sets' rules so a user's own JSONL can use them too.
const (
	TypeNumber   = "number"   // the last number in the reply
	TypeExact    = "exact"    // the whole reply, normalised
	TypeContains = "contains" // the expected text anywhere in the reply
	TypeGSM8K    = "gsm8k"    // "The final answer is N" / "#### N" (strict), last number (flexible)
	TypeChoice   = "choice"   // a multiple-choice letter
	TypeMath     = "math"     // a competition-math answer (\boxed{}), compared after normalisation
	TypeAIME     = "aime"     // an integer 0-999 read like math, compared as a number
	TypeCode     = "code"     // a program run against tests in a sandbox (check.go)
	TypeIFEval   = "ifeval"   // a reply checked against verifiable instructions (check.go)
)

// Types lists the item types in the order the README documents them.
var Types = []string{TypeNumber, TypeExact, TypeContains, TypeGSM8K, TypeChoice, TypeMath, TypeAIME, TypeCode, TypeIFEval}

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Item is one question with a decidable answer.
//
// Answer holds, by type: float64 for number and gsm8k; string for exact, choice,
// math and aime; []string for contains (one string read from the file becomes a
// list of one).
//
// Options are a choice item's option texts in letter order, so that a reply giving
// one option's full text scores. They are read from the JSONL key "options" but
// never written (json:"-"): a set's hash is that of its items without them, as
// before options existed.
type Item struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Prompt    string    `json:"prompt,omitempty"`
	Messages  []Message `json:"messages,omitempty"`
	Answer    any       `json:"answer"`
	Tolerance *float64  `json:"tolerance,omitempty"`
	Category  string    `json:"category,omitempty"`
	System    string    `json:"system,omitempty"`
	Options   []string  `json:"-"`
	// Order[j] is the index, in the source row's own order, of the option shown as
	// letter j, for a task whose options are shuffled per item (gpqa_diamond: index
	// 0 is the correct answer); nil otherwise. Not written, as Options are not: the
	// result's records carry it (option_order).
	Order []int `json:"-"`
	// Check is what a code or ifeval item's scorer checks the reply against
	// (score.CodeCheck, score.IFEvalCheck); absent for every other type, so their
	// set hashes do not change.
	Check json.RawMessage `json:"check,omitempty"`
}

// Chat returns the conversation to send for the item: its own messages, or its
// prompt as one user turn. The system message is the caller's to add.
func (it *Item) Chat() []Message {
	if len(it.Messages) > 0 {
		return it.Messages
	}
	return []Message{{Role: "user", Content: it.Prompt}}
}

// Source says where a standard data set's items came from, so that two results can
// be shown to cover the same items.
type Source struct {
	Repo     string `json:"repo,omitempty"`
	Config   string `json:"config,omitempty"`
	Split    string `json:"split,omitempty"`
	Revision string `json:"revision,omitempty"`
	File     string `json:"file,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Task     string `json:"task,omitempty"`
	Fewshot  int    `json:"fewshot,omitempty"`
	Sample   int    `json:"sample,omitempty"`
	Seed     int64  `json:"sample_seed,omitempty"`
}

// Set is a validated eval set.
type Set struct {
	Name   string  // e.g. "qwen3_32b_accuracy_suite_v1" or "gsm8k"
	Path   string  // the file or "builtin:NAME" it was read from
	SHA256 string  // of the bytes read, or of the canonical items for generated sets
	Items  []Item  //
	Source *Source // set for standard data sets
	// MaxTokens is the set's own default for --max-tokens (0: the tool's).
	MaxTokens int
	// System is the set's own default system message (nil: the tool's; "": none).
	System *string
	// Sampling are the set's own sampling defaults (a task spec's defaults), applied
	// unless the options give them; nil: none.
	Sampling *Sampling
}

// Sampling are generation defaults an eval set may carry; nil or 0: not given.
type Sampling struct {
	Temperature     *float64
	TopP            *float64
	TopK            *int64
	MinP            *float64
	PresencePenalty *float64
	// Repeats is how many samples of each item the set asks for (0: one), unless
	// --repeats says.
	Repeats int
}

// Limit keeps the first n items (n <= 0 keeps all). The sha256 stays that of the
// whole set: a limited run is a subset of it, and its item ids say which.
func (s *Set) Limit(n int) {
	if n > 0 && n < len(s.Items) {
		s.Items = s.Items[:n]
	}
}

func sum256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// SyntaxError is a bad line in an eval set file.
type SyntaxError struct {
	File  string
	Line  int
	Field string // empty when the line is not valid JSON at all
	Err   error
}

func (e *SyntaxError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: field %q: %v", e.File, e.Line, e.Field, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }
