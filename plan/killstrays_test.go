package plan

import (
	"strings"
	"testing"
)

// TestKillStrays: kill_strays is off unless the plan sets it; a variant may turn
// the default off again; it reaches server.Spec and must be a boolean.
func TestKillStrays(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`
server: {kill_strays: true}
variants:
  - {name: A, model: a}
  - {name: B, model: b, kill_strays: false}
evals: [{evalset: x.jsonl}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Server.KillStrays || !p.Variants[0].Spec("a.log").KillStrays || p.Variants[1].Spec("b.log").KillStrays {
		t.Errorf("kill_strays: defaults %v, A %v, B %v; want true, true, false",
			p.Server.KillStrays, p.Variants[0].Server.KillStrays, p.Variants[1].Server.KillStrays)
	}
	p, err = Parse("p.yaml", []byte("variants: [{name: A, model: a}]\nevals: [{evalset: x.jsonl}]\n"))
	if err != nil || p.Variants[0].Spec("a.log").KillStrays {
		t.Errorf("kill_strays on by default (%v)", err)
	}
	_, err = Parse("p.yaml", []byte("variants: [{name: A, model: a, kill_strays: maybe}]\nevals: [{evalset: x.jsonl}]\n"))
	if err == nil || !strings.Contains(err.Error(), "p.yaml:1: variants[0].kill_strays: want true or false") {
		t.Errorf("err = %v", err)
	}
}
