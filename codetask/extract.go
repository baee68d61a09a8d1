package codetask

import (
	"regexp"
	"strings"

	"github.com/quanteval/quanteval/score"
)

// block is one fenced block of a reply.
type block struct {
	lang string
	code string
}

// Extract returns the program of a reply (see the package comment for the rule) and
// false when there is none.
func Extract(reply string) (string, bool) {
	answer, truncated := score.StripThink(reply)
	if truncated {
		return "", false
	}
	blocks, fenced := fencedBlocks(answer)
	var code string
	for i := len(blocks) - 1; i >= 0 && code == ""; i-- {
		if isPython(blocks[i].lang) {
			code = blocks[i].code
		}
	}
	for i := len(blocks) - 1; i >= 0 && code == ""; i-- {
		code = blocks[i].code
	}
	if !fenced {
		code = answer
	}
	code = strings.Trim(code, "\n")
	if strings.TrimSpace(code) == "" {
		return "", false
	}
	return code + "\n", true
}

func isPython(lang string) bool {
	switch strings.ToLower(lang) {
	case "python", "py", "python3":
		return true
	}
	return false
}

// fencedBlocks returns the fenced blocks of s: a line starting (after spaces) with
// ``` opens one, with the language as its first word, and the next line of only
// ``` (or more backticks) closes it. An unclosed fence runs to the end. As in
// CommonMark, a fence indented by n spaces (in a list item, say) takes up to n
// spaces off each of its lines, so that its program starts at column 0. Blank
// blocks are left out; fenced says whether there was any fence.
func fencedBlocks(s string) (blocks []block, fenced bool) {
	var cur *block
	var lines []string
	indent := 0
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(t, "```"):
			lang, _, _ := strings.Cut(strings.TrimSpace(strings.TrimLeft(t, "`")), " ")
			cur, lines, fenced = &block{lang: lang}, nil, true
			indent = len(line) - len(strings.TrimLeft(line, " "))
		case cur != nil && strings.HasPrefix(t, "```") && strings.Trim(t, "`") == "":
			cur.code = strings.Join(lines, "\n")
			if strings.TrimSpace(cur.code) != "" {
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur != nil:
			lines = append(lines, unindent(line, indent))
		}
	}
	if cur != nil {
		cur.code = strings.Join(lines, "\n")
		if strings.TrimSpace(cur.code) != "" {
			blocks = append(blocks, *cur)
		}
	}
	return blocks, fenced
}

// definesFunc reports whether code defines the function name at any indentation.
func definesFunc(code, name string) bool {
	re := regexp.MustCompile(`(?m)^[ \t]*(async[ \t]+)?def[ \t]+` + regexp.QuoteMeta(name) + `[ \t]*\(`)
	return re.MatchString(code)
}

// unindent takes up to n leading spaces off line.
func unindent(line string, n int) string {
	i := 0
	for i < n && i < len(line) && line[i] == ' ' {
		i++
	}
	return line[i:]
}
