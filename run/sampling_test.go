package run

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
)

// Sampling parameters are sent, written into the result's params and held in the
// journal's fingerprint: a resume with other sampling is refused.
func TestSamplingSentAndFingerprinted(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Capture: true, Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	topP, topK := 0.95, int64(20)
	cfg := config(hs.URL, out)
	cfg.TopP, cfg.TopK = &topP, &topK
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if f.Params.TopP == nil || *f.Params.TopP != 0.95 || *f.Params.TopK != 20 || f.Params.MinP != nil {
		t.Errorf("params %+v", f.Params)
	}
	for _, b := range srv.Bodies() {
		if b["top_p"] != 0.95 || b["top_k"] != 20.0 {
			t.Errorf("body %v", b)
		}
		if _, ok := b["min_p"]; ok {
			t.Errorf("min_p sent: %v", b)
		}
	}
	again := cfg
	again.Resume = true
	if _, err := Evaluate(context.Background(), again, set); err != nil {
		t.Fatalf("resume with the same sampling: %v", err)
	}
	other := 0.8
	again.TopP = &other
	_, err = Evaluate(context.Background(), again, set)
	if err == nil || !strings.Contains(err.Error(), "cannot resume") || !strings.Contains(err.Error(), `"top_p":0.8`) {
		t.Errorf("resume with other top_p: %v", err)
	}
}

// A record keeps the reasoning tokens the server counted and the normalised
// answers a math item compared.
func TestRecordKeepsReasoningTokensAndNormalized(t *testing.T) {
	it := &evalset.Item{ID: "m", Type: evalset.TypeMath, Prompt: "q", Answer: `\frac{1}{2}`}
	n := 12
	resp := &client.Response{Content: vllmtest.Text(`so \boxed{0.5}`), ReasoningTokens: &n, Usage: client.Usage{CompletionTokens: 20}}
	r := record(it, outcome{resp: resp})
	if !r.OK || r.Normalized != "0.5" || r.NormalizedExpected != `\frac{1}{2}` {
		t.Errorf("record %+v", r)
	}
	if d := r.Usage.CompletionTokensDetails; d == nil || d.ReasoningTokens != 12 || r.Usage.CompletionTokens != 20 {
		t.Errorf("usage %+v", r.Usage)
	}
	resp.ReasoningTokens = nil
	if r := record(it, outcome{resp: resp}); r.Usage.CompletionTokensDetails != nil {
		t.Errorf("details without the server's count: %+v", r.Usage)
	}
	// A choice item's option texts reach the scorer.
	ch := &evalset.Item{ID: "c", Type: evalset.TypeChoice, Prompt: "q", Answer: "B", Options: []string{"Paris", "Lyon"}}
	if r := record(ch, outcome{resp: &client.Response{Content: vllmtest.Text("Lyon")}}); !r.OK {
		t.Errorf("full option text not read: %+v", r)
	}
}
