package client

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

func testPool(t *testing.T, n int) (*Pool, *time.Time) {
	t.Helper()
	urls := []string{"http://a:1", "http://b:2", "http://c:3", "http://d:4"}[:n]
	p, err := NewPool(urls, Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1000, 0)
	p.now = func() time.Time { return clock }
	p.backoff = func(failures int) time.Duration { return time.Second << (failures - 1) }
	return p, &clock
}

// TestPoolChoosesFewestInFlight: requests go to the replica with the fewest in
// flight, ties taken in turn.
func TestPoolChoosesFewestInFlight(t *testing.T) {
	p, _ := testPool(t, 3)
	var got []int
	for range 6 {
		i, err := p.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, i)
	}
	if want := []int{0, 1, 2, 0, 1, 2}; !equalInts(got, want) {
		t.Errorf("chosen %v, want %v", got, want)
	}
	p.release(1, nil)
	p.release(1, nil)
	if i, _ := p.acquire(context.Background()); i != 1 {
		t.Errorf("chose %d, want 1 (none in flight)", i)
	}
}

// TestPoolBackOff: a replica fault takes the replica out for a back-off that grows
// with its consecutive failures; a success brings it back; a 429 or a 400 does not
// take it out; one replica alone is never out.
func TestPoolBackOff(t *testing.T) {
	refused := &dialError{syscall.ECONNREFUSED}
	p, clock := testPool(t, 2)
	p.state[0].inFlight = 1
	if healthy := p.release(0, refused); !healthy {
		t.Error("replica 1 is healthy: release should say so")
	}
	if s := p.state[0]; s.failures != 1 || !s.downUntil.Equal(clock.Add(time.Second)) {
		t.Fatalf("after a refusal: %+v", s)
	}
	for range 3 {
		if i, _ := p.choose(*clock); i != 1 {
			t.Fatalf("chose %d while replica 0 is out", i)
		}
	}
	*clock = clock.Add(time.Second)
	p.state[0].inFlight = 1
	p.release(0, &StatusError{StatusCode: 503})
	if s := p.state[0]; s.failures != 2 || !s.downUntil.Equal(clock.Add(2*time.Second)) {
		t.Fatalf("after a second failure: %+v, want out for 2s", s)
	}
	p.state[1].inFlight = 1
	if healthy := p.release(1, refused); healthy {
		t.Error("both replicas are out: release says another is healthy")
	}
	if i, wait := p.choose(*clock); i != -1 || wait != time.Second {
		t.Errorf("all out: choose = %d, %s; want -1, 1s (replica 1's back-off)", i, wait)
	}
	*clock = clock.Add(2 * time.Second)
	p.state[0].inFlight = 1
	p.release(0, nil)
	if s := p.state[0]; s.failures != 0 {
		t.Errorf("a success keeps the failures: %+v", s)
	}
	for _, err := range []error{&StatusError{StatusCode: 429}, &StatusError{StatusCode: 400}, context.Canceled} {
		p.state[0].inFlight = 1
		p.release(0, err)
		if s := p.state[0]; s.failures != 0 {
			t.Errorf("%v took the replica out: %+v", err, s)
		}
	}
	one, clock1 := testPool(t, 1)
	one.state[0].inFlight = 1
	one.release(0, refused)
	if i, _ := one.choose(*clock1); i != 0 {
		t.Error("the only replica was taken out")
	}
}

// dialError is a dial failure as net reports it.
type dialError struct{ errno syscall.Errno }

func (e *dialError) Error() string   { return "dial tcp: connect: " + e.errno.Error() }
func (e *dialError) Unwrap() error   { return e.errno }
func (e *dialError) Timeout() bool   { return false }
func (e *dialError) Temporary() bool { return false }

// TestPoolWaitsForABackOff: with every replica out, a request waits for the first
// to come back, or for its context.
func TestPoolWaitsForABackOff(t *testing.T) {
	p, clock := testPool(t, 2)
	p.state[0].downUntil = clock.Add(3 * time.Second)
	p.state[1].downUntil = clock.Add(time.Second)
	var waited []time.Duration
	p.sleep = func(ctx context.Context, d time.Duration) error {
		waited = append(waited, d)
		*clock = clock.Add(d)
		return nil
	}
	i, err := p.acquire(context.Background())
	if err != nil || i != 1 || len(waited) != 1 || waited[0] != time.Second {
		t.Errorf("acquire = %d, %v after waits %v; want replica 1 after 1s", i, err, waited)
	}
	p.state[0].downUntil, p.state[1].downUntil = clock.Add(time.Hour), clock.Add(time.Hour)
	p.sleep = sleepCtx
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire on a cancelled context: %v", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
