package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestMDEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Qwen3-32B_FP8", "Qwen3-32B_FP8"},
		{"精度 模型", "精度 模型"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"a & b", "a &amp; b"},
		{"&lt;", "&amp;lt;"},
		{"a|b", `a\|b`},
		{`a\|b`, `a\\\|b`},
		{`ends\`, `ends\\`},
		{"`code`", "\\`code\\`"},
		{"two\nlines", "two lines"},
		{"crlf\r\nline", "crlf line"},
		{"cr\rtab\tls\u2028ps\u2029nel\u0085", "cr tab ls ps nel "},
		{"abc\u202edcba", `abc\u202edcba`},
		{"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"l\u200er\u200fa\u061c", `l\u200er\u200fa\u061c`},
		{"esc\x1b[2Jbell\x07del\x7fcsi\u009b", `esc\u001b[2Jbell\u0007del\u007fcsi\u009b`},
		{"nul\x00", `nul\u0000`},
		{"\u200d\u00e9", "\u200d\u00e9"}, // a joiner and an accent are text, not controls
	} {
		if got := mdEscape(tc.in); got != tc.want {
			t.Errorf("mdEscape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCSVText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Model-FP8", "Model-FP8"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"-0.5", "'-0.5"}, // a string from a result file, even if it reads as a number
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{" =1", " =1"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
	} {
		if got := csvText(tc.in); got != tc.want {
			t.Errorf("csvText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// hostile renames the fixture's models, ids, categories, types and metrics to
// text that would run as HTML, break a table, reorder a line or run as a formula.
func hostile(t *testing.T) *Comparison {
	t.Helper()
	ins := fixture()
	models := []string{"=cmd|' /C calc'!A0", "<img src=x onerror=alert(1)>|x", "org/Ref\u202eLFTB\u202c`x`"}
	for k, in := range ins {
		in.File.Model = models[k]
		for i := range in.File.Items {
			it := &in.File.Items[i]
			if i == 0 {
				it.ID = "@id<b>\u202e"
			}
			it.Category = "-cat|<i>" + it.Category + "\n"
			it.Type = "+" + it.Type
			it.Scores = map[string]bool{"@flex<b>": it.OK}
		}
	}
	c, err := Build(ins, Options{Alpha: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMarkdownHostileText(t *testing.T) {
	c := hostile(t)
	var b bytes.Buffer
	if err := c.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, bad := range []string{"<img", "<i>", "<b>", "\u202e", "\u202c", "-cat|", "`x`"} {
		if strings.Contains(md, bad) {
			t.Errorf("Markdown holds %q raw:\n%s", bad, md)
		}
	}
	for _, want := range []string{
		"| Ref\\u202eLFTB\\u202c\\`x\\` (ref) | org/Ref\\u202eLFTB\\u202c\\`x\\` |",
		`&lt;img src=x onerror=alert(1)&gt;\|x`,
		`| -cat\|&lt;i&gt;math  |`,
		`@flex&lt;b&gt;`,
		`@id&lt;b&gt;\u202e`,
		"p < 0.2", // our own text stays as it is
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every row of a table has as many cells as its header.
	var cells int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`) - 1
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("row has %d cells, its table %d: %s", n, cells, line)
		}
	}
}

func TestCSVHostileText(t *testing.T) {
	c := hostile(t)
	rows := csvRows(t, c)
	for _, r := range rows[1:] {
		for j, cell := range r {
			if cell == "" {
				continue
			}
			switch cell[0] {
			case '=', '+', '@', '\t', '\r':
				t.Errorf("column %s holds a formula: %q", csvHeader[j], cell)
			case '-':
				if !numeric(cell) {
					t.Errorf("column %s holds a formula: %q", csvHeader[j], cell)
				}
			}
		}
	}
	low := rows[3]
	if low[colIndex("model")] != "'=cmd|' /C calc'!A0" || low[colIndex("diff")] != "-0.400000" || !strings.HasPrefix(low[colIndex("lost_ids")], "'@id<b>\u202e i02") {
		t.Errorf("NVFP4 row = %q", low)
	}
	found := false
	for _, r := range rows {
		if r[0] == "category" && r[1] == "'-cat|<i>math\n" {
			found = true
		}
	}
	if !found {
		t.Error("no category row with the escaped category")
	}
}

func numeric(s string) bool {
	for _, r := range strings.TrimPrefix(s, "-") {
		if (r < '0' || r > '9') && r != '.' && r != 'e' && r != '+' && r != '-' {
			return false
		}
	}
	return true
}
