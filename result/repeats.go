package result

import (
	"slices"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/stats"
)

// Repeated samples (run --repeats N): every item asked N times, each answer a record
// of its own with its "sample" index, the records in item order then sample order.
//
// Decisions:
//   - avg_at_n is the mean over items of each item's pass rate (right samples over
//     its samples; an error counts as wrong, as in accuracy), with Student's t
//     interval over items (stats.MeanT), the items being the independent units.
//     With N > 1, accuracy is avg_at_n: equal to ok/count when every item has its N
//     samples, and the honest figure when a run stopped part-way through an item.
//   - pass_at_k is the mean over items of Chen et al.'s unbiased estimate
//     (stats.PassAtK), for k = 1, 2, 4, ... below N, and N (stats.PassKs), over the
//     items with at least k samples.
//   - maj_at_n is the share of items whose majority answer is right: the extracted
//     answers (spaces trimmed) vote, empty ones and errors do not, a tie goes to the
//     answer of the lowest sample (stats.Majority), and the winner is scored as the
//     scorer scored the first sample that gave it. An item without any answer is
//     wrong.

// SampleKey identifies one record: its item and which of the item's samples.
type SampleKey struct {
	ID     string
	Sample int
}

// Key is r's item and sample.
func (r *Record) Key() SampleKey { return SampleKey{r.ID, r.SampleIndex()} }

// SampleIndex is r's sample, 0 when it has none (a run of one sample).
func (r *Record) SampleIndex() int {
	if r.Sample == nil {
		return 0
	}
	return *r.Sample
}

// SampleNo is a record's Sample field for sample s.
func SampleNo(s int) *int { return &s }

// AvgAtN is the mean of the per-item pass rates with its interval over items.
type AvgAtN struct {
	Value      float64 `json:"value"`
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Confidence float64 `json:"confidence"`
	Items      int     `json:"items"`
}

// Confidence is the level of the avg_at_n interval.
const Confidence = 0.95

// ItemSamples are one item's records, in sample order.
type ItemSamples struct {
	ID      string
	Records []*Record
}

// GroupByItem groups records by item, the items in order of first appearance and
// each item's records in sample order.
func GroupByItem(records []Record) []ItemSamples {
	at := map[string]int{}
	var out []ItemSamples
	for i := range records {
		r := &records[i]
		k, seen := at[r.ID]
		if !seen {
			k = len(out)
			at[r.ID] = k
			out = append(out, ItemSamples{ID: r.ID})
		}
		out[k].Records = append(out[k].Records, r)
	}
	for _, g := range out {
		slices.SortStableFunc(g.Records, func(a, b *Record) int { return a.SampleIndex() - b.SampleIndex() })
	}
	return out
}

// MaxSamples is the most samples any item has.
func MaxSamples(groups []ItemSamples) int {
	n := 0
	for _, g := range groups {
		n = max(n, len(g.Records))
	}
	return n
}

// Count is how many of the item's samples ok scores, and how many it scores at
// all (ok's second result false: the sample lacks the score).
func (g ItemSamples) Count(ok func(*Record) (right, has bool)) (right, n int) {
	for _, r := range g.Records {
		if k, has := ok(r); has {
			n++
			if k {
				right++
			}
		}
	}
	return right, n
}

// Primary scores a record by its ok field.
func Primary(r *Record) (bool, bool) { return r.OK, true }

// Majority is the item's majority answer (see the decisions above) and whether it
// is right.
func (g ItemSamples) Majority() (answer string, right bool) {
	answers := make([]string, len(g.Records))
	for i, r := range g.Records {
		if r.Error == "" {
			answers[i] = strings.TrimSpace(r.Extracted)
		}
	}
	answer, votes := stats.Majority(answers)
	if votes == 0 {
		return "", false
	}
	return answer, g.Records[slices.Index(answers, answer)].OK
}

// addRepeats fills in the statistics of repeated samples when some item has more
// than one.
func (s *Summary) addRepeats(records []Record) {
	groups := GroupByItem(records)
	n := MaxSamples(groups)
	if n < 2 {
		return
	}
	s.Samples = n
	rates := make([]float64, 0, len(groups))
	maj := 0
	for _, g := range groups {
		c, m := g.Count(Primary)
		rates = append(rates, float64(c)/float64(m))
		if _, ok := g.Majority(); ok {
			maj++
		}
	}
	iv := stats.MeanT(rates, Confidence)
	s.AvgAtN = &AvgAtN{Value: iv.Center, Lo: iv.Lo, Hi: iv.Hi, Confidence: Confidence, Items: len(groups)}
	s.Accuracy = iv.Center
	m := float64(maj) / float64(len(groups))
	s.MajAtN = &m
	s.PassAtK = PassAtK(groups, n, Primary)
}

// PassAtK is pass@k for k in stats.PassKs(n), each the mean over the items with at
// least k samples.
func PassAtK(groups []ItemSamples, n int, ok func(*Record) (bool, bool)) map[string]float64 {
	out := map[string]float64{}
	for _, k := range stats.PassKs(n) {
		sum, items := 0.0, 0
		for _, g := range groups {
			c, m := g.Count(ok)
			if m >= k {
				sum += stats.PassAtK(m, c, k)
				items++
			}
		}
		if items > 0 {
			out[strconv.Itoa(k)] = sum / float64(items)
		}
	}
	return out
}
