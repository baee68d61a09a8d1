package score

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lastOption is the last letter read as a choice by default: ten options, as in
// MMLU-Pro. An item whose answer is a later letter extends the range to it. Letters
// beyond the range are words ("Z"), not choices.
const lastOption = 'J'

// readChoice returns the distinct letters the reply gives as its answer, upper case,
// in the order met: one is a choice, none or several is no choice.
//
// In order of precedence:
//  1. Explicit: "answer", "option" or "choice", then ":", "is" (perhaps "is
//     therefore", "is thus", ...) or "would be" ("should be", "must be", ...), then
//     the letter, perhaps decorated: "Answer: C", "The answer is (b).", "**Answer:**
//     **D**", "the answer is 'C'", "the correct option is \boxed{B}", "the answer
//     would be C"; or the letter before "is correct" ("is the correct answer", "is
//     right", "is the best"): "Option B is correct", "(C) is the correct answer"; or
//     the letter after a first-person pick: "I would go with D", "I choose (A)",
//     "Going with B" (these two on the reply's last line only: closing sentences). The
//     explicit letter that stands last wins, so a reply may correct itself;
//     a letter joined to another by "or", "and", "&", "," or "/" ("Answer: A or
//     B", "A or B is correct", "I'd go with A or C") is ambiguous.
//  2. The whole reply is one letter, with punctuation or markdown: "C", "**C**",
//     "(c)", "C.".
//  3. Anywhere: "(X)", "**X**", a line that is just the letter, or a line that
//     starts "X." or "X)" (capital X); all the letters so found, so a reply that
//     names two is ambiguous. A "(X)" or "**X**" right after a negation ("not (A)")
//     is ruled out, not given, and is not read.
//
// Case: a capital letter is always a candidate; a small one only in brackets, in
// quotes, in bold, on its own, or at the end of an explicit answer ("Answer: c"), so
// that "the answer is a bit unclear" and "A dog ..." give no choice. The pronoun I
// is not option I: "Answer: I'm not sure" gives none, "C, I think" is C.
func readChoice(s string, last byte) []string {
	if l := explicitChoice(s, last); l != nil {
		return l
	}
	if c, ok := loneLetter(s, last); ok {
		return []string{string(c)}
	}
	var found []string
	add := func(c byte) {
		l := string(c)
		for _, f := range found {
			if f == l {
				return
			}
		}
		found = append(found, l)
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '(' && i+2 < len(s) && s[i+2] == ')':
			if c, ok := option(s[i+1], last); ok && !negatedBefore(s, i) {
				add(c)
			}
		case strings.HasPrefix(s[i:], "**") && i+5 <= len(s) && s[i+3:i+5] == "**":
			if c, ok := option(s[i+2], last); ok && (i+5 == len(s) || s[i+5] != '*') && !negatedBefore(s, i) {
				add(c)
			}
		}
		if i == 0 || s[i-1] == '\n' {
			line := s[i:]
			if nl := strings.IndexByte(line, '\n'); nl >= 0 {
				line = line[:nl]
			}
			if c, ok := loneLetter(line, last); ok {
				add(c)
			} else if c, ok := lineStartLetter(line, last); ok {
				add(c)
			}
		}
	}
	return found
}

// explicitChoice returns the letters of the last explicit answer, or nil: the
// one whose letter stands last in s among the three kinds of statedAnswers,
// letterIsCorrect and goWith (these two on the last line only).
func explicitChoice(s string, last byte) []string {
	var best []string
	bestAt := -1
	take := func(at int, letters []string) {
		if at > bestAt {
			best, bestAt = letters, at
		}
	}
	statedAnswers(s, last, take)
	// The closing forms are read on the last line only; their positions are
	// shifted back into s.
	closing := lastLine(s)
	shifted := func(at int, letters []string) { take(closing+at, letters) }
	letterIsCorrect(s[closing:], last, shifted)
	goWith(s[closing:], last, shifted)
	return best
}

// lastLine returns where the last line with any text starts: the closing forms
// ("B is correct", "I would go with B") are read there only, so that "B is correct
// only when n is odd" inside an explanation does not override "Answer: A".
func lastLine(s string) int {
	t := strings.TrimRight(s, " \t\r\n")
	return strings.LastIndexByte(t, '\n') + 1
}

