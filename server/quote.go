package server

import (
	"strings"

	"github.com/quanteval/quanteval/redact"
)

// Quote joins argv into one line a POSIX shell reads back as the same words.
func Quote(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteWord(a))
	}
	return b.String()
}

func quoteWord(s string) string {
	if s == "" {
		return "''"
	}
	// A redacted value is shown bare: it is not meant to be pasted back anyway.
	safe := true
	for _, r := range strings.ReplaceAll(s, redact.Mark, "") {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
