package score

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/evalset"
)

// The math scorer reads a competition-math answer and compares it with the expected
// one after both are normalised, as Hendrycks' MATH (`is_equiv`, `strip_string`) and
// lm-evaluation-harness's minerva_math (`normalize_final_answer`) do, plus a numeric
// and structural comparison of our own.
//
// Reading (ExtractMath):
//   - The last `\boxed{...}` or `\fbox{...}` (braces balanced; `\boxed 5` with a space
//     reads up to the next "$" or white space). If that last box is never closed (a
//     reply cut off inside it), there is no answer: an earlier box is not read.
//   - Else the last "The final answer is" (any case): the `$...$` (or `$$..$$`,
//     `\(..\)`, `\[..\]`) right after it, or else the text up to the end of the
//     sentence, without minerva's "I hope it is correct"; if that text holds a
//     `$...$`, what the first one holds (M: "is therefore $12$").
//
// Normalising (NormalizeMath), in order; H = Hendrycks strip_string, M = minerva
// normalize_final_answer, Q = ours:
//  1. trim; drop line breaks (H) and math delimiters `$`, `\(`, `\)`, `\[`, `\]` (M);
//  2. keep what follows the last "=" at brace depth 0 (M; H does it for a left side
//     of at most two characters): "x = 5", "k=5", "(x,y)=(1,2)". A relation is
//     first written `\le`, `\ge`, `\ne` ("<=", "≤", `\leq` and the like, Q), so
//     its "=" is not cut: H and M read "x<=5" as 5;
//  3. drop `\left`, `\right` (H), `\displaystyle` (Q); drop spacing commands `\!`,
//     `\,`, `\;`, `\:`, `\quad`, `\qquad`, `\ `, `~` (H drops `\!`, M `\;` and `\ `),
//     but a matrix's row break `\\` stays whole (H makes it `\` on both sides);
//  4. `\dfrac` and `\tfrac` become `\frac` (H); `\mbox` becomes `\text` (M), as do
//     `\textbf`, `\textrm`, `\mathrm`, `\mathbf`, `\textit` (M unwraps `\textbf`);
//  5. drop degrees `^\circ`, `^{\circ}`, `°` (H, M) and percent signs `\%`, `%` (H),
//     and dollar signs `\$` (H, M);
//  6. units: a trailing `\text{...}` of letters (and "/": "m/s") after the value is
//     dropped (H's remove_right_units), then any other `\text{X}` becomes X (M); a
//     trailing unit word after white space ("5 cm", "12 inches", "3 square units")
//     is dropped (M's list of removed expressions, as whole words only);
//  7. drop a trailing period (Q, as H's " ." rules do for decimals) and all white
//     space (H, M);
//  8. `\frac12` -> `\frac{1}{2}`, `\frac1{2}`, `\frac{1}2`, and with letters,
//     "\frac ab" -> `\frac{a}{b}` (H fix_fracs, M), `\sqrt2` -> `\sqrt{2}` (H fix_sqrt, M);
//  9. thousands separators: "1,000", "1{,}000" and "1,\!000" become 1000 (M), only
//     where every group after the first has three digits and no comma is followed
//     by white space: "100, 200" is a list (M drops every comma);
//  10. a bare decimal point gets its 0: ".5" -> "0.5", "{.5" -> "{0.5" (H);
//  11. an integer fraction a/b becomes `\frac{a}{b}` (H fix_a_slash_b);
//  12. a lone letter in parentheses, a multiple-choice answer "(C)", becomes "C" (Q);
//     `\text{and}` (with a comma before it or not) becomes "," (M) and a Unicode
//     minus "−" a "-" (Q), both at step 1;
//  13. a whole answer in `\boxed{...}` or `\fbox{...}` is unwrapped before step 1 (H's
//     remove_boxed, for an expected answer written boxed); a leading "x \in" is
//     dropped with the "x =" of step 2 ("x \in [2,5)"); an unbraced superscript
//     gets its braces, "x^2" -> "x^{2}", and "2^10" -> "2^{10}", as a model writing
//     it means, though TeX would raise only the 1 (Q).
//
// Comparing (equalMath): equal normalised strings; else the same structure
// element-wise: tuples "(1,2)" and intervals "[0,1)" in order and with the same
// brackets, sets "\{1,2\}" and bare lists "1, 2" in any order (a set equals a
// list); else equal numbers, where both sides evaluate as arithmetic over decimals,
// `\frac`, `\sqrt`, `^`, `\pi` and implicit products ("2\sqrt{3}" equals
// "\sqrt{12}", "0.5" equals "\frac{1}{2}" and "1/2") (Q): exactly when both are
// rational (decimals, + - * / and whole powers), so 1000000007 is not 1000000008
// and 0.333333333 is not 1/3; else as floats within a relative 1e-14, a float's
// error, so a rounded decimal is not the irrational it rounds.