// answerLinks are what may join "answer", "option" or "choice" to its letter
// besides ":" and "is": "the answer would be B", "the answer is therefore B".
var (
	answerModals  = []string{"would be", "should be", "must be", "will be", "has to be", "can only be"}
	answerAdverbs = []string{"therefore", "thus", "hence", "clearly", "definitely", "probably", "likely", "then", "so"}
)

// statedAnswers finds "answer", "option" or "choice", then ":", "is" (perhaps with
// an adverb: "is therefore") or a modal ("would be"), then the letter.
func statedAnswers(s string, last byte, take func(int, []string)) {
	for i := 0; i < len(s); i++ {
		if i > 0 && isLetter(s[i-1]) {
			continue
		}
		var n int
		for _, m := range []string{"answer", "option", "choice"} {
			if hasPrefixFold(s[i:], m) {
				n = len(m)
				break
			}
		}
		if n == 0 {
			continue
		}
		p, ok := answerLink(s, skipAny(s, i+n, " \t*_"))
		if !ok {
			continue
		}
		takeLetter(s, p, last, take)
	}
}

// takeLetter hands take the letter at p (after an opening bracket or quote), with a
// letter joined to it ("B/C") when there is one; without a letter at p it does
// nothing.
func takeLetter(s string, p int, last byte, take func(int, []string)) {
	p, bracketed := skipOpening(s, p)
	c, end, ok := letterAt(s, p, last, bracketed)
	if !ok {
		return
	}
	letters := []string{string(c)}
	if c2, ok := joinedLetter(s, end, last); ok && c2 != c {
		letters = append(letters, string(c2))
	}
	take(p, letters)
}

// answerLink skips ":", "is", "is:", "is ADVERB[,]" or a modal at s[p] and returns
// the index after it.
func answerLink(s string, p int) (int, bool) {
	switch {
	case strings.HasPrefix(s[p:], ":"):
		return p + 1, true
	case hasPrefixFold(s[p:], "is") && (p+2 == len(s) || !isLetter(s[p+2])):
		p += 2
		if strings.HasPrefix(s[p:], ":") {
			return p + 1, true
		}
		q := skipAny(s, p, " \t")
		for _, a := range answerAdverbs {
			if hasPrefixFold(s[q:], a) && (q+len(a) == len(s) || !isLetter(s[q+len(a)])) {
				return skipAny(s, q+len(a), ",:"), true
			}
		}
		return p, true
	}
	for _, m := range answerModals {
		if hasPrefixFold(s[p:], m) && (p+len(m) == len(s) || !isLetter(s[p+len(m)])) {
			return skipAny(s, p+len(m), ":"), true
		}
	}
	return p, false
}

// letterIsCorrect reads a letter right before "is (the) correct/right/best":
// "Option B is correct", "B is the correct answer", "(c) is right". A letter
// joined to another before it ("A or B is correct") is ambiguous.
func letterIsCorrect(s string, last byte, take func(int, []string)) {
	low := strings.ToLower(s)
	for from := 0; ; {
		k := strings.Index(low[from:], " is ")
		if k < 0 {
			return
		}
		k += from
		from = k + 1
		if !isCorrectAt(low, k+len(" is ")) {
			continue
		}
		q := k
		for q > 0 && (s[q-1] == ' ' || s[q-1] == '\t') {
			q--
		}
		for q > 0 && strings.IndexByte(")]}*_`$", s[q-1]) >= 0 {
			q--
		}
		if q == 0 {
			continue
		}
		p := q - 1
		c, ok := option(s[p], last)
		if !ok || p > 0 && (isLetter(s[p-1]) || isDigit(s[p-1])) {
			continue
		}
		open := p
		for open > 0 && strings.IndexByte("([{*_`$", s[open-1]) >= 0 {
			open--
		}
		if s[p] != c && open == p { // a small letter only in brackets or bold
			continue
		}
		if open > 0 && (isLetter(s[open-1]) || isDigit(s[open-1])) {
			continue
		}
		letters := []string{string(c)}
		if c0, ok := letterJoinedBefore(s, open, last); ok && c0 != c {
			letters = []string{string(c0), string(c)}
		}
		take(p, letters)
	}
}

