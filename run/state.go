package run

import (
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
)

// state is what the run knows of each sample of each item (a slot; see samples.go):
// its record, and whether it is done.
type state struct {
	items   []evalset.Item
	n       int // samples per item
	records []result.Record
	done    []bool
	index   map[result.SampleKey]int
}

func newState(items []evalset.Item, n int) *state {
	st := &state{items: items, n: n, records: make([]result.Record, len(items)*n), done: make([]bool, len(items)*n),
		index: make(map[result.SampleKey]int, len(items)*n)}
	for i, it := range items {
		for s := range n {
			st.index[result.SampleKey{ID: it.ID, Sample: s}] = i*n + s
		}
	}
	return st
}

// resumeFrom takes the records of an earlier run's journal. The last record of an item
// wins; an item that ended in an error (the server was down, say) is asked again.
func (st *state) resumeFrom(prev []result.Record) {
	for _, r := range prev {
		i, ok := st.index[r.Key()]
		if !ok {
			continue // an item a wider --limit (or sample a larger --repeats) had: kept in the journal, not in this result
		}
		st.records[i], st.done[i] = r, r.Error == ""
	}
}

// todo lists the items still to ask, in order.
func (st *state) todo() []int {
	var todo []int
	for i := range st.records {
		if !st.done[i] {
			todo = append(todo, i)
		}
	}
	return todo
}

func (st *state) countOK() int {
	n := 0
	for i := range st.records {
		if st.done[i] && st.records[i].OK {
			n++
		}
	}
	return n
}

// final is the records of the items done, in the set's order.
func (st *state) final() []result.Record {
	var final []result.Record
	for i := range st.records {
		if st.done[i] {
			final = append(final, st.records[i])
		}
	}
	return final
}
