// Package datasets owns turning data sets into eval sets: it finds their parquet
// files (from the hub cache, the hub, or a local copy), reads them, builds the items
// with a task spec (package task) and picks the items (subjects, --limit, --sample).
// OpenTask opens any task spec (task:PATH.yaml, math500, ...); Open keeps the GSM8K
// and MMLU forms (gsm8k, mmlu:SUBJECT,..., hf:ORG/NAME --task, local files), which
// read and check those two schemas here and build their items with the gsm8k and
// mmlu built-in specs.
//
// Decisions:
//   - MMLU subsets are read from the `all` config and filtered on the subject column:
//     one download serves every subject list, and the ids do not depend on the list.
//   - The prompts, ids, answers and few-shot turns are the specs' (task/specs); a
//     test holds the set hashes to those of the Go code that built them before.
//   - Ids are stable across runs and subsets: gsm8k-<split>-NNNN is the row index in
//     the split; mmlu-<subject>-<split>-NNNN the row index within the subject.
//   - --sample N --sample-seed S draws from PCG(S) with the package's own
//     bounded-integer code, so a seed names the same items on every build. MMLU is
//     stratified: every subject keeps at least one item, the rest is shared in
//     proportion to the subjects' sizes (largest remainder). Items stay in data-set
//     order. --limit applies after --sample.
//   - The set's sha256 names the items the selection is drawn from, not the
//     selection: it is the hash of every item (as quanteval's JSONL writes them)
//     after the subject filter and with the few-shot turns, before --sample and
//     --limit, as the sha256 of a JSONL or built-in set is that of its whole file.
//     So runs of the same data set, subjects and --fewshot with different --limit
//     or --sample can be compared (over the items they share) and resumed; the
//     selection is recorded in Source (sample, seed) and the result's item ids say
//     which items were asked. Changing the subjects or --fewshot changes the hash.
//     --fewshot must therefore find its examples for every subject kept, not only
//     for those a sample happens to draw.
//   - Few-shot examples are earlier chat turns: the first K train problems for GSM8K
//     (the solution without calculator annotations, ending "The final answer is N"),
//     the first K dev questions of the item's subject for MMLU (answered "Answer: X").
//     They come from the same commit as the test split.
//   - Default --max-tokens: 1024 for GSM8K (room for step-by-step reasoning), 512 for
//     MMLU (a short justification and the "Answer: X" line). Models that think
//     at length (Qwen3 with thinking on) need more; the flag overrides.
//   - Columns other than the wanted ones are ignored; a wanted column that is missing
//     or of another type is a *SchemaError naming the file and what it has.
package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/hub"
)

// Tasks.
const (
	TaskGSM8K = "gsm8k"
	TaskMMLU  = "mmlu"
)

// The standard repos and their default configs.
const (
	GSM8KRepo   = "openai/gsm8k"
	GSM8KConfig = "main"
	MMLURepo    = "cais/mmlu"
	MMLUConfig  = "all"
)

// Default --max-tokens of the tasks (see the package doc).
const (
	MaxTokensGSM8K = 1024
	MaxTokensMMLU  = 512
)

// HFPrefix marks a spec naming a hub repo: "hf:ORG/NAME".
const HFPrefix = "hf:"

// Options says how to build the set. Zero values are the defaults.
type Options struct {
	Task       string   // gsm8k or mmlu; required for hf: repos and local files
	Subjects   []string // MMLU subjects to keep, added to those of the spec
	Limit      int      // keep the first N items (after Sample); 0: all; not in the sha256
	Sample     int      // a random subset of N items; 0: all; not in the sha256
	SampleSeed int64    // the seed of Sample
	Fewshot    int      // K examples as earlier chat turns
	Split      string   // default "test"
	Revision   string   // a branch, tag or commit of the repo; default "main"
	// Config is the repo's config (its folder of parquet files); default "main" for
	// GSM8K, "all" for MMLU.
	Config string
	// FewshotFile is the train (GSM8K) or dev (MMLU) file for --fewshot with a local
	// spec; hub specs take the few-shot split from the repo.
	FewshotFile string
	// Hub fetches from the hub; nil reads the hub cache only (and local files).
	Hub *hub.Client
}

// spec is a parsed eval-set spec.
type spec struct {
	name     string
	task     string
	repo     string // a hub repo, or empty for a local file
	local    string
	subjects []string
}

