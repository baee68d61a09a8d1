package ifeval

import (
	"strings"
	"testing"
)

func ip(n int) *int { return &n }

type checkCase struct {
	name          string
	id            string
	kw            Kwargs
	reply         string
	strict, loose bool
}

func runCases(t *testing.T, cases []checkCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.id+"/"+c.name, func(t *testing.T) {
			p, err := Compile([]string{c.id}, []Kwargs{c.kw})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			r := p.Check(c.reply)
			in := r.Instructions[0]
			if in.ID != c.id || in.Strict != c.strict || in.Loose != c.loose {
				t.Errorf("Check(%q) = %+v, want strict %v loose %v", c.reply, in, c.strict, c.loose)
			}
			if r.PromptStrict != c.strict || r.PromptLoose != c.loose {
				t.Errorf("prompt level = %v/%v, want %v/%v", r.PromptStrict, r.PromptLoose, c.strict, c.loose)
			}
		})
	}
}

func TestKeywordCheckers(t *testing.T) {
	runCases(t, []checkCase{
		{"all present any case", "keywords:existence", Kwargs{Keywords: []string{"Banana", "split"}}, "A banana SPLIT.", true, true},
		{"one missing", "keywords:existence", Kwargs{Keywords: []string{"banana", "split"}}, "A banana.", false, false},
		{"inside a word counts", "keywords:existence", Kwargs{Keywords: []string{"art"}}, "Martian", true, true},
		{"freq at least met", "keywords:frequency", Kwargs{Keyword: "cat", Frequency: ip(2), Relation: "at least"}, "Cat and cat.", true, true},
		{"freq at least counts inside words", "keywords:frequency", Kwargs{Keyword: "can", Frequency: ip(2), Relation: "at least"}, "I can, you cannot.", true, true},
		{"freq at least unmet", "keywords:frequency", Kwargs{Keyword: "cat", Frequency: ip(3), Relation: "at least"}, "Cat and cat.", false, false},
		{"freq less than", "keywords:frequency", Kwargs{Keyword: " dog ", Frequency: ip(2), Relation: "less than"}, "A dog.", true, true},
		{"freq less than fails", "keywords:frequency", Kwargs{Keyword: "dog", Frequency: ip(2), Relation: "less than"}, "Dog dog DOG", false, false},
		{"forbidden absent", "keywords:forbidden_words", Kwargs{ForbiddenWords: []string{"cat", "dog"}}, "Concatenate the hotdogs.", true, true},
		{"forbidden present", "keywords:forbidden_words", Kwargs{ForbiddenWords: []string{"cat"}}, "A CAT sat.", false, false},
		{"forbidden unicode boundary", "keywords:forbidden_words", Kwargs{ForbiddenWords: []string{"café"}}, "Un café, s'il vous plaît.", false, false},
		{"forbidden unicode no boundary", "keywords:forbidden_words", Kwargs{ForbiddenWords: []string{"caf"}}, "Un café.", true, true},
		{"forbidden second match has boundaries", "keywords:forbidden_words", Kwargs{ForbiddenWords: []string{"cat"}}, "concat cat", false, false},
		{"letter at least", "keywords:letter_frequency", Kwargs{Letter: "Z", LetFrequency: ip(3), LetRelation: "at least"}, "Zig zag zoo", true, true},
		{"letter at least unmet", "keywords:letter_frequency", Kwargs{Letter: "z", LetFrequency: ip(4), LetRelation: "at least"}, "Zig zag zoo", false, false},
		{"letter less than", "keywords:letter_frequency", Kwargs{Letter: "e", LetFrequency: ip(2), LetRelation: "less than"}, "Hello", true, true},
		{"letter less than fails", "keywords:letter_frequency", Kwargs{Letter: "l", LetFrequency: ip(2), LetRelation: "less than"}, "Hello", false, false},
	})
}

