package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/quanteval/quanteval/redact"
)

// Pool spreads requests over several replicas of one server (the same model behind
// several base URLs). It is safe for concurrent use and offers what a Client offers
// a run: Chat, ChatStream, ResolveModel, Version and CloseIdleConnections.
//
// Decisions:
//   - A request goes to the healthy replica with the fewest requests in flight
//     (ties: the one after the last chosen), so that a pool of N replicas driven
//     by N×C workers keeps about C in flight on each.
//   - A replica that fails a request in a way that says the server is unwell (the
//     connection refused or dropped, a cut-off body, a 5xx, a timeout) is taken out
//     for a back-off (Backoff of its consecutive failures: 1s, 2s, ... 30s) and the
//     request goes at once to another healthy replica. Such a move is not an
//     attempt: a record's Attempts counts what its retry budget paid for, so that
//     the result does not depend on the number of replicas. When no other replica
//     is healthy, the failure is an attempt like a Client's and is retried after the
//     usual delay (on whichever replica is back first).
//   - A replica out for its back-off gets one request when the back-off ends; a
//     success brings it back, a failure doubles the back-off.
//   - With one replica nothing is taken out: a Pool of one behaves as its Client.
type Pool struct {
	clients  []*Client
	replicas []Replica
	retries  int
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
	backoff  func(failures int) time.Duration

	mu    sync.Mutex
	state []replicaState
	last  int // the replica chosen last, where ties start looking after
}

// Replica names one server of a Pool: its place in the list and its URL, redacted.
type Replica struct {
	Index int    `json:"index"`
	URL   string `json:"url"`
}

type replicaState struct {
	inFlight  int
	failures  int       // consecutive
	downUntil time.Time // out of the pool until then
}

// NewPool returns a pool of the servers at baseURLs (each with or without /v1). Each
// replica gets a Client with opt, except that the pool does the retrying:
// opt.Retries is the budget of every request, and opt.MaxConns bounds each
// replica's connections.
func NewPool(baseURLs []string, opt Options) (*Pool, error) {
	if len(baseURLs) == 0 {
		return nil, errors.New("no base URL")
	}
	p := &Pool{retries: opt.Retries, sleep: sleepCtx, now: time.Now, state: make([]replicaState, len(baseURLs)), last: -1}
	p.backoff = func(failures int) time.Duration { return Backoff(0, failures) }
	one := opt
	one.Retries = 0
	for i, u := range baseURLs {
		c, err := New(u, one)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		p.clients = append(p.clients, c)
		p.replicas = append(p.replicas, Replica{Index: i, URL: redact.URL(strings.TrimSuffix(c.BaseURL(), "/v1"))})
	}
	return p, nil
}

// Replicas lists the pool's replicas in order.
func (p *Pool) Replicas() []Replica { return append([]Replica(nil), p.replicas...) }

// Chat sends a chat completion to a replica, as Client.Chat does to its server.
func (p *Pool) Chat(ctx context.Context, req Request) (*Response, error) {
	body, err := chatBody(req)
	if err != nil {
		return nil, err
	}
	return p.send(ctx, func(ctx context.Context, c *Client) (*Response, error) { return c.chatOnce(ctx, body) })
}

// ChatStream sends a streamed chat completion to a replica, as Client.ChatStream does.
func (p *Pool) ChatStream(ctx context.Context, req Request) (*StreamReply, error) {
	body, err := streamBody(req)
	if err != nil {
		return nil, err
	}
	var timing Timing
	resp, err := p.send(ctx, func(ctx context.Context, c *Client) (*Response, error) {
		r, err := c.chatStreamOnce(ctx, body, time.Now)
		if err != nil {
			return nil, err
		}
		timing = r.Timing
		return r.Response, nil
	})
	if err != nil {
		return nil, err
	}
	return &StreamReply{Response: resp, Timing: timing}, nil
}

// send runs once on replicas until it succeeds, moving a request off a failing
// replica and retrying as Client.Chat does.
func (p *Pool) send(ctx context.Context, once func(context.Context, *Client) (*Response, error)) (*Response, error) {
	attempts, moves := 0, 0
	for {
		i, err := p.acquire(ctx)
		if err != nil {
			return nil, &AttemptError{Attempts: max(attempts, 1), Err: err}
		}
		resp, err := once(ctx, p.clients[i])
		healthy := p.release(i, err)
		if err == nil {
			resp.Attempts = attempts + 1
			rep := p.replicas[i]
			resp.Replica = &rep
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, &AttemptError{Attempts: attempts + 1, Err: ctx.Err()}
		}
		if !shouldRetry(err) {
			return nil, &AttemptError{Attempts: attempts + 1, Err: err}
		}
		if replicaFault(err) && healthy && moves < 4*len(p.clients) {
			moves++ // another replica takes it: not an attempt
			continue
		}
		if attempts >= p.retries {
			return nil, &AttemptError{Attempts: attempts + 1, Err: err}
		}
		if err := p.sleep(ctx, retryDelay(err, attempts, jitter())); err != nil {
			return nil, &AttemptError{Attempts: attempts + 1, Err: err}
		}
		attempts++
	}
}

