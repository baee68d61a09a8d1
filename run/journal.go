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

	"github.com/quanteval/quanteval/result"
)

// The journal is JSON Lines beside the result file: a header naming what the run
// is (model, eval set, the parameters that change answers), then one record per
// finished item, appended as it arrives. A crash loses at most the requests in
// flight; --resume reads it back and sends only what is missing.

const journalSchema = "quanteval/journal/v1"

// ErrJournalMismatch refuses to resume a journal made for another run.
var ErrJournalMismatch = errors.New("cannot resume")

// JournalPath is where the journal of a result file lives.
func JournalPath(out string) string { return out + ".journal" }

// fingerprint is what must match for a journal to be resumed: everything that can
// change an answer. Concurrency, timeouts and retries may differ between sessions.
type fingerprint struct {
	Model       string          `json:"model"`
	Evalset     string          `json:"evalset_sha256"`
	Temperature float64         `json:"temperature"`
	MaxTokens   int             `json:"max_tokens"`
	Seed        *int64          `json:"seed"`
	System      string          `json:"system"`
	ExtraBody   json.RawMessage `json:"extra_body"`
	Logprobs    int             `json:"logprobs,omitempty"`
	Shard       string          `json:"shard,omitempty"` // "I/N" of a sharded run
}

type journalHeader struct {
	Journal     string      `json:"journal"`
	Fingerprint fingerprint `json:"fingerprint"`
}

// diff names the fields in which two fingerprints differ.
func (f fingerprint) diff(g fingerprint) []string {
	var d []string
	add := func(name string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			d = append(d, fmt.Sprintf("%s (journal %v, now %v)", name, a, b))
		}
	}
	add("model", f.Model, g.Model)
	add("eval set sha256", f.Evalset, g.Evalset)
	add("temperature", f.Temperature, g.Temperature)
	add("max_tokens", f.MaxTokens, g.MaxTokens)
	add("seed", deref(f.Seed), deref(g.Seed))
	add("system", f.System, g.System)
	add("extra_body", compactJSON(f.ExtraBody), compactJSON(g.ExtraBody))
	add("logprobs", f.Logprobs, g.Logprobs)
	add("shard", orNone(f.Shard), orNone(g.Shard))
	return d
}

func deref(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

func compactJSON(b json.RawMessage) string {
	if len(b) == 0 || string(b) == "null" {
		return "{}"
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v) // map keys come out sorted
	return string(out)
}

// journal appends records to the journal file.
type journal struct {
	f *os.File
	w *bufio.Writer
}

// createJournal starts a new journal, replacing any old one.
func createJournal(path string, fp fingerprint) (*journal, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &journal{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	if err := j.append(journalHeader{Journal: journalSchema, Fingerprint: fp}); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// openJournal reads a journal for resuming and reopens it for appending. A last
// line cut off by a crash is dropped (the file is truncated to the last whole line).
func openJournal(path string, fp fingerprint) (*journal, []result.Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		j, err := createJournal(path, fp)
		return j, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	recs, good, err := parseJournal(path, data, fp)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if err := f.Truncate(int64(good)); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	return &journal{f: f, w: bufio.NewWriterSize(f, 64<<10)}, recs, nil
}

// parseJournal checks the header against fp and returns the records and the length
// of the well-formed prefix.
func parseJournal(path string, data []byte, fp fingerprint) ([]result.Record, int, error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, 0, fmt.Errorf("%s:1: journal has no complete header line", path)
	}
	var h journalHeader
	if err := json.Unmarshal(data[:nl], &h); err != nil || h.Journal != journalSchema {
		return nil, 0, fmt.Errorf("%s:1: not a quanteval journal", path)
	}
	if d := h.Fingerprint.diff(fp); len(d) > 0 {
		return nil, 0, fmt.Errorf("%s: %w: this journal was made for another run; it differs in %s (drop --resume to start over; the journal is then kept as .prev)",
			path, ErrJournalMismatch, strings.Join(d, "; "))
	}
	var recs []result.Record
	good := nl + 1
	line := 1
	for rest := data[good:]; len(rest) > 0; {
		line++
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break // a line cut off by a crash: dropped
		}
		var r result.Record
		if err := json.Unmarshal(rest[:i], &r); err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		recs = append(recs, r)
		good += i + 1
		rest = rest[i+1:]
	}
	return recs, good, nil
}

func (j *journal) append(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := j.w.Write(b); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	// Flushed per record: a crash of this process must not take buffered records
	// with it. The write lands in the OS cache; fsync per item would cap the rate.
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (j *journal) close() error {
	if j == nil {
		return nil
	}
	ferr := j.w.Flush()
	cerr := j.f.Close()
	return errors.Join(ferr, cerr)
}
