package score_test

import (
	"fmt"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/score"
)

func ExampleScore() {
	it := &evalset.Item{ID: "arith-21", Type: evalset.TypeNumber, Answer: 998001.0}
	fmt.Printf("%+v\n", score.Score(it, "<think>999^2 = 998001</think>**998,001**"))
	fmt.Printf("%+v\n", score.Score(it, "<think>999^2 = 1000000 - 1998 + 1"))

	gsm := &evalset.Item{ID: "gsm8k-0", Type: evalset.TypeGSM8K, Answer: 18.0}
	o := score.Score(gsm, "She sells 16 - 3 - 4 = 9 eggs for 9 * $2 = $18.")
	fmt.Println(o.OK, o.Reason, o.Scores["strict"], o.Scores["flexible"])
	// Output:
	// {OK:true Extracted:998001 Reason: Scores:map[] Normalized: NormalizedExpected: IFEval:<nil>}
	// {OK:false Extracted: Reason:truncated_thinking Scores:map[] Normalized: NormalizedExpected: IFEval:<nil>}
	// false no_final_answer false true
}

func ExampleLastNumber() {
	for _, s := range []string{"The answer is 12.", "x = -3", "3-4", "$1,234.50", "1,2", `\boxed{9}`, "15%"} {
		text, v, _ := score.LastNumber(s)
		fmt.Printf("%-18q %s %g\n", s, text, v)
	}
	// Output:
	// "The answer is 12." 12 12
	// "x = -3"           -3 -3
	// "3-4"              4 4
	// "$1,234.50"        1234.50 1234.5
	// "1,2"              2 2
	// "\\boxed{9}"       9 9
	// "15%"              15 15
}

func ExampleNormalizeMath() {
	for _, s := range []string{`x = \dfrac12`, `\left( 3, \frac{\pi}{2} \right)`, `30^{\circ}`, `\$1,000`, `5\text{ cm}`, "1/2"} {
		fmt.Printf("%-34q %s\n", s, score.NormalizeMath(s))
	}
	fmt.Println(score.EqualMath(score.NormalizeMath(`2\sqrt{3}`), score.NormalizeMath(`\sqrt{12}`)))
	// Output:
	// "x = \\dfrac12"                    \frac{1}{2}
	// "\\left( 3, \\frac{\\pi}{2} \\right)" (3,\frac{\pi}{2})
	// "30^{\\circ}"                      30
	// "\\$1,000"                         1000
	// "5\\text{ cm}"                     5
	// "1/2"                              \frac{1}{2}
	// true
}