// ExtractMath returns the answer a math reply gives, unnormalised.
func ExtractMath(s string) (string, bool) {
	if i := lastBox(s); i >= 0 {
		return boxContent(s, i)
	}
	return finalAnswerPhrase(s)
}

// lastBox returns the index of the last `\boxed` or `\fbox`, or -1.
func lastBox(s string) int {
	i := strings.LastIndex(s, `\boxed`)
	if j := strings.LastIndex(s, `\fbox`); j > i {
		i = j
	}
	return i
}

// boxContent reads the box starting at s[i].
func boxContent(s string, i int) (string, bool) {
	p := i + len(`\fbox`)
	if strings.HasPrefix(s[i:], `\boxed`) {
		p = i + len(`\boxed`)
	}
	if p < len(s) && s[p] == ' ' {
		// `\boxed 5`: Hendrycks' other form, up to the next "$" or white space.
		rest := strings.TrimLeft(s[p:], " ")
		if rest != "" && rest[0] != '{' {
			end := strings.IndexAny(rest, "$ \n\t")
			if end < 0 {
				end = len(rest)
			}
			return rest[:end], end > 0
		}
		p = len(s) - len(rest)
	}
	if p >= len(s) || s[p] != '{' {
		return "", false
	}
	end, ok := matchBrace(s, p)
	if !ok {
		return "", false
	}
	return s[p+1 : end], true
}

// matchBrace returns the index of the "}" closing the "{" at s[open].
func matchBrace(s string, open int) (int, bool) {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '{' || s[i+1] == '}') {
				i++ // `\{` and `\}` are set braces, not groups
			}
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i, true
			}
		}
	}
	return 0, false
}

// finalAnswerPhrase reads the answer after the last "The final answer is".
func finalAnswerPhrase(s string) (string, bool) {
	const phrase = "the final answer is"
	low := strings.ToLower(s)
	i := strings.LastIndex(low, phrase)
	if i < 0 {
		return "", false
	}
	rest := strings.TrimLeft(s[i+len(phrase):], " \t:*")
	for _, d := range [][2]string{{"$$", "$$"}, {"$", "$"}, {`\(`, `\)`}, {`\[`, `\]`}} {
		if strings.HasPrefix(rest, d[0]) {
			if end := strings.Index(rest[len(d[0]):], d[1]); end >= 0 {
				a := strings.TrimSpace(rest[len(d[0]) : len(d[0])+end])
				return a, a != ""
			}
			return "", false
		}
	}
	if j := strings.Index(strings.ToLower(rest), "i hope it is correct"); j >= 0 {
		rest = rest[:j]
	}
	end := len(rest)
	for j := 0; j < len(rest); j++ {
		if rest[j] == '\n' || rest[j] == '.' && (j+1 == len(rest) || rest[j+1] == ' ' || rest[j+1] == '\n') {
			end = j
			break
		}
	}
	a := strings.TrimSpace(strings.Trim(strings.TrimSpace(rest[:end]), "*"))
	if m := dollarMath.FindStringSubmatch(a); m != nil {
		a = strings.TrimSpace(m[1]) // "therefore $12$": the math, as minerva keeps it
	}
	return a, a != ""
}

