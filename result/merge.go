package result

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/quanteval/quanteval/shard"
)

// Sharded runs and their merge.
//
// Decisions:
//   - A shard's result is an ordinary result of the items of its shard, plus a
//     "shard" field: its index, the number of shards, and each item's position in
//     the whole set (after --limit), in the order of items. Its evalset.count is
//     the whole set's count, not the shard's. The positions are what lets the merge
//     put the items back in set order: nothing else in a result records that order
//     for a JSONL or built-in set.
//   - Merge writes what one unsharded run would have written: the items in set
//     order, the summary recomputed by Summarize, the header of the first shard
//     (by index). What differs: started_at is the earliest start, finished_at the
//     latest end, duration_s the time between them, and the merged result has no
//     "shard" field. Per-item latencies and attempts are kept as each shard
//     measured them.
//   - Shards of different runs are refused: the resume fingerprint (model, eval set
//     sha256, temperature, max_tokens, seed, system, extra body, logprobs) and the
//     set's count, source and limit must agree. Concurrency, timeout and retries may
//     differ, as they may between resumed sessions.
//   - With repeated samples (params.repeats N), a shard holds every sample of its
//     items, and its positions hold each item's position once (in the order of the
//     items' first records) or once per record; the
//     merged items are in set order, then sample order, and a complete merge has
//     count x N records. Shards must agree on N.
//   - Overlap is refused (the same index twice, an item or a position in two
//     shards, an item that does not hash to its shard). Missing shards are named;
//     with AllowPartial the merge goes on and writes complete: false, as it does
//     when a shard is itself incomplete.

// Shard is the bookkeeping of a run over one shard of the set.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// Positions holds each item's 0-based position in the whole set, in the order
	// of Items.
	Positions []int `json:"positions"`
}

// Fingerprint is what must be equal for two results to be parts of one run: what
// `run --resume` checks (everything that can change an answer). The JSON names are
// the journal header's.
type Fingerprint struct {
	Model       string          `json:"model"`
	Evalset     string          `json:"evalset_sha256"`
	Temperature float64         `json:"temperature"`
	MaxTokens   int             `json:"max_tokens"`
	Seed        *int64          `json:"seed"`
	System      string          `json:"system"`
	ExtraBody   json.RawMessage `json:"extra_body"`
	Logprobs    int             `json:"logprobs,omitempty"`
}

// Fingerprint is f's run fingerprint.
func (f *File) Fingerprint() Fingerprint {
	return Fingerprint{Model: f.Model, Evalset: f.Evalset.SHA256, Temperature: f.Params.Temperature,
		MaxTokens: f.Params.MaxTokens, Seed: f.Params.Seed, System: f.Params.System,
		ExtraBody: f.Params.ExtraBody, Logprobs: f.Params.Logprobs}
}

// Diff names the fields in which fp and other differ, each as "NAME (A vs B)".
func (fp Fingerprint) Diff(other Fingerprint) []string {
	return fp.DiffAs(other, vsFormat)
}

// DiffAs names the fields in which fp and other differ, each as format applied to
// the field's name and the two values (fp's first), e.g. "%s (%v vs %v)". A seed
// that is not set shows as "none"; extra bodies are compared as canonical JSON.
func (fp Fingerprint) DiffAs(other Fingerprint, format string) []string {
	d := differ{format: format}
	d.add("model", fp.Model, other.Model)
	d.add("eval set sha256", fp.Evalset, other.Evalset)
	d.add("temperature", fp.Temperature, other.Temperature)
	d.add("max_tokens", fp.MaxTokens, other.MaxTokens)
	d.add("seed", seedText(fp.Seed), seedText(other.Seed))
	d.add("system", fp.System, other.System)
	d.add("extra_body", canonicalJSON(fp.ExtraBody), canonicalJSON(other.ExtraBody))
	d.add("logprobs", fp.Logprobs, other.Logprobs)
	return d.list
}

// vsFormat is how Diff and the merge's own checks show a difference.
const vsFormat = "%s (%v vs %v)"

// differ collects differences, each shown with format.
type differ struct {
	format string
	list   []string
}

func (d *differ) add(name string, a, b any) {
	if fmt.Sprint(a) != fmt.Sprint(b) {
		d.list = append(d.list, fmt.Sprintf(d.format, name, a, b))
	}
}

