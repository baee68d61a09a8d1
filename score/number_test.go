package score

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
)

func TestLastNumber(t *testing.T) {
	tests := []struct {
		in   string
		text string // "" when no number is found
	}{
		{"", ""},
		{"no digits here", ""},
		{"42", "42"},
		{"The answer is 12.", "12"},
		{"42.", "42"},
		{"x = -3", "-3"},
		{"x=-3", "-3"},
		{"-12", "-12"},
		{"+3", "3"},
		{"= +3.", "3"},
		{"the result is −7", "-7"}, // U+2212 minus
		{"3−4", "4"},               // U+2212 after a digit: a dash
		{"3-4", "4"},               // a range: a dash, not a sign
		{"between 3 - 4", "4"},     // a sign must touch its digits
		{"2025-12-23", "23"},
		{"COVID-19", "19"},
		{"1,234", "1234"},
		{"1,234,567", "1234567"},
		{"1,234.5", "1234.5"},
		{"$1,234.56.", "1234.56"},
		{"1,2", "2"},
		{"3, 4", "4"},
		{"12,34", "34"},
		{"1234,567", "567"},
		{"0,500", "500"},
		{"1,2345", "2345"},
		{"1,234,56", "56"},
		{"3,5", "5"},
		{"0.125", "0.125"},
		{".5", "0.5"},
		{"-.5", "-0.5"},
		{"1.2.3", "3"},
		{"**144**", "144"},
		{"**Answer:** 42", "42"},
		{`\boxed{9}`, "9"},
		{`$\boxed{1{,}234}$`, "1234"},
		{`1\,234`, "1234"},
		{"$5", "5"},
		{"-$5", "-5"},
		{"$-5", "-5"},
		{`\$12`, "12"},
		{"15%", "15"},
		{"1/8", "8"},
		{`\frac{1}{8}`, "8"},
		{"1st place", "1"},
		{"x2", "2"},
		{"12:30", "30"},
		{"1e5", "1e5"},
		{"2.5E-3 m", "2.5E-3"},
		{"3eggs", "3"},
		{"3e", "3"},
		{"9 e 3", "3"},
		{"007", "007"},
		{"The answer is 1,23", "23"}, // cut off by max_tokens mid-number: read as written
		{"The answer is 1,", "1"},
		{"The answer is -", ""},
		{"Step 1: 5 + 3 = 8\nStep 2: 8 * 2 = 16", "16"},
		{"1e999", "1e999"}, // too large: the number written, value +Inf
	}
	for _, tt := range tests {
		text, v, ok := LastNumber(tt.in)
		if ok != (tt.text != "") || text != tt.text {
			t.Errorf("LastNumber(%q) = %q, %v; want %q", tt.in, text, ok, tt.text)
			continue
		}
		if ok {
			want, _ := strconv.ParseFloat(tt.text, 64)
			if v != want {
				t.Errorf("LastNumber(%q) value = %v, want %v", tt.in, v, want)
			}
		}
	}
}

func TestLastNumberValues(t *testing.T) {
	for in, want := range map[string]float64{
		"1,234,567": 1234567, ".5": 0.5, "-0.125": -0.125, "1e999": math.Inf(1), "−1e999": math.Inf(-1),
	} {
		if _, v, _ := LastNumber(in); v != want {
			t.Errorf("LastNumber(%q) = %v, want %v", in, v, want)
		}
	}
}

func TestFinalNumber(t *testing.T) {
	tests := []struct {
		in   string
		text string
	}{
		{"#### 72", "72"},
		{"####72", "72"},
		{"The final answer is 18", "18"},
		{"The final answer is $1,234.", "1234"},
		{"the final answer is: **-5**", "-5"},
		{"The final answer is −5", "-5"},
		{"The Final Answer Is $-3", "-3"},
		{`The final answer is $\boxed{42}$.`, "42"},
		{"The final answer is \\(7\\)", "7"},
		{"#### 5\nThe final answer is 6", "6"},  // the later phrase wins
		{"The final answer is 6\n#### 5", "5"},  // whichever it is
		{"#### 1\n#### 2\nok", "2"},             // the last occurrence
		{"#### 3\nThe final answer is", "3"},    // a phrase with no number is skipped
		{"The final answer is seven.", ""},      // words are not numbers
		{"She has 3 apples, then 5, so 8.", ""}, // no phrase: strict finds nothing
		{"The answer is 8.", ""},                // not the final-answer phrase
		{"The final answer is 1,23", "1"},       // cut off: "1,23" is not a thousands number
		// A numbered markdown heading is not "#### N" (the harness's regex reads it).
		{"#### 1. Eggs laid\nShe lays 16.\n#### 2. Income\n9 * 2 = 18 dollars.", ""},
		{"#### 3) Total cost\n18", ""},
		{"#### 1: Eggs\n#### 18", "18"},
		{"#### 2. Income\nThe final answer is 18", "18"},
		{"#### 18.", "18"},
		{"#### 18. \n", "18"},
		{"#### 18 dollars", "18"},
		{"#### 1:30", "1"},
		{"The final answer is 2. Then we stop.", "2"}, // only "####" opens headings
		{"", ""},
	}
	for _, tt := range tests {
		text, v, ok := FinalNumber(tt.in)
		if ok != (tt.text != "") || text != tt.text {
			t.Errorf("FinalNumber(%q) = %q, %v; want %q", tt.in, text, ok, tt.text)
			continue
		}
		if want, _ := strconv.ParseFloat(tt.text, 64); ok && v != want {
			t.Errorf("FinalNumber(%q) value = %v, want %v", tt.in, v, want)
		}
	}
}

var fuzzItems = []evalset.Item{
	{Type: evalset.TypeNumber, Answer: 1.0},
	{Type: evalset.TypeExact, Answer: "a"},
	{Type: evalset.TypeContains, Answer: []string{"a"}},
	{Type: evalset.TypeGSM8K, Answer: 1.0},
	{Type: evalset.TypeChoice, Answer: "A"},
}

var numberSyntax = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func FuzzLastNumber(f *testing.F) {
	for _, s := range []string{"", "1,234.5", "-$5", "3-4", ".5", "1e999", "−7", `\boxed{1{,}234}`, "1,2,3", "#### 72", "The final answer is $-3."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, fn := range map[string]func(string) (string, float64, bool){"LastNumber": LastNumber, "FinalNumber": FinalNumber} {
			text, v, ok := fn(s)
			if !ok {
				if text != "" || v != 0 {
					t.Fatalf("%s(%q) = %q, %v, false", name, s, text, v)
				}
				continue
			}
			if !numberSyntax.MatchString(text) {
				t.Fatalf("%s(%q) = %q, not a plain number", name, s, text)
			}
			p, err := strconv.ParseFloat(text, 64)
			if err != nil && !strings.Contains(err.Error(), "range") {
				t.Fatalf("%s(%q) = %q: %v", name, s, text, err)
			}
			if p != v && !(math.IsNaN(p) && math.IsNaN(v)) {
				t.Fatalf("%s(%q) value %v, text %q parses as %v", name, s, v, text, p)
			}
		}
		// Nothing the server can send makes scoring panic.
		for _, it := range fuzzItems {
			Score(&it, s)
		}
	})
}
