package score

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
)

func num(v float64) *evalset.Item { return &evalset.Item{ID: "n", Type: evalset.TypeNumber, Answer: v} }

func numTol(v, tol float64) *evalset.Item {
	it := num(v)
	it.Tolerance = &tol
	return it
}

func exact(s string) *evalset.Item { return &evalset.Item{ID: "e", Type: evalset.TypeExact, Answer: s} }

func contains(s ...string) *evalset.Item {
	return &evalset.Item{ID: "c", Type: evalset.TypeContains, Answer: s}
}

func gsm(v float64) *evalset.Item { return &evalset.Item{ID: "g", Type: evalset.TypeGSM8K, Answer: v} }

func choice(l string) *evalset.Item {
	return &evalset.Item{ID: "m", Type: evalset.TypeChoice, Answer: l}
}

type scoreCase struct {
	name    string
	item    *evalset.Item
	content string
	want    Outcome
}

func ok(extracted string) Outcome { return Outcome{OK: true, Extracted: extracted} }

func fail(reason, extracted string) Outcome { return Outcome{Reason: reason, Extracted: extracted} }

func runScoreCases(t *testing.T, tests []scoreCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.item, tt.content)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Score(%s %v, %q)\n got %+v\nwant %+v", tt.item.Type, tt.item.Answer, tt.content, got, tt.want)
			}
		})
	}
}

func TestScoreCommon(t *testing.T) {
	runScoreCases(t, []scoreCase{
		{"empty", num(1), "", fail(ReasonNoAnswer, "")},
		{"white space", exact("a"), " \n\t ", fail(ReasonNoAnswer, "")},
		{"only a think block", contains("x"), "<think>x</think>\n", fail(ReasonNoAnswer, "")},
		{"unclosed think", num(42), "<think>6*7 = 42, so", fail(ReasonTruncatedThinking, "")},
		{"unclosed think after an answer", num(42), "42\n<think>hmm", fail(ReasonTruncatedThinking, "")},
		{"empty before unclosed think", num(42), "<think>", fail(ReasonTruncatedThinking, "")},
		{"unknown type", &evalset.Item{Type: "essay", Answer: "x"}, "x", fail(ReasonBadItem, "")},
		{"number with a string answer", &evalset.Item{Type: evalset.TypeNumber, Answer: "1"}, "1", fail(ReasonBadItem, "")},
		{"exact with a number answer", &evalset.Item{Type: evalset.TypeExact, Answer: 1.0}, "1", fail(ReasonBadItem, "")},
		{"contains with no answer", &evalset.Item{Type: evalset.TypeContains}, "1", fail(ReasonBadItem, "")},
		{"choice with a bad letter", choice("ab"), "A", fail(ReasonBadItem, "")},
	})
}