func seedText(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

// canonicalJSON writes an object with sorted keys and no spaces; absent is {}.
func canonicalJSON(b json.RawMessage) string {
	if len(b) == 0 || string(b) == "null" {
		return "{}"
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// MergeOptions tune Merge.
type MergeOptions struct {
	// Names are the shards' file names, used in errors (default "shard #K").
	Names []string
	// AllowPartial merges even when shards are missing or incomplete; the merged
	// result is then marked complete: false.
	AllowPartial bool
}

// ErrMissingShards is wrapped by the error of a merge that lacks shards or has
// incomplete ones, without AllowPartial.
var ErrMissingShards = errors.New("shards missing")

// ErrShardMismatch is wrapped by the error of a merge of shards that are not parts
// of one run, or that overlap.
var ErrShardMismatch = errors.New("shards do not fit together")

// Merge joins the results of the shards of one run into the result the run would
// have written unsharded (see the decisions above). The shards may come in any
// order; they are not modified.
func Merge(shards []*File, opts MergeOptions) (*File, error) {
	if len(shards) == 0 {
		return nil, errors.New("merge: no shard results")
	}
	byIndex, err := indexShards(shards, opts)
	if err != nil {
		return nil, err
	}
	first := shards[byIndex[firstPresent(byIndex)]]
	var missing, partial []string
	for i, k := range byIndex {
		switch {
		case k < 0:
			missing = append(missing, shard.Spec{Index: i, Count: len(byIndex)}.String())
		case !shards[k].Complete:
			partial = append(partial, fmt.Sprintf("%s (%s)", shard.Spec{Index: i, Count: len(byIndex)}, opts.name(k)))
		}
	}
	if !opts.AllowPartial && (len(missing) > 0 || len(partial) > 0) {
		var why []string
		if len(missing) > 0 {
			why = append(why, "missing shards "+strings.Join(missing, ", "))
		}
		if len(partial) > 0 {
			why = append(why, "incomplete shards "+strings.Join(partial, ", "))
		}
		return nil, fmt.Errorf("merge: %w: %s (--allow-partial merges what there is, marked incomplete)", ErrMissingShards, strings.Join(why, "; "))
	}
	items, err := gather(shards, byIndex, first.Evalset.Count, opts)
	if err != nil {
		return nil, err
	}
	out := *first
	out.Shard = nil
	out.Items = items
	out.Summary = Summarize(items)
	// As run decides it: streamed when the records carry timings. A shard that got
	// no items has none, and it may be the first.
	out.Params.Stream = out.Summary.Timing != nil
	want := first.Evalset.Count * max(1, first.Params.Repeats) // a record per item and sample
	out.Complete = len(missing) == 0 && len(partial) == 0 && len(items) == want
	if len(missing) == 0 && len(partial) == 0 && !out.Complete {
		return nil, fmt.Errorf("merge: %w: every shard is complete but they hold %d items of %d", ErrShardMismatch, len(items), want)
	}
	out.StartedAt, out.FinishedAt = first.StartedAt, first.FinishedAt
	out.Warnings = nil
	for _, k := range byIndex {
		if k < 0 {
			continue
		}
		out.Warnings = append(out.Warnings, shards[k].Warnings...) // each names its journal
		if s := shards[k]; s.StartedAt.Before(out.StartedAt) {
			out.StartedAt = s.StartedAt
		}
		if s := shards[k]; s.FinishedAt.After(out.FinishedAt) {
			out.FinishedAt = s.FinishedAt
		}
	}
	out.DurationS = out.FinishedAt.Sub(out.StartedAt).Seconds()
	return &out, nil
}

func (o MergeOptions) name(k int) string {
	if k < len(o.Names) && o.Names[k] != "" {
		return o.Names[k]
	}
	return fmt.Sprintf("shard #%d", k+1)
}

func firstPresent(byIndex []int) int {
	for i, k := range byIndex {
		if k >= 0 {
			return i
		}
	}
	return 0
}

// indexShards checks that the shards are parts of one run, each index once, and
// returns for each shard index the position in shards holding it (-1: missing).
func indexShards(shards []*File, opts MergeOptions) ([]int, error) {
	var ref *File
	refName := ""
	var byIndex []int
	for k, f := range shards {
		name := opts.name(k)
		if f.Shard == nil {
			return nil, fmt.Errorf("merge: %s: %w: not the result of a shard (no \"shard\" field)", name, ErrShardMismatch)
		}
		if ref == nil {
			ref, refName = f, name
			if f.Shard.Count < 1 {
				return nil, fmt.Errorf("merge: %s: field \"shard.count\": %d", name, f.Shard.Count)
			}
			byIndex = slices.Repeat([]int{-1}, f.Shard.Count)
		}
		if d := runDiff(ref, f); len(d) > 0 {
			return nil, fmt.Errorf("merge: %w: %s and %s are not parts of one run: they differ in %s", ErrShardMismatch, refName, name, strings.Join(d, "; "))
		}
		i := f.Shard.Index
		if i < 0 || i >= len(byIndex) {
			return nil, fmt.Errorf("merge: %s: field \"shard.index\": %d, want 0 to %d", name, i, len(byIndex)-1)
		}
		if j := byIndex[i]; j >= 0 {
			return nil, fmt.Errorf("merge: %w: %s and %s are both shard %s", ErrShardMismatch, opts.name(j), name, shard.Spec{Index: i, Count: len(byIndex)})
		}
		byIndex[i] = k
	}
	return byIndex, nil
}

// runDiff is Fingerprint.Diff plus what makes the set the same set of items.
func runDiff(a, b *File) []string {
	d := differ{format: vsFormat, list: a.Fingerprint().Diff(b.Fingerprint())}
	d.add("shard count", a.Shard.Count, b.Shard.Count)
	d.add("eval set count", a.Evalset.Count, b.Evalset.Count)
	d.add("eval set source", canonicalJSON(a.Evalset.Source), canonicalJSON(b.Evalset.Source))
	d.add("limit", a.Params.Limit, b.Params.Limit)
	d.add("repeats", max(1, a.Params.Repeats), max(1, b.Params.Repeats))
	return d.list
}

// gather checks every shard's items against its positions and its shard, and
// returns all the items in set order.
func gather(shards []*File, byIndex []int, setCount int, opts MergeOptions) ([]Record, error) {
	type placed struct {
		pos int
		rec *Record
	}
	var all []placed
	owner := map[string]int{}    // item id -> the shard file holding it
	posOwner := map[int]string{} // position -> the item id at it
	seen := map[SampleKey]bool{} // (item, sample) already placed
	for i, k := range byIndex {
		if k < 0 {
			continue
		}
		f, name := shards[k], opts.name(k)
		positions, ok := recordPositions(f)
		if !ok {
			return nil, fmt.Errorf("merge: %s: field \"shard.positions\": %d positions for %d items", name, len(f.Shard.Positions), len(f.Items))
		}
		for n := range f.Items {
			r, p := &f.Items[n], positions[n]
			if p < 0 || p >= setCount {
				return nil, fmt.Errorf("merge: %s: shard.positions[%d]: %d is outside the set of %d items", name, n, p, setCount)
			}
			if got := shard.Of(r.ID, len(byIndex)); got != i {
				return nil, fmt.Errorf("merge: %w: %s: item %q belongs to shard %d/%d, not %d", ErrShardMismatch, name, r.ID, got, len(byIndex), i)
			}
			if j, dup := owner[r.ID]; dup && j != k {
				return nil, fmt.Errorf("merge: %w: item %q is in %s and %s", ErrShardMismatch, r.ID, opts.name(j), name)
			}
			if seen[r.Key()] {
				return nil, fmt.Errorf("merge: %w: %s: item %q sample %d is there twice", ErrShardMismatch, name, r.ID, r.SampleIndex())
			}
			// The samples of one item share its position; two items never do.
			if id, dup := posOwner[p]; dup && id != r.ID {
				return nil, fmt.Errorf("merge: %w: set position %d is in %s and %s", ErrShardMismatch, p, opts.name(owner[id]), name)
			}
			owner[r.ID], posOwner[p], seen[r.Key()] = k, r.ID, true
			all = append(all, placed{p, r})
		}
	}
	// In set order, then sample order.
	sort.Slice(all, func(a, b int) bool {
		if all[a].pos != all[b].pos {
			return all[a].pos < all[b].pos
		}
		return all[a].rec.SampleIndex() < all[b].rec.SampleIndex()
	})
	items := make([]Record, len(all))
	for n, pl := range all {
		items[n] = *pl.rec
	}
	return items, nil
}

// recordPositions is the set position of each record of f: shard.positions as
// given, one per record, or, with repeated samples, one per item (in the order of
// the items' first records) given to each of its samples. false: neither fits.
func recordPositions(f *File) ([]int, bool) {
	pos := f.Shard.Positions
	if len(pos) == len(f.Items) {
		return pos, true
	}
	at := map[string]int{}
	for _, r := range f.Items {
		if _, seen := at[r.ID]; !seen {
			at[r.ID] = len(at)
		}
	}
	if len(at) != len(pos) {
		return nil, false
	}
	out := make([]int, len(f.Items))
	for n, r := range f.Items {
		out[n] = pos[at[r.ID]]
	}
	return out, true
}

// MergeLogprobs writes the log-probability side file of a merged result: the lines
// of the shards' side files (paths, each given by the shard result's
// logprobs_file relative to the result file), one per item of merged, in its
// order. Lines are copied as they are. An item with no line in any side file is
// an error unless the merged result is incomplete.
func MergeLogprobs(out string, merged *File, shardFiles []string, shards []*File) error {
	lines := map[string][]byte{}
	for k, f := range shards {
		if f.Logprobs == "" {
			continue
		}
		path := filepath.Join(filepath.Dir(shardFiles[k]), f.Logprobs)
		if err := readSideLines(path, lines); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	for _, r := range merged.Items {
		line, ok := lines[r.ID]
		if !ok {
			if merged.Complete && r.Error == "" {
				return fmt.Errorf("merge: item %q has no line in the shards' logprobs files", r.ID)
			}
			continue
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return WriteFileAtomic(out, buf.Bytes())
}

func readSideLines(path string, into map[string][]byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &head); err != nil || head.ID == "" {
			return fmt.Errorf("%s:%d: not a logprobs line (no \"id\")", path, line)
		}
		into[head.ID] = bytes.Clone(b)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
