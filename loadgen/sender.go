package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/quanteval/quanteval/client"
)

// ClientSender sends requests as streamed chat completions through client.ChatStream.
type ClientSender struct {
	Client      *client.Client
	Model       string
	Temperature float64
	// Extra is merged into every body (client.Request.Extra); ignore_eos is added to
	// it for requests that ask for it.
	Extra json.RawMessage
	// NoStream sends plain chat completions (--stream=false): only E2EL is
	// measured, TTFT is reported equal to it as vLLM does for such backends, and
	// TPOT and ITL are absent.
	NoStream bool
}

var _ Sender = (*ClientSender)(nil)

// Send implements Sender.
func (s *ClientSender) Send(ctx context.Context, r Request) (Sample, error) {
	extra := s.Extra
	if r.IgnoreEOS {
		var err error
		if extra, err = withIgnoreEOS(extra); err != nil {
			return Sample{}, err
		}
	}
	req := client.Request{Model: s.Model, Messages: r.Messages, Temperature: s.Temperature, MaxTokens: r.MaxTokens, Extra: extra}
	if s.NoStream {
		start := time.Now()
		resp, err := s.Client.Chat(ctx, req)
		if err != nil {
			return Sample{}, err
		}
		e2el := float64(time.Since(start)) / float64(time.Millisecond)
		return Sample{TTFTMs: e2el, E2ELMs: e2el, InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens,
			FinishReason: resp.FinishReason}, nil
	}
	rep, err := s.Client.ChatStream(ctx, req)
	if err != nil {
		return Sample{}, err
	}
	return SampleOf(rep), nil
}

// SampleOf turns a streamed reply into a sample.
func SampleOf(rep *client.StreamReply) Sample {
	t := rep.Timing
	return Sample{TTFTMs: t.TTFTMs, TPOTMs: t.TPOTMs, E2ELMs: t.E2ELMs, ITLMs: t.ITLMs,
		InputTokens: rep.Usage.PromptTokens, OutputTokens: t.OutputTokens, OutputEstimated: t.OutputTokensEstimated,
		FinishReason: rep.FinishReason}
}

func withIgnoreEOS(extra json.RawMessage) (json.RawMessage, error) {
	m := map[string]any{}
	if len(extra) > 0 && string(extra) != "null" {
		if err := json.Unmarshal(extra, &m); err != nil {
			return nil, fmt.Errorf("extra body: want a JSON object: %w", err)
		}
	}
	m["ignore_eos"] = true
	return json.Marshal(m)
}

// ErrorKind names the kind of a failed request for the per-level error counts:
// "http_429", "http_4xx", "http_5xx", "timeout", "stream_cut", "not_streamed",
// "connection", "canceled" or "other".
func ErrorKind(err error) string {
	var se *client.StatusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		switch {
		case se.StatusCode == 429:
			return "http_429"
		case se.StatusCode >= 500:
			return "http_5xx"
		}
		return "http_4xx"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, client.ErrNotStreamed):
		return "not_streamed"
	case errors.Is(err, client.ErrBadBody):
		return "stream_cut"
	case errors.As(err, &ne):
		if ne.Timeout() {
			return "timeout"
		}
		return "connection"
	case strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "EOF"):
		return "connection"
	}
	return "other"
}

// Arrivals returns the gaps of a Poisson process of rate per second: exponential,
// drawn from a PCG seeded with seed.
func Arrivals(rate float64, seed uint64) func() time.Duration {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f616467656e)) // "loadgen"
	return func() time.Duration {
		return time.Duration(rng.ExpFloat64() / rate * float64(time.Second))
	}
}
