package matrix

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/plan"
)

// BenchmarkFourVariants runs a plan of four stand-in variants (each loads for 1s,
// then answers an eval) on a node declared with 4 GPUs, all at once and one at a
// time: the parallel wall time should be close to one variant's, the sequential one
// four times it. Run with -benchtime=1x.
func BenchmarkFourVariants(b *testing.B) {
	for _, tc := range []struct {
		name string
		max  int
	}{{"parallel", 0}, {"sequential", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				dir := b.TempDir()
				src := fmt.Sprintf(`
gpus: 4
output: %s
server: {command: [%s, serve], env: {FAKEVLLM_DELAY: 1s}, ready_timeout: 1m, stop_grace: 2s}
variants:
  - {name: A, model: test/A, port: %d}
  - {name: B, model: test/B-q1, port: %d}
  - {name: C, model: test/C-q2, port: %d}
  - {name: D, model: test/D-q3, port: %d, reference: true}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1"}
`, filepath.Join(dir, "out"), testenv.FakeVLLM(b), freePort(b), freePort(b), freePort(b), freePort(b))
				p, err := plan.Parse("bench.yaml", []byte(src))
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if _, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: p, Evaluate: (&fakeEval{}).Evaluate, MaxParallel: tc.max}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "wall-s")
			}
		})
	}
}
