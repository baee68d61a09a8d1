package eval

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
)

func TestRepeatsFlag(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := Defaults()
	Register(fs, &o)
	if err := fs.Parse([]string{"--repeats", "8"}); err != nil || o.Repeats != 8 {
		t.Fatalf("--repeats 8: %v, %d", err, o.Repeats)
	}
	if Defaults().Repeats != 0 || o.config(&evalset.Set{}).Repeats != 8 {
		t.Errorf("default %d (0: the set's own, else 1), config %d", Defaults().Repeats, o.config(&evalset.Set{}).Repeats)
	}
	o.Repeats = -1
	if err := o.Check(); err == nil || !strings.Contains(err.Error(), "--repeats") {
		t.Errorf("--repeats -1: %v", err)
	}
}

// Through Run: four samples of six items, the stand-in right on sample s of item I
// when s < I mod 4 (told by the seed, 50 + s).
func TestRunRepeats(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, `{"id": "q%d", "type": "number", "prompt": "question %d", "answer": %d}`+"\n", i, i, 10+i)
	}
	set := filepath.Join(dir, "six.jsonl")
	if err := os.WriteFile(set, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(req vllmtest.ChatRequest) vllmtest.Reply {
		var i int
		fmt.Sscanf(req.LastUser(), "question %d", &i)
		if *req.Seed-50 < int64(i%4) {
			return vllmtest.Reply{Content: vllmtest.Text(fmt.Sprint(10 + i))}
		}
		return vllmtest.Reply{Content: vllmtest.Text(fmt.Sprint(-int64(i) - *req.Seed))} // wrong, never the same twice
	}})
	o := Defaults()
	seed := int64(50)
	o.BaseURL, o.Evalset, o.Repeats, o.Seed = []string{hs.URL}, set, 4, &seed
	f, err := Run(context.Background(), o, Output{Path: filepath.Join(dir, "r.json")})
	if err != nil {
		t.Fatal(err)
	}
	// Right samples per item: 0, 1, 2, 3, 0, 1 of 4. avg@4 = 7/24; pass@2 per item
	// 0, 1/2, 5/6, 1, 0, 1/2; pass@4: 4 of 6 items. Majority: the wrong answers all
	// differ, so an item with one right sample wins by its first vote only if it
	// came first (it does: sample 0); items 1, 2, 3, 5 are right.
	s := f.Summary
	if len(f.Items) != 24 || s.Samples != 4 || math.Abs(s.AvgAtN.Value-7.0/24) > 1e-12 {
		t.Fatalf("%d records, summary %+v, avg %+v", len(f.Items), s, s.AvgAtN)
	}
	for k, want := range map[string]float64{"1": 7.0 / 24, "2": (0 + 0.5 + 5.0/6 + 1 + 0 + 0.5) / 6, "4": 4.0 / 6} {
		if math.Abs(s.PassAtK[k]-want) > 1e-12 {
			t.Errorf("pass@%s = %v, want %v", k, s.PassAtK[k], want)
		}
	}
	if s.MajAtN == nil || math.Abs(*s.MajAtN-4.0/6) > 1e-12 {
		t.Errorf("maj@n = %v, want 4/6", s.MajAtN)
	}
}

// A set's own repeats (a task spec's defaults) apply unless --repeats is given.
func TestSetRepeatsDefault(t *testing.T) {
	set := &evalset.Set{Sampling: &evalset.Sampling{Repeats: 16}}
	o := Defaults()
	if got := o.config(set).Repeats; got != 16 {
		t.Errorf("the set's repeats: %d, want 16", got)
	}
	o.Repeats = 2
	if got := o.config(set).Repeats; got != 2 {
		t.Errorf("--repeats 2 over the set's 16: %d", got)
	}
}
