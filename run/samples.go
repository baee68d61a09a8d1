package run

import (
	"errors"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
)

// Repeated samples (Config.Repeats N): each item is asked N times.
//
// Decisions:
//   - The work is N slots per item, slot i*N+s being sample s of item i; the slots
//     go through the one worker pool in that order, so the result's records are in
//     item order, then sample order, and progress counts samples.
//   - With a seed, sample s is sent seed+s (sample 0 keeps the seed as given, so a
//     run of one sample is what it always was); without one, no seed is sent.
//   - The journal's record key is (id, sample). N is not in the journal's
//     fingerprint, as --limit is not: a resume with a larger N asks only the
//     samples missing (the seeds of the ones kept are the same), and a smaller N
//     leaves the journal's extra samples out of the result.
//   - --logprobs is refused with N > 1: the side file keeps one line per item id.

// samples is the number of samples per item, at least 1.
func (cfg *Config) samples() int { return max(1, cfg.Repeats) }

// paramRepeats is what the result records: N, or 0 (absent) for one sample.
func (cfg *Config) paramRepeats() int {
	if cfg.samples() == 1 {
		return 0
	}
	return cfg.Repeats
}

func checkRepeats(cfg *Config) error {
	if cfg.Repeats < 0 {
		return errors.New("run: repeats must be at least 1")
	}
	if cfg.samples() > 1 && cfg.Logprobs > 0 {
		return errors.New("run: --logprobs is not supported with --repeats above 1 (the side file keeps one line per item)")
	}
	return nil
}

// item is the item of a slot.
func (st *state) item(slot int) *evalset.Item { return &st.items[slot/st.n] }

// sample is the sample index of a slot.
func (st *state) sample(slot int) int { return slot % st.n }

// sampleField is a slot's record's sample: nil with one sample per item.
func (st *state) sampleField(slot int) *int {
	if st.n == 1 {
		return nil
	}
	return result.SampleNo(st.sample(slot))
}

// request is the request of a slot: its item's, with the seed moved by its sample.
func (st *state) request(cfg Config, slot int) client.Request {
	req := request(cfg, st.item(slot))
	if s := st.sample(slot); s > 0 && cfg.Seed != nil {
		seed := *cfg.Seed + int64(s)
		req.Seed = &seed
	}
	return req
}
