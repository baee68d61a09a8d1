package servermetrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/quanteval/quanteval/internal/poll"
)

// Level is what /metrics said about one bench level. Counters are differences
// between the scrapes after and before; a figure the server did not expose is
// absent (nil).
type Level struct {
	Available          bool     `json:"available"`
	GenerationTokens   *float64 `json:"generation_tokens,omitempty"`
	PromptTokens       *float64 `json:"prompt_tokens,omitempty"`
	Preemptions        *float64 `json:"preemptions,omitempty"`
	PrefixCacheHitRate *float64 `json:"prefix_cache_hit_rate,omitempty"` // hits / queries during the level
	KVCacheUsagePeak   *float64 `json:"kv_cache_usage_peak,omitempty"`   // 0..1
	WaitingPeak        *float64 `json:"waiting_peak,omitempty"`
	Polls              int      `json:"polls"`
	Notes              []string `json:"notes,omitempty"`
}

// Summarize builds a level's figures from the scrapes before and after it and the
// polls during it (which may include before and after).
func Summarize(before, after Snapshot, polls []Snapshot) Level {
	lv := Level{Available: true, Polls: len(polls)}
	delta := func(f figure) *float64 {
		b, okb := before.get(f)
		a, oka := after.get(f)
		if !okb || !oka {
			return nil
		}
		d := a - b
		if d < 0 {
			// A counter went back: the server restarted during the level.
			lv.Notes = append(lv.Notes, fmt.Sprintf("%s went from %g to %g: the server restarted", names[f][0], b, a))
			return nil
		}
		return &d
	}
	lv.GenerationTokens = delta(generationTokens)
	lv.PromptTokens = delta(promptTokens)
	lv.Preemptions = delta(preemptions)
	if h, q := delta(prefixHits), delta(prefixQueries); h != nil && q != nil && *q > 0 {
		r := *h / *q
		lv.PrefixCacheHitRate = &r
	}
	all := append([]Snapshot{before, after}, polls...)
	lv.KVCacheUsagePeak = peak(all, kvCacheUsage)
	lv.WaitingPeak = peak(all, waiting)
	return lv
}

func peak(snaps []Snapshot, f figure) *float64 {
	m, any := math.Inf(-1), false
	for _, s := range snaps {
		if v, ok := s.get(f); ok {
			m, any = math.Max(m, v), true
		}
	}
	if !any {
		return nil
	}
	return &m
}

// CrossCheck compares the server's token counts with the client's and returns a
// note for each that differs by more than 2%.
func (lv Level) CrossCheck(clientInput, clientOutput int) []string {
	var notes []string
	check := func(what string, server *float64, client int) {
		if server == nil || client == 0 {
			return
		}
		if d := math.Abs(*server-float64(client)) / float64(client); d > 0.02 {
			notes = append(notes, fmt.Sprintf("the server counted %.0f %s tokens, the client %d (%.1f%% apart): other traffic, or a client count estimated from chunks",
				*server, what, client, 100*d))
		}
	}
	check("output", lv.GenerationTokens, clientOutput)
	check("prompt", lv.PromptTokens, clientInput)
	return notes
}

// Watcher scrapes a server around one level and polls it during the level.
type Watcher struct {
	Scraper *Scraper
	Every   time.Duration // poll interval (default 1s)
}

// Begin scrapes once and starts polling; the function it returns stops polling,
// scrapes once more and returns the level's figures (a Level, for loadgen.Probe).
// A server without /metrics gives a Level with Available false and a note.
func (w *Watcher) Begin(ctx context.Context) func() any {
	before, err := w.Scraper.Scrape(ctx)
	if err != nil {
		return func() any { return unavailable(err) }
	}
	var polls []Snapshot
	stop := poll.Start(ctx, w.Every, func(pctx context.Context) {
		if s, err := w.Scraper.Scrape(pctx); err == nil {
			polls = append(polls, s)
		}
	})
	return func() any {
		stop() // the polls are over: polls is ours again
		after, err := w.Scraper.Scrape(context.WithoutCancel(ctx))
		if err != nil {
			lv := unavailable(err)
			lv.Notes = append(lv.Notes, "the scrape after the level failed")
			return lv
		}
		return Summarize(before, after, polls)
	}
}

func unavailable(err error) Level {
	if errors.Is(err, ErrNoMetrics) {
		return Level{Notes: []string{"no Prometheus /metrics on this server: server-side figures are absent"}}
	}
	return Level{Notes: []string{"/metrics could not be read: " + err.Error()}}
}
