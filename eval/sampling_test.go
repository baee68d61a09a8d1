package eval

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/run"
)

func TestSamplingFlags(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := Defaults()
	Register(fs, &o)
	if err := fs.Parse([]string{"--top-p", "0.95", "--top-k", "20", "--min-p", "0", "--presence-penalty", "-1.5"}); err != nil {
		t.Fatal(err)
	}
	if o.TopP == nil || *o.TopP != 0.95 || o.TopK == nil || *o.TopK != 20 || o.MinP == nil || *o.MinP != 0 || *o.PresencePenalty != -1.5 {
		t.Fatalf("options %+v", o)
	}
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	// "" is not given, as a plan's null is.
	if err := fs.Parse([]string{"--top-p", "", "--top-k", ""}); err != nil {
		t.Fatal(err)
	}
	if o.TopP != nil || o.TopK != nil || o.MinP == nil {
		t.Errorf("after \"\": top_p %v top_k %v min_p %v", o.TopP, o.TopK, o.MinP)
	}
	for flagName, text := range map[string]string{"top-p": "1.5", "min-p": "-0.1", "presence-penalty": "3"} {
		o := Defaults()
		s := Lookup(flagName)
		v, err := s.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(&o, v); err == nil {
			t.Errorf("--%s %s accepted", flagName, text)
		}
		s.store(&o, v)
		if err := o.Check(); err == nil || !strings.Contains(err.Error(), "--"+flagName) {
			t.Errorf("--%s %s: Check says %v", flagName, text, err)
		}
	}
	if k := Lookup("top_k").Kind(); k != OptionalInt {
		t.Errorf("top_k kind %v", k)
	}
	if k := Lookup("min_p").Kind(); k != Float {
		t.Errorf("min_p kind %v", k)
	}
}

// A set's sampling defaults fill in what the options do not give.
func TestApplySampling(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	k := func(x int64) *int64 { return &x }
	spec := &evalset.Sampling{Temperature: f(0.6), TopP: f(0.95), TopK: k(20)}
	for _, tc := range []struct {
		name string
		o    Options
		d    *evalset.Sampling
		temp float64
		topP *float64
		topK *int64
		minP *float64
	}{
		{"no set defaults", Options{Temperature: 0.2}, nil, 0.2, nil, nil, nil},
		{"the set's", Options{}, spec, 0.6, f(0.95), k(20), nil},
		{"options win", Options{Temperature: 0.3, TopP: f(1), TopK: k(-1), MinP: f(0.1)}, spec, 0.3, f(1), k(-1), f(0.1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := run.Config{Temperature: tc.o.Temperature, TopP: tc.o.TopP, TopK: tc.o.TopK, MinP: tc.o.MinP}
			tc.o.applySampling(&cfg, tc.d)
			eqF := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
			eqK := func(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
			if cfg.Temperature != tc.temp || !eqF(cfg.TopP, tc.topP) || !eqK(cfg.TopK, tc.topK) || !eqF(cfg.MinP, tc.minP) {
				t.Errorf("config temperature %g top_p %v top_k %v min_p %v", cfg.Temperature, cfg.TopP, cfg.TopK, cfg.MinP)
			}
		})
	}
}
