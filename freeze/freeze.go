// Package freeze turns a finished reference run into an eval set: each item's
// expected answer is what the reference wrote, so that any later variant can be held
// against it (`quanteval evalset freeze`).
//
// It sits after result in the pipeline (eval set -> client -> score -> run -> result
// -> freeze -> a new eval set), reading a result and writing evalset items; it is
// not in consistency, which is arithmetic on two results, nor in evalset or result,
// which would then import each other's side of the pipeline.
//
// Decisions: the answer is the output with think blocks removed, as a reply is
// scored; an incomplete reference is refused; the reference's system message and
// generation settings travel with the set (Header), so that a variant is asked the
// same thing.
package freeze

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/score"
)

// Items turns a reference run into eval items whose expected answers are the
// reference's outputs, so that any later variant can be held against it: type exact
// with the whole output, or, with firstSentence, type contains with its first
// sentence (FirstSentence).
//
// Each item keeps the record's id, prompt and category. When the reference was asked
// with a system message, each item carries it, so that a variant is asked the same
// thing whatever its run's --system. Records with an error, with an output that is
// only white space, or with no prompt are skipped: the count is len(f.Items) minus
// the items returned. An incomplete reference is refused (result.ErrIncomplete), as
// its missing items would silently shrink the set; so is one that leaves no item.
//
// The questions come from set, the eval set the reference ran on, when it is given:
// an item keeps its conversation and its own system message. Without it they come
// from the records, which hold only the last user turn, so conversations freeze into
// single-turn items. The answer is the output with its think blocks removed, as a
// reply is scored; an output whose thinking was cut off has no answer and is skipped.
func Items(f *result.File, set *evalset.Set, firstSentence bool) ([]evalset.Item, error) {
	if !f.Complete {
		return nil, fmt.Errorf("freeze: %w: finish it with `quanteval run --resume` first", result.ErrIncomplete)
	}
	byID := map[string]*evalset.Item{}
	if set != nil {
		for i := range set.Items {
			byID[set.Items[i].ID] = &set.Items[i]
		}
	}
	var items []evalset.Item
	for _, r := range f.Items {
		answer, truncated := score.StripThink(r.Output)
		out := strings.TrimSpace(answer)
		if r.Error != "" || out == "" || truncated || r.Prompt == "" {
			continue
		}
		it := evalset.Item{ID: r.ID, Type: evalset.TypeExact, Prompt: r.Prompt, Category: r.Category, System: f.Params.System, Answer: answer}
		if src, ok := byID[r.ID]; ok {
			it.Prompt, it.Messages = src.Prompt, src.Messages
			if src.System != "" {
				it.System = src.System
			}
		}
		if firstSentence {
			it.Type, it.Answer = evalset.TypeContains, []string{FirstSentence(out)}
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, errors.New("freeze: no item has an output to freeze")
	}
	return items, nil
}

// Header is the comment block written above a frozen set: where it came from
// and the generation settings a variant must be run with for exact answers to be
// reachable (max_tokens above all: a longer limit writes past the frozen text).
// evalset.Parse skips these lines.
func Header(f *result.File, firstSentence bool) string {
	kind := "exact: the reference's whole output"
	if firstSentence {
		kind = "contains: the first sentence of the reference's output"
	}
	seed := "none"
	if f.Params.Seed != nil {
		seed = strconv.FormatInt(*f.Params.Seed, 10)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Frozen by `quanteval evalset freeze` from a run of %s on %s (%d items).\n", f.Model, f.Evalset.Name, len(f.Items))
	fmt.Fprintf(&b, "// Answers are %s.\n", kind)
	fmt.Fprintf(&b, "// Reference settings: max_tokens %d, temperature %g, seed %s, system %q.\n",
		f.Params.MaxTokens, f.Params.Temperature, seed, f.Params.System)
	fmt.Fprintf(&b, "// Run variants with the same: --max-tokens %d --temperature %g", f.Params.MaxTokens, f.Params.Temperature)
	if f.Params.Seed != nil {
		fmt.Fprintf(&b, " --seed %d", *f.Params.Seed)
	}
	if f.Params.System == "" {
		b.WriteString(` --system ""`)
	}
	b.WriteString("\n")
	d, _ := json.Marshal(evalset.Defaults{MaxTokens: f.Params.MaxTokens, System: &f.Params.System})
	fmt.Fprintf(&b, "%s %s\n", evalset.DefaultsPrefix, d)
	return b.String()
}

// FirstSentence is the text up to and including the first sentence end: '.', '!' or
// '?' (and any closing quotes or brackets right after it) followed by white space or
// the end of the text. Without one it is the whole text. Leading and trailing white
// space is removed; so "Mr. Smith" ends a sentence at "Mr.", which is still text the
// reference wrote and the variant must write.
func FirstSentence(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		end := i
		for end < len(s) {
			c, n := utf8.DecodeRuneInString(s[end:])
			if !strings.ContainsRune(`"')]”’»`, c) {
				break
			}
			end += n
		}
		if end == len(s) {
			return s
		}
		if c, _ := utf8.DecodeRuneInString(s[end:]); unicode.IsSpace(c) {
			return s[:end]
		}
	}
	return s
}

// CheckOutput refuses to freeze into a file that is one of the inputs: the result
// being frozen (src, read into f), its log-probability side file, or the eval set the
// reference ran on. Files are compared by identity (symbolic and hard links, ./ forms
// count); the error is a *result.ClashError naming both. "-" (standard output) is no
// file.
func CheckOutput(out, src string, f *result.File) error {
	inputs := []string{src, f.Evalset.Path}
	if f.Logprobs != "" {
		inputs = append(inputs, filepath.Join(filepath.Dir(src), f.Logprobs))
	}
	return result.CheckClash([]string{out}, inputs)
}