func TestLengthCheckers(t *testing.T) {
	para3 := "First part.\n***\nSecond part.\n***\nThird part."
	runCases(t, []checkCase{
		{"sentences less than", "length_constraints:number_sentences", Kwargs{NumSentences: ip(3), Relation: "less than"}, "One. Two!", true, true},
		{"sentences less than fails", "length_constraints:number_sentences", Kwargs{NumSentences: ip(2), Relation: "less than"}, "One. Two! Three?", false, false},
		{"sentences at least, Dr. protected", "length_constraints:number_sentences", Kwargs{NumSentences: ip(2), Relation: "at least"}, "Dr. Smith came.", false, false},
		{"sentences google case", "length_constraints:number_sentences", Kwargs{NumSentences: ip(4), Relation: "less than"}, "xx,x. xx,x! xx/x. x{x}x?", false, false},
		{"words at least", "length_constraints:number_words", Kwargs{NumWords: ip(4), Relation: "at least"}, "word1, word2, word3, word4.", true, true},
		{"words hyphen splits", "length_constraints:number_words", Kwargs{NumWords: ip(3), Relation: "less than"}, "well-known fact", false, false},
		{"words less than", "length_constraints:number_words", Kwargs{NumWords: ip(3), Relation: "less than"}, "Два слова", true, true},
		{"paragraphs exact", "length_constraints:number_paragraphs", Kwargs{NumParagraphs: ip(3)}, para3, true, true},
		{"paragraphs leading and trailing divider", "length_constraints:number_paragraphs", Kwargs{NumParagraphs: ip(3)}, "***\n" + para3 + "\n***", true, true},
		{"paragraphs empty middle fails", "length_constraints:number_paragraphs", Kwargs{NumParagraphs: ip(2)}, "a\n***\n***\nb", false, false},
		{"paragraphs too few", "length_constraints:number_paragraphs", Kwargs{NumParagraphs: ip(4)}, para3, false, false},
		// Only "***" divides: a blank line does not.
		{"paragraphs blank line is no divider", "length_constraints:number_paragraphs", Kwargs{NumParagraphs: ip(2)}, "Sure, here it is:\n\nA.\n***\nB.", true, true},
		{"paragraphs bold divider loose", "length_constraints:number_paragraphs", Kwargs{NumParagraphs: ip(2)}, "Here:\n***\nA\n***\nB", false, true},
		{"nth first word", "length_constraints:nth_paragraph_first_word", Kwargs{NumParagraphs: ip(2), NthParagraph: ip(2), FirstWord: "Then"}, "Start here.\n\n\"Then, we go.", true, true},
		{"nth wrong word", "length_constraints:nth_paragraph_first_word", Kwargs{NumParagraphs: ip(2), NthParagraph: ip(2), FirstWord: "then"}, "Start here.\n\nNow we go.", false, false},
		{"nth wrong count", "length_constraints:nth_paragraph_first_word", Kwargs{NumParagraphs: ip(3), NthParagraph: ip(2), FirstWord: "then"}, "Start here.\n\nThen we go.", false, false},
		{"nth bold word loose", "length_constraints:nth_paragraph_first_word", Kwargs{NumParagraphs: ip(2), NthParagraph: ip(1), FirstWord: "intro"}, "**Intro** text\n\nMore.", false, true},
		{"nth leading blank lines trimmed", "length_constraints:nth_paragraph_first_word", Kwargs{NumParagraphs: ip(2), NthParagraph: ip(1), FirstWord: "alpha"}, "\n\nAlpha.\n\nBeta.  \n", true, true},
	})
}

