package result

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// The log-probability side file: JSON Lines, one ItemLogprobs per item, beside the
// result file that names it in "logprobs_file". It is kept apart because it is large.

// TopLogprob is one candidate token at a position.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
}

// TokenLogprob is one generated token with its top-K alternatives.
type TokenLogprob struct {
	Token   string       `json:"token"`
	Logprob float64      `json:"logprob"`
	Top     []TopLogprob `json:"top_logprobs"`
}

// ItemLogprobs is one line of the side file.
type ItemLogprobs struct {
	ID     string         `json:"id"`
	Tokens []TokenLogprob `json:"tokens"`
}

// ReadLogprobs reads a side file into a map by item id.
func ReadLogprobs(path string) (map[string][]TokenLogprob, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeLogprobs(path, f)
}

// DecodeLogprobs reads side-file lines from r; name is used in errors.
func DecodeLogprobs(name string, r io.Reader) (map[string][]TokenLogprob, error) {
	out := map[string][]TokenLogprob{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var it ItemLogprobs
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out[it.ID] = it.Tokens
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
