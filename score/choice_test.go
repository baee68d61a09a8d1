package score

import (
	"reflect"
	"testing"
)

// The closing sentences models use to state a choice, and their hedges.
func TestScoreChoiceClosingSentences(t *testing.T) {
	runScoreCases(t, []scoreCase{
		{"option X is correct", choice("B"), "Looking at each one, Option B is correct.", ok("B")},
		{"option X is the correct answer", choice("B"), "Option (B) is the correct answer.", ok("B")},
		{"choice X is right", choice("C"), "So choice C is right.", ok("C")},
		{"X is the correct answer", choice("D"), "After checking, D is the correct answer.", ok("D")},
		{"bold X is correct", choice("D"), "**D** is correct.", ok("D")},
		{"bracketed small x is correct", choice("A"), "(a) is the best option.", ok("A")},
		{"X is correct, wrong", choice("D"), "A is correct.", fail(ReasonWrongChoice, "A")},
		{"the answer would be X", choice("C"), "Given the numbers, the answer would be C.", ok("C")},
		{"the answer should be X", choice("C"), "The answer should be (C).", ok("C")},
		{"the answer must be X", choice("A"), "Hence the answer must be A", ok("A")},
		{"the answer is therefore X", choice("B"), "The answer is therefore B.", ok("B")},
		{"the answer is thus X", choice("B"), "The correct answer is thus **B**.", ok("B")},
		{"the answer is clearly, X", choice("B"), "The answer is clearly, B.", ok("B")},
		{"I would go with X", choice("A"), "Both look close, but I would go with A.", ok("A")},
		{"I'd go with option X", choice("C"), "I'd go with option C.", ok("C")},
		{"I'll go with X", choice("C"), "I'll go with (c).", ok("C")},
		{"I'm going with X", choice("D"), "I'm going with D", ok("D")},
		{"I choose X", choice("B"), "I choose B.", ok("B")},
		{"we pick X", choice("B"), "Therefore we pick **B**.", ok("B")},
		{"Going with X", choice("A"), "Hmm. Going with A.", ok("A")},
		{"last statement wins", choice("C"), "Option A is correct? No: checking again, C is the correct answer.", ok("C")},
		{"answer line after a closing sentence", choice("D"), "B is correct, I think.\nAnswer: D", ok("D")},
		{"closing sentence after an answer line", choice("B"), "Answer: D\nWait, that's wrong. B is the correct answer.", ok("B")},
		{"is correct inside an explanation", choice("A"), "The answer is (A), since B is correct only when n is odd.\nHere n is even.", ok("A")},
		{"go with inside an explanation", choice("C"), "Answer: C\nI would go with D if there were no friction.\nBut there is.", ok("C")},
		{"closing sentence after blank lines", choice("B"), "Thinking about it.\n\nI'd go with B.\n\n", ok("B")},
		// Hedges and near misses.
		{"hedge: X or Y is correct", choice("A"), "A or B is correct.", fail(ReasonNoChoice, "A,B")},
		{"hedge: X, Y is correct", choice("A"), "Either (A), (C) is correct.", fail(ReasonNoChoice, "A,C")},
		{"hedge: go with X or Y", choice("A"), "I would go with A or C.", fail(ReasonNoChoice, "A,C")},
		{"hedge: answer would be X or Y", choice("A"), "The answer would be A or B.", fail(ReasonNoChoice, "A,B")},
		{"negated: X is not correct", choice("A"), "B is not correct.", fail(ReasonNoChoice, "")},
		{"negated bracket", choice("A"), "The answer is not (A).", fail(ReasonNoChoice, "")},
		{"negated bracket, then stated", choice("B"), "It is not (A); it is (B).", ok("B")},
		{"negated bold", choice("C"), "It isn't **A**, so **C**.", ok("C")},
		{"a word ending in not is no negation", choice("A"), "The sailor's knot (A) holds.", ok("A")},
		{"incorrect is not correct", choice("A"), "Option B is incorrect.", fail(ReasonNoChoice, "")},
		{"word before is correct", choice("A"), "This is correct.", fail(ReasonNoChoice, "")},
		// A lone capital after a word still reads as a choice: a known limit.
		{"lone capital after a word", choice("A"), "Vitamin C is the best here.", fail(ReasonWrongChoice, "C")},
		{"digit before letter", choice("A"), "3B is correct.", fail(ReasonNoChoice, "")},
		{"pick without a person", choice("A"), "Choose A as the origin.", fail(ReasonNoChoice, "")},
		{"small letter after I choose", choice("A"), "I choose a bigger number.", fail(ReasonNoChoice, "")},
		{"would be with a word", choice("A"), "The answer would be different.", fail(ReasonNoChoice, "")},
	})
}

