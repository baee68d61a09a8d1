package hubtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"testing"
)

// GSM8KRow is a row of openai/gsm8k as the hub's parquet holds it (nullable columns,
// as pyarrow writes them).
type GSM8KRow struct {
	Question string `parquet:"question,optional"`
	Answer   string `parquet:"answer,optional"`
}

// MMLURow is a row of cais/mmlu as the hub's parquet holds it.
type MMLURow struct {
	Question string   `parquet:"question,optional"`
	Subject  string   `parquet:"subject,optional"`
	Choices  []string `parquet:"choices,list"`
	Answer   int64    `parquet:"answer,optional"`
}

// Commits of the fixture repos.
const (
	GSM8KCommit = "e53f048856ff4f594e959d75785d2c2d37b678ee"
	MMLUCommit  = "c30699e8356da336a370243923dbaf21066bb9fe"
)

// GSM8KRows makes n rows whose answers are 3*i+1 for row i, with the train-set
// style of reasoning (calculator annotations, "#### N").
func GSM8KRows(prefix string, n int) []GSM8KRow {
	rows := make([]GSM8KRow, n)
	for i := range rows {
		a := 3*i + 1
		rows[i] = GSM8KRow{
			Question: fmt.Sprintf("%s question %d: Tom has %d apples and buys 1 more. How many apples does he have?", prefix, i, 3*i),
			Answer:   fmt.Sprintf("He has %d+1=<<%d+1=%d>>%d apples.\n#### %d", 3*i, 3*i, a, a, a),
		}
	}
	return rows
}

// MMLURows makes perSubject rows for each subject, grouped by subject in the order
// given (as the `all` config is), with answer i%4 for the i-th row of a subject.
func MMLURows(split string, subjects []string, perSubject int) []MMLURow {
	var rows []MMLURow
	for _, s := range subjects {
		for i := 0; i < perSubject; i++ {
			rows = append(rows, MMLURow{
				Question: fmt.Sprintf("%s %s question %d?", s, split, i),
				Subject:  s,
				Choices:  []string{"alpha " + fmt.Sprint(i), "beta", "gamma", "delta"},
				Answer:   int64(i % 4),
			})
		}
	}
	return rows
}

// AddGSM8K serves openai/gsm8k in the hub's layout: configs main and socratic, splits
// test and train, one shard each, and a README.
func (s *Server) AddGSM8K(t testing.TB, test, train []GSM8KRow) {
	t.Helper()
	s.AddDataset("openai/gsm8k", GSM8KCommit, map[string][]byte{
		"README.md":                             []byte("# gsm8k\n"),
		"main/test-00000-of-00001.parquet":      WriteParquet(t, test),
		"main/train-00000-of-00001.parquet":     WriteParquet(t, train),
		"socratic/test-00000-of-00001.parquet":  WriteParquet(t, test[:1]),
		"socratic/train-00000-of-00001.parquet": WriteParquet(t, train[:1]),
	})
}

// AddMMLU serves cais/mmlu in the hub's layout: the `all` config and one folder per
// subject, splits test and dev.
func (s *Server) AddMMLU(t testing.TB, test, dev []MMLURow) {
	t.Helper()
	files := map[string][]byte{
		"README.md":                       []byte("# mmlu\n"),
		"all/test-00000-of-00001.parquet": WriteParquet(t, test),
		"all/dev-00000-of-00001.parquet":  WriteParquet(t, dev),
	}
	bySubject := func(rows []MMLURow) map[string][]MMLURow {
		m := map[string][]MMLURow{}
		for _, r := range rows {
			m[r.Subject] = append(m[r.Subject], r)
		}
		return m
	}
	for subj, rows := range bySubject(test) {
		files[subj+"/test-00000-of-00001.parquet"] = WriteParquet(t, rows)
	}
	for subj, rows := range bySubject(dev) {
		files[subj+"/dev-00000-of-00001.parquet"] = WriteParquet(t, rows)
	}
	s.AddDataset("cais/mmlu", MMLUCommit, files)
}

// gitBlobID is git's object id of a blob: the hub's ETag for a non-LFS file.
func gitBlobID(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
