package run

import (
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
// change an answer (result.Fingerprint, whose JSON names come first in the header),
// and the shard of a sharded run. Concurrency, timeouts and retries may differ
// between sessions.
type fingerprint struct {
	result.Fingerprint
	Shard string `json:"shard,omitempty"` // "I/N" of a sharded run
}

type journalHeader struct {
	Journal     string      `json:"journal"`
	Fingerprint fingerprint `json:"fingerprint"`
}

// diff names the fields in which two fingerprints differ, f being the journal's.
func (f fingerprint) diff(g fingerprint) []string {
	const format = "%s (journal %v, now %v)"
	d := f.Fingerprint.DiffAs(g.Fingerprint, format)
	if a, b := orNone(f.Shard), orNone(g.Shard); a != b {
		d = append(d, fmt.Sprintf(format, "shard", a, b))
	}
	return d
}

// journal appends records to the journal file. The file is opened in append mode
// and each record is one write of one whole line, so that even two writers (which
// the output's lock keeps out) could not interleave inside a line.
type journal struct {
	f *os.File
	// notice and warnings are what opening it for a resume found: a journal with
	// nothing finished, damaged lines skipped. report shows them.
	notice   string
	warnings []string
}

// createJournal starts a new journal, replacing any old one.
func createJournal(path string, fp fingerprint) (*journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &journal{f: f}
	if err := j.append(journalHeader{Journal: journalSchema, Fingerprint: fp}); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// openJournal reads a journal for resuming and reopens it for appending. A last
// line cut off by a crash is dropped (the file is truncated to the last whole line);
// a damaged line before it is skipped with a warning. An empty journal, or one cut
// inside its header, holds nothing finished: it is started afresh, with a notice.
func openJournal(path string, fp fingerprint) (*journal, []result.Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		j, err := createJournal(path, fp)
		return j, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if cutHeader(data) {
		j, err := createJournal(path, fp)
		if j != nil {
			what := "is empty"
			if len(data) > 0 {
				what = "was cut off inside its header"
			}
			j.notice = fmt.Sprintf("%s %s: nothing had finished; starting from scratch", path, what)
		}
		return j, nil, err
	}
	recs, good, warnings, err := parseJournal(path, data, fp)
	if err != nil {
		return nil, nil, err
	}
	if err := os.Truncate(path, int64(good)); err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	return &journal{f: f, warnings: warnings}, recs, nil
}

// headerStart is how every journal begins.
var headerStart = []byte(`{"journal":"` + journalSchema + `"`)

// cutHeader reports a journal that holds no whole header line but only what a run
// killed while writing it leaves: nothing, part of a header, or the zeros a file
// system may leave of a file whose data never reached the disk.
func cutHeader(data []byte) bool {
	if bytes.IndexByte(data, '\n') >= 0 {
		return false
	}
	if len(bytes.Trim(data, "\x00")) == 0 {
		return true
	}
	return bytes.HasPrefix(headerStart, data) || bytes.HasPrefix(data, headerStart)
}

// parseJournal checks the header against fp and returns the records, the length of
// the prefix of whole lines and a warning for each damaged line skipped.
func parseJournal(path string, data []byte, fp fingerprint) ([]result.Record, int, []string, error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, 0, nil, fmt.Errorf("%s:1: not a quanteval journal (no complete header line)", path)
	}
	var h journalHeader
	if err := json.Unmarshal(data[:nl], &h); err != nil || h.Journal != journalSchema {
		return nil, 0, nil, fmt.Errorf("%s:1: not a quanteval journal", path)
	}
	if d := h.Fingerprint.diff(fp); len(d) > 0 {
		return nil, 0, nil, fmt.Errorf("%s: %w: this journal was made for another run; it differs in %s (drop --resume to start over; the journal is then kept as .prev)",
			path, ErrJournalMismatch, strings.Join(d, "; "))
	}
	var recs []result.Record
	var warnings []string
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
			warnings = append(warnings, fmt.Sprintf("%s:%d: damaged journal line skipped (%v); its item is asked again", path, line, err))
		} else {
			recs = append(recs, r)
		}
		good += i + 1
		rest = rest[i+1:]
	}
	return recs, good, warnings, nil
}

// report shows what opening the journal found on w (nil: nowhere) and keeps the
// warnings in the result.
func (j *journal) report(w io.Writer, f *result.File) {
	if j.notice != "" && w != nil {
		fmt.Fprintf(w, "resume: %s\n", j.notice)
	}
	for _, msg := range j.warnings {
		if w != nil {
			fmt.Fprintf(w, "warning: %s\n", msg)
		}
		f.Warnings = append(f.Warnings, msg)
	}
}

func (j *journal) append(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// One write of one whole line, in append mode, straight to the OS: a crash of
	// this process loses nothing written, and no other writer can land inside the
	// line. The write lands in the OS cache; fsync per item would cap the rate.
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (j *journal) close() error {
	if j == nil {
		return nil
	}
	return j.f.Close()
}
