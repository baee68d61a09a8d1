package datasets

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sort"
)

// pcgStream is the second PCG seed; the first is the user's --sample-seed.
const pcgStream = 0x7175616e7465766c // "quantevl"

// sampler draws from a PCG stream with its own bounded-integer and shuffle code, so
// that a seed picks the same items whatever Go release built the binary: math/rand/v2
// specifies PCG's output but not how IntN or Shuffle consume it.
type sampler struct{ src *rand.PCG }

func newSampler(seed int64) *sampler {
	return &sampler{src: rand.NewPCG(uint64(seed), pcgStream)}
}

// uintn is uniform in [0, n), by Lemire's multiply-and-reject.
func (s *sampler) uintn(n uint64) uint64 {
	hi, lo := bits.Mul64(s.src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(s.src.Uint64(), n)
		}
	}
	return hi
}

// choose returns k distinct values of [0, n), sorted, by a partial Fisher-Yates.
func (s *sampler) choose(n, k int) []int {
	if k >= n {
		k = n
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + int(s.uintn(uint64(n-i)))
		idx[i], idx[j] = idx[j], idx[i]
	}
	out := idx[:k]
	sort.Ints(out)
	return out
}

// allocate splits k items over groups of the given sizes: one each, then the rest in
// proportion to what each group has left, by largest remainder (ties to the earlier
// group). It needs len(sizes) <= k <= sum(sizes).
func allocate(sizes []int, k int) ([]int, error) {
	total := 0
	for _, n := range sizes {
		total += n
	}
	if k < len(sizes) {
		return nil, fmt.Errorf("a sample of %d cannot keep all %d subjects (at least one item each): sample %d or more, choose fewer subjects, or use --limit", k, len(sizes), len(sizes))
	}
	if k > total {
		k = total
	}
	out := make([]int, len(sizes))
	rest := k - len(sizes)
	spare := total - len(sizes)
	type rem struct{ i, num int }
	var rems []rem
	given := 0
	for i, n := range sizes {
		out[i] = 1
		if spare == 0 {
			continue
		}
		// share = rest*(n-1)/spare, kept as an integer part and a remainder so that
		// the split is exact and the same on every machine.
		q, r := rest*(n-1)/spare, rest*(n-1)%spare
		out[i] += q
		given += q
		rems = append(rems, rem{i, r})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].num > rems[b].num })
	for j := 0; given < rest && j < len(rems); j++ {
		if i := rems[j].i; out[i] < sizes[i] {
			out[i]++
			given++
		}
	}
	return out, nil
}
