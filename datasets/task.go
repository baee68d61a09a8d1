package datasets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/hub"
	"github.com/quanteval/quanteval/task"
)

// TaskPrefix marks an eval-set spec naming a task spec file: "task:PATH.yaml".
const TaskPrefix = "task:"

// OpenTask builds the eval set of a task spec: its rows come from the spec's hub
// repo (config, split and revision; opt.Revision overrides the revision; the hub
// cache first) or its file; every column the spec refers to is checked before
// anything else (a *task.ColumnError names the missing ones and those the data
// has); the items are built, then --sample (stratified by category when every item
// has one) and --limit pick from them. The set's sha256 is that of every item
// built, as for the other standard data sets. The set is named for the spec; path
// is what the user wrote ("math500", "task:my.yaml").
func OpenTask(ctx context.Context, sp *task.Spec, path string, opt Options) (*evalset.Set, error) {
	if opt.Limit < 0 || opt.Sample < 0 || opt.Fewshot < 0 {
		return nil, fmt.Errorf("datasets: limit %d, sample %d, fewshot %d: none may be negative", opt.Limit, opt.Sample, opt.Fewshot)
	}
	c := opt.Hub
	if c == nil && sp.Source.Hub != "" {
		cfg := hub.ConfigFromEnv()
		cfg.Offline = true
		c = hub.New(cfg)
	}
	split := sp.Source.Split
	rows, src, err := taskRows(ctx, c, sp, split, opt.Revision, sp.Source.File)
	if err != nil {
		return nil, err
	}
	if err := sp.CheckColumns(rowColumns(rows)); err != nil {
		return nil, err
	}
	bo := task.Options{Split: split}
	if opt.Fewshot > 0 {
		k := opt.Fewshot
		bo.Fewshot = &k
	}
	if k := sp.Fewshot.K; opt.Fewshot > 0 || k > 0 {
		if sp.Fewshot.Split == "" {
			return nil, fmt.Errorf("datasets: %s: few-shot examples asked, but the spec names no fewshot.split", sp.File)
		}
		if sp.Source.File != "" && opt.FewshotFile == "" {
			return nil, fmt.Errorf("datasets: %s: --fewshot with a file source needs --fewshot-file (the %s split)", sp.File, sp.Fewshot.Split)
		}
		// The examples come from the commit the rows came from.
		if bo.Shots, _, err = taskRows(ctx, c, sp, sp.Fewshot.Split, src.commit, opt.FewshotFile); err != nil {
			return nil, fmt.Errorf("%w (needed for the few-shot examples)", err)
		}
	}
	built, err := task.Build(sp, rows, bo)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	all := make([]evalset.Item, len(built))
	for i := range built {
		all[i] = built[i].Item
		all[i].Options = built[i].Options
		all[i].Order = built[i].Order
	}
	sel, sampled, err := selectItems(all, opt)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", path, err)
	}
	set := &evalset.Set{
		Name: sp.Name, Path: path, MaxTokens: sp.Defaults.MaxTokens,
		Source: &evalset.Source{Repo: sp.Source.Hub, Config: src.config, Split: split, Revision: src.commit,
			File: src.file, SHA256: src.sha256, Task: sp.Name, Fewshot: opt.Fewshot},
		Sampling: sampling(sp.Defaults),
	}
	return fillSet(set, all, sel, sampled, opt)
}

// sampling is a spec's sampling defaults as a set carries them (nil: none).
func sampling(d task.Defaults) *evalset.Sampling {
	s := &evalset.Sampling{Temperature: d.Temperature, TopP: d.TopP, MinP: d.MinP, PresencePenalty: d.PresencePenalty, Repeats: d.Repeats}
	if d.TopK != nil {
		k := int64(*d.TopK)
		s.TopK = &k
	}
	if *s == (evalset.Sampling{}) {
		return nil
	}
	return s
}

// taskRows reads one split of a spec's source: from the hub (cache first) at
// revision ("" for the spec's), or from localFile.
func taskRows(ctx context.Context, c *hub.Client, sp *task.Spec, split, revision, localFile string) ([]task.Row, source, error) {
	var src source
	if sp.Source.Hub == "" {
		sum, err := fileSHA256(localFile)
		if err != nil {
			return nil, src, err
		}
		src = source{files: []string{localFile}, file: localFile, sha256: sum}
	} else {
		if revision == "" {
			revision = sp.Source.Revision
		}
		cfg := sp.Source.Config
		if cfg == "" {
			cfg = "default"
		}
		snap, err := downloadSplit(ctx, c, sp.Source.Hub, revision, cfg, split)
		if err != nil {
			return nil, src, fmt.Errorf("datasets: %s split %s: %w", sp.Source.Hub, split, err)
		}
		src = hubSource(snap, cfg)
	}
	var rows []task.Row
	for _, f := range src.files {
		r, err := task.ReadRows(f)
		if err != nil {
			return nil, src, fmt.Errorf("datasets: %w", err)
		}
		rows = append(rows, r...)
	}
	if len(rows) == 0 {
		return nil, src, fmt.Errorf("datasets: %s: no rows", strings.Join(src.files, ", "))
	}
	return rows, src, nil
}

