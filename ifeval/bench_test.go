package ifeval

import (
	"strings"
	"testing"
)

// BenchmarkCheckAll checks a 600-word reply against every instruction (one prompt
// holding all 25), strict and loose: the cost of scoring one IFEval reply is a
// small fraction of this.
func BenchmarkCheckAll(b *testing.B) {
	kw := map[string]Kwargs{
		"keywords:existence":                            {Keywords: []string{"rain", "umbrella"}},
		"keywords:frequency":                            {Keyword: "rain", Frequency: ip(3), Relation: "at least"},
		"keywords:forbidden_words":                      {ForbiddenWords: []string{"sun", "dry"}},
		"keywords:letter_frequency":                     {Letter: "r", LetFrequency: ip(10), LetRelation: "at least"},
		"language:response_language":                    {Language: "en"},
		"length_constraints:number_sentences":           {NumSentences: ip(40), Relation: "less than"},
		"length_constraints:number_paragraphs":          {NumParagraphs: ip(3)},
		"length_constraints:number_words":               {NumWords: ip(500), Relation: "at least"},
		"length_constraints:nth_paragraph_first_word":   {NumParagraphs: ip(3), NthParagraph: ip(2), FirstWord: "then"},
		"detectable_content:number_placeholders":        {NumPlaceholders: ip(2)},
		"detectable_content:postscript":                 {PostscriptMarker: "P.S."},
		"detectable_format:number_bullet_lists":         {NumBullets: ip(3)},
		"detectable_format:number_highlighted_sections": {NumHighlights: ip(2)},
		"detectable_format:multiple_sections":           {SectionSpliter: "Section", NumSections: ip(2)},
		"combination:repeat_prompt":                     {PromptToRepeat: "Write about rain."},
		"startend:end_checker":                          {EndPhrase: "Any other questions?"},
		"change_case:capital_word_frequency":            {CapitalFrequency: ip(3), CapitalRelation: "less than"},
	}
	ids := InstructionIDs()
	kws := make([]Kwargs, len(ids))
	for i, id := range ids {
		kws[i] = kw[id]
	}
	p, err := Compile(ids, kws)
	if err != nil {
		b.Fatal(err)
	}
	para := strings.Repeat("The rain fell on the *old* town, and an umbrella [name] opened. ", 30)
	reply := "Section 1\n" + para + "\n\nThen Section 2\n* a\n* b\n* c\n\n" + para + "\nP.S. Any other questions?"
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.Check(reply)
	}
}
