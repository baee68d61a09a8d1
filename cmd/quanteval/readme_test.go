package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README is the spec: these tests hold the commands' help to it.

// readmeSection is the README's text from the heading title to the next "## ".
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", title)
	}
	text = text[i+1:]
	if j := strings.Index(text[3:], "\n## "); j >= 0 {
		text = text[:j+3]
	}
	return text
}

// helpFlags reads the flags a command's help lists: "--name ARG" and the default
// it shows.
func helpFlags(t *testing.T, args ...string) (forms, defaults map[string]string) {
	t.Helper()
	code, _, stderr := invoke(t, append(args, "-h")...)
	if code != 0 {
		t.Fatalf("%v -h: exit %d", args, code)
	}
	forms, defaults = map[string]string{}, map[string]string{}
	lines := strings.Split(stderr, "\n")
	flagLine := regexp.MustCompile(`^  (--([a-z-]+)(?: \S+)?)$`)
	def := regexp.MustCompile(`\(default (.*)\)$`)
	for i, l := range lines {
		if strings.HasPrefix(l, "  -") && !strings.HasPrefix(l, "  --") {
			t.Errorf("%v help writes %q: the README writes --flag", args, l)
		}
		m := flagLine.FindStringSubmatch(l)
		if m == nil || i+1 >= len(lines) {
			continue
		}
		forms[m[2]] = m[1]
		if d := def.FindStringSubmatch(lines[i+1]); d != nil {
			defaults[m[2]] = d[1]
		} else {
			defaults[m[2]] = ""
		}
	}
	return forms, defaults
}

// TestReadmeRunFlags: every flag of the README's `run` table exists, written as the
// help writes it, with the default the table states; and every flag of `run` is in
// the table.
func TestReadmeRunFlags(t *testing.T) {
	forms, defaults := helpFlags(t, "run")
	table := readmeSection(t, "`quanteval run`")
	var rows [][]string // flag, default, meaning
	for _, l := range strings.Split(table, "\n") {
		if c := strings.Split(l, "|"); len(c) == 5 && strings.HasPrefix(strings.TrimSpace(c[1]), "`--") {
			rows = append(rows, []string{"", c[1], c[2], c[3]})
		}
	}
	cell := regexp.MustCompile("`(--[a-z-]+(?: [A-Z]+)?)`")
	clean := func(s string) string {
		s = strings.TrimSpace(strings.ReplaceAll(s, "`", ""))
		if s == "0" { // help, as Go's flag package, shows no zero default
			return ""
		}
		return s
	}
	inTable := map[string]bool{}
	for _, r := range rows {
		for _, c := range cell.FindAllStringSubmatch(r[1], -1) {
			form := c[1]
			name, _, _ := strings.Cut(strings.TrimPrefix(form, "--"), " ")
			inTable[name] = true
			got, ok := forms[name]
			switch {
			case !ok:
				t.Errorf("README: %s: run has no such flag", form)
				continue
			case strings.Contains(form, " ") && got != form:
				t.Errorf("README writes %s, help %s", form, got)
			}
			if want := clean(r[2]); clean(defaults[name]) != want {
				t.Errorf("--%s: help shows default %q, the README %q", name, defaults[name], r[2])
			}
		}
		if strings.Contains(r[1], "--timeout") && !strings.Contains(r[3], "per request attempt") {
			t.Errorf("README: --timeout is per attempt: %q", r[3])
		}
	}
	for name := range forms {
		if !inTable[name] {
			t.Errorf("run --%s is not in the README's table", name)
		}
	}
	if len(inTable) < 20 {
		t.Errorf("read %d flags from the README's table: the test read too little", len(inTable))
	}
	_, _, stderr := invoke(t, "run", "-h")
	if !strings.Contains(stderr, "seconds per request attempt") {
		t.Error("help: --timeout is not said to be per attempt")
	}
}

// TestSynopses: every flag of compare and matrix is in its usage line and in the
// README's synopsis of the command.
func TestSynopses(t *testing.T) {
	for _, tc := range []struct{ cmd, usage, section string }{
		{"compare", compareUsage, "`quanteval compare`"},
		{"matrix", matrixUsage, "`quanteval matrix`"},
	} {
		forms, _ := helpFlags(t, tc.cmd)
		synopsis, _, _ := strings.Cut(tc.usage, "\n\n")
		readme := readmeSection(t, tc.section)
		_, readme, _ = strings.Cut(readme, "```\n")
		readme, _, _ = strings.Cut(readme, "```")
		for name := range forms {
			if !strings.Contains(synopsis, "[--"+name) {
				t.Errorf("%s: --%s is not in the usage line %q", tc.cmd, name, synopsis)
			}
			if !strings.Contains(readme, "[--"+name) {
				t.Errorf("%s: --%s is not in the README's synopsis %q", tc.cmd, name, readme)
			}
		}
		if len(forms) < 4 {
			t.Errorf("%s: %d flags in help", tc.cmd, len(forms))
		}
		if tc.cmd == "compare" && forms["chart-size"] != "--chart-size WIDTHxHEIGHT" {
			t.Errorf("compare help shows %q, want --chart-size WIDTHxHEIGHT", forms["chart-size"])
		}
	}
}
