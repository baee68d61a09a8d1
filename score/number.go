package score

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The number grammar, shared by LastNumber and FinalNumber:
//
//	number   = [sign] [dollar] body | dollar sign body,  dollar = "$" | "\$"
//	sign     = "-" | "+" | "−" (U+2212), only when not right after a letter or a digit
//	body     = (int | "." digits) ["." digits] [("e" | "E") ["+" | "-"] digits]
//	int      = digits | d{1,3} (sep ddd)+   with the first group not starting with 0
//	sep      = "," | "{,}" | "\,"           (the last two as LaTeX writes them)
//
// Decisions, each pinned by a test:
//   - A "-" right after a digit or a letter is a dash, not a sign: "3-4" reads 4,
//     "2025-12-23" reads 23, "COVID-19" reads 19; "x = -3" and "=-3" read -3.
//   - A comma is a thousands separator only before exactly three digits that are
//     not followed by a fourth: "1,234,567" is one number; "1,2", "3, 4" and
//     "12,34" are lists and read their last element; a European "3,5" reads 5.
//   - A period after the digits is punctuation unless a digit follows: "42." is 42,
//     "1.2.3" reads 3 (the ".3" after a digit is not a leading-dot decimal).
//   - Letters around digits do not matter: "x2", "1st" and "15%" read 2, 1 and 15;
//     "1/8" reads 8.
//   - A number too large for float64 is still the number written; its value is ±Inf
//     and so it equals no expected answer.

// LastNumber returns the last number in s as written (normalised: no thousands
// separators, no wrappers, no "+", a leading "0" before a bare decimal point) and its
// value.
func LastNumber(s string) (text string, value float64, ok bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if !isDigit(c) && !(c == '.' && i+1 < len(s) && isDigit(s[i+1]) && !(i > 0 && isDigit(s[i-1]))) {
			i++
			continue
		}
		// "-$5" has its sign before the "$"; "$-5" right before the digits.
		neg := signBefore(s, dollarBefore(s, i)) || signBefore(s, i)
		body, end := readBody(s, i)
		text, ok = body, true
		if neg {
			text = "-" + body
		}
		i = end
	}
	if !ok {
		return "", 0, false
	}
	return text, parse(text), true
}

// FinalNumber returns the number right after the last "The final answer is" (any
// case) or "####" that is followed by one: lm-evaluation-harness's strict reading
// of a GSM8K reply. Between the phrase and the number it skips white space and the
// decoration models put there: ":", "**", "$", "\boxed{", "\(", "\[", "`". A "####"
// that opens a numbered markdown heading ("#### 2. Income") is not an answer.
func FinalNumber(s string) (text string, value float64, ok bool) {
	best := -1
	for _, m := range []string{"####", "the final answer is"} {
		for i := 0; i+len(m) <= len(s); i++ {
			if !hasPrefixFold(s[i:], m) || i < best {
				continue
			}
			if t, end, found := numberAt(s, skipDecoration(s, i+len(m))); found && !(m == "####" && numberedHeading(s, end)) {
				text, best = t, i
			}
		}
	}
	if best < 0 {
		return "", 0, false
	}
	return text, parse(text), true
}

// numberedHeading says whether the number of a "####" that ends at s[i] numbers a
// markdown heading rather than giving an answer: "." , ")" or ":" and then a title on
// the same line, as in "#### 2. Income" or "#### 3) Total cost".
func numberedHeading(s string, i int) bool {
	if i+1 >= len(s) || !strings.ContainsRune(".):", rune(s[i])) || (s[i+1] != ' ' && s[i+1] != '\t') {
		return false
	}
	rest := s[i+1:]
	if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	return strings.TrimSpace(rest) != ""
}

// numberAt reads a number that starts exactly at s[i] (an optional sign, an optional
// "$", then the body) and returns it with the index after it.
func numberAt(s string, i int) (string, int, bool) {
	neg := false
	i = skipDollar(s, i)
	if n := signLen(s[i:]); n > 0 {
		neg = s[i] != '+'
		i += n
		i = skipDollar(s, i)
	}
	if i >= len(s) || !(isDigit(s[i]) || s[i] == '.' && i+1 < len(s) && isDigit(s[i+1])) {
		return "", 0, false
	}
	body, end := readBody(s, i)
	if neg {
		body = "-" + body
	}
	return body, end, true
}

// readBody reads the digits of a number starting at s[i], a digit or a "." before a
// digit, and returns them normalised with the index after them.
func readBody(s string, i int) (string, int) {
	var b strings.Builder
	if s[i] == '.' {
		b.WriteByte('0')
	} else {
		j := digitsEnd(s, i)
		b.WriteString(s[i:j])
		if j-i <= 3 && s[i] != '0' {
			for {
				k := sepEnd(s, j)
				if k < 0 || digitsEnd(s, k)-k != 3 {
					break
				}
				b.WriteString(s[k : k+3])
				j = k + 3
			}
		}
		i = j
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		j := digitsEnd(s, i+1)
		b.WriteString(s[i:j])
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		k := i + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			j := digitsEnd(s, k)
			b.WriteString(s[i:j])
			i = j
		}
	}
	return b.String(), i
}

// sepEnd returns the index after a thousands separator at s[i], or -1.
func sepEnd(s string, i int) int {
	for _, sep := range []string{",", "{,}", `\,`} {
		if strings.HasPrefix(s[i:], sep) {
			return i + len(sep)
		}
	}
	return -1
}

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// dollarBefore returns the index of a "$" or "\$" right before s[i], or i.
func dollarBefore(s string, i int) int {
	switch {
	case strings.HasSuffix(s[:i], `\$`):
		return i - 2
	case strings.HasSuffix(s[:i], "$"):
		return i - 1
	}
	return i
}

// signBefore says whether a minus sign ends s[:i] and is a sign, not a dash: it
// must not follow a letter or a digit. A "+" is accepted and dropped.
func signBefore(s string, i int) bool {
	r, n := utf8.DecodeLastRuneInString(s[:i])
	if r != '-' && r != '+' && r != '−' {
		return false
	}
	p, _ := utf8.DecodeLastRuneInString(s[:i-n])
	if i-n > 0 && (unicode.IsLetter(p) || unicode.IsDigit(p)) {
		return false
	}
	return r != '+'
}

// signLen returns the byte length of a sign at the start of s, or 0.
func signLen(s string) int {
	switch {
	case strings.HasPrefix(s, "-"), strings.HasPrefix(s, "+"):
		return 1
	case strings.HasPrefix(s, "−"):
		return len("−")
	}
	return 0
}

func skipDollar(s string, i int) int {
	switch {
	case strings.HasPrefix(s[i:], "$"):
		return i + 1
	case strings.HasPrefix(s[i:], `\$`):
		return i + 2
	}
	return i
}

// skipDecoration skips what may stand between "The final answer is" and its number.
func skipDecoration(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ':' || s[i] == '*' || s[i] == '`':
			i++
		case strings.HasPrefix(s[i:], `\boxed{`):
			i += len(`\boxed{`)
		case strings.HasPrefix(s[i:], `\(`), strings.HasPrefix(s[i:], `\[`):
			i += 2
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '$': // display math "$$"
			i += 2
		case s[i] == '$' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == ' '): // "$\boxed{", "$ 5"
			i++
		default:
			return i
		}
	}
	return i
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case; prefix must be lower case.
// Unlike strings.EqualFold on a slice it never matches across a multi-byte rune.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parse converts a normalised number; an out-of-range one is ±Inf (or 0), which
// strconv returns along with its range error.
func parse(text string) float64 {
	v, _ := strconv.ParseFloat(text, 64)
	return v
}