func TestScoreNumber(t *testing.T) {
	runScoreCases(t, []scoreCase{
		{"plain", num(42), "42", ok("42")},
		{"sentence with period", num(12), "The answer is 12.", ok("12")},
		{"last number wins", num(16), "8 * 2 = 16", ok("16")},
		{"last number wrong", num(8), "8 * 2 = 16", fail(ReasonWrongNumber, "16")},
		{"negative", num(-12), "7 - 19 = -12", ok("-12")},
		{"unicode minus", num(-12), "−12", ok("-12")},
		{"x = -3", num(-3), "x = -3", ok("-3")},
		{"range is a dash", num(-4), "3-4", fail(ReasonWrongNumber, "4")},
		{"plus sign", num(3), "+3", ok("3")},
		{"thousands", num(1234), "1,234", ok("1234")},
		{"millions", num(1234567), "**1,234,567**", ok("1234567")},
		{"thousands and decimals", num(1234.5), "$1,234.50", ok("1234.50")},
		{"list is not thousands", num(12), "1,2", fail(ReasonWrongNumber, "2")},
		{"decimal", num(0.125), "1/8 = 0.125", ok("0.125")},
		{"bare decimal point", num(0.5), ".5", ok("0.5")},
		{"fraction reads the denominator", num(0.125), "1/8", fail(ReasonWrongNumber, "8")},
		{"bold", num(144), "**144**", ok("144")},
		{"markdown label", num(42), "**Answer:** 42", ok("42")},
		{"boxed", num(9), `$\boxed{9}$`, ok("9")},
		{"dollars", num(5), "$5", ok("5")},
		{"trailing period", num(42), "42.", ok("42")},
		{"percent", num(15), "15%", ok("15")},
		{"date", num(23), "2025-12-23", ok("23")},
		{"think removed first", num(42), "<think>maybe 41? or 40</think>42", ok("42")},
		{"number only in think", num(42), "<think>42</think>I don't know", fail(ReasonNoNumber, "")},
		{"think after answer", num(42), "42<think>43</think>", ok("42")},
		{"no number", num(1), "one", fail(ReasonNoNumber, "")},
		{"cut off mid-number", num(1234), "The total is 1,23", fail(ReasonWrongNumber, "23")},
		{"float error within relative 1e-9", num(0.3), "0.30000000000000004", ok("0.30000000000000004")},
		{"large within relative 1e-9", num(1e12), "1000000000000.0001", ok("1000000000000.0001")},
		{"just outside relative 1e-9", num(1000), "1000.00001", fail(ReasonWrongNumber, "1000.00001")},
		{"zero has an absolute floor", num(0), "0.0000000001", ok("0.0000000001")},
		{"absolute tolerance in", numTol(3.14159, 0.01), "3.14", ok("3.14")},
		{"absolute tolerance out", numTol(3.14159, 0.001), "3.14", fail(ReasonWrongNumber, "3.14")},
		{"zero tolerance", numTol(2, 0), "2.0", ok("2.0")},
		{"scientific", num(1500), "1.5e3", ok("1.5e3")},
		{"too large", num(1), "1e999", fail(ReasonWrongNumber, "1e999")},
		{"int answer built in code", &evalset.Item{Type: evalset.TypeNumber, Answer: 7}, "7", ok("7")},
	})
}

func TestScoreExact(t *testing.T) {
	runScoreCases(t, []scoreCase{
		{"equal", exact("HELLO"), "HELLO", ok("HELLO")},
		{"trimmed", exact("HELLO"), "  HELLO\n", ok("HELLO")},
		{"case matters", exact("HELLO"), "hello", fail(ReasonMismatch, "hello")},
		{"double quotes", exact("desserts"), `"desserts"`, ok("desserts")},
		{"single quotes", exact("desserts"), "'desserts'", ok("desserts")},
		{"curly quotes", exact("desserts"), "“desserts”", ok("desserts")},
		{"backticks", exact("ff"), "`ff`", ok("ff")},
		{"code fence with language", exact(`{"a":1}`), "```json\n{\"a\":1}\n```", ok(`{"a":1}`)},
		{"code fence without language", exact("a,b,c"), "```\na,b,c\n```", ok("a,b,c")},
		{"code fence on one line", exact("abcd"), "```abcd```", ok("abcd")},
		{"only one pair removed", exact("desserts"), `"'desserts'"`, fail(ReasonMismatch, "'desserts'")},
		{"quote inside kept", exact(`{"a":1}`), `{"a":1}`, ok(`{"a":1}`)},
		{"trailing period", exact("23/12/2025"), "23/12/2025.", ok("23/12/2025")},
		{"period inside quotes", exact("desserts"), `"desserts."`, ok("desserts")},
		{"period after quotes is not unwrapped", exact("desserts"), `"desserts".`, fail(ReasonMismatch, `"desserts"`)},
		{"only one period removed", exact("Wait"), "Wait..", fail(ReasonMismatch, "Wait.")},
		{"white space collapsed", exact("quant eval tool"), "quant   eval\n tool", ok("quant eval tool")},
		{"expected normalised too", exact("Done."), "Done", ok("Done")},
		{"bold is not removed", exact("HELLO"), "**HELLO**", fail(ReasonMismatch, "**HELLO**")},
		{"extra words", exact("MMXXIV"), "The answer is MMXXIV", fail(ReasonMismatch, "The answer is MMXXIV")},
		{"think removed", exact("1010"), "<think>10 = 8+2</think>\n1010", ok("1010")},
		{"lone quote", exact(`"`), `"`, ok(`"`)},
	})
}

