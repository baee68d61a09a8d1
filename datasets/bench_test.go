package datasets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/quanteval/quanteval/internal/hubtest"
)

// BenchmarkOpenMMLU reads an MMLU-sized test split (57 subjects, 14,022 rows) from a
// local parquet file and builds the 5-shot items.
func BenchmarkOpenMMLU(b *testing.B) {
	var subjects []string
	for i := 0; i < 57; i++ {
		subjects = append(subjects, fmt.Sprintf("subject_%02d", i))
	}
	dir := b.TempDir()
	test := filepath.Join(dir, "test.parquet")
	dev := filepath.Join(dir, "dev.parquet")
	if err := os.WriteFile(test, hubtest.WriteParquet(b, hubtest.MMLURows("test", subjects, 246)), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(dev, hubtest.WriteParquet(b, hubtest.MMLURows("dev", subjects, 5)), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		set, _, err := Open(context.Background(), test, Options{Task: TaskMMLU, Fewshot: 5, FewshotFile: dev})
		if err != nil || len(set.Items) != 57*246 {
			b.Fatal(err)
		}
	}
}