// Open resolves an eval-set spec: "gsm8k", "mmlu", "mmlu:SUBJ1,SUBJ2", "hf:ORG/NAME"
// (with Task), or a local .parquet or .jsonl file (with Task; .jsonl in the hub's
// JSON-lines export, the parquet's columns as keys). ok is false when spec is none of
// these: a .jsonl file without Task, a builtin: suite, ... are quanteval eval sets.
func Open(ctx context.Context, specText string, opt Options) (set *evalset.Set, ok bool, err error) {
	sp, ok, err := parseSpec(specText, opt)
	if !ok || err != nil {
		return nil, ok, err
	}
	set, err = build(ctx, specText, sp, opt)
	return set, true, err
}

func parseSpec(text string, opt Options) (spec, bool, error) {
	task := strings.ToLower(strings.TrimSpace(opt.Task))
	var sp spec
	switch {
	case text == TaskGSM8K:
		sp = spec{name: TaskGSM8K, task: TaskGSM8K, repo: GSM8KRepo}
	case text == TaskMMLU || strings.HasPrefix(text, TaskMMLU+":"):
		sp = spec{name: TaskMMLU, task: TaskMMLU, repo: MMLURepo}
		if rest, found := strings.CutPrefix(text, TaskMMLU+":"); found {
			sp.subjects = splitList(rest)
			if len(sp.subjects) == 0 {
				return sp, true, fmt.Errorf("datasets: %q names no subject (want mmlu:SUBJECT[,SUBJECT...])", text)
			}
		}
	case strings.HasPrefix(text, HFPrefix):
		sp = spec{name: text, task: task, repo: strings.TrimPrefix(text, HFPrefix)}
		switch {
		case sp.task != "":
		case sp.repo == GSM8KRepo:
			sp.task = TaskGSM8K
		case sp.repo == MMLURepo:
			sp.task = TaskMMLU
		default:
			return sp, true, fmt.Errorf("datasets: %s: say which schema the repo has with --task gsm8k or --task mmlu", text)
		}
	case strings.HasSuffix(text, ".parquet") || strings.HasSuffix(text, ".jsonl") && task != "":
		if task == "" {
			return sp, true, fmt.Errorf("datasets: %s: say which schema the file has with --task gsm8k or --task mmlu", text)
		}
		base := filepath.Base(text)
		sp = spec{name: strings.TrimSuffix(base, filepath.Ext(base)), task: task, local: text}
	default:
		return sp, false, nil
	}
	if task != "" && task != sp.task {
		return sp, true, fmt.Errorf("datasets: %s is a %s set, not --task %s", text, sp.task, task)
	}
	if sp.task != TaskGSM8K && sp.task != TaskMMLU {
		return sp, true, fmt.Errorf("datasets: unknown task %q (want gsm8k or mmlu)", sp.task)
	}
	for _, s := range opt.Subjects {
		sp.subjects = append(sp.subjects, splitList(s)...)
	}
	sp.subjects = dedupe(sp.subjects)
	if len(sp.subjects) > 0 {
		if sp.task != TaskMMLU {
			return sp, true, fmt.Errorf("datasets: %s: subjects are for MMLU, not %s", text, sp.task)
		}
		sp.name += ":" + strings.Join(sp.subjects, ",")
	}
	switch {
	case opt.Limit < 0, opt.Sample < 0, opt.Fewshot < 0:
		return sp, true, fmt.Errorf("datasets: limit %d, sample %d, fewshot %d: none may be negative", opt.Limit, opt.Sample, opt.Fewshot)
	case opt.Fewshot > 0 && sp.local != "" && opt.FewshotFile == "":
		return sp, true, fmt.Errorf("datasets: %s: --fewshot with a local file needs the file of examples (the %s split)", text, fewshotSplit(sp.task))
	}
	return sp, true, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func fewshotSplit(task string) string {
	if task == TaskGSM8K {
		return "train"
	}
	return "dev"
}

func columnsOf(task string) []column {
	if task == TaskGSM8K {
		return gsm8kColumns
	}
	return mmluColumns
}

// source is where one split's rows were read from.
type source struct {
	files  []string // local paths
	commit string   // hub commit, empty for a local file
	config string
	file   string // repo paths or the local path, comma separated
	sha256 string // blob ids or the local file's sha256
}

// hubSource is where the split of snap came from: its files, commit and config, and
// the repo paths and blob ids of its files, comma separated.
func hubSource(snap *hub.Snapshot, cfg string) source {
	src := source{commit: snap.Commit, config: cfg}
	var paths, blobs []string
	for _, f := range snap.Files {
		src.files = append(src.files, f.Local)
		paths = append(paths, f.Path)
		blobs = append(blobs, f.Blob)
	}
	src.file, src.sha256 = strings.Join(paths, ","), strings.Join(blobs, ",")
	return src
}

// load reads a split: from the hub (cache first) or the local file.
func load(ctx context.Context, sp spec, opt Options, c *hub.Client, split, revision, localFile string) ([]record, source, error) {
	var src source
	if sp.repo == "" {
		sum, err := fileSHA256(localFile)
		if err != nil {
			return nil, src, err
		}
		src = source{files: []string{localFile}, file: localFile, sha256: sum}
	} else {
		cfg := opt.Config
		if cfg == "" {
			cfg = GSM8KConfig
			if sp.task == TaskMMLU {
				cfg = MMLUConfig
			}
		}
		snap, err := c.DownloadDataset(ctx, sp.repo, revision, parquetPatterns(cfg, split)...)
		if err != nil {
			return nil, src, fmt.Errorf("datasets: %s split %s: %w", sp.repo, split, err)
		}
		src = hubSource(snap, cfg)
	}
	var recs []record
	for _, f := range src.files {
		r, err := readTable(f, columnsOf(sp.task))
		if err != nil {
			return nil, src, err
		}
		recs = append(recs, r...)
	}
	if len(recs) == 0 {
		return nil, src, fmt.Errorf("datasets: %s: no rows", strings.Join(src.files, ", "))
	}
	return recs, src, nil
}

func fileSHA256(path string) (string, error) {
	if err := evalset.CheckInput(path); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("datasets: reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func build(ctx context.Context, specText string, sp spec, opt Options) (*evalset.Set, error) {
	split := opt.Split
	if split == "" {
		split = "test"
	}
	c := opt.Hub
	if c == nil && sp.repo != "" {
		cfg := hub.ConfigFromEnv()
		cfg.Offline = true
		c = hub.New(cfg)
	}
	recs, src, err := load(ctx, sp, opt, c, split, opt.Revision, sp.local)
	if err != nil {
		return nil, err
	}
	var shotRecs []record
	if opt.Fewshot > 0 {
		// The examples come from the commit the test split came from.
		shotRecs, _, err = load(ctx, sp, opt, c, fewshotSplit(sp.task), src.commit, opt.FewshotFile)
		if err != nil {
			return nil, fmt.Errorf("%w (needed for --fewshot %d)", err, opt.Fewshot)
		}
	}
	// all is every item the selection is drawn from, sel the indices picked.
	var all []evalset.Item
	var sel []int
	sampled := 0
	switch sp.task {
	case TaskGSM8K:
		all, sel, sampled, err = buildGSM8K(src.files, split, recs, shotRecs, opt)
	default:
		all, sel, sampled, err = buildMMLU(src.files, split, sp.subjects, recs, shotRecs, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", specText, err)
	}
	set := &evalset.Set{
		Name: sp.name,
		Path: specText,
		Source: &evalset.Source{
			Repo: sp.repo, Config: src.config, Split: split, Revision: src.commit,
			File: src.file, SHA256: src.sha256, Task: sp.task, Fewshot: opt.Fewshot,
		},
		MaxTokens: MaxTokensGSM8K,
	}
	if sp.task == TaskMMLU {
		set.MaxTokens = MaxTokensMMLU
	}
	return fillSet(set, all, sel, sampled, opt)
}

// fillSet gives set the items of all that sel picks, in sel's order, records a
// sample of sampled items (0: none) with opt's seed in its source, and hashes all,
// the whole pool the selection was drawn from, as the set's SHA256.
func fillSet(set *evalset.Set, all []evalset.Item, sel []int, sampled int, opt Options) (*evalset.Set, error) {
	set.Items = make([]evalset.Item, len(sel))
	for i, j := range sel {
		set.Items[i] = all[j]
	}
	if sampled > 0 {
		set.Source.Sample, set.Source.Seed = sampled, opt.SampleSeed
	}
	var err error
	if set.SHA256, err = itemsSHA256(all); err != nil {
		return nil, err
	}
	return set, nil
}

// itemsSHA256 hashes the items as quanteval's JSONL writes them: the same items,
// prompts and answers give the same hash, wherever they were read from.
func itemsSHA256(items []evalset.Item) (string, error) {
	h := sha256.New()
	if err := evalset.WriteJSONL(h, items); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildGSM8K returns every item of the split, the indices of those selected
// (--sample, then --limit) and the size of the sample (0: none).
func buildGSM8K(files []string, split string, recs, shotRecs []record, opt Options) ([]evalset.Item, []int, int, error) {
	file := strings.Join(files, ", ")
	rows, err := gsm8kRows(file, recs)
	if err != nil {
		return nil, nil, 0, err
	}
	var shots []gsm8kRow
	if opt.Fewshot > 0 {
		all, err := gsm8kRows("the train split", shotRecs)
		if err != nil {
			return nil, nil, 0, err
		}
		if opt.Fewshot > len(all) {
			return nil, nil, 0, fmt.Errorf("--fewshot %d, but the train split has %d examples", opt.Fewshot, len(all))
		}
		shots = all[:opt.Fewshot]
	}
	sel := make([]int, len(rows))
	for i := range sel {
		sel[i] = i
	}
	sampled := 0
	if opt.Sample > 0 {
		sel = newSampler(opt.SampleSeed).choose(len(sel), opt.Sample)
		sampled = len(sel)
	}
	if opt.Limit > 0 && opt.Limit < len(sel) {
		sel = sel[:opt.Limit]
	}
	items, err := specItems(TaskGSM8K, split, gsm8kMaps(recs), gsm8kMaps(shotRecs), len(shots))
	return items, sel, sampled, err
}

// buildMMLU returns every item of the split's kept subjects, the indices of those
// selected (--sample, then --limit) and the size of the sample (0: none).
func buildMMLU(files []string, split string, subjects []string, recs, shotRecs []record, opt Options) ([]evalset.Item, []int, int, error) {
	rows, err := mmluRows(strings.Join(files, ", "), recs)
	if err != nil {
		return nil, nil, 0, err
	}
	have := subjectsOf(rows)
	if len(subjects) > 0 {
		var unknown []string
		for _, s := range subjects {
			if !slices.Contains(have, s) {
				unknown = append(unknown, s)
			}
		}
		if len(unknown) > 0 {
			sorted := slices.Clone(have)
			slices.Sort(sorted)
			return nil, nil, 0, fmt.Errorf("no subject %s in the %s split; its %d subjects are: %s",
				strings.Join(unknown, ", "), split, len(sorted), strings.Join(sorted, ", "))
		}
		var kept []mmluRow
		for _, r := range rows {
			if slices.Contains(subjects, r.subject) {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	var shots map[string][]mmluRow
	var dev []mmluRow
	if opt.Fewshot > 0 {
		var err error
		if dev, err = mmluRows("the dev split", shotRecs); err != nil {
			return nil, nil, 0, err
		}
		shots = map[string][]mmluRow{}
		for _, r := range dev {
			if len(shots[r.subject]) < opt.Fewshot {
				shots[r.subject] = append(shots[r.subject], r)
			}
		}
		for _, s := range subjectsOf(rows) {
			if n := len(shots[s]); n < opt.Fewshot {
				return nil, nil, 0, fmt.Errorf("--fewshot %d, but the dev split has %d examples of %s", opt.Fewshot, n, s)
			}
		}
	}
	sel := make([]int, len(rows))
	for i := range sel {
		sel[i] = i
	}
	sampled := 0
	if opt.Sample > 0 {
		sel, err = sampleStratified(rows, opt.Sample, opt.SampleSeed)
		if err != nil {
			return nil, nil, 0, err
		}
		sampled = len(sel)
	}
	if opt.Limit > 0 && opt.Limit < len(sel) {
		sel = sel[:opt.Limit]
	}
	items, err := specItems(TaskMMLU, split, mmluMaps(rows), mmluMaps(dev), opt.Fewshot)
	return items, sel, sampled, err
}

// sampleStratified picks k rows, every subject represented, and returns their
// indices in data-set order.
func sampleStratified(rows []mmluRow, k int, seed int64) ([]int, error) {
	cats := make([]string, len(rows))
	for i, r := range rows {
		cats[i] = r.subject
	}
	return sampleGroups(cats, k, seed)
}

// sampleGroups picks k of the items whose groups (subjects, categories) are cats,
// every group represented, and returns their indices in data-set order.
func sampleGroups(cats []string, k int, seed int64) ([]int, error) {
	var names []string
	pos := map[string]int{}
	var groups [][]int
	for i, c := range cats {
		g, ok := pos[c]
		if !ok {
			g = len(names)
			pos[c] = g
			names = append(names, c)
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	sizes := make([]int, len(groups))
	for i, g := range groups {
		sizes[i] = len(g)
	}
	alloc, err := allocate(sizes, k)
	if err != nil {
		return nil, errors.New("--sample: " + err.Error())
	}
	s := newSampler(seed)
	var keep []int
	for i, g := range groups {
		for _, j := range s.choose(len(g), alloc[i]) {
			keep = append(keep, g[j])
		}
	}
	slices.Sort(keep)
	return keep, nil
}