func TestScoreContains(t *testing.T) {
	runScoreCases(t, []scoreCase{
		{"found", contains("yes"), "Yes, Tom is an animal.", ok("yes")},
		{"ignoring case", contains("Sunday"), "SUNDAY", ok("Sunday")},
		{"white space collapsed in reply", contains("new york"), "New\n  York", ok("new york")},
		{"white space collapsed in answer", contains("new  york"), "in New York", ok("new  york")},
		{"any of several", contains("January", "Jan"), "jan.", ok("Jan")},
		{"first found is reported", contains("south", "sou"), "South", ok("south")},
		{"not found", contains("neither"), "iron", fail(ReasonNotFound, "")},
		{"substring counts", contains("no"), "I do not know", ok("no")},
		{"only in think", contains("carol"), "<think>Carol</think>Bob", fail(ReasonNotFound, "")},
		{"single string answer", &evalset.Item{Type: evalset.TypeContains, Answer: "yes"}, "yes", ok("yes")},
	})
}

func gsmOut(ok bool, extracted, reason string, flexible bool) Outcome {
	return Outcome{OK: ok, Extracted: extracted, Reason: reason, Scores: map[string]bool{ScoreStrict: ok, ScoreFlexible: flexible}}
}

func TestScoreGSM8K(t *testing.T) {
	runScoreCases(t, []scoreCase{
		{"hashes", gsm(72), "48 + 24 = 72\n#### 72", gsmOut(true, "72", "", true)},
		{"final phrase with dollars and comma", gsm(1234), "So she earns $1,234 in total.\nThe final answer is $1,234.", gsmOut(true, "1234", "", true)},
		{"no final phrase, right last number", gsm(18), "16 - 3 - 4 = 9 eggs, 9 * $2 = $18.", gsmOut(false, "", ReasonNoFinalAnswer, true)},
		{"no final phrase, wrong last number", gsm(18), "She uses 3 + 4 = 7 eggs and sells 9.", gsmOut(false, "", ReasonNoFinalAnswer, false)},
		{"strict right, flexible wrong", gsm(5), "The final answer is 5.\nThat is 5 of 6 cups.", gsmOut(true, "5", "", false)},
		{"strict wrong", gsm(5), "#### 6", gsmOut(false, "6", ReasonWrongNumber, false)},
		{"last final phrase wins", gsm(6), "The final answer is 5. Wait, 2*3.\nThe final answer is 6.", gsmOut(true, "6", "", true)},
		{"cut off before the phrase", gsm(72), "Natalia sold 48/2 = 24 clips in May. Altogether 48+24 = 7", gsmOut(false, "", ReasonNoFinalAnswer, false)},
		{"cut off mid-number", gsm(1234), "The final answer is 1,2", gsmOut(false, "1", ReasonWrongNumber, false)},
		{"negative", gsm(-3), "The final answer is −3", gsmOut(true, "-3", "", true)},
		{"bold and boxed", gsm(42), "**The final answer is $\\boxed{42}$**", gsmOut(true, "42", "", true)},
		{"escaped dollar", gsm(5), `#### \$5`, gsmOut(true, "5", "", true)},
		{"dollar then minus", gsm(-5), "The final answer is $-5", gsmOut(true, "-5", "", true)},
		{"display math", gsm(72), "The final answer is $$72$$", gsmOut(true, "72", "", true)},
		{"phrase then words", gsm(72), "The final answer is seventy-two, i.e. 72", gsmOut(false, "", ReasonNoFinalAnswer, true)},
		{"decimal equal to integer", gsm(72), "#### 72.00", gsmOut(true, "72.00", "", true)},
		{"think removed", gsm(10), "<think>#### 9</think>The final answer is 10", gsmOut(true, "10", "", true)},
		{"unclosed think", gsm(10), "<think>#### 10", gsmOut(false, "", ReasonTruncatedThinking, false)},
		{"empty", gsm(10), "", gsmOut(false, "", ReasonNoAnswer, false)},
		{"no number at all", gsm(10), "I cannot solve this.", gsmOut(false, "", ReasonNoFinalAnswer, false)},
		{"numbered headings, no answer", gsm(2), "#### 1. Eggs laid\nShe lays 16.\n#### 2. Income\n9 * 2 = 18 dollars.\n", gsmOut(false, "", ReasonNoFinalAnswer, false)},
		{"numbered headings, then the phrase", gsm(18), "#### 1. Eggs\n16 - 3 - 4 = 9\n#### 2. Income\n9 * 2 = 18\nThe final answer is 18", gsmOut(true, "18", "", true)},
		{"tolerance", &evalset.Item{Type: evalset.TypeGSM8K, Answer: 2.5, Tolerance: ptr(0.1)}, "#### 2.45", gsmOut(true, "2.45", "", true)},
	})
}

