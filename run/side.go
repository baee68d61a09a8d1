package run

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/result"
)

// LogprobsPath is where the log-probability side file of a result file lives.
func LogprobsPath(out string) string {
	return strings.TrimSuffix(out, ".json") + ".logprobs.jsonl"
}

// sideFile appends per-item token log-probabilities as they arrive, like the journal.
type sideFile struct {
	f *os.File
	w *bufio.Writer
}

// openSideFile starts the side file, or on resume reopens it after its last whole
// line (a line cut off by a crash is dropped; its item is asked again, since the
// journal record, written after the side line, is missing too).
func openSideFile(path string, resume bool) (*sideFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("logprobs file: %w", err)
	}
	var keep int64
	if resume {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("logprobs file: %w", err)
		}
		keep = int64(bytes.LastIndexByte(data, '\n') + 1)
	}
	if err := f.Truncate(keep); err == nil {
		_, err = f.Seek(keep, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("logprobs file: %w", err)
	}
	return &sideFile{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (s *sideFile) append(id string, toks []client.TokenLogprob) error {
	line := result.ItemLogprobs{ID: id, Tokens: make([]result.TokenLogprob, len(toks))}
	for i, t := range toks {
		top := make([]result.TopLogprob, len(t.TopLogprobs))
		for k, c := range t.TopLogprobs {
			top[k] = result.TopLogprob{Token: c.Token, Logprob: c.Logprob}
		}
		line.Tokens[i] = result.TokenLogprob{Token: t.Token, Logprob: t.Logprob, Top: top}
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("logprobs file: %w", err)
	}
	return s.w.Flush()
}

func (s *sideFile) close() error {
	if s == nil {
		return nil
	}
	return errors.Join(s.w.Flush(), s.f.Close())
}