var (
	spacingCmds = strings.NewReplacer(`\\`, `\\`, `\left`, "", `\right`, "", `\displaystyle`, "",
		`\qquad`, "", `\quad`, "", `\!`, "", `\,`, "", `\;`, "", `\:`, "", `\ `, "", "~", "",
		`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\mbox`, `\text`, `\textbf`, `\text`, `\textrm`, `\text`,
		`\mathrm`, `\text`, `\mathbf`, `\text`, `\textit`, `\text`,
		`^{\circ}`, "", `^\circ`, "", "°", "", `\%`, "", "%", "", `\$`, "", "$", "",
		`\(`, "", `\)`, "", `\[`, "", `\]`, "", "{,}", ",")
	// relations, written one way, so that their "=" is not an equals sign (rule 2)
	relations        = strings.NewReplacer(`\leq`, `\le`, `\geq`, `\ge`, `\neq`, `\ne`, "<=", `\le `, ">=", `\ge `, "!=", `\ne `, "≤", `\le `, "≥", `\ge `, "≠", `\ne `)
	listComma        = regexp.MustCompile(`,\s`)
	dollarMath       = regexp.MustCompile(`\$+([^$]+)\$`)
	trailingUnitText = regexp.MustCompile(`^(.*\S)\s*\\text\{\s*[A-Za-z][A-Za-z ./]*\}(\^\{?[23]\}?)?$`)
	textWrap         = regexp.MustCompile(`\\text\{([^{}]*)\}`)
	// unitWords are minerva's removed expressions that are units or nouns of count,
	// plus a few common units; removed only as a last word after white space.
	trailingUnitWord = regexp.MustCompile(`^(.*[0-9}])\s+(square\s+|cubic\s+)?(units?|ways|integers|dollars|cents|mph|inches|inch|ft|feet|foot|hours?|minutes?|seconds?|km|cm|mm|m|meters?|miles?|gm|grams?|kg|pounds?|points|digits|degrees|students|people|days?|years?|sq)(\^\{?[23]\}?)?\.?$`)
	fracShort        = regexp.MustCompile(`\\frac([0-9A-Za-z])([0-9A-Za-z])`)
	fracShortNum     = regexp.MustCompile(`\\frac([0-9A-Za-z])\{`)
	fracShortDen     = regexp.MustCompile(`\\frac\{([^{}]*)\}([0-9A-Za-z])`)
	sqrtShort        = regexp.MustCompile(`\\sqrt([0-9a-zA-Z])`)
	thousands        = regexp.MustCompile(`^-?\d{1,3}(,\d{3})+(\.\d+)?$`)
	slashFrac        = regexp.MustCompile(`^(-?)(\d+)/(\d+)$`)
	textAnd          = regexp.MustCompile(`,?\s*\\text\{\s*and\s*\}`)
	letterInParens   = regexp.MustCompile(`^\(([A-Za-z])\)$`)
	leadingIn        = regexp.MustCompile(`^[A-Za-z](?:_\{?\w+\}?)?\s*\\in\s*(\S.*)$`)
	supShort         = regexp.MustCompile(`\^(-?[0-9]+(?:\.[0-9]+)?|[A-Za-z])`)
)

// unboxWhole returns what a `\boxed{}` or `\fbox{}` holds when it is the whole of s
// (after math delimiters), else s.
func unboxWhole(s string) string {
	t := strings.Trim(s, "$ ")
	for _, cmd := range []string{`\boxed{`, `\fbox{`} {
		if strings.HasPrefix(t, cmd) {
			if end, ok := closeOf(t, len(cmd)-1); ok && end == len(t)-1 {
				return strings.TrimSpace(t[len(cmd) : len(t)-1])
			}
		}
	}
	return s
}

// NormalizeMath applies the rules in the comment at the top of this file.
func NormalizeMath(s string) string {
	s = strings.TrimSpace(strings.NewReplacer("\r", " ", "\n", " ", "−", "-").Replace(s))
	s = unboxWhole(s)
	s = textAnd.ReplaceAllString(s, ",")
	s = strings.ReplaceAll(s, `,\!`, ",") // "1,\!000" keeps its separator for rule 9
	s = spacingCmds.Replace(s)
	s = relations.Replace(s)
	s = afterLastEquals(s)
	s = strings.TrimSpace(s)
	if m := leadingIn.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	if m := trailingUnitText.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	s = textWrap.ReplaceAllString(s, "$1")
	if m := trailingUnitWord.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	list := listComma.MatchString(s)
	s = strings.Join(strings.Fields(s), "")
	s = fracShort.ReplaceAllString(s, `\frac{$1}{$2}`)
	s = fracShortNum.ReplaceAllString(s, `\frac{$1}{`)
	s = fracShortDen.ReplaceAllString(s, `\frac{$1}{$2}`)
	s = sqrtShort.ReplaceAllString(s, `\sqrt{$1}`)
	s = supShort.ReplaceAllString(s, `^{$1}`)
	if !list && thousands.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	s = leadingZero(s)
	if m := slashFrac.FindStringSubmatch(s); m != nil {
		s = m[1] + `\frac{` + m[2] + "}{" + m[3] + "}"
	}
	if m := letterInParens.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	return s
}

// afterLastEquals keeps what follows the last "=" outside braces and brackets.
func afterLastEquals(s string) string {
	depth, cut := 0, -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '(', '[':
			depth++
		case '}', ')', ']':
			depth--
		case '=':
			if depth == 0 {
				cut = i
			}
		}
	}
	if cut < 0 {
		return s
	}
	return s[cut+1:]
}