func ptr[T any](v T) *T { return &v }

func TestScoreChoice(t *testing.T) {
	runScoreCases(t, []scoreCase{
		{"Answer: C", choice("C"), "Answer: C", ok("C")},
		{"answer lower case", choice("C"), "Answer: c", ok("C")},
		{"paren lower case", choice("B"), "(b)", ok("B")},
		{"answer is D.", choice("D"), "The answer is D.", ok("D")},
		{"wrong letter", choice("D"), "The answer is B.", fail(ReasonWrongChoice, "B")},
		{"lone letter", choice("A"), "A", ok("A")},
		{"lone small letter", choice("A"), "a", ok("A")},
		{"lone letter with period", choice("A"), "A.", ok("A")},
		{"bold letter", choice("C"), "**C**", ok("C")},
		{"boxed", choice("C"), `$\boxed{C}$`, ok("C")},
		{"letter and text", choice("C"), "C. Paris", ok("C")},
		{"letter paren and text", choice("C"), "C) Paris", ok("C")},
		{"paren in sentence", choice("B"), "I would pick (B) because it fits.", ok("B")},
		{"bold in sentence", choice("B"), "It must be **B** here.", ok("B")},
		{"markdown answer", choice("D"), "**Answer:** D", ok("D")},
		{"answer bold letter", choice("D"), "Answer: **D**", ok("D")},
		{"answer square brackets", choice("B"), "Answer: [b] since 2 > 1", ok("B")},
		{"answer latex inline", choice("C"), `The answer is \(C\).`, ok("C")},
		{"answer text macro", choice("C"), `Answer: $\text{C}$`, ok("C")},
		{"answer bold small letter", choice("D"), "Answer: **d**", ok("D")},
		{"answer paren", choice("D"), "The correct answer is (D) 42.", ok("D")},
		{"answer is option", choice("B"), "The answer is option B.", ok("B")},
		{"correct option is", choice("B"), "The correct option is B.", ok("B")},
		{"answer on next line", choice("B"), "Answer:\nB", ok("B")},
		{"reasoning then answer", choice("C"), "Option A is wrong since 3 > 2. (B) fails too.\nAnswer: C", ok("C")},
		{"self-correction: last explicit wins", choice("C"), "Answer: A\nWait, that is wrong.\nAnswer: C", ok("C")},
		{"later non-letter answer ignored", choice("B"), "Answer: B. I double-checked and the answer is correct.", ok("B")},
		{"two letters with or", choice("A"), "A or B", fail(ReasonNoChoice, "")},
		{"answer with two letters", choice("A"), "Answer: A and C", fail(ReasonNoChoice, "A,C")},
		{"answer with comma", choice("A"), "The answer is A, C", fail(ReasonNoChoice, "A,C")},
		{"answer with slash", choice("A"), "Answer: (A)/(B)", fail(ReasonNoChoice, "A,B")},
		{"two parens", choice("A"), "Either (A) or (C).", fail(ReasonNoChoice, "A,C")},
		{"explicit beats listed options", choice("C"), "A. 1\nB. 2\nC. 3\nD. 4\nAnswer: C", ok("C")},
		{"listed options alone are ambiguous", choice("C"), "A. 1\nB. 2", fail(ReasonNoChoice, "A,B")},
		{"explicit joined after ambiguous", choice("C"), "Answer: A or C\nAnswer: C", ok("C")},
		{"none", choice("A"), "I am not sure.", fail(ReasonNoChoice, "")},
		{"a dog is not a choice", choice("A"), "A dog is a mammal.", fail(ReasonNoChoice, "")},
		{"a as article after answer is", choice("A"), "The answer is a bit unclear.", fail(ReasonNoChoice, "")},
		{"capital article after answer is", choice("B"), "The answer is A dog.", fail(ReasonWrongChoice, "A")},
		{"answer followed by word", choice("C"), "The answer is C because 2 > 1", ok("C")},
		{"letter in a word", choice("C"), "Answer: Cats", fail(ReasonNoChoice, "")},
		{"out of range letter", choice("A"), "Answer: Z", fail(ReasonNoChoice, "")},
		{"range extends to the answer", choice("L"), "Answer: L", ok("L")},
		{"J is in range", choice("A"), "Answer: J", fail(ReasonWrongChoice, "J")},
		{"only in think", choice("A"), "<think>Answer: A</think>", fail(ReasonNoAnswer, "")},
		{"think removed", choice("B"), "<think>Answer: A? no</think>Answer: B", ok("B")},
		{"unclosed think", choice("B"), "<think>Answer: B", fail(ReasonTruncatedThinking, "")},
		{"letter alone on a line", choice("B"), "After checking each option:\nB\n", ok("B")},
		{"U.S. is not a choice", choice("A"), "In the U.S. it is legal.", fail(ReasonNoChoice, "")},
	})
}

