package ifeval

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checker says whether one response follows one instruction.
type checker func(response string) bool

// builder makes the checker of one instruction from its kwargs; it fails when a key
// the instruction needs is null or out of range.
type builder func(kw Kwargs) (checker, error)

// builders holds every instruction of IFEval by the id its instruction_id_list uses.
var builders = map[string]builder{
	"keywords:existence":                            keywordsExistence,
	"keywords:frequency":                            keywordsFrequency,
	"keywords:forbidden_words":                      forbiddenWords,
	"keywords:letter_frequency":                     letterFrequency,
	"language:response_language":                    responseLanguage,
	"length_constraints:number_sentences":           numberSentences,
	"length_constraints:number_paragraphs":          numberParagraphs,
	"length_constraints:number_words":               numberWords,
	"length_constraints:nth_paragraph_first_word":   nthParagraphFirstWord,
	"detectable_content:number_placeholders":        numberPlaceholders,
	"detectable_content:postscript":                 postscript,
	"detectable_format:number_bullet_lists":         numberBulletLists,
	"detectable_format:constrained_response":        constrainedResponse,
	"detectable_format:number_highlighted_sections": numberHighlights,
	"detectable_format:multiple_sections":           multipleSections,
	"detectable_format:json_format":                 jsonFormat,
	"detectable_format:title":                       title,
	"combination:two_responses":                     twoResponses,
	"combination:repeat_prompt":                     repeatPrompt,
	"startend:end_checker":                          endChecker,
	"startend:quotation":                            quotation,
	"change_case:capital_word_frequency":            capitalWordFrequency,
	"change_case:english_capital":                   englishCapital,
	"change_case:english_lowercase":                 englishLowercase,
	"punctuation:no_comma":                          noComma,
}

