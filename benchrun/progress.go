package benchrun

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/quanteval/quanteval/internal/termbar"
	"github.com/quanteval/quanteval/loadgen"
)

// progress shows one level: a bar on a terminal, else a line when the level starts,
// one every plainEvery while it runs, and one when it ends.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	bar   *progressbar.ProgressBar
	name  string
	total int
	done  int
	last  time.Time
}

const plainEvery = 10 * time.Second

func newProgress(w io.Writer, l loadgen.Level, i, n int) *progress {
	p := &progress{w: w, name: fmt.Sprintf("level %d/%d: %s", i+1, n, LevelName(l)), total: l.Requests, last: time.Now()}
	if w == nil {
		return p
	}
	total := int64(l.Requests)
	if total == 0 {
		total = -1 // by duration: a spinner with a count
	}
	p.bar = termbar.New(w, total, progressbar.OptionSetDescription(p.name), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("req"), progressbar.OptionClearOnFinish())
	if p.bar == nil {
		what := fmt.Sprintf("%d requests", l.Requests)
		if l.Requests == 0 {
			what = "for " + l.Duration.String()
		}
		if l.Warmup > 0 {
			what = fmt.Sprintf("%d warmup, then %s", l.Warmup, what)
		}
		fmt.Fprintf(w, "%s: %s\n", p.name, what)
	}
	return p
}

// add is loadgen.Runner.Progress.
func (p *progress) add(done, total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	if p.bar != nil {
		_ = p.bar.Set(done)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= plainEvery {
		p.last = now
		if total > 0 {
			fmt.Fprintf(p.w, "%s: %d/%d requests\n", p.name, done, total)
		} else {
			fmt.Fprintf(p.w, "%s: %d requests\n", p.name, done)
		}
	}
}

// finish ends the display with the level's headline figures.
func (p *progress) finish(lr loadgen.LevelResult) {
	if p.w == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	st := lr.Stats
	state := ""
	if !lr.Complete {
		state = " (interrupted)"
	}
	fmt.Fprintf(p.w, "%s%s: %d done, %d failed, %.2f req/s, %.1f output tok/s, TTFT p50 %.0f ms\n",
		p.name, state, st.Completed, st.Failed, st.RequestThroughput, st.OutputThroughput, st.TTFT.Median)
	for _, w := range lr.Warnings {
		fmt.Fprintf(p.w, "  note: %s\n", w)
	}
}

// LevelName is how a level is named in progress and tables: "concurrency 4",
// "rate 2/s", "rate 2/s, at most 8 in flight".
func LevelName(l loadgen.Level) string {
	switch {
	case l.Rate > 0 && l.Concurrency > 0:
		return fmt.Sprintf("rate %g/s, at most %d in flight", l.Rate, l.Concurrency)
	case l.Rate > 0:
		return fmt.Sprintf("rate %g/s", l.Rate)
	}
	return fmt.Sprintf("concurrency %d", l.Concurrency)
}
