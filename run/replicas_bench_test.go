package run

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/internal/vllmtest"
)

// BenchmarkReplicas runs one 2,000-item set on 1, 2 and 4 stand-in replicas that
// each take a fixed 20ms per request, at concurrency 4 per replica: the wall time
// should fall close to 1/replicas (10s, 5s, 2.5s). Run with -benchtime=1x.
func BenchmarkReplicas(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var urls []string
			for range n {
				hs := httptest.NewServer(vllmtest.New(vllmtest.Options{Answer: numberAnswers, Delay: 20 * time.Millisecond}))
				defer hs.Close()
				urls = append(urls, hs.URL)
			}
			for b.Loop() {
				pool, err := client.NewPool(urls, client.Options{})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				cfg := Config{BaseURL: urls[0], Model: "test-model", Concurrency: 4 * n}
				if _, err := EvaluateWith(context.Background(), cfg, numberSet(2000), pool, ""); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "wall-s")
			}
		})
	}
}
