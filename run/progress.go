package run

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/quanteval/quanteval/internal/termbar"
)

// progress shows how far a run is: a bar on a terminal, otherwise a plain line every
// few seconds (for logs and CI). It only ever writes to the writer it was given,
// never to stdout, so `--out -` keeps stdout clean JSON.
type progress struct {
	mu         sync.Mutex
	w          io.Writer
	bar        *progressbar.ProgressBar
	total      int
	done, ok   int
	errs       int
	start      time.Time
	last       time.Time
	every      time.Duration
	startCount int
	stop       chan struct{} // ends the ticker of the plain display
	stopped    chan struct{}
}

// progressEvery is how often the plain display writes a line.
const progressEvery = 5 * time.Second

func newProgress(w io.Writer, total, done, ok int, every time.Duration) *progress {
	p := &progress{w: w, total: total, done: done, ok: ok, start: time.Now(), every: every, startCount: done}
	if w == nil {
		return p
	}
	p.last = p.start
	p.bar = termbar.New(w, int64(total),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("items"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
	if p.bar != nil {
		_ = p.bar.Set(done)
		p.describe()
	} else {
		if done > 0 {
			fmt.Fprintf(w, "resuming: %d/%d items already done\n", done, total)
		}
		// A line every few seconds even while no item finishes: long generations
		// must not look like a hang in a log.
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			fmt.Fprintln(p.w, p.line(now))
			p.last = now
			p.mu.Unlock()
		}
	}
}

func (p *progress) describe() {
	p.bar.Describe(fmt.Sprintf("ok %d", p.ok))
}

func (p *progress) add(ok, failed bool) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if ok {
		p.ok++
	}
	if failed {
		p.errs++
	}
	if p.bar != nil {
		p.describe()
		_ = p.bar.Add(1)
	}
}

// line is the plain progress line: done/total, ok so far, rate, ETA.
func (p *progress) line(now time.Time) string {
	el := now.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.done-p.startCount) / el
	}
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d items, ok %d, errors %d, %.1f items/s, ETA %s", p.done, p.total, p.ok, p.errs, rate, eta)
}

func (p *progress) finish() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	if p.stop != nil {
		close(p.stop)
		p.mu.Unlock()
		<-p.stopped // the ticker may be waiting for the lock
		p.mu.Lock()
		p.stop = nil
		fmt.Fprintln(p.w, p.line(time.Now()))
	}
}
