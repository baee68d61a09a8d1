package ifeval_test

import (
	"fmt"
	"testing"

	"github.com/quanteval/quanteval/ifeval"
	"github.com/quanteval/quanteval/score"
)

// checkReply is the wiring a scorer does: think blocks removed with score.StripThink,
// a reply whose thinking never closed checked as blank.
func checkReply(p *ifeval.Prompt, content string) ifeval.Result {
	answer, truncated := score.StripThink(content)
	if truncated {
		answer = ""
	}
	return p.Check(answer)
}

func TestThinkBlocks(t *testing.T) {
	p, err := ifeval.Compile(
		[]string{"length_constraints:nth_paragraph_first_word", "punctuation:no_comma", "startend:quotation"},
		[]ifeval.Kwargs{{NumParagraphs: ptr(2), NthParagraph: ptr(1), FirstWord: "rain"}, {}, {}})
	if err != nil {
		t.Fatal(err)
	}
	reply := "\"Rain falls.\n\nThe end.\"\n"
	cases := []struct {
		name    string
		content string
		strict  bool
	}{
		{"plain", reply, true},
		// The thinking has commas and no quotes; only the answer counts, and the blank
		// lines after </think> do not make an empty first paragraph.
		{"closed think", "<think>Hmm, so, the user wants...</think>\n\n" + reply, true},
		{"think opened by the template", "so, well</think>\n\n" + reply, true},
		{"unclosed think", "<think>Hmm, so, " + reply, false},
		{"trailing whitespace", reply + " \n\t\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := checkReply(p, c.content)
			if r.PromptStrict != c.strict {
				t.Errorf("PromptStrict = %v, want %v; failed %v", r.PromptStrict, c.strict, r.Failed())
			}
		})
	}
}

func ptr(n int) *int { return &n }

// A reply is checked against a row's instructions; the result keeps which failed.
func Example() {
	row := ifeval.Row{
		Key:            1,
		Prompt:         "Write two sentences about tea without commas. End with the phrase Any other questions?",
		InstructionIDs: []string{"punctuation:no_comma", "startend:end_checker"},
		Kwargs:         []ifeval.Kwargs{{}, {EndPhrase: "Any other questions?"}},
	}
	p, err := row.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	var tally ifeval.Tally
	for _, reply := range []string{
		"Tea is calming. I drink it daily. Any other questions?",
		"Tea, green or black, is calming. Any other questions?",
		"Sure, here you go:\nTea is calming. **Any other questions?**",
	} {
		r := p.Check(reply)
		tally.Add(r)
		fmt.Println(r.PromptStrict, r.PromptLoose, r.Failed())
	}
	s := tally.Summary()
	fmt.Printf("prompt strict %.2f loose %.2f, instruction strict %.2f loose %.2f\n", s.PromptStrict, s.PromptLoose, s.InstStrict, s.InstLoose)
	// Output:
	// true true []
	// false false [punctuation:no_comma]
	// false true [punctuation:no_comma startend:end_checker]
	// prompt strict 0.33 loose 0.67, instruction strict 0.50 loose 0.83
}
