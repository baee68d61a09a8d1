// Package shard owns the split of an eval set into N parts that separate processes
// (Kubernetes Indexed Job pods, Slurm array tasks, local processes) evaluate apart
// and `quanteval merge` joins again.
//
// Decisions:
//   - A shard is written I/N with I from 0 to N-1, as Kubernetes numbers completion
//     indices; N is at most MaxCount.
//   - Membership depends on the item id alone: the first 8 bytes of SHA-256(id),
//     big-endian, are the key of Lamping and Veach's jump consistent hash into N
//     buckets. So an item never changes shard when items are added to or removed
//     from the set (only new items are placed), and when N grows to N+1 only about
//     1/(N+1) of the items move. SHA-256 makes ids that differ in one character
//     (item-1, item-2) land independently; any language can recompute it.
//   - `--shard auto` reads, in this order: JOB_COMPLETION_INDEX (a Kubernetes Indexed
//     Job; Kubernetes does not export the number of completions, so the count must
//     be given, --shard-count), then SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT
//     (a Slurm array job). A Slurm array need not start at 0 (--array=1-8): the
//     index is (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP,
//     with MIN 0 and STEP 1 when unset. A sparse array (--array=1,5,9) gives
//     indices that do not fit and is refused, naming the variables. A count given
//     with Slurm must equal SLURM_ARRAY_TASK_COUNT.
//   - Errors name the flag or the variable and its value.
package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// MaxCount is the largest number of shards accepted: more would be a typo.
const MaxCount = 100000

// Spec is one shard: Index of Count, 0 <= Index < Count.
type Spec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// String writes the spec as I/N, the form Parse reads.
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Contains reports whether the item with this id belongs to the shard.
func (s Spec) Contains(id string) bool { return Of(id, s.Count) == s.Index }

// Select returns the positions in ids of the items that belong to the shard, in
// order.
func (s Spec) Select(ids []string) []int {
	var out []int
	for i, id := range ids {
		if s.Contains(id) {
			out = append(out, i)
		}
	}
	return out
}

// Of is the shard (0 to n-1) of the item with this id among n shards; n < 1 is
// taken as 1.
func Of(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := sha256.Sum256([]byte(id))
	return int(jump(binary.BigEndian.Uint64(h[:8]), int32(n)))
}

// jump is Lamping and Veach's jump consistent hash ("A Fast, Minimal Memory,
// Consistent Hash Algorithm", 2014): a bucket in [0, n) for key such that going from
// n to n+1 buckets moves only the keys that land in the new bucket.
func jump(key uint64, n int32) int32 {
	var b, j int64 = -1, 0
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int32(b)
}

// Env names the environment variables --shard auto reads.
const (
	EnvJobIndex   = "JOB_COMPLETION_INDEX"
	EnvSlurmID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmStep  = "SLURM_ARRAY_TASK_STEP"
)

// Parse reads the value of --shard: "I/N", or "auto" to read the index from the
// environment through lookup (os.LookupEnv in the command). count is the value of
// --shard-count (0 when not given): required by auto under Kubernetes, and when
// given it must agree with N.
func Parse(value string, count int, lookup func(string) (string, bool)) (Spec, error) {
	if count < 0 || count > MaxCount {
		return Spec{}, fmt.Errorf("--shard-count %d: want 1 to %d", count, MaxCount)
	}
	if strings.TrimSpace(value) == "auto" {
		return fromEnv(count, lookup)
	}
	s, err := parseSlash(value)
	if err != nil {
		return Spec{}, err
	}
	if count != 0 && count != s.Count {
		return Spec{}, fmt.Errorf("--shard %s and --shard-count %d disagree on the number of shards", value, count)
	}
	return s, nil
}

func parseSlash(value string) (Spec, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(value), "/")
	if !ok {
		return Spec{}, fmt.Errorf("--shard %q: want I/N (e.g. 0/4) or auto", value)
	}
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if err1 != nil || err2 != nil {
		return Spec{}, fmt.Errorf("--shard %q: want I/N with whole numbers (e.g. 0/4) or auto", value)
	}
	if n < 1 || n > MaxCount {
		return Spec{}, fmt.Errorf("--shard %q: N must be 1 to %d", value, MaxCount)
	}
	if i < 0 || i >= n {
		return Spec{}, fmt.Errorf("--shard %q: I must be 0 to %d (shards are numbered from 0)", value, n-1)
	}
	return Spec{Index: i, Count: n}, nil
}

func fromEnv(count int, lookup func(string) (string, bool)) (Spec, error) {
	if v, ok := lookup(EnvJobIndex); ok {
		i, err := envInt(EnvJobIndex, v)
		if err != nil {
			return Spec{}, err
		}
		if count == 0 {
			return Spec{}, fmt.Errorf("--shard auto: %s=%s is set (a Kubernetes Indexed Job), which does not say how many shards there are: give --shard-count (the Job's completions)", EnvJobIndex, v)
		}
		if i >= count {
			return Spec{}, fmt.Errorf("--shard auto: %s=%s is not below --shard-count %d", EnvJobIndex, v, count)
		}
		return Spec{Index: i, Count: count}, nil
	}
	if v, ok := lookup(EnvSlurmID); ok {
		return fromSlurm(v, count, lookup)
	}
	return Spec{}, fmt.Errorf("--shard auto: neither %s (Kubernetes Indexed Job) nor %s (Slurm array job) is set: give --shard I/N", EnvJobIndex, EnvSlurmID)
}

func fromSlurm(idv string, count int, lookup func(string) (string, bool)) (Spec, error) {
	id, err := envInt(EnvSlurmID, idv)
	if err != nil {
		return Spec{}, err
	}
	nv, ok := lookup(EnvSlurmCount)
	if !ok {
		return Spec{}, fmt.Errorf("--shard auto: %s=%s is set but %s is not", EnvSlurmID, idv, EnvSlurmCount)
	}
	n, err := envInt(EnvSlurmCount, nv)
	if err != nil {
		return Spec{}, err
	}
	if n < 1 || n > MaxCount {
		return Spec{}, fmt.Errorf("--shard auto: %s=%s: want 1 to %d", EnvSlurmCount, nv, MaxCount)
	}
	if count != 0 && count != n {
		return Spec{}, fmt.Errorf("--shard auto: --shard-count %d and %s=%s disagree", count, EnvSlurmCount, nv)
	}
	lo, step := 0, 1
	if v, ok := lookup(EnvSlurmMin); ok {
		if lo, err = envInt(EnvSlurmMin, v); err != nil {
			return Spec{}, err
		}
	}
	if v, ok := lookup(EnvSlurmStep); ok {
		if step, err = envInt(EnvSlurmStep, v); err != nil {
			return Spec{}, err
		}
		if step < 1 {
			return Spec{}, fmt.Errorf("--shard auto: %s=%s: want 1 or more", EnvSlurmStep, v)
		}
	}
	off := id - lo
	if off < 0 || off%step != 0 || off/step >= n {
		return Spec{}, fmt.Errorf("--shard auto: %s=%s with %s=%d, %s=%d and %s=%s does not give an index from 0 to %d: use a contiguous array (--array=0-%d)",
			EnvSlurmID, idv, EnvSlurmMin, lo, EnvSlurmStep, step, EnvSlurmCount, nv, n-1, n-1)
	}
	return Spec{Index: off / step, Count: n}, nil
}

func envInt(name, v string) (int, error) {
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || i < 0 {
		return 0, fmt.Errorf("--shard auto: %s=%q: want a whole number 0 or more", name, v)
	}
	return i, nil
}