// isCorrectAt says whether low[i:] reads "[the ]correct", "right" or "best" as a
// whole word.
func isCorrectAt(low string, i int) bool {
	i = skipAny(low, i, " \t")
	if strings.HasPrefix(low[i:], "the ") {
		i = skipAny(low, i+len("the "), " \t")
	}
	for _, w := range []string{"correct", "right", "best"} {
		if strings.HasPrefix(low[i:], w) && (i+len(w) == len(low) || !isLetter(low[i+len(w)])) {
			return true
		}
	}
	return false
}

// letterJoinedBefore returns a letter joined by "or", "and", "&", "," or "/" to
// what starts at s[i].
func letterJoinedBefore(s string, i int, last byte) (byte, bool) {
	t := strings.TrimRight(s[:i], " \t")
	switch {
	case hasSuffixFold(t, " or"), hasSuffixFold(t, " &"):
		t = t[:len(t)-2]
	case hasSuffixFold(t, " and"):
		t = t[:len(t)-3]
	case strings.HasSuffix(t, ","), strings.HasSuffix(t, "/"), strings.HasSuffix(t, "&"):
		t = t[:len(t)-1]
	default:
		return 0, false
	}
	t = strings.TrimRight(t, " \t)]}*_`$")
	if t == "" {
		return 0, false
	}
	c, ok := option(t[len(t)-1], last)
	if !ok || len(t) > 1 && isLetter(t[len(t)-2]) {
		return 0, false
	}
	return c, true
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && hasPrefixFold(s[len(s)-len(suffix):], suffix)
}

// pickVerbs are the verbs of a first-person pick: "I would go with", "I'm going
// with", "I choose", "we pick", or "Going with" opening a sentence.
var (
	pickVerbs    = []string{"go with", "going with", "choose", "pick", "select", "opt for"}
	pickSubjects = []string{"i", "we", "i'd", "i'll", "i'm", "we'd", "we'll", "we're", "i would", "i will", "i am", "we would", "we will", "we are"}
)

// goWith reads the letter after a first-person pick.
func goWith(s string, last byte, take func(int, []string)) {
	low := strings.ToLower(s)
	for _, v := range pickVerbs {
		for from := 0; ; {
			k := strings.Index(low[from:], v)
			if k < 0 {
				break
			}
			k += from
			from = k + 1
			after := k + len(v)
			if k > 0 && isLetter(low[k-1]) || after == len(low) || (low[after] != ' ' && low[after] != '\t') || !pickSubject(low[:k], v) {
				continue
			}
			takeLetter(s, skipAny(s, after, " \t"), last, take)
		}
	}
}

// pickSubject says whether before (lower case) ends with the subject of a pick,
// or, for "going with", with the start of a sentence.
func pickSubject(before, verb string) bool {
	t := strings.TrimRight(before, " \t")
	if len(t) == len(before) && before != "" {
		return false // the verb must follow white space
	}
	if verb == "going with" && (t == "" || strings.ContainsRune(".!?\n", rune(t[len(t)-1]))) {
		return true
	}
	for _, sub := range pickSubjects {
		if strings.HasSuffix(t, sub) && (len(t) == len(sub) || !isLetter(t[len(t)-len(sub)-1])) {
			return true
		}
	}
	return false
}

// joinedLetter returns a second letter joined to an answer ending at s[i] by "or",
// "and", "&", "," or "/".
func joinedLetter(s string, i int, last byte) (byte, bool) {
	i = skipAny(s, i, " \t")
	switch {
	case hasPrefixFold(s[i:], "or "), hasPrefixFold(s[i:], "& "):
		i += 2
	case hasPrefixFold(s[i:], "and "):
		i += 3
	case strings.HasPrefix(s[i:], ","), strings.HasPrefix(s[i:], "/"), strings.HasPrefix(s[i:], "&"):
		i++
	default:
		return 0, false
	}
	p, bracketed := skipOpening(s, skipAny(s, i, " \t"))
	if p < len(s) && pronounI(s, p) {
		return 0, false
	}
	c, _, ok := letterAt(s, p, last, bracketed)
	return c, ok
}

