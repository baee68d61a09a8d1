package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestResultWarnings: what a run noticed (a damaged journal line skipped on resume,
// in the result's "warnings") is a warning of the comparison, named by variant, in
// every format, escaped like all text taken from a result file.
func TestResultWarnings(t *testing.T) {
	ins := fixture()
	damaged := "r.json.journal:57: damaged journal line skipped (invalid character '<'); its item is asked again"
	ins[0].File.Warnings = []string{damaged, "=HYPERLINK(\"x\") <b>bold</b>"}
	ins[2].File.Warnings = []string{"ref.json.journal:3: damaged journal line skipped"}
	c, err := Build(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Model-NVFP4: " + damaged, "Model: ref.json.journal:3: damaged journal line skipped"} {
		if !slices.Contains(c.Warnings, want) {
			t.Errorf("warnings %q lack %q", c.Warnings, want)
		}
	}
	var md, csvOut bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "r.json.journal:57: damaged journal line skipped") {
		t.Errorf("Markdown lacks the run's warning:\n%s", md.String())
	}
	if strings.Contains(md.String(), "<b>") {
		t.Errorf("Markdown has raw HTML from a result's warning:\n%s", md.String())
	}
	if err := c.CSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvOut.String(), "r.json.journal:57") {
		t.Errorf("CSV lacks the run's warning:\n%s", csvOut.String())
	}
}
