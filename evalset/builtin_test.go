package evalset

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSeedSuiteAnswers proves every expected answer of the built-in suite: each
// arithmetic answer is recomputed in Go, every other answer is checked by a rule.
// An item without a proof fails the test, so a new item cannot slip in unchecked.
func TestSeedSuiteAnswers(t *testing.T) {
	s, err := OpenBuiltin("qwen3_32b_accuracy_suite_v1")
	if err != nil {
		t.Fatal(err)
	}
	gcd := func(a, b int) int {
		for b != 0 {
			a, b = b, a%b
		}
		return a
	}
	lcm := func(a, b int) int { return a / gcd(a, b) * b }
	sum := 0
	for i := 1; i <= 100; i++ {
		sum += i
	}
	fact := 1
	for i := 2; i <= 6; i++ {
		fact *= i
	}
	reverse := func(s string) string {
		r := []rune(s)
		slices.Reverse(r)
		return string(r)
	}
	roman := func(n int) string {
		vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
		syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
		var b strings.Builder
		for i, v := range vals {
			for n >= v {
				b.WriteString(syms[i])
				n -= v
			}
		}
		return b.String()
	}
	jsonA, _ := json.Marshal(map[string]int{"a": 1})
	sorted := []string{"d", "a", "c", "b"}
	slices.Sort(sorted)
	date, _ := time.Parse("2006-01-02", "2025-12-23")
	weekdays := []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	christmas := time.Date(2025, 12, 25, 0, 0, 0, 0, time.UTC)

	numbers := map[string]float64{
		"arith-01": 17 + 25,
		"arith-02": 1000 - 387,
		"arith-03": 12 * 12,
		"arith-04": 144 / 12,
		"arith-05": math.Pow(2, 10),
		"arith-06": 0.15 * 80,
		"arith-07": 37 * 41,
		"arith-08": math.Sqrt(169),
		"arith-09": 7 - 19,
		"arith-10": 3.5 * 4,
		"arith-11": 1.0 / 8,
		"arith-12": float64(sum),
		"arith-13": float64(fact),
		"arith-14": 2024 % 7,
		"arith-15": 123456 + 654321,
		"arith-16": (8+4)*3 - 10/2,
		"arith-17": 40 * (1 - 0.25),
		"arith-18": 60 * 2.5,
		"arith-19": float64(gcd(84, 126)),
		"arith-20": float64(lcm(lcm(4, 6), 10)),
		"arith-21": -8 * -7,
		"fmt-11":   float64(len("accuracy")),
		"logic-06": 3 - 1 + 5,
	}
	texts := map[string]string{
		"fmt-01":   strings.ToUpper("hello"),
		"fmt-02":   reverse("stressed"),
		"fmt-03":   date.Format("02/01/2006"),
		"fmt-04":   strings.Join(sorted, ""),
		"fmt-05":   strconv.FormatInt(255, 16),
		"fmt-06":   strconv.FormatInt(10, 2),
		"fmt-07":   roman(2024),
		"fmt-08":   strings.ReplaceAll("quant eval tool", " ", "_"),
		"fmt-09":   string(jsonA),
		"fmt-10":   strings.Join([]string{"a", "b", "c"}, ","),
		"logic-01": "Yes", // modus ponens: cat ⊂ animal, Tom ∈ cat
		"logic-02": "No",  // modus tollens: rain → wet, ¬wet ⊢ ¬rain
	}
	contains := map[string]string{
		"logic-03": "neither", // 1 kg = 1 kg
		"logic-04": weekdays[(int(time.Friday)+2)%7],
		"logic-05": "Carol", // A > B > C: C is the shortest
		"logic-07": "south",
		"logic-08": christmas.AddDate(0, 1, 0).Month().String(),
	}

	if len(s.Items) != 40 {
		t.Errorf("suite has %d items, want 40", len(s.Items))
	}
	proved := 0
	for _, it := range s.Items {
		switch it.Type {
		case TypeNumber:
			want, ok := numbers[it.ID]
			if !ok {
				t.Errorf("%s: no proof for this number item", it.ID)
				continue
			}
			if got := it.Answer.(float64); got != want {
				t.Errorf("%s: answer %v, computed %v", it.ID, got, want)
			}
		case TypeExact:
			want, ok := texts[it.ID]
			if !ok {
				t.Errorf("%s: no proof for this exact item", it.ID)
				continue
			}
			if got := it.Answer.(string); got != want {
				t.Errorf("%s: answer %q, derived %q", it.ID, got, want)
			}
		case TypeContains:
			want, ok := contains[it.ID]
			if !ok {
				t.Errorf("%s: no proof for this contains item", it.ID)
				continue
			}
			if got := it.Answer.([]string); !slices.Contains(got, want) {
				t.Errorf("%s: answers %q do not include %q", it.ID, got, want)
			}
		default:
			t.Errorf("%s: unexpected type %s", it.ID, it.Type)
		}
		proved++
	}
	if proved != len(numbers)+len(texts)+len(contains) {
		t.Errorf("proved %d items, but there are %d proofs: a proof names no item", proved, len(numbers)+len(texts)+len(contains))
	}
	types := map[string]int{}
	for _, it := range s.Items {
		types[it.Type]++
	}
	for _, typ := range []string{TypeNumber, TypeExact, TypeContains} {
		if types[typ] == 0 {
			t.Errorf("no %s item: the seed's suite has all three types", typ)
		}
	}
}
