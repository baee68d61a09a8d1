package eval

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/hubtest"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// math500Row is a row of HuggingFaceH4/MATH-500 as the hub's parquet conversion
// (refs/convert/parquet) holds it.
type math500Row struct {
	Problem  string `parquet:"problem,optional"`
	Solution string `parquet:"solution,optional"`
	Answer   string `parquet:"answer,optional"`
	Subject  string `parquet:"subject,optional"`
	Level    int64  `parquet:"level,optional"`
	UniqueID string `parquet:"unique_id,optional"`
}

const math500Commit = "ff5b20257d8185524591543f8ff5993951537bb8"

// serveMath500 serves three MATH-500 rows at refs/convert/parquet, in its layout.
func serveMath500(t *testing.T) {
	t.Helper()
	hub := hubtest.NewServer(t)
	hub.Setenv(t)
	rows := []math500Row{
		{Problem: "problem 0: what is 1/2 as a fraction?", Answer: `\frac{1}{2}`, Subject: "Algebra", Level: 1, UniqueID: "test/algebra/1.json"},
		{Problem: "problem 1: convert (0,3) to polar coordinates.", Answer: `\left( 3, \frac{\pi}{2} \right)`, Subject: "Precalculus", Level: 2, UniqueID: "test/precalculus/807.json"},
		{Problem: "problem 2: how many degrees?", Answer: `90^\circ`, Subject: "Geometry", Level: 3, UniqueID: "test/geometry/5.json"},
	}
	hub.AddDatasetAt("HuggingFaceH4/MATH-500", "refs/convert/parquet", math500Commit, map[string][]byte{
		"default/test/0000.parquet": hubtest.WriteParquet(t, rows),
	})
}

