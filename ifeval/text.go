package ifeval

import (
	"regexp"
	"strings"
	"unicode"
)

// pyWS is Python's \s on str patterns (Unicode whitespace, \v and the separators
// \x1c-\x1f); Go's \s is ASCII only. Every pattern ported from lm-eval uses it.
const pyWS = `[\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}]`

// isPySpace is Python's str.isspace for one character: the whitespace str.strip()
// and str.split() use.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) || unicode.In(r, unicode.Z)
}

// pyStrip is Python's str.strip().
func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// pyFields is Python's str.split() with no argument.
func pyFields(s string) []string { return strings.FieldsFunc(s, isPySpace) }

// isWordRune is Python's \w on str patterns: letters, numbers and "_" (combining
// marks are not word characters, as in Python).
func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

var wordRE = regexp.MustCompile(`[\p{L}\p{N}_]+`)

// countWords counts words as lm-eval does, nltk's RegexpTokenizer(r"\w+"): runs of
// word characters, so "hydro-thermal" is two words and "don't" two.
func countWords(s string) int { return len(wordRE.FindAllStringIndex(s, -1)) }

// pyUpper and pyLower are Unicode's Uppercase and Lowercase properties, which
// Python's str.isupper and str.islower read: the letters of category Lu or Ll plus
// Other_Uppercase (Ⅻ, Ⓐ) or Other_Lowercase (ª, ʰ, ⓐ).
func pyUpper(r rune) bool { return unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r) }
func pyLower(r rune) bool { return unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r) }

// pyIsUpper is Python's str.isupper: at least one cased character and no lowercase
// or titlecase one.
func pyIsUpper(s string) bool {
	cased := false
	for _, r := range s {
		switch {
		case pyLower(r) || unicode.IsTitle(r):
			return false
		case pyUpper(r):
			cased = true
		}
	}
	return cased
}

// pyIsLower is Python's str.islower: at least one cased character and no uppercase
// or titlecase one.
func pyIsLower(s string) bool {
	cased := false
	for _, r := range s {
		switch {
		case pyUpper(r) || unicode.IsTitle(r):
			return false
		case pyLower(r):
			cased = true
		}
	}
	return cased
}

// The rules of lm-eval's split_into_sentences (instructions_util.py), in its order.
// Each protects a period that does not end a sentence by writing it as <prd>, or
// marks a sentence end as <stop>, before every remaining ". ? !" ends a sentence.
var (
	alphabets = `([A-Za-z])`
	prefixes  = `(Mr|St|Mrs|Ms|Dr)[.]`
	suffixes  = `(Inc|Ltd|Jr|Sr|Co)`
	starters  = `(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He` + pyWS + `|She` + pyWS + `|It` + pyWS +
		`|They` + pyWS + `|Their` + pyWS + `|Our` + pyWS + `|We` + pyWS + `|But` + pyWS +
		`|However` + pyWS + `|That` + pyWS + `|This` + pyWS + `|Wherever)`
	acronyms = `([A-Z][.][A-Z][.](?:[A-Z][.])?)`

	sentenceRules = []rule{
		{regexp.MustCompile(prefixes), "${1}<prd>", func(s string) bool {
			return strings.Contains(s, "Mr") || strings.Contains(s, "St.") || strings.Contains(s, "Ms.") || strings.Contains(s, "Dr.")
		}},
		{regexp.MustCompile(`[.](com|net|org|io|gov|edu|me)`), "<prd>${1}", nil},
		{regexp.MustCompile(`([0-9])[.]([0-9])`), "${1}<prd>${2}", func(s string) bool { return dotBetween(s, isDigit, isDigit) }},
	}
	multipleDots   = regexp.MustCompile(`\.{2,}`)
	sentenceRules2 = []rule{
		{regexp.MustCompile(pyWS + alphabets + `[.] `), " ${1}<prd> ", func(s string) bool { return dotBetween(s, isLetter, isSpace) }},
		{regexp.MustCompile(acronyms + " " + starters), "${1}<stop> ${2}", func(s string) bool { return dotBetween(s, isUpper, isUpper) }},
		{regexp.MustCompile(alphabets + `[.]` + alphabets + `[.]` + alphabets + `[.]`), "${1}<prd>${2}<prd>${3}<prd>", func(s string) bool { return dotBetween(s, isLetter, isLetter) }},
		{regexp.MustCompile(alphabets + `[.]` + alphabets + `[.]`), "${1}<prd>${2}<prd>", func(s string) bool { return dotBetween(s, isLetter, isLetter) }},
		{regexp.MustCompile(" " + suffixes + `[.] ` + starters), " ${1}<stop> ${2}", hasSuffixWord},
		{regexp.MustCompile(" " + suffixes + `[.]`), " ${1}<prd>", hasSuffixWord},
		{regexp.MustCompile(" " + alphabets + `[.]`), " ${1}<prd>", func(s string) bool { return dotBetween(s, isLetter, nil) }},
	}
)

// rule is one substitution of split_into_sentences. maybe, when set, is a cheap
// test that fails only on text the pattern cannot match: Go's regexp has no DFA,
// and most rules match nothing in most replies.
type rule struct {
	re    *regexp.Regexp
	repl  string
	maybe func(string) bool
}

func (r rule) apply(s string) string {
	if r.maybe != nil && !r.maybe(s) {
		return s
	}
	return r.re.ReplaceAllString(s, r.repl)
}

