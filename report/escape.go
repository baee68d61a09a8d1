package report

import (
	"fmt"
	"strings"
)

// Text taken from result files (model names, labels, ids, categories, types, metric
// names, eval-set names) is escaped for the format it goes into; the reports' own
// words and numbers are written as they are:
//   - Markdown (and so the terminal, which shows the Markdown): no raw HTML (`<`, `>`
//     and `&` become entities), no cell that breaks its table (`|` and the backslash
//     and backtick escaped, line breaks and tabs become spaces), and no invisible
//     control: bidi controls, other control characters become visible escapes such
//     as `\u202e`, so a name cannot reorder or hide the text around it.
//   - CSV: a cell that a spreadsheet would run as a formula (one that starts with `=`,
//     `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP
//     recommends for CSV injection; numbers quanteval computed are never changed.

// mdEscape makes s safe as Markdown text and as a Markdown table cell.
func mdEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch r {
		case '\\', '`', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n':
			if i == 0 || s[i-1] != '\r' {
				b.WriteByte(' ')
			}
		case '\r', '\t', '\u0085', '\u2028', '\u2029':
			b.WriteByte(' ')
		default:
			if hiddenRune(r) {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hiddenRune reports the characters that are shown as escapes: the C0 and C1
// controls (a terminal runs some as commands), DEL, and the bidirectional controls,
// which reorder the text around them (the Trojan Source trick: U+202A–U+202E,
// U+2066–U+2069, the marks U+200E, U+200F and U+061C). A character that is not valid
// UTF-8 was already read as U+FFFD, which is visible.
func hiddenRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// csvText guards a CSV cell taken from a result file against formula injection.
func csvText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