func TestContentAndFormatCheckers(t *testing.T) {
	bullets := "Points:\n* one\n*two\n- three\n  - four\nNot **bold** a bullet."
	runCases(t, []checkCase{
		{"placeholders", "detectable_content:number_placeholders", Kwargs{NumPlaceholders: ip(2)}, "Dear [name], at [address].", true, true},
		{"placeholders too few", "detectable_content:number_placeholders", Kwargs{NumPlaceholders: ip(3)}, "Dear [name], at [address].", false, false},
		{"placeholder across lines is none", "detectable_content:number_placeholders", Kwargs{NumPlaceholders: ip(1)}, "[a\nb]", false, false},
		{"postscript", "detectable_content:postscript", Kwargs{PostscriptMarker: "P.S."}, "Hi.\n\nP.S. Bye.", true, true},
		{"postscript spaced lower", "detectable_content:postscript", Kwargs{PostscriptMarker: "P.S."}, "Hi. p. s. bye", true, true},
		{"postscript PPS", "detectable_content:postscript", Kwargs{PostscriptMarker: "P.P.S"}, "Hi.\nP.P.S more", true, true},
		{"postscript missing", "detectable_content:postscript", Kwargs{PostscriptMarker: "P.S."}, "Hi. PS bye", false, false},
		{"postscript other marker", "detectable_content:postscript", Kwargs{PostscriptMarker: "Note:"}, "Hi.\nNOTE: later", true, true},
		{"bullets exact", "detectable_format:number_bullet_lists", Kwargs{NumBullets: ip(4)}, bullets, true, true},
		{"bullets bold line is none", "detectable_format:number_bullet_lists", Kwargs{NumBullets: ip(2)}, "**Note** this\n* a\n* b", true, true},
		{"bullets numbered are none", "detectable_format:number_bullet_lists", Kwargs{NumBullets: ip(2)}, "1. a\n2. b", false, false},
		{"bullets wrong", "detectable_format:number_bullet_lists", Kwargs{NumBullets: ip(3)}, bullets, false, false},
		{"constrained", "detectable_format:constrained_response", Kwargs{}, "  My answer is maybe.  ", true, true},
		{"constrained missing", "detectable_format:constrained_response", Kwargs{}, "My answer is: yes", false, false},
		{"constrained bold loose", "detectable_format:constrained_response", Kwargs{}, "My answer is **yes**.", false, true},
		{"highlights single and double", "detectable_format:number_highlighted_sections", Kwargs{NumHighlights: ip(3)}, "*one* and **two** and *three*", true, true},
		{"highlight across lines is none", "detectable_format:number_highlighted_sections", Kwargs{NumHighlights: ip(1)}, "*start\nend*", false, false},
		{"highlights unicode", "detectable_format:number_highlighted_sections", Kwargs{NumHighlights: ip(2)}, "*été* et *冬*", true, true},
		{"highlights empty do not count", "detectable_format:number_highlighted_sections", Kwargs{NumHighlights: ip(1)}, "** ** and * *", false, false},
		{"sections", "detectable_format:multiple_sections", Kwargs{SectionSpliter: "Section", NumSections: ip(2)}, "Section 1\nA\nSection 2\nB", true, true},
		{"sections no space before number", "detectable_format:multiple_sections", Kwargs{SectionSpliter: "Section", NumSections: ip(2)}, "Section1 A Section2 B", true, true},
		{"sections too few", "detectable_format:multiple_sections", Kwargs{SectionSpliter: "SECTION", NumSections: ip(3)}, "SECTION 1\nA\nSECTION 2\nB", false, false},
		{"sections case sensitive", "detectable_format:multiple_sections", Kwargs{SectionSpliter: "SECTION", NumSections: ip(2)}, "Section 1\nA\nSection 2\nB", false, false},
		{"sections markdown number", "detectable_format:multiple_sections", Kwargs{SectionSpliter: "Section", NumSections: ip(2)}, "**Section 1**\nA\n**Section 2**\nB", true, true},
		{"json fenced", "detectable_format:json_format", Kwargs{}, "```json\n{\"a\": [1, 2]}\n```", true, true},
		{"json bare", "detectable_format:json_format", Kwargs{}, " [1, \"x\"] ", true, true},
		{"json trailing text", "detectable_format:json_format", Kwargs{}, "{\"a\": 1}\nHope this helps!", false, true},
		{"json NaN is not JSON here", "detectable_format:json_format", Kwargs{}, "{\"a\": NaN}", false, false},
		{"json invalid", "detectable_format:json_format", Kwargs{}, "{a: 1}", false, false},
		{"json with preamble loose", "detectable_format:json_format", Kwargs{}, "Here is the JSON:\n{\"a\": 1}", false, true},
		{"title", "detectable_format:title", Kwargs{}, "<<Poem of Joy>>\nLines.", true, true},
		{"title unicode mid-text", "detectable_format:title", Kwargs{}, "Voici: <<Poème de l'été>> fin", true, true},
		{"title single brackets", "detectable_format:title", Kwargs{}, "<Poem>", false, false},
		{"title empty", "detectable_format:title", Kwargs{}, "<<  >> and <<\n>>", false, false},
	})
}

