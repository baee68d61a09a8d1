package plan

import (
	"strings"
	"testing"
)

// Two evals or variants that would write the same output path are a plan error: on
// a case-insensitive file system (macOS, Windows) names differing only in case are one
// file, and a variant may not be named like a file or folder matrix itself writes in
// the output folder.
func TestParseRefusesSharedOutputs(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"evals differing in case", `
variants: [{name: A, model: a}]
evals:
  - {evalset: gsm8k.jsonl}
  - {name: GSM8K, evalset: other.jsonl}
`, []string{`p.yaml:5: evals[1].name: result name "GSM8K" is already used by the eval at line 4`}},
		{"variants differing in case", `
variants:
  - {name: Q4, model: a}
  - {name: q4, model: b}
evals: [{evalset: x.jsonl}]
`, []string{`p.yaml:4: variants[1].name: "q4" already names the variant at line 3`}},
		{"variants named like matrix's own files", `
variants:
  - {name: logs, model: a}
  - {name: Report, model: b}
  - {name: manifest.json, model: c}
evals: [{evalset: x.jsonl}]
`, []string{
			`p.yaml:3: variants[0].name: "logs" is taken by matrix's own logs in the output folder`,
			`p.yaml:4: variants[1].name: "Report" is taken by matrix's own report in the output folder`,
			`p.yaml:5: variants[2].name: "manifest.json" is taken by matrix's own manifest.json in the output folder`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("p.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; plan %+v", p)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\nwant it to contain\n%s", err, w)
				}
			}
		})
	}
}