// leadingZero writes the 0 of a bare decimal point: ".5", "-.5", "{.5", ",.5".
func leadingZero(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]) && (i == 0 || strings.IndexByte("-+{(,[", s[i-1]) >= 0) {
			b.WriteByte('0')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// EqualMath says whether two normalised answers are equivalent.
func EqualMath(a, b string) bool {
	if a == b {
		return true
	}
	ka, ea := structure(a)
	kb, eb := structure(b)
	if ka != "" || kb != "" {
		return equalStructure(ka, ea, kb, eb)
	}
	va, okA := evalNum(a)
	vb, okB := evalNum(b)
	return okA && okB && sameNumber(va, vb)
}

// Kinds of structure: an ordered tuple or interval names its brackets ("()", "[)");
// unordered is a set or a bare list.
const unordered = "{}"

// structure splits a tuple, interval, set or list into its elements at depth 0.
func structure(s string) (string, []string) {
	if strings.HasPrefix(s, `\{`) && strings.HasSuffix(s, `\}`) && len(s) >= 4 {
		return unordered, splitTop(s[2 : len(s)-2])
	}
	if len(s) >= 2 && strings.IndexByte("([", s[0]) >= 0 && strings.IndexByte(")]", s[len(s)-1]) >= 0 {
		if end, ok := closeOf(s, 0); ok && end == len(s)-1 {
			if parts := splitTop(s[1 : len(s)-1]); len(parts) >= 2 {
				return s[:1] + s[len(s)-1:], parts
			}
		}
	}
	if parts := splitTop(s); len(parts) >= 2 {
		return unordered, parts
	}
	return "", nil
}

// closeOf returns the index of the bracket closing the one at s[open], any of
// ( [ {, closed by any of ) ] } (an interval mixes them).
func closeOf(s string, open int) (int, bool) {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				return i, true
			}
		}
	}
	return 0, false
}

// splitTop splits s at commas outside brackets and braces.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func equalStructure(ka string, ea []string, kb string, eb []string) bool {
	if ka != kb || len(ea) != len(eb) {
		return false
	}
	if ka != unordered {
		for i := range ea {
			if !EqualMath(ea[i], eb[i]) {
				return false
			}
		}
		return true
	}
	used := make([]bool, len(eb))
	for _, x := range ea {
		found := false
		for j, y := range eb {
			if !used[j] && EqualMath(x, y) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Item types of the math scorers (evalset's, named here too).
const (
	TypeMath = evalset.TypeMath // a competition-math answer, compared after normalisation
	TypeAIME = evalset.TypeAIME // an integer 0-999 read like math, compared as a number
)

// wantText reads a math item's expected answer: a string, or a number built in code.
func wantText(it *evalset.Item) (string, bool) {
	switch v := it.Answer.(type) {
	case string:
		return v, strings.TrimSpace(v) != ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

func scoreMath(it *evalset.Item, answer string) Outcome {
	want, ok := wantText(it)
	if !ok {
		return Outcome{Reason: ReasonBadItem}
	}
	o := Outcome{NormalizedExpected: NormalizeMath(want)}
	got, ok := ExtractMath(answer)
	if !ok {
		o.Reason = ReasonNoMathAnswer
		return o
	}
	o.Extracted, o.Normalized = got, NormalizeMath(got)
	if o.OK = EqualMath(o.Normalized, o.NormalizedExpected); !o.OK {
		o.Reason = ReasonWrongAnswer
	}
	return o
}

// scoreAIME reads like math; both sides must be whole numbers from 0 to 999 (either
// may be written "033"), compared as numbers.
func scoreAIME(it *evalset.Item, answer string) Outcome {
	want, ok := wantText(it)
	wv, wok := aimeNumber(NormalizeMath(want))
	if !ok || !wok {
		return Outcome{Reason: ReasonBadItem}
	}
	o := Outcome{NormalizedExpected: strconv.Itoa(wv)}
	got, ok := ExtractMath(answer)
	if !ok {
		o.Reason = ReasonNoMathAnswer
		return o
	}
	o.Extracted, o.Normalized = got, NormalizeMath(got)
	if v, ok := aimeNumber(o.Normalized); ok {
		o.Normalized = strconv.Itoa(v)
	}
	if o.OK = o.Normalized == o.NormalizedExpected; !o.OK {
		o.Reason = ReasonWrongAnswer
	}
	return o
}

// aimeNumber reads a whole number from 0 to 999, exactly when the answer is rational
// (so "32.99999999999999999" is not 33).
func aimeNumber(s string) (int, bool) {
	v, ok := evalNum(s)
	if !ok || v.f != math.Trunc(v.f) || v.f < 0 || v.f > 999 || v.r != nil && !v.r.IsInt() {
		return 0, false
	}
	return int(v.f), true
}
