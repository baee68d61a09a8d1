package run

import (
	"testing"
	"time"
)

// The client a run makes (Evaluate, and eval.Run through ClientOptions) has no more
// connections than the run's concurrency, and its retries and timeout as given:
// --retries 0 means none.
func TestClientOptions(t *testing.T) {
	cfg := Config{APIKey: "k", Concurrency: 7, Timeout: 9 * time.Second, Retries: 0}
	o := ClientOptions(cfg)
	if o.MaxConns != 7 || o.Retries != 0 || o.Timeout != 9*time.Second || o.APIKey != "k" {
		t.Errorf("ClientOptions = %+v, want MaxConns 7, Retries 0, Timeout 9s, the key", o)
	}
	cfg = Config{}
	cfg.Defaults()
	if o := ClientOptions(cfg); o.MaxConns != cfg.Concurrency || o.MaxConns <= 0 {
		t.Errorf("ClientOptions of the defaults: MaxConns %d, want the default concurrency %d", o.MaxConns, cfg.Concurrency)
	}
}
