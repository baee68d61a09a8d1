package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
		"base-url":    "the variant's server gives it",
		"model":       "the variant gives it",
		"out":         "the plan writes OUTPUT/VARIANT/EVAL.json",
		"resume":      "matrix --resume",
		"quiet":       "matrix shows each eval's progress",
		"shard":       "a plan runs each eval whole; --emit kubernetes shards it",
		"shard-count": "the same",
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
			eval.OptionalInt: "-7", eval.Float: "0.5", eval.Seconds: "30", eval.JSONObject: `{"top_k":1}`, eval.Bool: "false"}[s.Kind()]
		t.Run(s.Flag, func(t *testing.T) {
			fs, o, _, _, _ := runFlags(io.Discard)
			args := []string{"--evalset", "x.jsonl", "--" + s.Flag, text}
			if s.Kind() == eval.Bool {
				args = []string{"--evalset", "x.jsonl", "--" + s.Flag + "=" + text}
			}
			if err := fs.Parse(args); err != nil {
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

// TestPlanFewshotFile: a plan's eval takes fewshot_file (it was refused as an
// unknown key), and the dry run shows it as the run flag.
func TestPlanFewshotFile(t *testing.T) {
	dir := t.TempDir()
	planPath := filepath.Join(dir, "p.yaml")
	src := "output: " + filepath.Join(dir, "out") + "\nvariants: [{name: A, model: a, kind: external, base_url: \"http://127.0.0.1:9/v1\"}]\n" +
		"evals: [{evalset: test.parquet, task: gsm8k, fewshot: 3, fewshot_file: train.parquet, retries: 0}]\n"
	if err := os.WriteFile(planPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invoke(t, "matrix", planPath, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"--task gsm8k", "--fewshot 3", "--fewshot-file train.parquet", "--retries 0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
}