// replicaFault reports whether a retryable failure says the replica is unwell rather
// than busy: anything but a 429 or a 408.
func replicaFault(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 500
	}
	return true
}

// acquire waits for a healthy replica and counts a request in flight on it.
func (p *Pool) acquire(ctx context.Context) (int, error) {
	for {
		p.mu.Lock()
		i, wait := p.choose(p.now())
		if i >= 0 {
			p.state[i].inFlight++
			p.last = i
			p.mu.Unlock()
			return i, nil
		}
		p.mu.Unlock()
		if err := p.sleep(ctx, wait); err != nil {
			return -1, err
		}
	}
}

// choose returns the healthy replica with the fewest in flight, or -1 and how long
// until the first one is back. The caller holds p.mu.
func (p *Pool) choose(now time.Time) (int, time.Duration) {
	best, n := -1, len(p.state)
	var soonest time.Time
	for k := 1; k <= n; k++ {
		i := (p.last + k) % n
		s := &p.state[i]
		if n > 1 && now.Before(s.downUntil) {
			if soonest.IsZero() || s.downUntil.Before(soonest) {
				soonest = s.downUntil
			}
			continue
		}
		if best < 0 || s.inFlight < p.state[best].inFlight {
			best = i
		}
	}
	if best >= 0 {
		return best, 0
	}
	return -1, max(soonest.Sub(now), time.Millisecond)
}

// release ends a request on replica i that ended with err, taking the replica out on
// a replica fault, and reports whether another replica is healthy now.
func (p *Pool) release(i int, err error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &p.state[i]
	s.inFlight--
	switch {
	case err == nil:
		s.failures = 0
		return true
	case len(p.state) == 1 || errors.Is(err, context.Canceled) || !shouldRetry(err) || !replicaFault(err):
		return false
	}
	now := p.now()
	if !now.Before(s.downUntil) { // failures of requests sent before it was out count once
		s.failures++
		s.downUntil = now.Add(p.backoff(s.failures))
	}
	for j := range p.state {
		if j != i && !now.Before(p.state[j].downUntil) {
			return true
		}
	}
	return false
}

// ResolveModel returns the model to ask for, as Client.ResolveModel does, and checks
// that every replica serves it: a replica without it would fail every request sent
// to it.
func (p *Pool) ResolveModel(ctx context.Context, model string) (string, error) {
	m, err := p.clients[0].ResolveModel(ctx, model)
	if err != nil {
		return "", p.named(0, err)
	}
	for i, c := range p.clients[1:] {
		ids, err := c.Models(ctx)
		if err != nil {
			if model == "" { // the first replica's list chose it: the others must say
				return "", p.named(i+1, err)
			}
			continue // as Client.ResolveModel: a server without a list is taken at its word
		}
		if len(ids) > 0 && !Listed(ids, m) {
			return "", p.named(i+1, &UnknownModelError{Model: m, Listed: ids})
		}
	}
	return m, nil
}

// named wraps err with the replica it came from, keeping its type for errors.As.
func (p *Pool) named(i int, err error) error {
	if len(p.clients) == 1 {
		return err
	}
	return &ReplicaError{Replica: p.replicas[i], Err: err}
}

// ReplicaError is a failure of one replica of a Pool.
type ReplicaError struct {
	Replica Replica
	Err     error
}

func (e *ReplicaError) Error() string {
	return fmt.Sprintf("replica %d (%s): %v", e.Replica.Index, e.Replica.URL, e.Err)
}

func (e *ReplicaError) Unwrap() error { return e.Err }

// Version is the first answer of the replicas' GET /version, in order.
func (p *Pool) Version(ctx context.Context) string {
	for _, c := range p.clients {
		if v := c.Version(ctx); v != "" {
			return v
		}
	}
	return ""
}

// CloseIdleConnections closes every replica's idle connections.
func (p *Pool) CloseIdleConnections() {
	for _, c := range p.clients {
		c.CloseIdleConnections()
	}
}
