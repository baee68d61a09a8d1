// Package eval owns one evaluation as a user asks for it: its options, and the steps
// between them and the runner (opening the eval set, resolving the model, naming the
// result file). `quanteval run` and every eval of a `quanteval matrix` plan go
// through it, so that both do exactly the same thing.
//
// Decisions:
//   - Every setting of an evaluation is one row of Settings: its flag name, the
//     argument help shows, its help text, and its checks. The `run` flags are
//     registered from that table, a plan's eval keys are decoded through it (the key
//     is the flag name with _ for -), `matrix --dry-run` prints from it, and the
//     defaults come from one function, Defaults. Adding an option is a field of
//     Options and a row of Settings; the kind of the field (string, number, seconds,
//     JSON object, optional value) gives its flag syntax, its YAML syntax and how it
//     is shown.
//   - A setting's checks are the same for a flag and for a plan key, and the plan
//     checks them before anything starts.
//   - The package is not in `run`: `run` is the worker pool on an opened set and a
//     resolved model; this package is what comes before (eval-set specs, hub
//     revisions, the API key's variable) and would drag those into `run`.
package eval

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/run"
	"github.com/quanteval/quanteval/shard"
)

// Options are every setting of one evaluation. Defaults gives their default values;
// Settings describes each of them.
type Options struct {
	// BaseURL lists the server's replicas: one base URL, or several serving the same
	// model, over which the requests are spread (client.Pool).
	BaseURL     []string
	Model       string // "": the single model the server lists
	Evalset     string
	Concurrency int
	MaxTokens   int // 0: the eval set's own default, else 256
	Temperature float64
	Timeout     time.Duration // per request attempt
	Retries     int           // further attempts after the first; 0: none
	Seed        *int64        // nil: none sent
	System      *string       // nil: the set's default or run.DefaultSystem; "": none
	ExtraBody   json.RawMessage
	APIKeyEnv   string
	Limit       int // 0: all
	Logprobs    int
	Repeats     int   // samples of each item; 0: the eval set's own default, else 1
	Stream      *bool // nil: stream
	// Sampling parameters: nil is not sent (the eval set's default, else the
	// server's).
	TopP            *float64
	TopK            *int64
	MinP            *float64
	PresencePenalty *float64
	UnsafeExec      *bool // nil: code items run in the sandbox
	// Sharding: "" the whole set, "I/N", or "auto" (ShardSpec).
	Shard      string
	ShardCount int // 0: not given
	// Standard data sets.
	Task        string
	Sample      int
	SampleSeed  int64
	Fewshot     int
	Revision    string // "": main
	FewshotFile string
}

// DefaultMaxTokens is max_tokens when neither the options nor the eval set give one.
const DefaultMaxTokens = 256

// Defaults are the options of an evaluation nobody configured.
func Defaults() Options {
	return Options{
		BaseURL:     []string{"http://127.0.0.1:8000"},
		Evalset:     evalset.DefaultSuite,
		Concurrency: 4,
		Timeout:     1200 * time.Second,
		Retries:     3,
		APIKeyEnv:   "OPENAI_API_KEY",
	}
}

// defaultSystemText is how help and the README show the system message's default.
var defaultSystemText = `"` + run.DefaultSystem + `"`

// ShardSpec is the shard o asks for, nil for the whole set; "auto" reads the index
// (and, under Slurm, the count) from the environment through lookup (os.LookupEnv).
// An error is an *InputError naming the flag or the variable.
func (o Options) ShardSpec(lookup func(string) (string, bool)) (*shard.Spec, error) {
	if strings.TrimSpace(o.Shard) == "" {
		if o.ShardCount != 0 {
			return nil, inputError(errors.New("--shard-count is given without --shard (want --shard auto or I/N)"))
		}
		return nil, nil
	}
	s, err := shard.Parse(o.Shard, o.ShardCount, lookup)
	if err != nil {
		return nil, inputError(err)
	}
	return &s, nil
}
