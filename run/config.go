package run

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/sandbox"
	"github.com/quanteval/quanteval/shard"
)

// DefaultSystem is the system message sent before every prompt unless replaced: the
// seed forced "final answer only" this way so that short answers can be scored.
const DefaultSystem = "Answer with the final answer only, with no explanation."

// Config is one run's settings. The zero value of a field means its default, given
// in the comment; Defaults fills them in.
type Config struct {
	BaseURL     string          // http://127.0.0.1:8000, with or without /v1; replicas: A,B,...
	Model       string          // required by Evaluate (the command resolves it)
	Concurrency int             // 4: requests in flight
	MaxTokens   int             // 256, or the eval set's own default
	Temperature float64         // 0
	Timeout     time.Duration   // 1200s per request
	Retries     int             // further attempts after the first (0: none)
	Seed        *int64          // sent when set
	System      *string         // DefaultSystem when nil; "" sends no system message
	ExtraBody   json.RawMessage // a JSON object merged into every request body
	Limit       int             // first N items (0: all)
	Logprobs    int             // top-K log-probabilities to ask for (0: none)
	Shard       *shard.Spec     // evaluate only this shard of the (limited) set (nil: all)
	Repeats     int             // 1: samples of each item (0 is 1; see samples.go)
	APIKey      string          // never written anywhere: hidden where a server echoes it
	// Secrets are further values to hide wherever the run records or shows text
	// (a matrix plan's: its server's --api-key, its env's tokens); see secrets.
	Secrets []string
	// NoStream sends plain chat completions; by default a Chatter that is also a
	// Streamer streams, and each record gets the reply's timing.
	NoStream bool
	// Sampling parameters, each sent only when set (nil: the server's default).
	TopP            *float64
	TopK            *int64
	MinP            *float64
	PresencePenalty *float64
	// UnsafeExec runs code items' programs without a sandbox (--unsafe-exec).
	UnsafeExec bool
	// Sandbox configures the sandbox of code items' programs (zero: its defaults).
	Sandbox sandbox.Options
	// runner, in tests, runs the programs instead of a sandbox.
	runner sandbox.Runner

	Out    string // result path; "-" writes the result to Stdout
	Resume bool   // continue from the journal beside Out

	// Progress receives the progress display (normally stderr); nil shows none.
	Progress io.Writer
	// Notes receives what the user should read even without a progress display
	// (--quiet): a resume from scratch, damaged journal lines skipped, --unsafe-exec,
	// a server that does not stream. nil: Progress.
	Notes io.Writer
	// Stdout receives the result when Out is "-".
	Stdout io.Writer
	// Tool is written into the result as the producing tool and version.
	Tool string
	// Grace is how long in-flight requests may finish after a stop (5s).
	Grace time.Duration
	// StopNow, when closed (a second Ctrl-C), ends the grace at once: the requests in
	// flight are dropped.
	StopNow <-chan struct{}
}

// secrets is what the run hides in the errors it records and in its params: the API
// key, the base URL's password, the secrets of the environment (redact.Known) and
// cfg.Secrets.
func (cfg *Config) secrets() *redact.Redactor {
	rd := redact.Known(os.Environ(), "", cfg.APIKey)
	for _, u := range strings.Split(cfg.BaseURL, ",") {
		rd = rd.With(redact.FromURL(u)...)
	}
	return rd.With(cfg.Secrets...)
}

// notes is where the run's notices and warnings go (nil: nowhere).
func (cfg *Config) notes() io.Writer {
	if cfg.Notes != nil {
		return cfg.Notes
	}
	return cfg.Progress
}
