package score

import "testing"

func TestStripThink(t *testing.T) {
	tests := []struct {
		name, in, want string
		truncated      bool
	}{
		{"none", "42", "42", false},
		{"empty", "", "", false},
		{"closed", "<think>\nlet me see: 6*7\n</think>\n\n42", "\n\n42", false},
		{"several", "<think>a 1</think>x<think>b 2</think>y", "xy", false},
		{"after the answer", "42 <think>was it 41?</think>", "42 ", false},
		{"unclosed", "<think>6*7 is 4", "", true},
		{"unclosed after a closed one", "<think>a</think>42<think>hmm", "42", true},
		{"answer before unclosed", "The answer is 42 <think>wait", "The answer is 42 ", true},
		{"orphan close: opening tag was in the prompt", "reasoning 41\n</think>\n\n42", "\n\n42", false},
		{"orphan close after a block", "<think>a</think>b 7</think>c", "c", false},
		{"no nesting", "<think>a<think>b</think>c</think>d", "d", false},
		{"only think", "<think>all reasoning</think>", "", false},
		{"tags are case-sensitive", "<THINK>x</THINK>", "<THINK>x</THINK>", false},
		{"stray text around", "pre<think>x</think>post", "prepost", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, truncated := StripThink(tt.in)
			if got != tt.want || truncated != tt.truncated {
				t.Errorf("StripThink(%q) = %q, %v; want %q, %v", tt.in, got, truncated, tt.want, tt.truncated)
			}
		})
	}
}
