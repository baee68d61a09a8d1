// Package poll calls a function at a fixed interval in one goroutine until it is
// stopped: the loop with which gpumem and servermetrics watch a load level.
package poll

import (
	"context"
	"sync"
	"time"
)

// DefaultInterval is the interval when none is given.
const DefaultInterval = time.Second

// Start calls fn every interval (DefaultInterval when interval <= 0), the first
// time one interval from now, until ctx ends or stop is called. stop cancels the
// context fn is given and returns once fn is no longer running, so that what fn
// wrote can be read without a lock.
func Start(ctx context.Context, interval time.Duration, fn func(context.Context)) (stop func()) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
				fn(pctx)
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
