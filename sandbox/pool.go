package sandbox

import (
	"context"
	"runtime"
	"sync"
)

// Pool runs work items (typically: run a program, score it, hand on the record) on
// a fixed number of goroutines of its own, apart from whatever produces the items,
// so that a slow program holds back neither the producer nor the other items.
type Pool struct {
	jobs chan func(context.Context)
	wg   sync.WaitGroup
	once sync.Once
}

// NewPool starts workers goroutines (runtime.NumCPU() if workers <= 0) that take
// items until Close. Each item gets ctx; when ctx ends, queued items still run with
// the ended ctx (and so return at once) so that none is silently lost. queue is how
// many items may wait before Submit blocks.
func NewPool(ctx context.Context, workers, queue int) *Pool {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	p := &Pool{jobs: make(chan func(context.Context), max(queue, 0))}
	p.wg.Add(workers)
	for range workers {
		go func() {
			defer p.wg.Done()
			for job := range p.jobs {
				job(ctx)
			}
		}()
	}
	return p
}

// Submit queues job. It blocks while the queue is full, and returns ctx's error
// (job not queued) if ctx ends first. Submit after Close panics.
func (p *Pool) Submit(ctx context.Context, job func(context.Context)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.jobs <- job:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking items and waits until every queued item has finished.
func (p *Pool) Close() {
	p.once.Do(func() { close(p.jobs) })
	p.wg.Wait()
}
