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
//  1. Explicit: "answer", "option" or "choice", then ":" or "is", then the letter,
//     perhaps decorated: "Answer: C", "The answer is (b).", "**Answer:** **D**",
//     "the correct option is \boxed{B}". The last explicit one wins, so a reply
//     may correct itself; a letter joined to another by "or", "and", "&", "," or
//     "/" ("Answer: A or B") is ambiguous.
//  2. The whole reply is one letter, with punctuation or markdown: "C", "**C**",
//     "(c)", "C.".
//  3. Anywhere: "(X)", "**X**", a line that is just the letter, or a line that
//     starts "X." or "X)" (capital X); all the letters so found, so a reply that
//     names two is ambiguous.
//
// Case: a capital letter is always a candidate; a small one only in brackets, in
// bold, on its own, or at the end of an explicit answer ("Answer: c"), so that "the
// answer is a bit unclear" and "A dog ..." give no choice.
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
			if c, ok := option(s[i+1], last); ok {
				add(c)
			}
		case strings.HasPrefix(s[i:], "**") && i+5 <= len(s) && s[i+3:i+5] == "**":
			if c, ok := option(s[i+2], last); ok && (i+5 == len(s) || s[i+5] != '*') {
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

// explicitChoice returns the letters of the last explicit answer, or nil.
func explicitChoice(s string, last byte) []string {
	var best []string
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
		p := skipAny(s, i+n, " \t*_")
		switch {
		case strings.HasPrefix(s[p:], ":"):
			p++
		case hasPrefixFold(s[p:], "is") && (p+2 == len(s) || !isLetter(s[p+2])):
			p += 2
			if strings.HasPrefix(s[p:], ":") {
				p++
			}
		default:
			continue
		}
		p, bracketed := skipOpening(s, p)
		c, end, ok := letterAt(s, p, last, bracketed)
		if !ok {
			continue
		}
		best = []string{string(c)}
		if c2, ok := joinedLetter(s, end, last); ok && c2 != c {
			best = append(best, string(c2))
		}
	}
	return best
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
		case hasPrefixFold(s[i:], "option "), hasPrefixFold(s[i:], "choice "):
			i += len("option ")
		default:
			return i, bracketed
		}
	}
	return i, bracketed
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
	if r, _ := utf8.DecodeRuneInString(s[i+1:]); i+1 < len(s) && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
		return 0, 0, false
	}
	end := skipAny(s, i+1, ")]}*_`$")
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
	const around = " \t\r\n*_`'\"()[]{}.:;!$#>"
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
