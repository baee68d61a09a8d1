package run

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
)

// BenchmarkEvaluate measures items per second at concurrency 64 with the journal on,
// against a double that answers at once. Target on 2 cores: >= 2,000 items/s.
// Peak memory of a 100,000-item run is measured by bench/run-throughput.
func BenchmarkEvaluate(b *testing.B) { benchEvaluate(b, false) }

// BenchmarkEvaluatePlain is the same with --stream=false.
func BenchmarkEvaluatePlain(b *testing.B) { benchEvaluate(b, true) }

func benchEvaluate(b *testing.B, noStream bool) {
	const n = 5000
	set := &evalset.Set{Name: "bench", SHA256: "x"}
	for i := range n {
		set.Items = append(set.Items, evalset.Item{ID: fmt.Sprintf("b%05d", i), Type: evalset.TypeNumber,
			Prompt: fmt.Sprintf("What is %d + 1?", i), Answer: float64(i + 1)})
	}
	hs := httptest.NewServer(vllmtest.New(vllmtest.Options{Answer: func(r vllmtest.ChatRequest) vllmtest.Reply {
		return vllmtest.Reply{Content: vllmtest.Text("The answer is 42.")}
	}}))
	defer hs.Close()
	out := filepath.Join(b.TempDir(), "r.json")
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		s := *set
		cfg := Config{BaseURL: hs.URL, Model: "test-model", Out: out, Concurrency: 64, NoStream: noStream}
		if _, err := Evaluate(context.Background(), cfg, &s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "items/s")
}