// mathServer answers each problem in a thinking model's way: a think block, then
// the answer in \boxed{}; problem 2 is answered wrong.
func mathServer(t *testing.T) (*vllmtest.Server, string) {
	t.Helper()
	answers := map[string]string{"problem 0": `0.5`, "problem 1": `(3,\frac{\pi}{2})`, "problem 2": `45`}
	srv := vllmtest.New(vllmtest.Options{Capture: true, Answer: func(r vllmtest.ChatRequest) vllmtest.Reply {
		for k, a := range answers {
			if strings.Contains(r.LastUser(), k) {
				return vllmtest.Reply{Content: vllmtest.Text("<think>let me see</think>So the answer is $\\boxed{" + a + "}$.")}
			}
		}
		return vllmtest.Reply{Content: vllmtest.Text("no idea")}
	}})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

func runTask(t *testing.T, o Options) (*result.File, error) {
	t.Helper()
	o.Concurrency = 2
	return Run(context.Background(), o, Output{Path: filepath.Join(t.TempDir(), "out.json")})
}

// `--evalset math500` downloads the spec's rows at its revision, scores boxed
// answers by the math rules and sends the spec's sampling defaults.
func TestRunBuiltinMath500(t *testing.T) {
	serveMath500(t)
	srv, url := mathServer(t)
	o := Defaults()
	o.BaseURL, o.Evalset = []string{url}, "math500"
	f, err := runTask(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if f.Summary.Count != 3 || f.Summary.OK != 2 || f.Evalset.Name != "math500" {
		t.Fatalf("summary %+v of %s", f.Summary, f.Evalset.Name)
	}
	byID := map[string]result.Record{}
	for _, r := range f.Items {
		byID[r.ID] = r
	}
	if r := byID["test/algebra/1.json"]; !r.OK || r.Normalized != "0.5" || r.NormalizedExpected != `\frac{1}{2}` {
		t.Errorf("0.5 for 1/2: %+v", r)
	}
	if r := byID["test/geometry/5.json"]; r.OK || r.Reason != "wrong_answer" || r.NormalizedExpected != "90" {
		t.Errorf("45 for 90 degrees: %+v", r)
	}
	if p := f.Params; p.MaxTokens != 32768 || p.Temperature != 0.6 || p.TopP == nil || *p.TopP != 0.95 || p.TopK == nil || *p.TopK != 20 || p.MinP != nil {
		t.Errorf("params %+v: want the spec's defaults", p)
	}
	for _, b := range srv.Bodies() {
		if b["top_p"] != 0.95 || b["top_k"] != 20.0 || b["temperature"] != 0.6 || b["max_tokens"] != 32768.0 {
			t.Errorf("request body %v: want the spec's sampling", b)
		}
		if _, sent := b["min_p"]; sent {
			t.Errorf("min_p sent though neither the spec nor the options give it: %v", b)
		}
	}

	// Flags win over the spec's defaults; a flag the spec does not give is sent.
	o.MaxTokens, o.Temperature = 1000, 0.3
	topK, minP := int64(-1), 0.05
	o.TopK, o.MinP = &topK, &minP
	if f, err = runTask(t, o); err != nil {
		t.Fatal(err)
	}
	if p := f.Params; p.MaxTokens != 1000 || p.Temperature != 0.3 || *p.TopK != -1 || *p.MinP != 0.05 || *p.TopP != 0.95 {
		t.Errorf("params %+v: want the flags over the spec", p)
	}
	last := srv.Bodies()[len(srv.Bodies())-1]
	if last["top_k"] != -1.0 || last["min_p"] != 0.05 || last["temperature"] != 0.3 {
		t.Errorf("request body %v: want the flags", last)
	}
}

// A user's spec over a local JSONL file (its path relative to the spec) runs like
// a built-in one; --limit applies after the items are built.
func TestRunUserSpecFile(t *testing.T) {
	_, url := mathServer(t)
	dir := t.TempDir()
	rows := `{"q": "problem 0", "a": "1/2", "topic": "fractions"}
{"q": "problem 2", "a": "45", "topic": "angles"}
{"q": "problem 9", "a": "7", "topic": "angles"}
`
	spec := `name: my_math
source: {file: data/rows.jsonl}
id: 'mine-{{row}}'
prompt: "{{.q}} Put the answer in \\boxed{}."
answer: "{{.a}}"
category: "{{.topic}}"
scorer: math
defaults: {max_tokens: 77}
`
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "rows.jsonl"), []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "my.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Defaults()
	o.BaseURL, o.Evalset = []string{url}, "task:"+path
	f, err := runTask(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if f.Evalset.Name != "my_math" || f.Summary.Count != 3 || f.Summary.OK != 2 || f.Params.MaxTokens != 77 {
		t.Fatalf("%s: %+v, max_tokens %d", f.Evalset.Name, f.Summary, f.Params.MaxTokens)
	}
	if f.Items[0].ID != "mine-0" || f.Items[0].Category != "fractions" || !f.Items[0].OK {
		t.Errorf("first record %+v", f.Items[0])
	}
	o.Limit = 1
	limited, err := runTask(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if limited.Summary.Count != 1 || limited.Evalset.SHA256 != f.Evalset.SHA256 {
		t.Errorf("--limit 1: %d items, sha256 %s (whole set %s)", limited.Summary.Count, limited.Evalset.SHA256, f.Evalset.SHA256)
	}
}

// A spec that refers to a column the data lacks is the input's error (exit 2),
// before any request, naming the column and the columns the data has.
func TestRunSpecMissingColumn(t *testing.T) {
	srv, url := mathServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rows.jsonl"), []byte(`{"question": "q", "answer": "1"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bad.yaml")
	spec := "name: bad\nsource: {file: rows.jsonl}\nid: '{{row}}'\nprompt: '{{.problem}}'\nanswer: '{{.answer}}'\nscorer: math\n"
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Defaults()
	o.BaseURL, o.Evalset = []string{url}, "task:"+path
	_, err := runTask(t, o)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want an *InputError", err, err)
	}
	for _, want := range []string{`"problem"`, "answer, question", path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if n := len(srv.Bodies()); n != 0 {
		t.Errorf("%d requests sent before the error", n)
	}
}

// A spec error (an unknown key) and an unknown spec file are the input's.
func TestOpenTaskSpecErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(path, []byte("name: x\nsource: {file: r.jsonl}\nid: a\nprompt: b\nanswer: c\nscorer: math\npromtp: d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ spec, want string }{
		{"task:" + path, fmt.Sprintf("%s:7", path)},
		{"task:" + filepath.Join(dir, "none.yaml"), "none.yaml"},
	} {
		o := Defaults()
		o.Evalset = tc.spec
		_, err := OpenSet(context.Background(), o, nil)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an input error naming %s", tc.spec, err, tc.want)
		}
	}
}