// ConvertedRevision is the branch where the hub keeps its parquet conversion of a
// data-set repo (of its CSV, JSON lines or parquet files).
const ConvertedRevision = "refs/convert/parquet"

// downloadSplit fetches a split's parquet files at revision. When no revision was
// asked for (neither the spec nor --revision) and main holds no parquet file of
// the split (a repo of JSON lines or CSV, as HuggingFaceH4/MATH-500's), it reads
// the hub's parquet conversion instead, as the datasets library does; offline, the
// cached conversion.
func downloadSplit(ctx context.Context, c *hub.Client, repo, revision, cfg, split string) (*hub.Snapshot, error) {
	snap, err := c.DownloadDataset(ctx, repo, revision, parquetPatterns(cfg, split)...)
	if err == nil || revision != "" || !(errors.Is(err, hub.ErrNoMatch) || errors.As(err, new(*hub.NotCachedError))) {
		return snap, err
	}
	if conv, cerr := c.DownloadDataset(ctx, repo, ConvertedRevision, parquetPatterns(cfg, split)...); cerr == nil {
		return conv, nil
	}
	return nil, err
}

// parquetPatterns are the layouts a split's parquet files have on the hub: the
// converted one (CONFIG/SPLIT-i-of-n.parquet), the refs/convert/parquet one
// (CONFIG/SPLIT/i.parquet), and push_to_hub's for the default config.
func parquetPatterns(cfg, split string) []string {
	patterns := []string{cfg + "/" + split + "-*.parquet", cfg + "/" + split + "/*.parquet"}
	if cfg == "default" {
		patterns = append(patterns, "data/"+split+"-*.parquet")
	}
	return patterns
}

// rowColumns lists the columns of the rows (the union over rows: a JSONL row may
// leave out a column another has).
func rowColumns(rows []task.Row) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		for k := range r {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// selectItems picks the indices --sample and --limit keep, in set order, and the
// size of the sample (0: none). A sample is stratified by category when every item
// has one, as MMLU's is by subject.
func selectItems(items []evalset.Item, opt Options) ([]int, int, error) {
	sel := make([]int, len(items))
	for i := range sel {
		sel[i] = i
	}
	sampled := 0
	if opt.Sample > 0 {
		cats := make([]string, len(items))
		for i := range items {
			if cats[i] = items[i].Category; cats[i] == "" {
				cats = nil
				break
			}
		}
		if cats == nil {
			sel = newSampler(opt.SampleSeed).choose(len(sel), opt.Sample)
		} else {
			var err error
			if sel, err = sampleGroups(cats, opt.Sample, opt.SampleSeed); err != nil {
				return nil, 0, err
			}
		}
		sampled = len(sel)
	}
	if opt.Limit > 0 && opt.Limit < len(sel) {
		sel = sel[:opt.Limit]
	}
	return sel, sampled, nil
}

// CachedRows counts the rows of a spec's split from the hub cache or its file,
// without the network (from the parquet files' metadata); ok is false when the
// rows are not on this machine.
func CachedRows(sp *task.Spec) (n int64, ok bool) {
	var files []string
	if sp.Source.Hub == "" {
		files = []string{sp.Source.File}
	} else {
		cfg := hub.ConfigFromEnv()
		cfg.Offline = true
		conf := sp.Source.Config
		if conf == "" {
			conf = "default"
		}
		snap, err := downloadSplit(context.Background(), hub.New(cfg), sp.Source.Hub, sp.Source.Revision, conf, sp.Source.Split)
		if err != nil {
			return 0, false
		}
		for _, f := range snap.Files {
			files = append(files, f.Local)
		}
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".parquet") {
			rows, err := task.ReadRows(f)
			if err != nil {
				return 0, false
			}
			n += int64(len(rows))
			continue
		}
		m, err := parquetRows(f)
		if err != nil {
			return 0, false
		}
		n += m
	}
	return n, len(files) > 0
}

// parquetRows is the number of rows a parquet file's metadata gives.
func parquetRows(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return 0, err
	}
	return pf.NumRows(), nil
}