// skipOpening skips what may stand before an answer letter, and says whether an
// opening bracket was among it.
func skipOpening(s string, i int) (int, bool) {
	bracketed := false
	for i < len(s) {
		switch {
		case strings.ContainsRune(" \t\r\n*_`$", rune(s[i])):
			i++
		case s[i] == '(' || s[i] == '[' || s[i] == '{':
			bracketed = true
			i++
		case strings.HasPrefix(s[i:], `\boxed{`), strings.HasPrefix(s[i:], `\text{`), strings.HasPrefix(s[i:], `\textbf{`), strings.HasPrefix(s[i:], `\mathrm{`):
			bracketed = true
			i = strings.IndexByte(s[i:], '{') + i + 1
		case strings.HasPrefix(s[i:], `\(`):
			i += 2
		case quotedLetterAt(s, i) > 0:
			bracketed = true
			i += quotedLetterAt(s, i)
		case hasPrefixFold(s[i:], "option "), hasPrefixFold(s[i:], "choice "):
			i += len("option ")
		default:
			return i, bracketed
		}
	}
	return i, bracketed
}

// quotedLetterAt returns the length of the opening quote at s[i] (one of
// quotePairs: "'C'", "\"C\"", "“C”", "'C.'") when one letter and its closing quote
// follow, perhaps after a period, else 0: a quote before a word ("'a bit'") does not open an answer.
func quotedLetterAt(s string, i int) int {
	for _, q := range quotePairs {
		j := i + len(q[0])
		if !strings.HasPrefix(s[i:], q[0]) || j >= len(s) || !isLetter(s[j]) {
			continue
		}
		if k := j + 1; strings.HasPrefix(s[k:], q[1]) || strings.HasPrefix(s[k:], "."+q[1]) {
			return len(q[0])
		}
	}
	return 0
}

// skipClosing skips what may close an answer letter: brackets, markdown, "$" and
// the closing quotes of quotePairs.
func skipClosing(s string, i int) int {
	for {
		j := skipAny(s, i, ")]}*_`$'\"")
		for _, q := range []string{"’", "”", "»"} {
			if strings.HasPrefix(s[j:], q) {
				j += len(q)
			}
		}
		if j == i {
			return i
		}
		i = j
	}
}

// contraction says whether s[i:] is an apostrophe with a letter after it, as in
// "I'm" or "I'd": an I before it is the pronoun, not a choice.
func contraction(s string, i int) bool {
	for _, a := range []string{"'", "’"} {
		if strings.HasPrefix(s[i:], a) && i+len(a) < len(s) && isLetter(s[i+len(a)]) {
			return true
		}
	}
	return false
}

// pronounI says whether the capital I at s[i] is the pronoun that opens a clause
// ("I'm sure", "I think", "and I stand by it") rather than option I.
func pronounI(s string, i int) bool {
	if s[i] != 'I' {
		return false
	}
	if contraction(s, i+1) {
		return true
	}
	j := skipAny(s, i+1, " \t")
	if j == i+1 {
		return false
	}
	for _, w := range pronounVerbs {
		if hasPrefixFold(s[j:], w) && (j+len(w) == len(s) || !isLetter(s[j+len(w)])) {
			return true
		}
	}
	return false
}

// pronounVerbs are the words that follow the pronoun I in the remarks models add
// after an answer: "B, I think", "C and I am confident".
var pronounVerbs = []string{
	"think", "believe", "guess", "suppose", "hope", "feel", "reckon", "assume", "bet",
	"am", "was", "would", "will", "can", "could", "should", "must", "might", "may",
	"do", "did", "stand", "chose", "choose", "picked", "pick", "went", "go", "say",
	"checked", "double-checked", "verified", "confirmed", "concluded", "have", "had",
}

// letterAt reads an option letter standing alone at s[i] and returns it in upper
// case with the index after its closing decoration. A small letter outside brackets
// must end the sentence: "Answer: c" or "answer is c." but not "answer is a bit".
func letterAt(s string, i int, last byte, bracketed bool) (byte, int, bool) {
	if i >= len(s) {
		return 0, 0, false
	}
	c, ok := option(s[i], last)
	if !ok {
		return 0, 0, false
	}
	if r, _ := utf8.DecodeRuneInString(s[i+1:]); i+1 < len(s) && (unicode.IsLetter(r) || unicode.IsDigit(r)) || s[i] == 'I' && contraction(s, i+1) {
		return 0, 0, false
	}
	end := skipClosing(s, i+1)
	if s[i] != c && !bracketed && !endsSentence(s[end:]) {
		return 0, 0, false
	}
	return c, end, true
}