func isDigit(b byte) bool  { return '0' <= b && b <= '9' }
func isUpper(b byte) bool  { return 'A' <= b && b <= 'Z' }
func isLetter(b byte) bool { return isUpper(b) || ('a' <= b && b <= 'z') }
func isSpace(b byte) bool  { return b == ' ' }

// dotBetween says whether s has a "." with a byte before it that passes before and,
// unless after is nil, a byte after it that passes after.
func dotBetween(s string, before, after func(byte) bool) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == '.' && before(s[i-1]) && (after == nil || (i+1 < len(s) && after(s[i+1]))) {
			return true
		}
	}
	return false
}

func hasSuffixWord(s string) bool {
	for _, w := range []string{" Inc.", " Ltd.", " Jr.", " Sr.", " Co."} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// SplitSentences splits text into sentences by the rules of lm-eval's
// split_into_sentences: newlines are spaces; a period after Mr/St/Mrs/Ms/Dr, inside
// a web address (.com .net .org .io .gov .edu .me), between two digits, after a
// single letter, inside an acronym (U.S.A.), "Ph.D." and after Inc/Ltd/Jr/Sr/Co does
// not end a sentence, unless an acronym or suffix is followed by a sentence starter
// (He, She, It, They, Their, Our, We, But, However, That, This, Wherever, Mr, ...);
// a run of dots ends one; a closing quote moves before the end mark; every other
// ". ? !" ends a sentence. Sentences are trimmed; an empty last one is dropped.
func SplitSentences(text string) []string {
	text = " " + text + "  "
	text = strings.ReplaceAll(text, "\n", " ")
	for _, r := range sentenceRules {
		text = r.apply(text)
	}
	text = multipleDots.ReplaceAllStringFunc(text, func(m string) string {
		return strings.Repeat("<prd>", len(m)) + "<stop>"
	})
	text = strings.ReplaceAll(text, "Ph.D.", "Ph<prd>D<prd>")
	for _, r := range sentenceRules2 {
		text = r.apply(text)
	}
	text = strings.NewReplacer(".\u201d", "\u201d.").Replace(text)
	text = strings.ReplaceAll(text, ".\"", "\".")
	text = strings.ReplaceAll(text, "!\"", "\"!")
	text = strings.ReplaceAll(text, "?\"", "\"?")
	text = strings.ReplaceAll(text, ".", ".<stop>")
	text = strings.ReplaceAll(text, "?", "?<stop>")
	text = strings.ReplaceAll(text, "!", "!<stop>")
	text = strings.ReplaceAll(text, "<prd>", ".")
	sentences := strings.Split(text, "<stop>")
	for i, s := range sentences {
		sentences[i] = pyStrip(s)
	}
	if n := len(sentences); n > 0 && sentences[n-1] == "" {
		sentences = sentences[:n-1]
	}
	return sentences
}

// treebankSplit are the characters nltk's Treebank word tokenizer always cuts a
// token at; what matters for counting capital words is only that the parts on either
// side of them become separate tokens. "*" and the curly quotes are among them, so
// "**DON'T**" is DO + N'T and "NASA’s" is NASA + ’ + s.
const treebankSplit = `;@#$%&?!()[]{}<>",:*` + "`\u00ab\u00bb\u201c\u201d\u2018\u2019\u201e"

// treebankRuns are the runs of characters nltk also cuts at: "--" and two or more
// dots ("WAIT...then" is WAIT + ... + then).
var treebankRuns = regexp.MustCompile(`--|\.{2,}`)

// contractions are the endings the Treebank tokenizer cuts off as tokens of their
// own ("DON'T" is "DO" + "N'T"), and the words it cuts in two ("CANNOT").
var (
	contractionRE = regexp.MustCompile(`(?i)^(.+?)('s|'m|'d|'ll|'re|'ve|n't)$`)
	splitWordsRE  = regexp.MustCompile(`(?i)^(can)(not)$|^(gon)(na)$|^(got)(ta)$|^(wan)(na)$|^(lem)(me)$|^(gim)(me)$|^(d)('ye)$|^(more)('n)$`)
)

// wordTokens approximates nltk.word_tokenize for counting words in capitals: it cuts
// at whitespace and at the punctuation the Treebank tokenizer always separates,
// then cuts contractions and "cannot"-like words in two, also before a closing
// period ("DON'T." is DO + N'T + ., as nltk has it at the end of a sentence). It
// keeps periods, hyphens, slashes and apostrophes inside a token, as nltk does
// ("U.S." and "AI-POWERED" are one token each). Punctuation-only tokens it makes or
// misses never count as words in capitals, so they do not change the count.
func wordTokens(s string) []string {
	if strings.Contains(s, "--") || strings.Contains(s, "..") {
		s = treebankRuns.ReplaceAllString(s, " ")
	}
	raw := strings.FieldsFunc(s, func(r rune) bool {
		return isPySpace(r) || strings.ContainsRune(treebankSplit, r)
	})
	var out []string
	for _, t := range raw {
		word := strings.TrimSuffix(t, ".")
		if m := splitWordsRE.FindStringSubmatch(word); m != nil {
			for _, p := range m[1:] {
				if p != "" {
					out = append(out, p)
				}
			}
		} else if m := contractionRE.FindStringSubmatch(word); m != nil {
			out = append(out, m[1], m[2])
		} else {
			out = append(out, t)
			continue
		}
		if word != t {
			out = append(out, ".")
		}
	}
	return out
}
