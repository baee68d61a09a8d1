// Package servermetrics reads an inference server's Prometheus /metrics around and
// during a bench level: token counters before and after, gauges polled every second
// for their peaks, reduced to the figures a speed report shows.
//
// Decisions:
//   - The text is parsed by the Prometheus project's own parser
//     (github.com/prometheus/common/expfmt), never by hand.
//   - A figure has a list of names, tried in order, so that current vLLM
//     (vllm:kv_cache_usage_perc, vllm:prefix_cache_hits_total), older vLLM
//     (vllm:gpu_cache_usage_perc, vllm:gpu_prefix_cache_hits_total, the family
//     vllm:num_preemptions) and llama.cpp (llamacpp:tokens_predicted_total,
//     llamacpp:kv_cache_usage_ratio, llamacpp:requests_deferred) all count. A family
//     is matched with and without its "_total" suffix, as exporters differ.
//   - Series of one family (several engines, several models) are summed for
//     counters and waiting requests, and the largest is taken for cache usage.
//   - A server without /metrics (404, or a body that is not Prometheus text) is a
//     note on the level, not an error: Ollama has none, llama.cpp only with --metrics.
//   - A level's counters are the difference between the scrapes after and before
//     it, so they include any other traffic the server had meanwhile; the cross-check
//     against the client's own count says so when the two differ by more than 2%.
package servermetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// figure names what a Snapshot keeps.
type figure int

const (
	generationTokens figure = iota
	promptTokens
	preemptions
	prefixHits
	prefixQueries
	kvCacheUsage
	waiting
	nFigures
)

// names lists, per figure, the metric families that carry it, preferred first.
var names = [nFigures][]string{
	generationTokens: {"vllm:generation_tokens_total", "llamacpp:tokens_predicted_total"},
	promptTokens:     {"vllm:prompt_tokens_total", "llamacpp:prompt_tokens_total"},
	preemptions:      {"vllm:num_preemptions_total"},
	prefixHits:       {"vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"},
	prefixQueries:    {"vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"},
	kvCacheUsage:     {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "llamacpp:kv_cache_usage_ratio"},
	waiting:          {"vllm:num_requests_waiting", "llamacpp:requests_deferred"},
}

// Snapshot is one scrape reduced to the figures a bench keeps.
type Snapshot struct {
	At    time.Time
	value [nFigures]float64
	has   [nFigures]bool
}

// Get returns a figure and whether the server exposed it.
func (s Snapshot) get(f figure) (float64, bool) { return s.value[f], s.has[f] }

// Parse reads Prometheus text exposition and keeps the figures it knows.
func Parse(r io.Reader) (Snapshot, error) {
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return Snapshot{}, fmt.Errorf("metrics: %w", err)
	}
	var s Snapshot
	for f, list := range names {
		for _, name := range list {
			mf := family(fams, name)
			if mf == nil {
				continue
			}
			s.value[f], s.has[f] = combine(figure(f), mf), true
			break
		}
	}
	return s, nil
}

// family finds a family by its name with or without the "_total" suffix.
func family(fams map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if mf := fams[name]; mf != nil {
		return mf
	}
	return fams[strings.TrimSuffix(name, "_total")]
}

// combine reduces the series of a family to one value.
func combine(f figure, mf *dto.MetricFamily) float64 {
	v := 0.0
	for _, m := range mf.GetMetric() {
		var x float64
		switch {
		case m.GetCounter() != nil:
			x = m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			x = m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			x = m.GetUntyped().GetValue()
		default:
			continue
		}
		if f == kvCacheUsage {
			v = math.Max(v, x)
		} else {
			v += x
		}
	}
	return v
}

// ErrNoMetrics is a server that does not serve Prometheus /metrics.
var ErrNoMetrics = errors.New("the server has no Prometheus /metrics")

// Scraper reads one server's /metrics.
type Scraper struct {
	URL  string       // the metrics address, e.g. http://127.0.0.1:8000/metrics
	HTTP *http.Client // default: http.DefaultClient
	Now  func() time.Time
}

// NewScraper returns a scraper for the server whose root (without /v1) is root.
func NewScraper(root string) *Scraper {
	return &Scraper{URL: strings.TrimRight(root, "/") + "/metrics"}
}

// Scrape reads /metrics once. A 404 or a body that is not Prometheus text is
// ErrNoMetrics.
func (s *Scraper) Scrape(ctx context.Context) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return Snapshot{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	hc := s.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Snapshot{}, fmt.Errorf("GET %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNotImplemented {
		return Snapshot{}, fmt.Errorf("GET %s: HTTP %d: %w", s.URL, resp.StatusCode, ErrNoMetrics)
	}
	if resp.StatusCode/100 != 2 {
		return Snapshot{}, fmt.Errorf("GET %s: HTTP %d", s.URL, resp.StatusCode)
	}
	snap, err := Parse(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return Snapshot{}, fmt.Errorf("GET %s: %w: %w", s.URL, ErrNoMetrics, err)
	}
	snap.At = s.now()
	return snap, nil
}

func (s *Scraper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