func TestCombinationStartEndCaseCheckers(t *testing.T) {
	prompt := "Write a haiku about rain."
	runCases(t, []checkCase{
		{"two responses", "combination:two_responses", Kwargs{}, "Answer A.\n******\nAnswer B.", true, true},
		{"two responses same", "combination:two_responses", Kwargs{}, "Answer A.\n******\n Answer A. ", false, false},
		{"two responses three, loose drops the last line", "combination:two_responses", Kwargs{}, "A\n******\nB\n******\nC", false, true},
		{"two responses three on one line", "combination:two_responses", Kwargs{}, "A ****** B ****** C", false, false},
		{"two responses empty middle", "combination:two_responses", Kwargs{}, "A\n******\n\n******\nB", false, false},
		{"two responses closing divider", "combination:two_responses", Kwargs{}, "A\n******\nB\n******", true, true},
		{"repeat prompt", "combination:repeat_prompt", Kwargs{PromptToRepeat: prompt}, "write a HAIKU about rain. Drops fall.", true, true},
		{"repeat prompt preamble loose", "combination:repeat_prompt", Kwargs{PromptToRepeat: prompt}, "Sure!\nWrite a haiku about rain.\nDrops.", false, true},
		{"repeat prompt missing", "combination:repeat_prompt", Kwargs{PromptToRepeat: prompt}, "Drops fall.", false, false},
		{"end phrase", "startend:end_checker", Kwargs{EndPhrase: "Any other questions?"}, "Done. any other questions?\"  \n", true, true},
		{"end phrase unicode case", "startend:end_checker", Kwargs{EndPhrase: "C'est l'été."}, "Voilà. C'EST L'ÉTÉ.", true, true},
		{"end phrase followed", "startend:end_checker", Kwargs{EndPhrase: "Any other questions?"}, "Any other questions? Bye.", false, false},
		{"end phrase bold loose", "startend:end_checker", Kwargs{EndPhrase: "Any other questions?"}, "Done. **Any other questions?**", false, true},
		{"quotation", "startend:quotation", Kwargs{}, "  \"Quoted.\"\n", true, true},
		{"quotation curly", "startend:quotation", Kwargs{}, "\u201cQuoted.\u201d", false, false},
		{"quotation one char", "startend:quotation", Kwargs{}, "\"", false, false},
		{"capital words at least", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(3), CapitalRelation: "at least"}, "The NASA and ESA teams MET.", true, true},
		{"capital words contraction counts two", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(2), CapitalRelation: "at least"}, "I DON'T know.", true, true},
		{"capital words unicode", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(2), CapitalRelation: "at least"}, "L'ÉCOLE and ÜBER", true, true},
		{"capital words less than", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(2), CapitalRelation: "less than"}, "Only AI here, U.S. based.", false, false},
		// nltk.word_tokenize cuts at "*", curly quotes, "--" and "..", so markdown
		// bold and curly apostrophes do not glue a capital word to other text.
		{"capital words bold contraction", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(4), CapitalRelation: "at least"}, "**DON'T** panic, **I'M** here.", true, true},
		{"capital words curly possessive", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(2), CapitalRelation: "at least"}, "NASA’s rover and the ESA’s probe.", true, true},
		{"capital words curly contraction", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(3), CapitalRelation: "less than"}, "I DON’T know.", false, false},
		{"capital words double dash and dots", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(2), CapitalRelation: "at least"}, "STOP--think first. WAIT...then go.", true, true},
		{"capital words contraction before final period", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(3), CapitalRelation: "at least"}, "I DON'T.", true, true},
		{"capital words mixed-case token is none", "change_case:capital_word_frequency", Kwargs{CapitalFrequency: ip(2), CapitalRelation: "less than"}, "Only AI here, U.S.-based.", true, true},
		{"english capital", "change_case:english_capital", Kwargs{}, "THIS IS MY ANSWER, IN ENGLISH, 100%.", true, true},
		{"english capital lower letter", "change_case:english_capital", Kwargs{}, "THIS IS MY ANSWEr.", false, false},
		{"english capital not english", "change_case:english_capital", Kwargs{}, "CECI EST MA RÉPONSE EN FRANÇAIS, ET ELLE EST ASSEZ LONGUE POUR ÊTRE DÉTECTÉE.", false, false},
		{"english lowercase", "change_case:english_lowercase", Kwargs{}, "this is all lowercase english text about the weather.", true, true},
		{"english lowercase capital", "change_case:english_lowercase", Kwargs{}, "this is all lowercase english text except London.", false, false},
		{"english lowercase title loose", "change_case:english_lowercase", Kwargs{}, "Title Line\nthis is all lowercase english text about the weather.", false, true},
		{"no comma", "punctuation:no_comma", Kwargs{}, "No commas here; none at all.", true, true},
		{"comma", "punctuation:no_comma", Kwargs{}, "One, two.", false, false},
		{"fullwidth comma is not a comma", "punctuation:no_comma", Kwargs{}, "一\uff0c二", true, true},
	})
}

