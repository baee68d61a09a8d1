package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/plan"
)

// TestRunFlagsAndPlanKeys walks the `run` flags and the keys of a plan's eval: each
// setting of one is in the other, named as its flag with _ for -, but for the few
// that belong to the command or to the plan, each with its reason.
func TestRunFlagsAndPlanKeys(t *testing.T) {
	flagOnly := map[string]string{
		"base-url": "the variant's server gives it",
		"model":    "the variant gives it",
		"out":      "the plan writes OUTPUT/VARIANT/EVAL.json",
		"resume":   "matrix --resume",
		"quiet":    "matrix shows each eval's progress",
	}
	planOnly := map[string]string{"name": "names the result file"}
	fs, _, _, _, _ := runFlags(io.Discard)
	keys := plan.EvalKeys()
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		key := strings.ReplaceAll(f.Name, "-", "_")
		switch _, only := flagOnly[f.Name]; {
		case only && slices.Contains(keys, key):
			t.Errorf("--%s is a plan key too, but flagOnly says %q", f.Name, flagOnly[f.Name])
		case !only && !slices.Contains(keys, key):
			t.Errorf("run --%s has no plan key %s", f.Name, key)
		}
	})
	for _, k := range keys {
		if _, only := planOnly[k]; !only && fs.Lookup(strings.ReplaceAll(k, "_", "-")) == nil {
			t.Errorf("plan key %s has no run flag", k)
		}
	}
	if n < 20 || len(keys) < 18 {
		t.Errorf("%d flags and %d keys: the walk saw too little", n, len(keys))
	}
}

// TestPlanKeyIsFlag: every plan key gives the options its flag gives.
func TestPlanKeyIsFlag(t *testing.T) {
	for _, s := range eval.Settings {
		if !s.InPlan() || s.Flag == "evalset" {
			continue
		}
		text := map[eval.Kind]string{eval.String: "v1.x", eval.OptionalString: "be brief", eval.Int: "7",
			eval.OptionalInt: "-7", eval.Float: "0.5", eval.Seconds: "30", eval.JSONObject: `{"top_k":1}`}[s.Kind()]
		t.Run(s.Flag, func(t *testing.T) {
			fs, o, _, _, _ := runFlags(io.Discard)
			if err := fs.Parse([]string{"--evalset", "x.jsonl", "--" + s.Flag, text}); err != nil {
				t.Fatal(err)
			}
			src := fmt.Sprintf("variants: [{name: A, model: a}]\nevals:\n  - evalset: x.jsonl\n    %s: '%s'\n", s.Key(), text)
			if k := s.Kind(); k != eval.String && k != eval.OptionalString && k != eval.JSONObject {
				src = fmt.Sprintf("variants: [{name: A, model: a}]\nevals:\n  - evalset: x.jsonl\n    %s: %s\n", s.Key(), text)
			}
			p, err := plan.Parse("p.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Evals[0].Options; !reflect.DeepEqual(got, *o) {
				t.Errorf("plan %s: %s gives\n%+v\nthe flag gives\n%+v", s.Key(), text, got, *o)
			}
			if !reflect.DeepEqual(p.Evals[0].Given, []string{"evalset", s.Flag}) {
				t.Errorf("given %v", p.Evals[0].Given)
			}
		})
	}
}
