package run

import (
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
	"github.com/quanteval/quanteval/shard"
)

// Sharded runs (Config.Shard): the set is cut to --limit first, then to the items
// of the shard (shard.Spec.Select: by a hash of each id), so that the shards of one
// limited run are the limited run. The result records the shard and each item's
// position in the limited set, and its evalset.count stays the whole (limited)
// set's: result.Merge needs both. The shard is part of the journal's fingerprint,
// so that the journal of one shard is never resumed as another's.

// selectShard returns the items of cfg.Shard in set (set itself without a shard)
// and the shard's bookkeeping (nil without a shard).
func selectShard(cfg Config, set *evalset.Set) (*evalset.Set, *result.Shard) {
	if cfg.Shard == nil {
		return set, nil
	}
	ids := make([]string, len(set.Items))
	for i := range set.Items {
		ids[i] = set.Items[i].ID
	}
	pos := cfg.Shard.Select(ids)
	mine := *set
	mine.Items = make([]evalset.Item, len(pos))
	for n, p := range pos {
		mine.Items[n] = set.Items[p]
	}
	if pos == nil {
		pos = []int{} // written as [], not null: a shard may be empty
	}
	return &mine, &result.Shard{Index: cfg.Shard.Index, Count: cfg.Shard.Count, Positions: pos}
}

// shardText is the shard as the journal's fingerprint records it: "I/N", "" for
// the whole set.
func shardText(s *shard.Spec) string {
	if s == nil {
		return ""
	}
	return s.String()
}

// orNone shows an empty fingerprint field as "none" in a mismatch.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
