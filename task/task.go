// Package task owns task specs: a YAML file that says where a benchmark's rows come
// from and how each row becomes an eval item (its id, prompt, answer, category,
// choices and few-shot turns, each a Go text/template over the row's columns), which
// scorer judges it and the generation defaults it needs. It parses and checks specs,
// ships the built-in ones (gsm8k, mmlu, gsm8k_platinum, math500, aime24, aime25,
// mmlu_pro, gpqa_diamond, arc_challenge, humaneval, humaneval_plus, mbpp, ifeval)
// and builds items from rows; reading the rows (hub, parquet, JSONL) is the
// caller's.
//
// A spec's keys (Parse checks each and names the file, line and key of a problem):
//
//	name: math500
//	source: {hub: ORG/NAME, config: C, split: test, revision: R, rows: 500}   # or {file: rows.jsonl | rows.parquet}, relative to the spec
//	id: "{{.unique_id}}"                 # templates over the row's columns
//	prompt: "{{.problem}} ..."
//	system: "..."                         # optional: the item's own system message
//	answer: "{{.answer}}"
//	category: "{{.subject}}"              # optional
//	filter: '{{ne .status "rejected"}}'   # optional: keep the rows where it renders true
//	scorer: math                          # or {name: number, tolerance: 0.01}, or {name: code, kind: humaneval}
//	fewshot: {split: train, k: 0, match: subject, reply: "Answer: {{correct}}"}
//	choices: {column: options}            # or {column: choices.text, labels: choices.label}
//	                                      # or {columns: [A, B, C], shuffle: true, seed: 1}
//	defaults: {max_tokens: 32768, temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, presence_penalty: 0, repeats: 4}
//
// Decisions:
//   - Templates see the row as a map: `{{.question}}`; a column whose name is not an
//     identifier is read with `{{col "Correct Answer"}}`. The functions they may call
//     are listed at funcs (trim, replace, lower, upper, letter, options, letters,
//     correct, split, row, index_by, gsm8k_answer, gsm8k_solution).
//   - Every column a spec refers to is known before any row is read (Spec.Columns),
//     so a missing one is an error naming it and the columns the data has, before
//     any request (CheckColumns).
//   - The answer template's text becomes the item's answer by scorer: a number for
//     number and gsm8k, a letter for choice (from a choice index, a letter, or one of
//     the labels column's labels), a list of one for contains, the text otherwise.
//   - Choices come from a list column, a list column of a struct ("choices.text"),
//     or several columns. Shuffled choices use a permutation drawn from PCG(seed,
//     FNV-64a of the item's id), so an item's order does not depend on which other
//     rows were read; Item.Order records it.
//   - Few-shot turns are the first k rows of the few-shot split (those whose `match`
//     column equals the item's, when given), asked with the item's prompt template
//     and answered with the `reply` template; they come before the item's turn, as
//     datasets does today.
//   - Ids and the `row` and `index_by` functions count every row of the split,
//     kept by filter or not, so that an item's id does not depend on the filter;
//     a template that prints a null cell ("<no value>") is an error.
//   - Scorers code and ifeval read fixed columns of the row into the item's Check
//     object (check.go): code kind humaneval prompt, entry_point and test; kind
//     mbpp test_list and test_imports; ifeval instruction_id_list and kwargs (null
//     kwargs dropped). Only these items carry a Check.
//   - Items always carry Messages (one user turn when there are no shots), as the
//     GSM8K and MMLU builders write them, so that the set hashes stay the same.
package task

import (
	"text/template"

	"github.com/quanteval/quanteval/evalset"
)

// Row is one data-set row: column name to value, as the readers give them (string,
// int64 or float64, bool, []any or []string for lists, map[string]any for structs).
type Row = map[string]any

// Spec is a parsed task spec.
type Spec struct {
	File      string // where it was read from: a path or "builtin:NAME"
	Name      string
	Source    Source
	Scorer    string   // an item type: gsm8k, choice, math, aime, number, exact, contains, code, ifeval
	Tolerance *float64 // scorer option for number and gsm8k: an absolute tolerance
	Kind      string   // scorer option for code: humaneval or mbpp (the shape of its tests)
	Fewshot   Fewshot
	Choices   *Choices // nil when the task has no choice list
	Defaults  Defaults

	// The templates, and their text as written. Filter, when given, keeps the rows
	// for which it renders "true" (it must render "true" or "false").
	ID, Prompt, System, Answer, Category, Filter *template.Template
	Text                                         map[string]string // key -> template text
	Lines                                        map[string]int    // key -> line of its value in File (0: unknown)
}

// Source is where the rows come from: a hub repo, or a local parquet / JSONL file.
type Source struct {
	Hub      string // ORG/NAME
	Config   string // the repo's config (its folder of parquet files); "" for the default
	Split    string // default "test"
	Revision string // a branch, tag or commit; "" for main
	File     string // a local file, resolved against the spec's folder
	// Rows is the split's size as published (0: not given): what `evalset list`
	// shows before the rows are downloaded. The rows read are never checked
	// against it (a revision may differ).
	Rows int
}

// String names the source as a list shows it: "ORG/NAME config C split S" or the file.
func (s Source) String() string {
	if s.File != "" {
		return s.File
	}
	out := s.Hub
	if s.Config != "" {
		out += " config " + s.Config
	}
	out += " split " + s.Split
	if s.Revision != "" {
		out += " @" + s.Revision
	}
	return out
}

// Fewshot says where few-shot examples come from.
type Fewshot struct {
	Split string             // the split the examples are read from
	K     int                // the default number of examples (0: none)
	Match string             // a column whose value an example must share with the item ("" for any)
	Reply *template.Template // the assistant turn of an example; nil when K may not be set
}

// Choices says where an item's options come from.
type Choices struct {
	Column  string   // a list column, or LIST.FIELD of a struct column ("choices.text")
	Columns []string // or several columns, one option each, in this order
	Labels  string   // a list column (or STRUCT.FIELD) of the options' labels, which answers name
	Shuffle bool     // shuffle each item's options
	Seed    uint64   // the shuffle's seed
}

// Defaults are the generation settings a task needs; zero or nil when not given.
type Defaults struct {
	MaxTokens       int
	Temperature     *float64
	TopP            *float64
	TopK            *int
	MinP            *float64
	PresencePenalty *float64
	Repeats         int
}

// Item is an eval item with what the item format does not hold yet.
type Item struct {
	evalset.Item
	// Options are the option texts in letter order (nil without choices): the choice
	// scorer matches a reply that gives one option's full text (score.ScoreOptions).
	Options []string
	// Order[j] is the index, in the row's own order, of the option shown as letter j;
	// nil when the options are not shuffled.
	Order []int
}

// EvalItems returns the eval items of items.
func EvalItems(items []Item) []evalset.Item {
	out := make([]evalset.Item, len(items))
	for i := range items {
		out[i] = items[i].Item
	}
	return out
}
