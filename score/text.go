package score

import "strings"

// normalizeExact applies the exact rule, in this order: trim white space; remove one
// wrapper (a code fence, a pair of backticks, a pair of quotes); remove one trailing
// period; collapse runs of white space into one space. Case is kept. Both the reply
// and the expected answer go through it, so an answer that itself ends with a
// period still matches.
func normalizeExact(s string) string {
	s = unwrap(strings.TrimSpace(s))
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	return strings.Join(strings.Fields(s), " ")
}

// quotePairs are the wrappers removed by the exact rule besides code fences.
var quotePairs = [][2]string{
	{"`", "`"}, {`"`, `"`}, {"'", "'"}, {"“", "”"}, {"‘", "’"}, {"«", "»"},
}

// unwrap removes one wrapper around s: a code fence ("```lang\n...\n```", whose
// first line is its info string, or "```...```" on one line), else one pair of
// backticks or quotes.
func unwrap(s string) string {
	const fence = "```"
	if len(s) >= 2*len(fence) && strings.HasPrefix(s, fence) && strings.HasSuffix(s, fence) {
		inner := s[len(fence) : len(s)-len(fence)]
		if nl := strings.IndexByte(inner, '\n'); nl >= 0 {
			inner = inner[nl+1:]
		}
		return inner
	}
	for _, q := range quotePairs {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			return s[len(q[0]) : len(s)-len(q[1])]
		}
	}
	return s
}

// normalizeContains lowers case and collapses white space, so that a line break or a
// double space in the reply does not hide the expected text.
func normalizeContains(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