// Every type an eval set may hold has a scorer.
func TestEveryTypeScored(t *testing.T) {
	for _, typ := range evalset.Types {
		// Code items are run by the runner (package codetask), not scored here.
		if _, found := scorers[typ]; found == (typ == TypeCode) {
			t.Errorf("type %q: scorer found %v", typ, found)
		}
	}
	if want := len(evalset.Types) - 1; len(scorers) != want {
		t.Errorf("%d scorers for %d types", len(scorers), want)
	}
}

// Every item of every built-in suite passes when answered right in the ways a model
// writes it, and fails when answered wrong: the rules and the suites agree.
func TestBuiltinSuites(t *testing.T) {
	suites, err := evalset.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range suites {
		set, err := evalset.OpenBuiltin(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range set.Items {
			it := &set.Items[i]
			var right, wrong []string
			switch a := it.Answer.(type) {
			case float64:
				s := strconv.FormatFloat(a, 'f', -1, 64)
				right = []string{s, "**" + s + "**", "The answer is " + s + ".", `$\boxed{` + s + `}$`, "<think>maybe 3</think>\n" + s}
				if a >= 1000 {
					right = append(right, commas(int64(a)))
				}
				wrong = []string{strconv.FormatFloat(a+1, 'f', -1, 64), s + " or " + strconv.FormatFloat(a+1, 'f', -1, 64)}
			case string:
				right = []string{a, " " + a + "\n", `"` + a + `"`, "`" + a + "`", "```\n" + a + "\n```"}
				if !strings.HasSuffix(strings.TrimSpace(a), ".") {
					// One trailing period is dropped; an answer that ends a sentence
					// already has its own.
					right = append(right, a+".")
				}
				wrong = []string{a + "x", "<think>" + a + "</think>"}
			case []string:
				right = []string{a[0], "It is " + a[0] + ".", "IT IS " + a[0]}
				wrong = []string{"<think>" + a[0] + "</think>", "?"}
			}
			for _, r := range right {
				if o := Score(it, r); !o.OK {
					t.Errorf("%s/%s: %q scored %+v, want ok", b.Name, it.ID, r, o)
				}
			}
			for _, w := range wrong {
				if o := Score(it, w); o.OK {
					t.Errorf("%s/%s: %q scored ok", b.Name, it.ID, w)
				}
			}
		}
	}
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func BenchmarkScore(b *testing.B) {
	reply := "<think>" + strings.Repeat("Let me add 48 and 24 to get 72, then check 1,234. ", 20) + "</think>\n" +
		strings.Repeat("Natalia sold 48/2 = 24 clips in May, so 48 + 24 = 72 in all. ", 10) + "The final answer is 72."
	items := []*evalset.Item{num(72), exact("72"), contains("72"), gsm(72), choice("C")}
	b.SetBytes(int64(len(reply)))
	for b.Loop() {
		for _, it := range items {
			Score(it, reply)
		}
	}
}