// endsSentence says whether s starts with the end of the text, a line or a sentence.
func endsSentence(s string) bool {
	s = strings.TrimLeft(s, " \t")
	if s == "" || s[0] == '\n' || s[0] == '\r' {
		return true
	}
	if strings.ContainsRune(".!?", rune(s[0])) {
		return len(s) == 1 || s[1] == ' ' || s[1] == '\n' || s[1] == '\r'
	}
	return false
}

// loneLetter says whether s is one option letter with only white space, punctuation
// and markdown around it.
func loneLetter(s string, last byte) (byte, bool) {
	const around = " \t\r\n*_`'\"‘’“”«»()[]{}.:;!$#>"
	prev := ""
	for s != prev {
		prev = s
		s = strings.Trim(s, around)
		for _, p := range []string{`\boxed{`, `\text{`, `\textbf{`, "option ", "choice "} {
			if hasPrefixFold(s, p) {
				s = s[len(p):]
			}
		}
	}
	if len(s) != 1 {
		return 0, false
	}
	return option(s[0], last)
}

// lineStartLetter reads a capital letter that opens a line as "C." or "C)", as a
// reply that repeats the chosen option does ("C. Paris").
func lineStartLetter(line string, last byte) (byte, bool) {
	line = strings.TrimLeft(line, " \t*_>#")
	if len(line) < 2 || line[0] < 'A' || line[0] > last || (line[1] != '.' && line[1] != ')') {
		return 0, false
	}
	if len(line) > 2 && line[2] != ' ' && line[2] != '\t' && line[2] != '\r' && line[2] != '*' {
		return 0, false
	}
	return line[0], true
}

// option returns c in upper case when it is a letter from A to last.
// negatedBefore says whether the word before s[i] is a negation ("not (A)", "isn't
// **B**"): a letter a reply rules out is not one it gives.
func negatedBefore(s string, i int) bool {
	t := strings.TrimRight(s[:i], " \t")
	for _, neg := range []string{"not", "n't", "n’t"} {
		if hasSuffixFold(t, neg) && (len(t) == len(neg) || neg != "not" || !isLetter(t[len(t)-len(neg)-1])) {
			return true
		}
	}
	return false
}

func option(c byte, last byte) (byte, bool) {
	if 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	return c, 'A' <= c && c <= last
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func skipAny(s string, i int, set string) int {
	for i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
		i++
	}
	return i
}

// optionText finds the one option whose full text the reply gives: the whole reply
// (without markdown, quotes and a final period) is an option's text, or exactly one
// option's text occurs in it as whole words, not counting an option found only
// inside a longer one that occurs too ("Paris" in "Paris, Texas"). Case and white
// space do not matter.
func optionText(reply string, options []string) (int, bool) {
	r := normalizeOption(reply)
	if r == "" {
		return 0, false
	}
	var found []int
	for i, o := range options {
		n := normalizeOption(o)
		if n == "" {
			continue
		}
		if n == r {
			return i, true
		}
		if containsWords(r, n) {
			found = append(found, i)
		}
	}
	var kept []int
	for _, i := range found {
		inner := false
		for _, j := range found {
			no, nj := normalizeOption(options[i]), normalizeOption(options[j])
			if i != j && len(nj) > len(no) && strings.Contains(nj, no) {
				inner = true
			}
		}
		if !inner {
			kept = append(kept, i)
		}
	}
	if len(kept) != 1 {
		return 0, false
	}
	return kept[0], true
}

// normalizeOption lowers case, collapses white space and drops markdown, quotes and
// a final period around the text.
func normalizeOption(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	return strings.Trim(s, " *_`'\".")
}

// containsWords says whether sub occurs in s with no letter or digit right before
// or after it.
func containsWords(s, sub string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], sub)
		if i < 0 {
			return false
		}
		i += from
		before, after := i == 0 || !isWordByte(s[i-1]), i+len(sub) == len(s) || !isWordByte(s[i+len(sub)])
		if before && after {
			return true
		}
		from = i + 1
	}
}

func isWordByte(c byte) bool { return isLetter(c) || isDigit(c) || c >= 0x80 }
