package ifeval

import (
	"fmt"
	"strings"
)

// ReasonNotFollowed is the reason a reply fails its prompt: at least one instruction
// not followed (strict). Keep it stable: it is written into result files.
const ReasonNotFollowed = "instruction_not_followed"

// Prompt is one IFEval row made ready to check replies: its instructions, each with
// the checker its kwargs built.
type Prompt struct {
	ids      []string
	checkers []checker
}

// Compile builds the checkers of a row (instruction_id_list and kwargs, one kwargs
// per id). It fails on an unknown id, a count mismatch, or a kwarg an instruction
// needs that is null or out of range; errors name the index and the id. lm-eval
// draws a random value for a null kwarg; a data set has none, so here it is an error.
func Compile(ids []string, kwargs []Kwargs) (*Prompt, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("instruction_id_list is empty")
	}
	if len(kwargs) != len(ids) {
		return nil, fmt.Errorf("%d instruction ids but %d kwargs", len(ids), len(kwargs))
	}
	p := &Prompt{ids: append([]string(nil), ids...), checkers: make([]checker, len(ids))}
	for i, id := range ids {
		b, ok := builders[id]
		if !ok {
			return nil, fmt.Errorf("instruction %d: unknown id %q", i, id)
		}
		c, err := b(kwargs[i])
		if err != nil {
			return nil, fmt.Errorf("instruction %d (%s): %w", i, id, err)
		}
		p.checkers[i] = c
	}
	return p, nil
}

// Check compiles the instructions and judges one reply: Compile, then Prompt.Check.
// A caller scoring many replies to the same row compiles once instead.
func Check(ids []string, kwargs []Kwargs, reply string) (Result, error) {
	p, err := Compile(ids, kwargs)
	if err != nil {
		return Result{}, err
	}
	return p.Check(reply), nil
}

// IDs returns the row's instruction ids in order.
func (p *Prompt) IDs() []string { return append([]string(nil), p.ids...) }

// InstructionResult is the verdict on one instruction of a reply.
type InstructionResult struct {
	ID     string `json:"id"`
	Strict bool   `json:"strict"`
	Loose  bool   `json:"loose"`
}

// Result is the verdict on one reply: per instruction, and for the prompt (every
// instruction followed).
type Result struct {
	Instructions []InstructionResult `json:"instructions"`
	PromptStrict bool                `json:"prompt_strict"`
	PromptLoose  bool                `json:"prompt_loose"`
}

// OK is the primary verdict: prompt-level strict.
func (r Result) OK() bool { return r.PromptStrict }

// Reason is "" when OK, else ReasonNotFollowed.
func (r Result) Reason() string {
	if r.PromptStrict {
		return ""
	}
	return ReasonNotFollowed
}

// Failed lists the ids of the instructions not followed (strict), in row order; an
// id appears once per instruction that failed.
func (r Result) Failed() []string {
	var out []string
	for _, in := range r.Instructions {
		if !in.Strict {
			out = append(out, in.ID)
		}
	}
	return out
}

// Metrics is one reply's contribution to IFEval's four accuracies.
type Metrics struct {
	PromptStrict bool // prompt_level_strict_acc: 1 or 0 for this prompt
	PromptLoose  bool // prompt_level_loose_acc
	InstStrict   int  // inst_level_strict_acc: instructions followed, of Instructions
	InstLoose    int  // inst_level_loose_acc
	Instructions int
}

// Metrics returns the reply's contribution to the four accuracies.
func (r Result) Metrics() Metrics {
	m := Metrics{PromptStrict: r.PromptStrict, PromptLoose: r.PromptLoose, Instructions: len(r.Instructions)}
	for _, in := range r.Instructions {
		if in.Strict {
			m.InstStrict++
		}
		if in.Loose {
			m.InstLoose++
		}
	}
	return m
}

// Scores are the prompt-level verdicts by the names lm-eval gives them, for a
// score.Outcome's secondary scores.
func (r Result) Scores() map[string]bool {
	return map[string]bool{ScorePromptStrict: r.PromptStrict, ScorePromptLoose: r.PromptLoose}
}

// Names of the prompt-level scores, as lm-eval's ifeval task reports them.
const (
	ScorePromptStrict = "prompt_level_strict_acc"
	ScorePromptLoose  = "prompt_level_loose_acc"
	ScoreInstStrict   = "inst_level_strict_acc"
	ScoreInstLoose    = "inst_level_loose_acc"
)

// Check judges a reply, think blocks already removed (score.StripThink; a reply
// whose thinking never closed should be checked as ""). Leading whitespace is
// removed first, as lm-eval removes it after "</think>" (lstrip), so that the blank
// lines a server leaves there neither break "the first paragraph" nor become the
// "first line" the loose variants drop. Trailing whitespace stays, as in lm-eval: a
// closing newline is the "last line" the loose variants drop. A blank reply
// follows no instruction.
func (p *Prompt) Check(reply string) Result {
	reply = strings.TrimLeftFunc(reply, isPySpace)
	blank := reply == "" // a blank reply is all leading whitespace
	variants := LooseVariants(reply)
	r := Result{Instructions: make([]InstructionResult, len(p.ids)), PromptStrict: true, PromptLoose: true}
	for i, c := range p.checkers {
		in := InstructionResult{ID: p.ids[i]}
		in.Strict = !blank && c(reply)
		in.Loose = in.Strict
		for _, v := range variants[1:] {
			if in.Loose {
				break
			}
			in.Loose = pyStrip(v) != "" && c(v)
		}
		r.Instructions[i] = in
		r.PromptStrict = r.PromptStrict && in.Strict
		r.PromptLoose = r.PromptLoose && in.Loose
	}
	return r
}

// LooseVariants are the eight texts lm-eval's test_instruction_following_loose
// tries, in its order: the reply; the reply without "*"; without its first line,
// without its last line, without both (each trimmed); and those three without "*".
// An instruction is loosely followed when any non-blank variant follows it.
func LooseVariants(reply string) []string {
	lines := strings.Split(reply, "\n")
	join := func(l []string) string { return pyStrip(strings.Join(l, "\n")) }
	first := join(lines[1:])
	last := join(lines[:len(lines)-1])
	both := ""
	if len(lines) > 2 {
		both = join(lines[1 : len(lines)-1])
	}
	star := func(s string) string { return strings.ReplaceAll(s, "*", "") }
	return []string{reply, star(reply), first, last, both, star(first), star(last), star(both)}
}

// Row is one row of google/IFEval (split "train", 541 rows): the prompt sent as one
// user turn, and the instructions its reply is checked against.
type Row struct {
	Key            int      `json:"key"`
	Prompt         string   `json:"prompt"`
	InstructionIDs []string `json:"instruction_id_list"`
	Kwargs         []Kwargs `json:"kwargs"`
}

// Compile builds the row's checkers; errors name the row's key.
func (r Row) Compile() (*Prompt, error) {
	p, err := Compile(r.InstructionIDs, r.Kwargs)
	if err != nil {
		return nil, fmt.Errorf("ifeval key %d: %w", r.Key, err)
	}
	return p, nil
}
