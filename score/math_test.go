package score

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/quanteval/quanteval/evalset"
)

// mathPairs are answer pairs (a reply's answer, the expected one) and whether they
// are equivalent after normalisation; grouped by the rule they exercise.
var mathPairs = []struct {
	got, want string
	equal     bool
}{
	// identical and trivially different
	{"5", "5", true},
	{"5", "6", false},
	{"-3", "-3", true},
	{"-3", "3", false},
	{"x^2+1", "x^2+1", true},
	{"x^2+1", "x^2-1", false},
	// \left / \right
	{`\left(1,2\right)`, "(1,2)", true},
	{`\left[0,1\right)`, "[0,1)", true},
	{`\left(1,3\right)`, "(1,2)", false},
	{`\left| x \right|`, "|x|", true},
	// spacing commands
	{`1\!000`, "1000", true},
	{`2\,\text{cm}`, "2", true},
	{`3\;x`, "3x", true},
	{`a\quad b`, "ab", true},
	{`a\qquad b`, "ab", true},
	{`4\ x`, "4x", true},
	{`1\:5`, "15", true},
	{`2\,x`, "3x", false},
	// \dfrac, \tfrac
	{`\dfrac{1}{2}`, `\frac{1}{2}`, true},
	{`\tfrac{3}{4}`, `\frac34`, true},
	{`\dfrac{1}{3}`, `\frac{1}{2}`, false},
	{`\dfrac{\pi}{2}`, `\frac{\pi}{2}`, true},
	// \frac12 and \sqrt2 shorthand
	{`\frac12`, `\frac{1}{2}`, true},
	{`\frac1{2}`, `\frac{1}{2}`, true},
	{`\frac{1}2`, `\frac{1}{2}`, true},
	{`\frac13`, `\frac{1}{2}`, false},
	{`\sqrt2`, `\sqrt{2}`, true},
	{`3\sqrt2`, `3\sqrt{2}`, true},
	{`\sqrt3`, `\sqrt{2}`, false},
	{`\frac{\sqrt3}{2}`, `\frac{\sqrt{3}}{2}`, true},
	{`\sqrtx`, `\sqrt{x}`, true},
	// degrees
	{`30^\circ`, "30", true},
	{`30^{\circ}`, "30", true},
	{`30°`, "30", true},
	{`45^\circ`, `30^\circ`, false},
	{`90^{\circ}`, `90`, true},
	// units
	{`5\text{ cm}`, "5", true},
	{`5 \text{cm}^2`, "5", true},
	{`12\text{ inches}`, "12", true},
	{`10 \mbox{ meters}`, "10", true},
	{`5 cm`, "5", true},
	{`12 inches`, "12", true},
	{`3 square units`, "3", true},
	{`7 dollars`, "7", true},
	{`20 minutes`, "20", true},
	{`6 cm`, "5", false},
	{`2 hours`, "2", true},
	{`150 miles`, "150", true},
	{"5 cm", "5 m^2", true}, // units are dropped, not compared (as H and M do)
	// \text{}, \textbf{}, \mbox{}
	{`\text{Evelyn}`, "Evelyn", true},
	{`\textbf{(C)}`, "(C)", true},
	{`\mbox{odd}`, "odd", true},
	{`\text{even}`, "odd", false},
	{`\text{(A)}`, `\text{(A)}`, true},
	{`\mathrm{B}`, "B", true},
	{`\text{Monday}`, `\text{Tuesday}`, false},
	// leading x = / k=
	{"x = 5", "5", true},
	{"k=5", "5", true},
	{"y = -2", "-2", true},
	{`x = \frac{1}{2}`, "0.5", true},
	{"x=5", "6", false},
	{"(x,y) = (1,2)", "(1,2)", true},
	{"a+b=7", "7", true},
	{"n = 10", "10", true},
	// trailing period
	{"5.", "5", true},
	{`\frac{1}{2}.`, `\frac{1}{2}`, true},
	{"x = 3.", "3", true},
	{"4.", "5", false},
	// 0.5 vs \frac{1}{2} vs 1/2
	{"0.5", `\frac{1}{2}`, true},
	{"1/2", `\frac{1}{2}`, true},
	{"1/2", "0.5", true},
	{".5", "0.5", true},
	{"-.5", `-\frac{1}{2}`, true},
	{"0.25", `\frac14`, true},
	{"0.33", `\frac{1}{3}`, false},
	{"0.333333", `\frac{1}{3}`, false},
	{"2/4", `\frac{1}{2}`, true},
	{"3/2", "1.5", true},
	{"3/2", "2/3", false},
	{"-1/2", "-0.5", true},
	{`\frac{-1}{2}`, `-\frac{1}{2}`, true},
	{`\frac{1}{-2}`, "-0.5", true},
	{"1.50", "1.5", true},
	{"2.0", "2", true},
	// percentages
	{`50\%`, "50", true},
	{"50%", "50", true},
	{`12.5\%`, "12.5", true},
	{`50\%`, "0.5", false},
	{`40\%`, "50", false},
	// dollars
	{`\$5`, "5", true},
	{`\$1,000`, "1000", true},
	{`$5$`, "5", true},
	{`\$5.50`, "5.5", true},
	{`\$6`, "5", false},
	// thousands separators
	{"1,000", "1000", true},
	{"1,000,000", "1000000", true},
	{`1{,}000`, "1000", true},
	{`1,\!000`, "1000", true},
	{"12,345.5", "12345.5", true},
	{"1,001", "1000", false},
	{"1,2", "12", false},
	// fractions, decimals and radicals numerically
	{`2\sqrt{3}`, `\sqrt{12}`, true},
	{`\sqrt{8}`, `2\sqrt{2}`, true},
	{`\sqrt{8}`, `3\sqrt{2}`, false},
	{`\frac{\sqrt{2}}{2}`, `\frac{1}{\sqrt{2}}`, true},
	{`\frac{6}{8}`, `\frac{3}{4}`, true},
	{`\frac{10}{4}`, "2.5", true},
	{`\frac{2}{3}`, "0.6667", false},
	{`\sqrt[3]{27}`, "3", true},
	{`2^{10}`, "1024", true},
	{"2^3", "8", true},
	{`3\cdot 4`, "12", true},
	{`2\times 5`, "10", true},
	{`\frac{1+\sqrt{5}}{2}`, `\frac{1}{2}+\frac{\sqrt{5}}{2}`, true},
	{`\frac{1-\sqrt{5}}{2}`, `\frac{1+\sqrt{5}}{2}`, false},
	{`2\pi`, `\pi\cdot 2`, true},
	{`4\pi`, `2\pi`, false},
	{`5\sqrt{2}`, `\sqrt{50}`, true},
	{`\frac{3\sqrt{3}}{2}`, `\frac{\sqrt{27}}{2}`, true},
	{"10^{-1}", "0.1", true},
	{"(2)", "2", true},
	// tuples
	{"(1,2)", "(1, 2)", true},
	{"(1,2)", "(2,1)", false},
	{`(\frac{1}{2}, 3)`, "(0.5,3)", true},
	{"(1,2,3)", "(1,2)", false},
	{`\left( -1, \frac{3}{2} \right)`, "(-1,1.5)", true},
	{"(3, -4)", "(3,-4)", true},
	// intervals
	{"[0,1)", "[0, 1)", true},
	{"[0,1)", "[0,1]", false},
	{"(0,1]", "[0,1]", false},
	{`(-\infty, 3]`, `(-\infty,3]`, true},
	{`[\frac12, 2)`, "[0.5,2)", true},
	{`(-\infty,0)\cup(1,\infty)`, `(-\infty, 0) \cup (1, \infty)`, true},
	{"(0,1)", "[0,1)", false},
	// sets
	{`\{1,2\}`, `\{2,1\}`, true},
	{`\{1,2\}`, `\{1,3\}`, false},
	{`\{1,2,3\}`, `\{1,2\}`, false},
	{`\{\frac{1}{2}, 2\}`, `\{2, 0.5\}`, true},
	{"1, 2", `\{2,1\}`, true},
	{"-2, 5", "5, -2", true},
	{"-2, 5", "5, 2", false},
	{"1,2,2", "1,1,2", false},
	// case and words are kept
	{"A", "a", false},
	{`\text{(B)}`, "B", true},
	{`\textbf{(C)}`, "B", false},
	{"yes", "no", false},
	{"", "0", false},
	{`\infty`, `\infty`, true},
	{`-\infty`, `\infty`, false},
	// more that must stay different
	{"12", "21", false},
	{"0.1", "0.01", false},
	{"100", "1000", false},
	{"1,000", "100", false},
	{`\frac{1}{2}`, `\frac{2}{1}`, false},
	{`\sqrt{2}`, "2", false},
	{`\sqrt{2}`, "1.414", false},
	{`\pi`, "3.14159", false},
	{"x+1", "1+x", false},
	{"2x", "x2", false},
	{`\frac{x}{2}`, `\frac{2}{x}`, false},
	{"(1,2)", `\{1,2\}`, false},
	{"[1,2]", "1,2", false},
	{"(1,2)", "1,2", false},
	{`\{1\}`, "1", false},
	{"5^2", "10", false},
	{"-5", "5", false},
	{"−5", "-5", true},
	{`3\text{ and }4`, "3,4", true},
	{"3 and 4", "7", false},
	{`\text{north}`, `\text{south}`, false},
	{`\frac{1}{0}`, `\frac{2}{0}`, false},
	{"1e3", "1000", false},
	{"(A)", "(B)", false},
	// combined rules
	{`$x = \dfrac{3}{4}$.`, "0.75", true},
	{`\left(\dfrac{1}{2}, 30^\circ\right)`, `(\frac12,30)`, true},
	{`k = 1{,}000 \text{ dollars}`, "1000", true},
	{`\$\,1,234.50`, "1234.5", true},
	// rule 13
	{`\boxed{5}`, "5", true},
	{`$\boxed{\frac{1}{2}}$`, "0.5", true},
	{`\fbox{(1,2)}`, "(1, 2)", true},
	{`\boxed{5}+\boxed{6}`, "11", false},
	{`x \in [2, 5)`, "[2,5)", true},
	{`x\in(-\infty,3]`, `(-\infty, 3]`, true},
	{`x \in [2, 5)`, "[2,5]", false},
	{"x^2+1", "x^{2}+1", true},
	{"2^10", "1024", true}, // what a model writing it means, though TeX raises only the 1
	{"2^10", "2^{10}", true},
	{"2^10", "20", false},
	{"2^0.5", `\sqrt{2}`, true},
	{"2^-1", "0.5", true},
	{"x^-1", "x^{-1}", true},
	{"2^{10}", "1024", true},
	{"a^b", "a^{b}", true},
	{"x^2", "x^3", false},
	// audit against Hendrycks' is_equiv and minerva's normalize_final_answer
	// \frac with letters, as H's fix_fracs and M read "\frac ab"
	{`\frac1b`, `\frac{1}{b}`, true},
	{`\frac ab`, `\frac{a}{b}`, true},
	{`\frac a2`, `\frac{a}{2}`, true},
	{`\frac{a}b`, `\frac{a}{b}`, true},
	{`\frac ab`, `\frac{b}{a}`, false},
	// a unit in \text{} with a slash (H's remove_right_units)
	{`5 \text{ m/s}`, "5", true},
	{`60\text{ km/h}`, "60", true},
	{`9.8\text{ m/s}^2`, "9.8", true},
	{`60\text{ km/h}`, "61", false},
	// a matrix row break "\\" is not the spacing command "\ " (H turns "\\" into "\")
	{`\begin{pmatrix} 1 \\ 2 \end{pmatrix}`, `\begin{pmatrix}1\\2\end{pmatrix}`, true},
	{`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, `\begin{pmatrix}1&2\\3&4\end{pmatrix}`, true},
	{`\begin{pmatrix} 1 \\ 2 \end{pmatrix}`, `\begin{pmatrix} 12 \end{pmatrix}`, false},
	// ", \text{and }" is one separator (M)
	{`1, 2, \text{and } 3`, "1,2,3", true},
	{`1, 2, \text{ and } 3`, "3,2,1", true},
	{`1, 2, \text{and } 3`, "1,2", false},
	// a relation is not an "=": "x <= 5" is not 5 (H and M cut at its "=")
	{"x<=5", "x>=5", false},
	{"x <= 5", "5", false},
	{"x>=5", `x \ge 5`, true},
	{`x \leq 5`, `x\le5`, true},
	{"x ≤ 5", `x \le 5`, true},
	{`x \geq 5`, `x \le 5`, false},
	{"x != 3", `x \neq 3`, true},
	{"x != 3", "3", false},
	// a comma followed by a space separates a list, not thousands (M drops every comma)
	{"100, 200", "200, 100", true},
	{"100, 200", "100200", false},
	{"2, 345", "2345", false},
	{"-2, 148", "148, -2", true},
	{"10,000", "10000", true},
	// numbers compare exactly when both sides are rational; an irrational side within
	// a relative 1e-14 (a float's error), not 1e-9
	{"1000000007", "1000000008", false},
	{"1234567890", "1234567891", false},
	{"123456789012", "123456789013", false},
	{"2^{60}", "1152921504606846977", false},
	{"2^{60}", "1152921504606846976", true},
	{"0.000000000001", "0", false},
	{"10^{-10}", "0", false},
	{`\frac{1}{3}`, "0.333333333", false},
	{`\frac{2}{3}`, "0.666666667", false},
	{`\sqrt{2}`, "1.414213562", false},
	{`\sqrt{2}`, "1.41421356237", false},
	{`\pi`, "3.14159265359", false},
	{`2\sqrt{2}-\sqrt{8}`, "0", true},
	{`\sqrt[3]{10^{30}}`, "10^{10}", true},
	{`\frac{1}{7}`, `\frac{142857}{999999}`, true},
	{"0.1+0.2", "0.3", true},
	{`1.5 \times 10^{3}`, "1500", true},
}

func TestEqualMathPairs(t *testing.T) {
	equal := 0
	for _, p := range mathPairs {
		a, b := NormalizeMath(p.got), NormalizeMath(p.want)
		if got := EqualMath(a, b); got != p.equal {
			t.Errorf("EqualMath(%q, %q) [normalised %q, %q] = %v, want %v", p.got, p.want, a, b, got, p.equal)
		}
		if got := EqualMath(b, a); got != p.equal {
			t.Errorf("EqualMath is not symmetric on %q, %q", p.got, p.want)
		}
		if p.equal {
			equal++
		}
	}
	if len(mathPairs) < 150 || equal == len(mathPairs) || equal == 0 {
		t.Errorf("%d pairs, %d equal: want at least 150 of both kinds", len(mathPairs), equal)
	}
}

func TestNormalizeMath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`\left( \dfrac{1}{2}, 3 \right)`, `(\frac{1}{2},3)`},
		{`x = \frac12`, `\frac{1}{2}`},
		{`\sqrt2`, `\sqrt{2}`},
		{`30^{\circ}`, "30"},
		{`50\%`, "50"},
		{`\$1,000,000`, "1000000"},
		{`5\text{ cm}`, "5"},
		{`\text{Evelyn}`, "Evelyn"},
		{".5", "0.5"},
		{"1/2", `\frac{1}{2}`},
		{"12 inches.", "12"},
		{`\{1, 2\}`, `\{1,2\}`},
		{"m", "m"},
	} {
		if got := NormalizeMath(tt.in); got != tt.want {
			t.Errorf("NormalizeMath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExtractMath(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		ok             bool
	}{
		{"boxed", `so \boxed{5}.`, "5", true},
		{"nested braces", `\boxed{\frac{1}{2}}`, `\frac{1}{2}`, true},
		{"deeply nested", `$\boxed{\left(\frac{\sqrt{2}}{2}, {3}\right)}$`, `\left(\frac{\sqrt{2}}{2}, {3}\right)`, true},
		{"two boxes: the last", `\boxed{3} no wait \boxed{4}`, "4", true},
		{"fbox", `\fbox{7}`, "7", true},
		{"fbox after boxed", `\boxed{1} then \fbox{2}`, "2", true},
		{"boxed with space", `$\boxed 5$`, "5", true},
		{"boxed space then brace", `\boxed {12}`, "12", true},
		{"set braces inside", `\boxed{\{1,2\}}`, `\{1,2\}`, true},
		{"truncated", `the answer is \boxed{12`, "", false},
		{"truncated last, earlier closed", `\boxed{3} so \boxed{\frac{1}{2}`, "", false},
		{"empty box", `\boxed{}`, "", true},
		{"final answer dollars", "Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.", `\frac{1}{2}`, true},
		{"final answer plain", "The final answer is 42.", "42", true},
		{"final answer hope", "The final answer is 7 I hope it is correct.", "7", true},
		{"final answer bold", "**The final answer is 3.5**", "3.5", true},
		{"final answer decimal kept", "The final answer is 3.5 meters.", "3.5 meters", true},
		{"final answer case", "the FINAL answer is: $x=2$", "x=2", true},
		{"final answer display", `The final answer is \[ 9 \]`, "9", true},
		{"last final answer", "The final answer is 1. Hmm. The final answer is 2.", "2", true},
		{"boxed beats phrase", `The final answer is 5. \boxed{6}`, "6", true},
		{"unclosed dollar", "The final answer is $12", "", false},
		{"math later in the sentence", "Final Answer: The final answer is therefore $12$. I hope it is correct.", "12", true},
		{"display math later", "The final answer is thus $$x = 3.5$$", "x = 3.5", true},
		{"words, no math", "The final answer is twelve dollars.", "twelve dollars", true},
		{"boxed after a box-like word", `\boxed{3} then \fbox{4}`, "4", true},
		{"escaped brace inside", `\boxed{\left\{ 1 \right.}`, `\left\{ 1 \right.`, true},
		{"literal boxed at the end", `\boxed{9}. Note: use \boxed`, "", false},
		{"box in text", `\text{so \boxed{7}}`, "7", true},
		{"nothing", "I think it is 12", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ExtractMath(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ExtractMath(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func mathItem(a any) *evalset.Item { return &evalset.Item{ID: "m", Type: TypeMath, Answer: a} }
func aimeItem(a any) *evalset.Item { return &evalset.Item{ID: "a", Type: TypeAIME, Answer: a} }

func TestScoreMath(t *testing.T) {
	out := func(ok bool, reason, extracted, norm, want string) Outcome {
		return Outcome{OK: ok, Reason: reason, Extracted: extracted, Normalized: norm, NormalizedExpected: want}
	}
	for _, tt := range []scoreCase{
		{"boxed frac", mathItem(`\frac{1}{2}`), `So $\boxed{\dfrac12}$.`, out(true, "", `\dfrac12`, `\frac{1}{2}`, `\frac{1}{2}`)},
		{"think stripped", mathItem("5"), `<think>\boxed{4}</think>\boxed{5}`, out(true, "", "5", "5", "5")},
		{"only in think", mathItem("5"), `<think>\boxed{5}</think>I give up.`, out(false, ReasonNoMathAnswer, "", "", "5")},
		{"unclosed think", mathItem("5"), `<think>\boxed{5}`, Outcome{Reason: ReasonTruncatedThinking}},
		{"wrong", mathItem("(1,2)"), `\boxed{(2,1)}`, out(false, ReasonWrongAnswer, "(2,1)", "(2,1)", "(1,2)")},
		{"truncated box", mathItem("12"), `\boxed{12`, out(false, ReasonNoMathAnswer, "", "", "12")},
		{"final answer phrase", mathItem("0.5"), "The final answer is $1/2$.", out(true, "", "1/2", `\frac{1}{2}`, "0.5")},
		{"number built in code", mathItem(3.0), `\boxed{3}`, out(true, "", "3", "3", "3")},
		{"bad answer", mathItem([]string{"x"}), `\boxed{3}`, Outcome{Reason: ReasonBadItem}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Score(tt.item, tt.content); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Score(%q)\n got %+v\nwant %+v", tt.content, got, tt.want)
			}
		})
	}
}

func TestScoreAIME(t *testing.T) {
	for _, tt := range []struct {
		name    string
		item    *evalset.Item
		content string
		ok      bool
		reason  string
		norm    string
	}{
		{"plain", aimeItem("33"), `\boxed{33}`, true, "", "33"},
		{"leading zeros expected", aimeItem("033"), `\boxed{33}`, true, "", "33"},
		{"leading zeros given", aimeItem("33"), `\boxed{033}`, true, "", "33"},
		{"decimal form", aimeItem("33"), `\boxed{33.0}`, true, "", "33"},
		{"number answer", aimeItem(204.0), "The final answer is 204.", true, "", "204"},
		{"wrong", aimeItem("33"), `\boxed{34}`, false, ReasonWrongAnswer, "34"},
		{"not an integer", aimeItem("33"), `\boxed{33.5}`, false, ReasonWrongAnswer, "33.5"},
		{"nearly an integer", aimeItem("33"), `\boxed{32.99999999999999999}`, false, ReasonWrongAnswer, "32.99999999999999999"},
		{"leading zeros both", aimeItem("033"), `The final answer is $033$.`, true, "", "33"},
		{"x equals", aimeItem("33"), `$\boxed{n = 33}$`, true, "", "33"},
		{"boxed with space", aimeItem("33"), `so $\boxed 33$.`, true, "", "33"},
		{"zero", aimeItem("0"), `\boxed{000}`, true, "", "0"},
		{"negative", aimeItem("33"), `\boxed{-33}`, false, ReasonWrongAnswer, "-33"},
		{"words", aimeItem("33"), `\boxed{thirty-three}`, false, ReasonWrongAnswer, "thirty-three"},
		{"no answer", aimeItem("33"), "33", false, ReasonNoMathAnswer, ""},
		{"thousands", aimeItem("999"), `\boxed{999}`, true, "", "999"},
		{"out of range answer is a bad item", aimeItem("1000"), `\boxed{1000}`, false, ReasonBadItem, ""},
		{"non-numeric answer is a bad item", aimeItem("x"), `\boxed{1}`, false, ReasonBadItem, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := Score(tt.item, tt.content)
			if o.OK != tt.ok || o.Reason != tt.reason || o.Normalized != tt.norm {
				t.Errorf("Score(%v, %q) = %+v; want ok %v reason %q normalized %q", tt.item.Answer, tt.content, o, tt.ok, tt.reason, tt.norm)
			}
		})
	}
}

func BenchmarkScoreMath(b *testing.B) {
	reply := `Let me compute. We get $x = \dfrac{3\sqrt{2}}{4}$, so the answer is $\boxed{\left(\frac{3\sqrt2}{4}, 30^\circ\right)}$.`
	it := mathItem(`(\frac{3\sqrt{2}}{4},30)`)
	for b.Loop() {
		if !Score(it, reply).OK {
			b.Fatal("not ok")
		}
	}
}

// An exact value stops being exact past its bound: a long product of large powers
// (a reply stuck in a loop) goes on as a float, not grown without end.
func TestExactValueBounded(t *testing.T) {
	small, ok := evalNum(`10^{300}\cdot10^{-300}`)
	if !ok || small.r == nil || small.r.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("10^300 * 10^-300 = %v (exact %v), want exactly 1", small.f, small.r)
	}
	huge := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 3*maxExactBits))
	a := mathNum{f: 1, r: huge}
	if p := a.mul(a); p.r != nil {
		t.Errorf("a product of %d bits stayed exact", p.r.Num().BitLen())
	}
	if q := a.div(mathNum{f: 1, r: big.NewRat(1, 3)}); q.r == nil {
		t.Error("a value within the bound lost its exact form")
	}
}
