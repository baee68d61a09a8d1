package ifeval

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestSplitSentences pins the port of lm-eval's split_into_sentences: google's two
// test paragraphs, and cases for each rule, with the lists the Python function
// returns for the same input.
func TestSplitSentences(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"\n  Google is a technology company. It was founded in 1998 by Larry Page\nand Sergey Brin. Google's mission is to organize the world's information\nand make it universally accessible and useful.\n  ",
			[]string{"Google is a technology company.", "It was founded in 1998 by Larry Page and Sergey Brin.", "Google's mission is to organize the world's information and make it universally accessible and useful."}},
		{"\n  The U.S.A has many Ph.D. students. They will often haven a .com website\nsharing the research that they have done.\n  ",
			[]string{"The U.S.A has many Ph.D. students.", "They will often haven a .com website sharing the research that they have done."}},
		{"xx,x. xx,x! xx/x. x{x}x? x.", []string{"xx,x.", "xx,x!", "xx/x.", "x{x}x?", "x."}},
		{"Mr. Smith went to Washington. He said \"hello.\" Then he left!",
			[]string{"Mr. Smith went to Washington.", "He said \"hello\".", "Then he left!"}},
		{"Wait... what? Really?! Yes.", []string{"Wait...", "what?", "Really?", "!", "Yes."}},
		// A suffix before a starter ends the sentence and loses its period, as in lm-eval.
		{"The U.S. He left. Acme Inc. They sold it. Acme Co. is big.",
			[]string{"The U.S.", "He left.", "Acme Inc", "They sold it.", "Acme Co. is big."}},
		{"Version 3.14 is out. Visit example.com today. Plan B. Then go.",
			[]string{"Version 3.14 is out.", "Visit example.com today.", "Plan B. Then go."}},
		{"She said \u201cgo.\u201d He went.", []string{"She said \u201cgo\u201d.", "He went."}},
		{"Tabs\tand\u00a0nbsp. x. y. Z. end", []string{"Tabs\tand\u00a0nbsp.", "x. y. Z. end"}},
		{"Steps:\n1. Mix.\n2. Bake.", []string{"Steps: 1.", "Mix.", "2.", "Bake."}},
		{"e.g. this is it. See Fig. 3 etc. and more.", []string{"e.g. this is it.", "See Fig.", "3 etc.", "and more."}},
		{"Visit www.site.io or me.me now! ok", []string{"Visit www.", "site.io or me.me now!", "ok"}},
		{"It costs $3.50. That is cheap.\n\n- item one\n- item two", []string{"It costs $3.50.", "That is cheap.", "- item one - item two"}},
		{"It ended.Next one. Hi!Bye", []string{"It ended.", "Next one.", "Hi!", "Bye"}},
		{"", nil},
		{"   ", nil},
		{"No end mark", []string{"No end mark"}},
		{"Dr. J.R.R. Tolkien wrote it. Mrs. Dalloway too... ok",
			[]string{"Dr. J.R.R. Tolkien wrote it.", "Mrs. Dalloway too...", "ok"}},
	}
	for _, c := range cases {
		got := SplitSentences(c.in)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitSentences(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestCountWords(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"word1, word2, word3, word4.", 4},
		{"\n      Bard can you tell me which is the best optimization method for the\n      transition from an hydro-thermal system to an hydro-renewables system", 24},
		{"\n      Hyphenated-word has two word counts.\n      ", 6},
		{"don't snake_case 3.14", 5},
		{"Привет, мир! 你好", 3},
		// Python's \w has no combining marks: Devanagari vowel signs cut words.
		{"नमस्ते दुनिया", 5},
		{"", 0},
		{"*** --- !!!", 0},
	}
	for _, c := range cases {
		if got := countWords(c.in); got != c.want {
			t.Errorf("countWords(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestWordTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"I DON'T know, (REALLY).", []string{"I", "DO", "N'T", "know", "REALLY", "."}},
		{"CANNOT; GONNA: it's U.S.-made AI-POWERED", []string{"CAN", "NOT", "GON", "NA", "it", "'s", "U.S.-made", "AI-POWERED"}},
		{"\"QUOTED\" [A]{B}<C>", []string{"QUOTED", "A", "B", "C"}},
		{"**BOLD** *it*", []string{"BOLD", "it"}},
		{"NASA’s “SPACE” «X»", []string{"NASA", "s", "SPACE", "X"}},
		{"WAIT...what A--b", []string{"WAIT", "what", "A", "b"}},
		{"I DON'T. CANNOT.", []string{"I", "DO", "N'T", ".", "CAN", "NOT", "."}},
	}
	for _, c := range cases {
		if got := wordTokens(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("wordTokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPythonCase(t *testing.T) {
	cases := []struct {
		in           string
		upper, lower bool
	}{
		{"HELLO, WORLD 123", true, false},
		{"hello, world 123", false, true},
		{"123 !!", false, false},
		{"", false, false},
		{"ÉCOLE ΑΒΓ", true, false},
		{"école αβγ", false, true},
		{"ǅ", false, false}, // titlecase: neither
		{"HELLo", false, false},
		// Python's cased letters include Other_Uppercase and Other_Lowercase.
		{"ROMAN Ⅻ", true, false},
		{"ⒶⒷ", true, false},
		{"1ª PRIMEIRA", false, false},
		{"ª ʰ", false, true},

		{"中文 ABC", true, false}, // uncased letters do not count
	}
	for _, c := range cases {
		if got := pyIsUpper(c.in); got != c.upper {
			t.Errorf("pyIsUpper(%q) = %v, want %v", c.in, got, c.upper)
		}
		if got := pyIsLower(c.in); got != c.lower {
			t.Errorf("pyIsLower(%q) = %v, want %v", c.in, got, c.lower)
		}
	}
}

func TestPyStrip(t *testing.T) {
	if got := pyStrip("\u00a0\x1c\t x \u3000\n"); got != "x" {
		t.Errorf("pyStrip = %q, want %q", got, "x")
	}
	if got := pyFields(" a\u2003b\x1fc "); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("pyFields = %q", got)
	}
}

// TestRulePrefilters checks on random text built from the rules' own pieces that
// skipping a rule by its prefilter never changes what the rule would do.
func TestRulePrefilters(t *testing.T) {
	pieces := []string{" ", "  ", "\n", ".", ". ", "..", "a", "B", "Z.", "x.", "U.S.", "A.B.C.", "3", "3.5",
		"Mr.", "Mrs", "St.", "Ms.", "Dr.", "Inc.", "Ltd.", "Jr.", " Co.", "He ", "They ", "But\t", "Wherever",
		".com", ".io", "\u00a0", "é", "?", "!", "\"", "\u201d", "Ph.D."}
	rng := rand.New(rand.NewPCG(1, 2))
	rules := append(append([]rule{}, sentenceRules...), sentenceRules2...)
	for n := 0; n < 3000; n++ {
		var b strings.Builder
		for k := rng.IntN(12); k >= 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		for i, r := range rules {
			if r.maybe == nil || r.maybe(s) {
				continue
			}
			if got := r.re.ReplaceAllString(s, r.repl); got != s {
				t.Fatalf("rule %d skipped on %q, which it changes to %q", i, s, got)
			}
		}
	}
}
