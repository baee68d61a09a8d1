package score

import "strings"

const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)

// StripThink removes every closed <think>...</think> block; truncated reports an
// unclosed <think> left over, in which case answer is the text before it.
//
// A </think> with no <think> before it ends reasoning whose opening tag was part of
// the prompt (chat templates that start the assistant turn with "<think>\n" do
// this): everything before it is dropped too. Blocks do not nest: a block ends at
// the first </think>, and a second </think> after it is such an orphan, so
// "<think>a<think>b</think>c</think>d" leaves "d".
func StripThink(s string) (answer string, truncated bool) {
	if !strings.Contains(s, "<think>") && !strings.Contains(s, "</think>") {
		return s, false
	}
	var b strings.Builder
	for {
		o := strings.Index(s, thinkOpen)
		c := strings.Index(s, thinkClose)
		switch {
		case c >= 0 && (o < 0 || c < o):
			b.Reset()
			s = s[c+len(thinkClose):]
		case o >= 0:
			b.WriteString(s[:o])
			rest := s[o+len(thinkOpen):]
			c = strings.Index(rest, thinkClose)
			if c < 0 {
				return b.String(), true
			}
			s = rest[c+len(thinkClose):]
		default:
			b.WriteString(s)
			return b.String(), false
		}
	}
}
