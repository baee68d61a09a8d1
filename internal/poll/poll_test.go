package poll

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestStartStop(t *testing.T) {
	var calls atomic.Int64
	got := make(chan struct{}, 1)
	var running atomic.Bool
	stop := Start(context.Background(), time.Millisecond, func(ctx context.Context) {
		running.Store(true)
		defer running.Store(false)
		if calls.Add(1) == 3 {
			got <- struct{}{}
		}
	})
	<-got
	stop()
	if running.Load() {
		t.Error("fn still running after stop returned")
	}
	n := calls.Load()
	time.Sleep(5 * time.Millisecond)
	if calls.Load() != n {
		t.Errorf("fn called %d times after stop", calls.Load()-n)
	}
}

func TestStopCancelsFn(t *testing.T) {
	started := make(chan struct{})
	var once atomic.Bool
	stop := Start(context.Background(), time.Millisecond, func(ctx context.Context) {
		if once.CompareAndSwap(false, true) {
			close(started)
		}
		<-ctx.Done() // a poll in progress ends when stopped
	})
	<-started
	stop() // returns only because fn's context is cancelled
}

func TestContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	stop := Start(ctx, time.Millisecond, func(context.Context) { calls.Add(1) })
	cancel()
	time.Sleep(5 * time.Millisecond)
	n := calls.Load()
	time.Sleep(5 * time.Millisecond)
	if calls.Load() != n {
		t.Error("fn still called after ctx ended")
	}
	stop() // still safe
}
