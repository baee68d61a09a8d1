package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/result"
)

// LogprobsPath is where the log-probability side file of a result file lives.
func LogprobsPath(out string) string {
	return strings.TrimSuffix(out, ".json") + ".logprobs.jsonl"
}

// sideFile appends per-item token log-probabilities as they arrive, like the journal:
// in append mode, one write of one whole line per item.
type sideFile struct {
	f *os.File
}

// openSideFile starts the side file, or on resume reopens it after its last whole
// line (a line cut off by a crash is dropped; its item is asked again, since the
// journal record, written after the side line, is missing too).
func openSideFile(path string, resume bool) (*sideFile, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if resume {
		data, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("logprobs file: %w", err)
		}
		if err == nil {
			if err := os.Truncate(path, int64(bytes.LastIndexByte(data, '\n')+1)); err != nil {
				return nil, fmt.Errorf("logprobs file: %w", err)
			}
		}
	} else {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("logprobs file: %w", err)
	}
	return &sideFile{f: f}, nil
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
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("logprobs file: %w", err)
	}
	return nil
}

func (s *sideFile) close() error {
	if s == nil {
		return nil
	}
	return s.f.Close()
}
