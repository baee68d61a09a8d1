package task

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/quanteval/quanteval/internal/hubtest"
)

func mmluMaps(rows []hubtest.MMLURow) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		choices := make([]any, len(r.Choices))
		for j, c := range r.Choices {
			choices[j] = c
		}
		out[i] = Row{"question": r.Question, "subject": r.Subject, "choices": choices, "answer": r.Answer}
	}
	return out
}

func writeParquet[T any](t *testing.T, name string, rows []T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, hubtest.WriteParquet(t, rows), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
