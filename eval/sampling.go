package eval

import (
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/run"
)

// applySampling gives cfg the eval set's sampling defaults (a task spec's
// `defaults`) where o gives none. A top_p, top_k, min_p or presence_penalty is
// "given" when its flag or plan key is; the temperature, a plain number whose
// default is 0, takes the set's default when o's is 0, as max_tokens does.
func (o Options) applySampling(cfg *run.Config, d *evalset.Sampling) {
	if d == nil {
		return
	}
	if o.Temperature == 0 && d.Temperature != nil {
		cfg.Temperature = *d.Temperature
	}
	if cfg.TopP == nil {
		cfg.TopP = d.TopP
	}
	if cfg.TopK == nil {
		cfg.TopK = d.TopK
	}
	if cfg.MinP == nil {
		cfg.MinP = d.MinP
	}
	if cfg.PresencePenalty == nil {
		cfg.PresencePenalty = d.PresencePenalty
	}
}