// InstructionIDs lists every instruction id this package checks, sorted.
func InstructionIDs() []string {
	ids := make([]string, 0, len(builders))
	for id := range builders {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// The two relations of IFEval's comparisons.
const (
	RelationLessThan = "less than"
	RelationAtLeast  = "at least"
)

// relation returns the comparison of a count with a threshold: key and numKey name
// the relation's and the threshold's kwargs for errors.
func relation(key, rel, numKey string, threshold *int) (func(n int) bool, error) {
	t, err := need(numKey, threshold)
	if err != nil {
		return nil, err
	}
	switch rel {
	case RelationLessThan:
		return func(n int) bool { return n < t }, nil
	case RelationAtLeast:
		return func(n int) bool { return n >= t }, nil
	case "":
		return nil, fmt.Errorf("%s is null", key)
	}
	return nil, fmt.Errorf("%s %q is neither %q nor %q", key, rel, RelationLessThan, RelationAtLeast)
}

// need reads an integer kwarg that must be given and not negative.
func need(key string, p *int) (int, error) {
	switch {
	case p == nil:
		return 0, fmt.Errorf("%s is null", key)
	case *p < 0:
		return 0, fmt.Errorf("%s is %d, below 0", key, *p)
	}
	return *p, nil
}

// compileKeyword compiles a keyword as lm-eval searches it: as a case-insensitive
// regular expression. A keyword RE2 cannot compile is searched as plain text.
func compileKeyword(prefix, kw, suffix string) *regexp.Regexp {
	if re, err := regexp.Compile("(?i)" + prefix + kw + suffix); err == nil {
		return re
	}
	return regexp.MustCompile("(?i)" + prefix + regexp.QuoteMeta(kw) + suffix)
}

func keywordsExistence(kw Kwargs) (checker, error) {
	if len(kw.Keywords) == 0 {
		return nil, fmt.Errorf("keywords is null")
	}
	res := make([]*regexp.Regexp, len(kw.Keywords))
	for i, k := range kw.Keywords {
		res[i] = compileKeyword("", k, "")
	}
	return func(s string) bool {
		for _, re := range res {
			if !re.MatchString(s) {
				return false
			}
		}
		return true
	}, nil
}

// keywordsFrequency counts non-overlapping matches anywhere, inside words too ("can"
// is counted in "cannot"), as lm-eval's re.findall does.
func keywordsFrequency(kw Kwargs) (checker, error) {
	word := pyStrip(kw.Keyword)
	if word == "" {
		return nil, fmt.Errorf("keyword is null")
	}
	cmp, err := relation("relation", kw.Relation, "frequency", kw.Frequency)
	if err != nil {
		return nil, err
	}
	re := compileKeyword("", word, "")
	return func(s string) bool { return cmp(len(re.FindAllStringIndex(s, -1))) }, nil
}

// forbiddenWords fails a response that has a forbidden word between word boundaries,
// case-insensitively. Boundaries are Python's Unicode \b (Go's \b is ASCII only), so
// they are checked around each match by hand.
func forbiddenWords(kw Kwargs) (checker, error) {
	if len(kw.ForbiddenWords) == 0 {
		return nil, fmt.Errorf("forbidden_words is null")
	}
	res := make([]*regexp.Regexp, len(kw.ForbiddenWords))
	for i, w := range kw.ForbiddenWords {
		res[i] = compileKeyword("", w, "")
	}
	return func(s string) bool {
		for _, re := range res {
			if matchWord(re, s) {
				return false
			}
		}
		return true
	}, nil
}

// matchWord says whether re matches s somewhere with a word boundary at both ends.
func matchWord(re *regexp.Regexp, s string) bool {
	for start := 0; start <= len(s); {
		loc := re.FindStringIndex(s[start:])
		if loc == nil {
			return false
		}
		i, j := start+loc[0], start+loc[1]
		if boundary(s, i) && boundary(s, j) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		start = i + max(size, 1)
	}
	return false
}

// boundary is Python's \b at byte offset i: a word character on one side only.
func boundary(s string, i int) bool {
	before, after := false, false
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		before = isWordRune(r)
	}
	if i < len(s) {
		r, _ := utf8.DecodeRuneInString(s[i:])
		after = isWordRune(r)
	}
	return before != after
}

// letterFrequency counts the letter in the lowercased response. lm-eval replaces a
// letter that is not one ASCII letter by a random one; here it is an error.
func letterFrequency(kw Kwargs) (checker, error) {
	l := strings.ToLower(pyStrip(kw.Letter))
	if len(l) != 1 || l[0] < 'a' || l[0] > 'z' {
		return nil, fmt.Errorf("letter %q is not one ASCII letter", kw.Letter)
	}
	cmp, err := relation("let_relation", kw.LetRelation, "let_frequency", kw.LetFrequency)
	if err != nil {
		return nil, err
	}
	want := rune(l[0])
	return func(s string) bool {
		n := 0
		for _, r := range s {
			if unicode.ToLower(r) == want {
				n++
			}
		}
		return cmp(n)
	}, nil
}

// responseLanguage wants the reply's detected language to be the one asked for; a
// reply whose language cannot be detected passes, as in lm-eval. For a language the
// detector cannot name (Swahili), a reply passes unless it is detected as English:
// the failure a model shows is answering in English.
func responseLanguage(kw Kwargs) (checker, error) {
	want := pyStrip(kw.Language)
	if want == "" {
		return nil, fmt.Errorf("language is null")
	}
	known := Detectable(want)
	return func(s string) bool {
		got, ok := DetectLanguage(s)
		switch {
		case !ok:
			return true
		case !known:
			return got != "en"
		}
		return got == want
	}, nil
}

func numberSentences(kw Kwargs) (checker, error) {
	cmp, err := relation("relation", kw.Relation, "num_sentences", kw.NumSentences)
	if err != nil {
		return nil, err
	}
	return func(s string) bool { return cmp(len(SplitSentences(s))) }, nil
}

func numberWords(kw Kwargs) (checker, error) {
	cmp, err := relation("relation", kw.Relation, "num_words", kw.NumWords)
	if err != nil {
		return nil, err
	}
	return func(s string) bool { return cmp(countWords(s)) }, nil
}

var paragraphDivider = regexp.MustCompile(pyWS + `?\*\*\*` + pyWS + `?`)

// numberParagraphs wants exactly num_paragraphs parts between "***" dividers; an
// empty part is allowed only first or last (a divider opening or closing the reply).
func numberParagraphs(kw Kwargs) (checker, error) {
	want, err := need("num_paragraphs", kw.NumParagraphs)
	if err != nil {
		return nil, err
	}
	return func(s string) bool {
		parts := paragraphDivider.Split(s, -1)
		n := len(parts)
		for i, p := range parts {
			if pyStrip(p) == "" {
				if i != 0 && i != len(parts)-1 {
					return false
				}
				n--
			}
		}
		return n == want
	}, nil
}

// nthParagraphFirstWord splits at "\n\n" (so "\n\n\n" leaves a part starting with
// "\n", as in lm-eval), counts the non-blank parts, and reads the first word of the
// nth part, counting blank parts too when indexing, as lm-eval does.
func nthParagraphFirstWord(kw Kwargs) (checker, error) {
	num, err := need("num_paragraphs", kw.NumParagraphs)
	if err != nil {
		return nil, err
	}
	nth, err := need("nth_paragraph", kw.NthParagraph)
	if err != nil {
		return nil, err
	}
	if nth == 0 || nth > num {
		return nil, fmt.Errorf("nth_paragraph %d is not within 1..%d", nth, num)
	}
	want := strings.ToLower(kw.FirstWord)
	if want == "" {
		return nil, fmt.Errorf("first_word is null")
	}
	return func(s string) bool {
		parts := strings.Split(s, "\n\n")
		n := len(parts)
		for _, p := range parts {
			if pyStrip(p) == "" {
				n--
			}
		}
		if nth > n {
			return false
		}
		p := pyStrip(parts[nth-1])
		if p == "" {
			return false
		}
		return n == num && firstWord(p) == want
	}, nil
}

// firstWord is lm-eval's reading of a paragraph's first word: the first
// whitespace-separated token, leading ' then " removed, cut at the first of . , ? ! ' ",
// lowercased.
func firstWord(p string) string {
	w := pyFields(p)[0]
	w = strings.TrimLeft(w, "'")
	w = strings.TrimLeft(w, "\"")
	if i := strings.IndexAny(w, ".,?!'\""); i >= 0 {
		w = w[:i]
	}
	return strings.ToLower(w)
}