func TestLanguageChecker(t *testing.T) {
	runCases(t, []checkCase{
		{"french", "language:response_language", Kwargs{Language: "fr"}, "Bonjour, je suis très heureux de vous aider avec votre question aujourd'hui.", true, true},
		{"english asked french", "language:response_language", Kwargs{Language: "fr"}, "Hello, I am very happy to help you with your question today.", false, false},
		{"no letters passes", "language:response_language", Kwargs{Language: "de"}, "12345 !!! 678", true, true},
		{"swahili undetectable passes", "language:response_language", Kwargs{Language: "sw"}, "Habari yako rafiki yangu, leo ni siku nzuri sana kwa kutembea sokoni.", true, true},
		{"swahili asked english fails", "language:response_language", Kwargs{Language: "sw"}, "Hello my friend, today is a very nice day for a walk to the market.", false, false},
	})
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name   string
		ids    []string
		kw     []Kwargs
		substr string
	}{
		{"unknown id", []string{"keywords:key_sentences"}, []Kwargs{{}}, `unknown id "keywords:key_sentences"`},
		{"count mismatch", []string{"punctuation:no_comma"}, nil, "1 instruction ids but 0 kwargs"},
		{"empty", nil, nil, "instruction_id_list is empty"},
		{"null threshold", []string{"length_constraints:number_words"}, []Kwargs{{Relation: "at least"}}, "instruction 0 (length_constraints:number_words): num_words is null"},
		{"bad relation", []string{"length_constraints:number_words"}, []Kwargs{{Relation: "at most", NumWords: ip(3)}}, `relation "at most" is neither`},
		{"null relation", []string{"change_case:capital_word_frequency"}, []Kwargs{{CapitalFrequency: ip(3)}}, "capital_relation is null"},
		{"bad letter", []string{"keywords:letter_frequency"}, []Kwargs{{Letter: "é", LetFrequency: ip(1), LetRelation: "at least"}}, "is not one ASCII letter"},
		{"nth out of range", []string{"length_constraints:nth_paragraph_first_word"}, []Kwargs{{NumParagraphs: ip(2), NthParagraph: ip(3), FirstWord: "x"}}, "nth_paragraph 3 is not within 1..2"},
		{"negative", []string{"detectable_format:number_bullet_lists"}, []Kwargs{{NumBullets: ip(-1)}}, "num_bullets is -1, below 0"},
		{"second instruction", []string{"punctuation:no_comma", "startend:end_checker"}, []Kwargs{{}, {}}, "instruction 1 (startend:end_checker): end_phrase is null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(c.ids, c.kw)
			if err == nil || !strings.Contains(err.Error(), c.substr) {
				t.Fatalf("Compile error = %v, want one containing %q", err, c.substr)
			}
		})
	}
}

func TestEveryInstructionHasCases(t *testing.T) {
	want := map[string]bool{}
	for _, id := range InstructionIDs() {
		want[id] = true
	}
	if len(want) != 25 {
		t.Fatalf("InstructionIDs has %d ids, want IFEval's 25", len(want))
	}
	// The cases above name each id; this guards against an id without a test.
	src := strings.Join([]string{
		"keywords:existence", "keywords:frequency", "keywords:forbidden_words", "keywords:letter_frequency",
		"language:response_language", "length_constraints:number_sentences", "length_constraints:number_paragraphs",
		"length_constraints:number_words", "length_constraints:nth_paragraph_first_word",
		"detectable_content:number_placeholders", "detectable_content:postscript",
		"detectable_format:number_bullet_lists", "detectable_format:constrained_response",
		"detectable_format:number_highlighted_sections", "detectable_format:multiple_sections",
		"detectable_format:json_format", "detectable_format:title", "combination:two_responses",
		"combination:repeat_prompt", "startend:end_checker", "startend:quotation",
		"change_case:capital_word_frequency", "change_case:english_capital",
		"change_case:english_lowercase", "punctuation:no_comma",
	}, " ")
	for id := range want {
		if !strings.Contains(src, id) {
			t.Errorf("id %s is not in the list of tested ids", id)
		}
	}
}