func TestScoreChoiceManyOptions(t *testing.T) {
	opts := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "option text " + string(rune('a'+i)) + string(rune('a'+i))
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		answer  string
		n       int
		content string
		want    Outcome
	}{
		{"twelve options, L", "L", 12, "Answer: L", ok("L")},
		{"twelve options, K wrong", "L", 12, "Answer: K", fail(ReasonWrongChoice, "K")},
		{"twelve options, M is a word", "L", 12, "Answer: M", fail(ReasonNoChoice, "")},
		{"four options, E is a word", "A", 4, "Answer: E", fail(ReasonNoChoice, "")},
		{"four options, J no longer read", "A", 4, "J is correct", fail(ReasonNoChoice, "")},
		{"three options", "C", 3, "**C**", ok("C")},
		{"26 options", "Z", 26, "Answer: Z", ok("Z")},
		{"no options known: J", "A", 0, "Answer: J", fail(ReasonWrongChoice, "J")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var o []string
			if tt.n > 0 {
				o = opts(tt.n)
			}
			if got := ScoreOptions(choice(tt.answer), o, tt.content); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestScoreChoiceOptionText(t *testing.T) {
	capitals := []string{"Paris", "Paris, Texas", "Lyon", "Marseille"}
	numbers := []string{"2", "12", "1/2", "none of these"}
	for _, tt := range []struct {
		name    string
		options []string
		answer  string
		content string
		want    Outcome
	}{
		{"whole reply is the text", capitals, "C", "Lyon", ok("C")},
		{"whole reply with markdown and period", capitals, "C", "**lyon.**", ok("C")},
		{"text in a sentence", capitals, "D", "It is Marseille, the port city.", ok("D")},
		{"longer option wins over its part", capitals, "B", "The town is Paris, Texas.", ok("B")},
		{"shorter alone", capitals, "A", "The capital is Paris.", ok("A")},
		{"two options named", capitals, "A", "Either Paris or Lyon.", fail(ReasonNoChoice, "")},
		{"wrong text", capitals, "A", "Marseille", fail(ReasonWrongChoice, "D")},
		{"no option text", capitals, "A", "Berlin", fail(ReasonNoChoice, "")},
		{"letter wins over text", capitals, "C", "Answer: C (Paris is wrong)", ok("C")},
		{"digits as whole words", numbers, "B", "The result is 12", ok("B")},
		{"digit inside a number is not an option", numbers, "A", "The result is 123", fail(ReasonNoChoice, "")},
		{"multi-word option", numbers, "D", "I think none of these fit.", ok("D")},
		{"case and spacing ignored", numbers, "D", "NONE   OF\nTHESE", ok("D")},
		{"without option texts no match", nil, "C", "Lyon", fail(ReasonNoChoice, "")},
		{"think removed first", capitals, "C", "<think>Paris?</think>Lyon", ok("C")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScoreOptions(choice(tt.answer), tt.options, tt.content); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ScoreOptions(%q)\n got %+v\nwant %+v", tt.content, got, tt.want)
			}
		})
	}
}

// Options change nothing for other item types.
func TestScoreOptionsOtherTypes(t *testing.T) {
	if got, want := ScoreOptions(num(12), []string{"12"}, "12"), Score(num(12), "12"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// Audit against lm-evaluation-harness's generative readers (mmlu_pro's "answer is
// \(?X\)?", gpqa's "The answer is ..." with punctuation ignored): replies they read
// that we once did not.
func TestScoreChoiceHarnessAudit(t *testing.T) {
	runScoreCases(t, []scoreCase{
		// Quoted letters (gpqa strict strips the quotes as punctuation).
		{"single quotes", choice("C"), "The answer is 'C'.", ok("C")},
		{"double quotes", choice("C"), `The answer is "C".`, ok("C")},
		{"curly quotes", choice("C"), "The answer is “C”.", ok("C")},
		{"curly single quotes", choice("C"), "The answer is ‘C’.", ok("C")},
		{"period inside the quotes", choice("C"), "The answer is 'C.'", ok("C")},
		{"answer line quoted", choice("C"), "Answer: 'C'", ok("C")},
		{"quoted small letter", choice("A"), `The answer is "a".`, ok("A")},
		{"lone guillemets", choice("C"), "«C»", ok("C")},
		{"quoted words are not a letter", choice("A"), "The answer is 'a bit' unclear.", fail(ReasonNoChoice, "")},
		{"quoted option text is not a letter", choice("A"), `The answer is "All of the above".`, fail(ReasonNoChoice, "")},
		// The pronoun I after an answer is not option I (mmlu_pro reads the first letter).
		{"X, I think", choice("C"), "The answer is C, I think.", ok("C")},
		{"X, I'm sure", choice("C"), "The answer is C, I'm fairly sure.", ok("C")},
		{"X and I am", choice("C"), "Answer: C and I am confident.", ok("C")},
		{"X or I am wrong", choice("B"), "The answer is B or I am wrong.", ok("B")},
		{"I'm after answer is not I", choice("I"), "Answer: I'm not sure, maybe B.", fail(ReasonNoChoice, "")},
		{"I'd after answer is not I", choice("I"), "Answer: I'd say B", fail(ReasonNoChoice, "")},
		// Option I itself, and hedges with it, as before.
		{"option I", choice("I"), "Answer: I", ok("I")},
		{"option I quoted", choice("I"), "Answer: 'I'", ok("I")},
		{"hedge X and I", choice("B"), "Answer: B and I.", fail(ReasonNoChoice, "B,I")},
		{"hedge X, I", choice("B"), "Answer: B, I", fail(ReasonNoChoice, "B,I")},
		{"hedge (X) or (I)", choice("B"), "The answer is (B) or (I).", fail(ReasonNoChoice, "B,I")},
		{"possessive letter still read", choice("B"), "Answer: B's value is 3", ok("B")},
	})
}
