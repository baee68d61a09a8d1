// Package result owns the file a run leaves behind (schema quanteval/result/v1): one
// JSON document with the run's parameters, its summary and every item's record.
//
// Other tools and later commands (compare, matrix) read it, so field names are stable.
// Files are written atomically: a reader never sees half a result, and the temporary
// file of a write killed midway is removed by the next write of the same file. Read
// takes regular files of at most MaxFileBytes only.
package result

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/quanteval/quanteval/codetask"
	"github.com/quanteval/quanteval/ifeval"
)

// Schema is the value of the "schema" field of every result file.
const Schema = "quanteval/result/v1"

// File is a whole result.
type File struct {
	Schema     string     `json:"schema"`
	Complete   bool       `json:"complete"`
	Tool       string     `json:"tool,omitempty"` // "quanteval VERSION"
	Model      string     `json:"model"`
	BaseURL    string     `json:"base_url"` // redacted; several replicas: URL,URL,...
	Server     ServerInfo `json:"server"`
	Evalset    Evalset    `json:"evalset"`
	Params     Params     `json:"params"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	DurationS  float64    `json:"duration_s"`
	Summary    Summary    `json:"summary"`
	// Logprobs names the side file (relative to this file) holding per-token
	// log-probabilities, when the run asked for them.
	Logprobs string `json:"logprobs_file,omitempty"`
	// Shard is set by the run of one shard of the set (run --shard I/N); see merge.go.
	Shard *Shard `json:"shard,omitempty"`
	// Warnings are what the run noticed that a reader should know, such as journal
	// lines that were damaged and skipped on resume (their items were asked again).
	Warnings []string `json:"warnings,omitempty"`
	Items    []Record `json:"items"`
}

// ServerInfo is what the server said of itself.
type ServerInfo struct {
	Version string `json:"version,omitempty"`
}

// Evalset identifies the items a run covered.
type Evalset struct {
	Name   string          `json:"name"`
	Path   string          `json:"path"`
	SHA256 string          `json:"sha256"`
	Count  int             `json:"count"`
	Source json.RawMessage `json:"source,omitempty"` // evalset.Source for standard data sets
}

// Params are the generation and client settings that make runs comparable.
type Params struct {
	Temperature float64         `json:"temperature"`
	MaxTokens   int             `json:"max_tokens"`
	Concurrency int             `json:"concurrency"`
	TimeoutS    float64         `json:"timeout_s"`
	Retries     int             `json:"retries"`
	Seed        *int64          `json:"seed"`
	System      string          `json:"system"`
	ExtraBody   json.RawMessage `json:"extra_body"`
	Limit       int             `json:"limit,omitempty"`
	Logprobs    int             `json:"logprobs,omitempty"`
	// Repeats is how many times each item was asked (run --repeats); absent: once.
	Repeats int `json:"repeats,omitempty"`
	// Sampling parameters sent with every request; absent when not sent.
	TopP            *float64 `json:"top_p,omitempty"`
	TopK            *int64   `json:"top_k,omitempty"`
	MinP            *float64 `json:"min_p,omitempty"`
	PresencePenalty *float64 `json:"presence_penalty,omitempty"`
	// UnsafeExec: the code items' programs ran without a sandbox (--unsafe-exec).
	UnsafeExec bool `json:"unsafe_exec,omitempty"`
	// Stream: the replies were streamed (SSE) and their records carry timings;
	// absent for a run with --stream=false, a server that could not stream, and
	// files written before streaming existed.
	Stream bool `json:"stream,omitempty"`
}

// Usage counts tokens as the server reported them.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// CompletionTokensDetails holds the reasoning tokens among the completion
	// tokens, when the server gives them (usage.completion_tokens_details).
	CompletionTokensDetails *TokensDetails `json:"completion_tokens_details,omitempty"`
}

// TokensDetails splits a token count.
type TokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// Record is one item's outcome.
type Record struct {
	ID string `json:"id"`
	// Sample is which of the item's repeated samples this is, 0 to N-1, in a run of
	// N > 1 samples (run --repeats N); nil (absent) with one sample, so such a run
	// writes what it always did. SampleIndex reads it.
	Sample   *int   `json:"sample,omitempty"`
	Type     string `json:"type"`
	Category string `json:"category,omitempty"`
	Prompt   string `json:"prompt"`
	Expected any    `json:"expected"`
	Output   string `json:"output"`
	// Reasoning is what the server returned apart from the answer; never scored.
	Reasoning string `json:"reasoning,omitempty"`
	Extracted string `json:"extracted"`
	// Normalized and NormalizedExpected are the two forms a math or aime item
	// compared (the reply's answer and the expected one, normalised); absent for
	// other types.
	Normalized         string `json:"normalized,omitempty"`
	NormalizedExpected string `json:"normalized_expected,omitempty"`
	OK                 bool   `json:"ok"`
	Reason             string `json:"reason"`
	Error              string `json:"error"`
	// Scores holds secondary metrics by name (e.g. gsm8k "flexible"); the primary
	// one is OK.
	Scores       map[string]bool `json:"scores,omitempty"`
	FinishReason string          `json:"finish_reason"`
	Usage        Usage           `json:"usage"`
	LatencyMS    int64           `json:"latency_ms"`
	Attempts     int             `json:"attempts"`
	// Timing is the streamed reply's timing; absent when the run did not stream.
	Timing *Timing `json:"timing,omitempty"`
	// Code is what became of a code item's program: the program read from the
	// reply, its exit status, the test that failed, the end of its stderr.
	Code *codetask.Record `json:"code,omitempty"`
	// Instructions are an ifeval item's verdicts per instruction, strict and loose.
	Instructions []ifeval.InstructionResult `json:"instructions,omitempty"`
	// OptionOrder is the order a task with shuffled options showed them in:
	// OptionOrder[j] is the index, in the source row's order, of the option shown
	// as letter j (gpqa_diamond: 0 is the correct answer). Absent otherwise.
	OptionOrder []int `json:"option_order,omitempty"`
	// Replica is the server that answered, when the run spread its requests over
	// several replicas (run --base-url A,B); absent otherwise.
	Replica *Replica `json:"replica,omitempty"`
}

// Replica names one of several replicas of a server: its place in the run's list of
// base URLs and its URL, redacted.
type Replica struct {
	Index int    `json:"index"`
	URL   string `json:"url"`
}

// Timing is how one streamed reply arrived, in vLLM's definitions
// (vllm/benchmarks/serve.py), in milliseconds from the moment the request was sent
// (of the attempt that succeeded).
type Timing struct {
	TTFTMs       float64 `json:"ttft_ms"` // to the first chunk with choices
	E2ELMs       float64 `json:"e2el_ms"` // to the last chunk with choices
	OutputTokens int     `json:"output_tokens"`
	// OutputTokensEstimated: the server sent no usage; OutputTokens counts the
	// chunks that carried text.
	OutputTokensEstimated bool    `json:"output_tokens_estimated,omitempty"`
	TPOTMs                float64 `json:"tpot_ms"`     // (E2EL - TTFT) / (OutputTokens - 1); 0 for one token
	MeanITLMs             float64 `json:"mean_itl_ms"` // mean gap between chunks
}

// TimingSummary summarises the timings of a run's streamed replies.
type TimingSummary struct {
	Items int         `json:"items"` // records with a timing
	TTFT  Percentiles `json:"ttft_ms"`
	TPOT  Percentiles `json:"tpot_ms"` // over replies of more than one token
	E2EL  Percentiles `json:"e2el_ms"`
}

// Percentiles are the mean and percentiles of one latency (linear interpolation, as
// numpy's default).
type Percentiles struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
}

// Tally is ok out of count.
type Tally struct {
	Count    int     `json:"count"`
	OK       int     `json:"ok"`
	Accuracy float64 `json:"accuracy"`
}

func (t *Tally) add(ok bool) {
	t.Count++
	if ok {
		t.OK++
	}
	t.Accuracy = float64(t.OK) / float64(t.Count)
}

// Summary is computed from the records by Summarize.
type Summary struct {
	Count         int              `json:"count"`
	OK            int              `json:"ok"`
	Accuracy      float64          `json:"accuracy"`
	Errors        int              `json:"errors"`
	ByType        map[string]Tally `json:"by_type"`
	ByCategory    map[string]Tally `json:"by_category"`
	Metrics       map[string]Tally `json:"metrics,omitempty"` // secondary scores by name
	FinishReasons map[string]int   `json:"finish_reasons"`
	Usage         Usage            `json:"usage"`
	// The statistics of repeated samples (repeats.go); absent with one sample.
	Samples int                `json:"samples,omitempty"` // the most samples of an item
	AvgAtN  *AvgAtN            `json:"avg_at_n,omitempty"`
	PassAtK map[string]float64 `json:"pass_at_k,omitempty"`
	MajAtN  *float64           `json:"maj_at_n,omitempty"`
	Timing  *TimingSummary     `json:"timing,omitempty"` // when the run streamed
}

// Summarize computes the summary of records. accuracy = ok / count, as in the seed;
// an item that failed with an error counts in count and in errors, not in ok.
func Summarize(records []Record) Summary {
	s := Summary{ByType: map[string]Tally{}, ByCategory: map[string]Tally{}, FinishReasons: map[string]int{}}
	for _, r := range records {
		s.Count++
		if r.OK {
			s.OK++
		}
		if r.Error != "" {
			s.Errors++
		}
		t := s.ByType[r.Type]
		t.add(r.OK)
		s.ByType[r.Type] = t
		if r.Category != "" {
			c := s.ByCategory[r.Category]
			c.add(r.OK)
			s.ByCategory[r.Category] = c
		}
		for name, ok := range r.Scores {
			s.addMetric(name, ok)
		}
		// IFEval's instruction-level accuracies pool every instruction of every
		// prompt, as lm-eval's do.
		for _, in := range r.Instructions {
			s.addMetric(ifeval.ScoreInstStrict, in.Strict)
			s.addMetric(ifeval.ScoreInstLoose, in.Loose)
		}
		if r.FinishReason != "" {
			s.FinishReasons[r.FinishReason]++
		}
		s.Usage.PromptTokens += r.Usage.PromptTokens
		s.Usage.CompletionTokens += r.Usage.CompletionTokens
		if d := r.Usage.CompletionTokensDetails; d != nil {
			if s.Usage.CompletionTokensDetails == nil {
				s.Usage.CompletionTokensDetails = &TokensDetails{}
			}
			s.Usage.CompletionTokensDetails.ReasoningTokens += d.ReasoningTokens
		}
	}
	if s.Count > 0 {
		s.Accuracy = float64(s.OK) / float64(s.Count)
	}
	s.addRepeats(records)
	s.Timing = summarizeTiming(records)
	return s
}

func (s *Summary) addMetric(name string, ok bool) {
	if s.Metrics == nil {
		s.Metrics = map[string]Tally{}
	}
	m := s.Metrics[name]
	m.add(ok)
	s.Metrics[name] = m
}

// summarizeTiming is nil when no record has a timing.
func summarizeTiming(records []Record) *TimingSummary {
	var ttft, tpot, e2el []float64
	for _, r := range records {
		if t := r.Timing; t != nil && r.Error == "" {
			ttft = append(ttft, t.TTFTMs)
			e2el = append(e2el, t.E2ELMs)
			if t.OutputTokens > 1 {
				tpot = append(tpot, t.TPOTMs)
			}
		}
	}
	if len(ttft) == 0 {
		return nil
	}
	return &TimingSummary{Items: len(ttft), TTFT: percentiles(ttft), TPOT: percentiles(tpot), E2EL: percentiles(e2el)}
}

func percentiles(v []float64) Percentiles {
	if len(v) == 0 {
		return Percentiles{}
	}
	sort.Float64s(v)
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	at := func(p float64) float64 {
		pos := p / 100 * float64(len(v)-1)
		lo := int(pos)
		hi := min(lo+1, len(v)-1)
		return round3(v[lo] + (v[hi]-v[lo])*(pos-float64(lo)))
	}
	return Percentiles{N: len(v), Mean: round3(sum / float64(len(v))), P50: at(50), P90: at(90)}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// Read reads and checks a result file. What is not a regular file, or is larger than
// MaxFileBytes, is refused with a *RefusedError.
func Read(path string) (*File, error) {
	data, err := readFile(path, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: not a quanteval result: %w", path, err)
	}
	if f.Schema != Schema {
		if f.Schema == "" {
			return nil, fmt.Errorf("%s: not a quanteval result (no \"schema\" field)", path)
		}
		return nil, fmt.Errorf("%s: schema %q, want %q", path, f.Schema, Schema)
	}
	ids := make(map[SampleKey]bool, len(f.Items))
	for i, r := range f.Items {
		if r.ID == "" {
			return nil, fmt.Errorf("%s: items[%d]: field \"id\": missing", path, i)
		}
		if r.SampleIndex() < 0 {
			return nil, fmt.Errorf("%s: items[%d]: field \"sample\": %d", path, i, r.SampleIndex())
		}
		if ids[r.Key()] {
			if r.Sample != nil {
				return nil, fmt.Errorf("%s: items[%d]: field \"sample\": duplicate sample %d of %q", path, i, r.SampleIndex(), r.ID)
			}
			return nil, fmt.Errorf("%s: items[%d]: field \"id\": duplicate %q", path, i, r.ID)
		}
		ids[r.Key()] = true
	}
	return &f, nil
}

// Marshal encodes f as indented JSON, with model text left unescaped for reading.
func Marshal(f *File) ([]byte, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Encode writes f as indented JSON, one item at a time: a result of 100,000 items
// never exists as one buffer in memory.
func Encode(w io.Writer, f *File) error {
	head := *f
	head.Items = []Record{}
	if f.Shard != nil {
		sh := *f.Shard
		sh.Positions = nil // written on one line below
		head.Shard = &sh
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&head); err != nil {
		return err
	}
	const tail = "\"items\": []\n}\n"
	b := buf.Bytes()
	if f.Shard != nil {
		b = compactPositions(b, f.Shard.Positions)
	}
	if !bytes.HasSuffix(b, []byte(tail)) {
		return errors.New("result: unexpected encoding of the header")
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(b[:len(b)-len(tail)])
	bw.WriteString("\"items\": [")
	for i := range f.Items {
		buf.Reset()
		enc.SetIndent("    ", "  ")
		if err := enc.Encode(&f.Items[i]); err != nil {
			return fmt.Errorf("result: items[%d]: %w", i, err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimRight(buf.Bytes(), "\n"))
	}
	if len(f.Items) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// compactPositions puts a shard's positions on one line of the indented header b,
// in place of the "positions": null its encoding without them wrote (one number
// per line would make a shard's header as long as its items).
func compactPositions(b []byte, positions []int) []byte {
	const null = "\"positions\": null"
	at := bytes.Index(b, []byte("\"shard\": {"))
	if at < 0 {
		return b
	}
	i := bytes.Index(b[at:], []byte(null))
	if i < 0 {
		return b
	}
	i += at
	list := []byte("[")
	for k, p := range positions {
		if k > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, int64(p), 10)
	}
	list = append(list, ']')
	if positions == nil {
		list = []byte("null")
	}
	out := append([]byte(nil), b[:i+len(null)-len("null")]...)
	out = append(out, list...)
	return append(out, b[i+len(null):]...)
}

// Write writes f to path atomically: a temporary file in the same folder, synced,
// then renamed over path. The temporary files an earlier write of path left when it
// was killed midway are removed first (see removeStaleTemps).
func Write(path string, f *File) error {
	return writeAtomic(path, func(w io.Writer) error { return Encode(w, f) })
}

// WriteFileAtomic writes data to path by way of a synced temporary file and a rename.
func WriteFileAtomic(path string, data []byte) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The litter of an earlier write of path that was killed midway goes first.
	removeStaleTemps(path)
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// SortedKeys returns the keys of a map in order, for stable reports.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ErrIncomplete marks a result whose run was interrupted.
var ErrIncomplete = errors.New("result is incomplete")
