package eval

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/run"
)

// An output that is also an input (the eval set, a local data set, the few-shot
// file, by any path to the same file, or the journal or side file beside the output)
// is refused before any request, naming both, and the input is left as it was.
func TestRunRefusesOutputThatIsInput(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{})
	setData := `{"id": "a", "type": "exact", "prompt": "say hi", "answer": "hi"}` + "\n"
	gsm := `{"question": "What is 1+1?", "answer": "1+1=2\n#### 2"}` + "\n" + `{"question": "What is 2+2?", "answer": "2+2=4\n#### 4"}` + "\n"
	plain := func(file string) func(*Options) {
		return func(o *Options) { o.Evalset = file }
	}
	standard := func(o *Options) {
		o.Evalset, o.Task, o.Fewshot, o.FewshotFile = "test.jsonl", "gsm8k", 1, "train.jsonl"
	}
	for _, tc := range []struct {
		name   string
		opts   func(*Options)
		out    string // relative to a fresh folder holding the inputs
		input  string
		resume bool
	}{
		{"the eval set", plain("set.jsonl"), "set.jsonl", "set.jsonl", false},
		{"the eval set, ./ form", plain("set.jsonl"), "./set.jsonl", "set.jsonl", false},
		{"the eval set by a symlink", plain("set.jsonl"), "link.jsonl", "set.jsonl", false},
		{"the eval set by a hard link", plain("hard.jsonl"), "set.jsonl", "hard.jsonl", false},
		{"the eval set on resume", plain("set.jsonl"), "sub/../set.jsonl", "set.jsonl", true},
		{"its journal", plain("r.json.journal"), "r.json", "r.json.journal", false},
		{"its kept journal", plain("r.json.journal.prev"), "r.json", "r.json.journal.prev", false},
		{"the logprobs side file", func(o *Options) { o.Evalset, o.Logprobs = "r.logprobs.jsonl", 2 }, "r.json", "r.logprobs.jsonl", false},
		{"the local data set", standard, "test.jsonl", "test.jsonl", false},
		{"the few-shot file", standard, "train.jsonl", "train.jsonl", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for _, name := range []string{"set.jsonl", "r.json.journal", "r.json.journal.prev", "r.logprobs.jsonl"} {
				os.WriteFile(name, []byte(setData), 0o644)
			}
			os.WriteFile("test.jsonl", []byte(gsm), 0o644)
			os.WriteFile("train.jsonl", []byte(gsm), 0o644)
			os.Symlink("set.jsonl", "link.jsonl")
			os.Link("set.jsonl", "hard.jsonl")

			o := Defaults()
			o.BaseURL, o.Model, o.APIKeyEnv = []string{hs.URL}, "test-model", ""
			tc.opts(&o)
			before, _ := os.ReadFile(tc.input)
			sent := srv.Requests()
			_, err := Run(context.Background(), o, Output{Path: tc.out, Resume: tc.resume})
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if !strings.Contains(err.Error(), "same file as "+tc.input) || !strings.Contains(err.Error(), "--out "+tc.out) {
				t.Errorf("err = %q, want it to name --out %s and the input %s", err, tc.out, tc.input)
			}
			if n := srv.Requests() - sent; n != 0 {
				t.Errorf("%d requests sent", n)
			}
			if after, _ := os.ReadFile(tc.input); string(after) != string(before) {
				t.Errorf("the input was changed:\n%s", after)
			}
		})
	}
	// The same files under other names are no clash: the run goes ahead.
	t.Run("no clash", func(t *testing.T) {
		t.Chdir(t.TempDir())
		os.WriteFile("set.jsonl", []byte(setData), 0o644)
		o := Defaults()
		o.BaseURL, o.Model, o.APIKeyEnv, o.Evalset = []string{hs.URL}, "test-model", "", "set.jsonl"
		if _, err := Run(context.Background(), o, Output{Path: "set.json"}); errors.As(err, new(*InputError)) {
			t.Fatalf("refused: %v", err)
		}
	})
}

// A run on an output another run is writing is bad input too (exit 2), named.
func TestRunRefusesOutputBeingWritten(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{})
	t.Chdir(t.TempDir())
	os.WriteFile("set.jsonl", []byte(`{"id": "a", "type": "exact", "prompt": "say hi", "answer": "hi"}`+"\n"), 0o644)
	lock, err := run.LockOutput("r.json")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	o := Defaults()
	o.BaseURL, o.Model, o.APIKeyEnv, o.Evalset = []string{hs.URL}, "test-model", "", "set.jsonl"
	_, err = Run(context.Background(), o, Output{Path: "r.json", Resume: true})
	if !errors.As(err, new(*InputError)) || !strings.Contains(err.Error(), "is writing r.json") {
		t.Fatalf("err = %v, want an *InputError naming the holder", err)
	}
	if srv.Requests() != 0 {
		t.Errorf("%d requests sent", srv.Requests())
	}
}
