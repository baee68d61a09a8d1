package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Retry policy. An evaluation retries what a healthy server under load or a flaky
// network produces (429, 5xx, a dropped connection, a timeout, a cut-off body) and
// nothing the server answered deliberately: a 400 saying the prompt is longer than
// the context will say so again.

const (
	retryBase = 500 * time.Millisecond
	retryMax  = 30 * time.Second
	// retryAfterMax caps a server's Retry-After so a bad header cannot stall a run.
	retryAfterMax = 5 * time.Minute
)

// shouldRetry reports whether a failed attempt is worth another.
func shouldRetry(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return RetryableStatus(se.StatusCode)
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	// A per-attempt timeout surfaces as DeadlineExceeded; the caller checks its own
	// context before retrying, so this is the attempt's, not the run's.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBadBody) {
		return true
	}
	return isNetErr(err)
}

// retryDelay is how long to wait before attempt+1 (attempt counts from 0): the
// server's Retry-After when it sent one, else 0.5s * 2^attempt capped at 30s, less up
// to 25% jitter (j in [0,1)) so that many workers do not retry in step.
func retryDelay(err error, attempt int, j float64) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return backoff(se.RetryAfter, attempt, j)
	}
	return backoff(0, attempt, j)
}

func backoff(retryAfter time.Duration, attempt int, j float64) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, retryAfterMax)
	}
	d := retryBase << min(attempt, 10)
	d = min(d, retryMax)
	return d - time.Duration(float64(d)*0.25*j)
}

// The policy for other HTTP clients of the house (hub downloads), so that every
// retry waits alike.

// RetryableStatus reports whether an HTTP answer with this status is worth another
// attempt: 429, 408 and any 5xx.
func RetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// RetryAfter is the wait an answer's headers ask for (Retry-After-Ms, or Retry-After
// as seconds or an HTTP date); 0 when they ask for none.
func RetryAfter(h http.Header) time.Duration { return parseRetryAfter(h, time.Now()) }

// Backoff is how long to wait before attempt+1 (attempt counts from 0): retryAfter
// when the server asked for a wait (capped at 5 minutes), else 0.5s * 2^attempt capped
// at 30s, less up to 25% jitter.
func Backoff(retryAfter time.Duration, attempt int) time.Duration {
	return backoff(retryAfter, attempt, jitter())
}

// Sleep waits d, or until ctx ends (then it returns ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error { return sleepCtx(ctx, d) }

// parseRetryAfter reads Retry-After-Ms, or Retry-After as seconds or an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func jitter() float64 { return rand.Float64() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
