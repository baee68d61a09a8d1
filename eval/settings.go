package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/shard"
)

// Setting is one option of an evaluation: a `run` flag and, with _ for -, a key of a
// plan's eval.
type Setting struct {
	Flag string // the flag's name without dashes: "max-tokens"
	Arg  string // the flag's argument as help and the README show it: "N"
	Help string
	// DefaultText is how help and the README show the default when the value
	// itself would not say it ("none", "all", the eval set's own default); empty:
	// the value of Defaults.
	DefaultText string
	// NotInPlan marks a setting a plan's eval does not take, with the reason (the
	// variant gives the server and the model).
	NotInPlan string

	field func(*Options) any // a pointer to the setting's field of Options
	check func(v any) error  // checks a value of the setting's Kind (nil: any)
}

// Settings are every option of an evaluation, in the order help, the README and
// `matrix --dry-run` show them.
var Settings = []Setting{
	{Flag: "base-url", Arg: "URL", Help: "the server, with or without a trailing /v1; several replicas of it: the flag again or URL,URL,... (--concurrency is then per replica)", NotInPlan: "the variant's server gives it",
		field: func(o *Options) any { return &o.BaseURL }, check: baseURLs},
	{Flag: "model", Arg: "NAME", Help: "the model name; an error names them when the server lists several", DefaultText: "the single model `GET /v1/models` lists", NotInPlan: "the variant gives it",
		field: func(o *Options) any { return &o.Model }},
	{Flag: "evalset", Arg: "SPEC", Help: "a JSONL path, builtin:NAME, a built-in task (gsm8k, mmlu, mmlu:SUBJECT,..., math500, aime24, ...: see quanteval evalset list), task:PATH.yaml, hf:ORG/NAME or a .parquet file (with --task)",
		field: func(o *Options) any { return &o.Evalset }},
	{Flag: "concurrency", Arg: "N", Help: fmt.Sprintf("requests in flight, at most %d", MaxConcurrency),
		field: func(o *Options) any { return &o.Concurrency }, check: atLeastAtMost(1, MaxConcurrency)},
	{Flag: "max-tokens", Arg: "N", Help: "max_tokens of every request", DefaultText: "256, or the eval set's own (GSM8K 1024, MMLU 512, MATH-500/AIME/GPQA/MMLU-Pro 32768)",
		field: func(o *Options) any { return &o.MaxTokens }, check: atLeast(0)},
	{Flag: "temperature", Arg: "T", Help: "sampling temperature, 0 or more; 0 takes a task spec's own default",
		field: func(o *Options) any { return &o.Temperature }, check: notNegative},
	{Flag: "top-p", Arg: "P", Help: "top_p of every request (nucleus sampling), sent only when given (else the eval set's own default)", DefaultText: "none",
		field: func(o *Options) any { return &o.TopP }, check: floatBetween(0, 1)},
	{Flag: "top-k", Arg: "K", Help: "top_k of every request (vLLM; -1: all tokens), sent only when given (else the eval set's own default)", DefaultText: "none",
		field: func(o *Options) any { return &o.TopK }}, // the server checks it: vLLM's meaning of 0 and -1 has changed between versions
	{Flag: "min-p", Arg: "P", Help: "min_p of every request (vLLM), sent only when given (else the eval set's own default)", DefaultText: "none",
		field: func(o *Options) any { return &o.MinP }, check: floatBetween(0, 1)},
	{Flag: "presence-penalty", Arg: "X", Help: "presence_penalty of every request, sent only when given (else the eval set's own default)", DefaultText: "none",
		field: func(o *Options) any { return &o.PresencePenalty }, check: floatBetween(-2, 2)},
	{Flag: "timeout", Arg: "SECONDS", Help: fmt.Sprintf("seconds per request attempt, at most %d (%s; in a plan also a duration such as 20m)", int(MaxTimeout.Seconds()), shortDuration(MaxTimeout)),
		field: func(o *Options) any { return &o.Timeout }, check: timeout},
	{Flag: "retries", Arg: "N", Help: fmt.Sprintf("further attempts after a 429, a 5xx, a dropped connection, a timeout or a cut-off body, at most %d; 0: none", MaxRetries),
		field: func(o *Options) any { return &o.Retries }, check: atLeastAtMost(0, MaxRetries)},
	{Flag: "seed", Arg: "N", Help: "sent as seed with every request", DefaultText: "none",
		field: func(o *Options) any { return &o.Seed }},
	{Flag: "system", Arg: "TEXT", Help: `replaces the system message; "" sends none (standard data sets send none by default)`, DefaultText: defaultSystemText,
		field: func(o *Options) any { return &o.System }},
	{Flag: "extra-body", Arg: "JSON", Help: "a JSON object merged into every request body; it may not set what quanteval sets (model, messages, max_tokens, ...)",
		field: func(o *Options) any { return &o.ExtraBody }, check: extraBody},
	{Flag: "api-key-env", Arg: "VAR", Help: "the environment variable holding the API key, sent as Authorization: Bearer",
		field: func(o *Options) any { return &o.APIKeyEnv }},
	{Flag: "limit", Arg: "N", Help: "the first N items", DefaultText: "all",
		field: func(o *Options) any { return &o.Limit }, check: atLeast(0)},
	{Flag: "shard", Arg: "I/N", Help: "evaluate only shard I of N (0 to N-1): the items whose id hashes to it; auto reads JOB_COMPLETION_INDEX (Kubernetes, with --shard-count) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; quanteval merge joins the shards",
		DefaultText: "none", NotInPlan: "a plan runs each eval whole; --emit kubernetes shards it (kubernetes.shards)",
		field: func(o *Options) any { return &o.Shard }, check: shardValue},
	{Flag: "shard-count", Arg: "N", Help: "the number of shards of --shard auto under Kubernetes, which does not export it (the Job's completions)",
		NotInPlan: "a plan runs each eval whole; --emit kubernetes shards it (kubernetes.shards)",
		field:     func(o *Options) any { return &o.ShardCount }, check: atLeastAtMost(0, shard.MaxCount)},
	{Flag: "logprobs", Arg: "K", Help: "keep each generated token's top-K log-probabilities in a side file",
		field: func(o *Options) any { return &o.Logprobs }, check: between(0, 20)},
	{Flag: "repeats", Arg: "N", Help: "ask each item N times and keep every sample (with --seed, sample i is sent seed+i); the summary adds avg_at_n, pass_at_k and maj_at_n", DefaultText: "1, or a task spec's defaults.repeats",
		field: func(o *Options) any { return &o.Repeats }, check: atLeast(0)},
	{Flag: "stream", Help: "stream replies (SSE) and record each item's timing (TTFT, TPOT); --stream=false for a server that cannot", DefaultText: "true",
		field: func(o *Options) any { return &o.Stream }},
	{Flag: "unsafe-exec", Help: "run code items' programs WITHOUT the bwrap sandbox (they see your files and network); the result and the report say so", DefaultText: "false",
		field: func(o *Options) any { return &o.UnsafeExec }},
	{Flag: "task", Arg: "TASK", Help: "gsm8k or mmlu: the schema of an hf: repo or a local file",
		field: func(o *Options) any { return &o.Task }},
	{Flag: "sample", Arg: "N", Help: "a reproducible random subset of N items (stratified by subject for MMLU)",
		field: func(o *Options) any { return &o.Sample }, check: atLeast(0)},
	{Flag: "sample-seed", Arg: "S", Help: "the seed of --sample",
		field: func(o *Options) any { return &o.SampleSeed }},
	{Flag: "fewshot", Arg: "K", Help: "K solved examples as earlier chat turns (standard data sets)",
		field: func(o *Options) any { return &o.Fewshot }, check: atLeast(0)},
	{Flag: "revision", Arg: "REV", Help: "branch, tag or commit of a hub data set", DefaultText: "main",
		field: func(o *Options) any { return &o.Revision }},
	{Flag: "fewshot-file", Arg: "PATH", Help: "the train (GSM8K) or dev (MMLU) file of few-shot examples, for a local data set file",
		field: func(o *Options) any { return &o.FewshotFile }},
}

// Key is the setting's key in a plan's eval: the flag name with _ for -.
func (s *Setting) Key() string { return strings.ReplaceAll(s.Flag, "-", "_") }

// InPlan reports whether a plan's eval takes the setting.
func (s *Setting) InPlan() bool { return s.NotInPlan == "" }

// Lookup returns the setting of a flag name or a plan key, nil when there is none.
func Lookup(name string) *Setting {
	for i := range Settings {
		if s := &Settings[i]; s.Flag == name || s.Key() == name {
			return s
		}
	}
	return nil
}

// PlanKeys are the keys a plan's eval takes, in the table's order.
func PlanKeys() []string {
	var keys []string
	for i := range Settings {
		if Settings[i].InPlan() {
			keys = append(keys, Settings[i].Key())
		}
	}
	return keys
}

// Kind is the syntax of a setting's value, given by the type of its field.
type Kind int

// The kinds of settings, and the Go type of their values (see Setting.Set).
const (
	String         Kind = iota // string
	OptionalString             // string; not given differs from "" (--system "")
	Int                        // int64
	OptionalInt                // int64; not given differs from 0 (--seed)
	Float                      // float64; a *float64 field is optional: not given differs from 0 (--top-p)
	Seconds                    // time.Duration: seconds on the command line; a plan also takes "20m"
	JSONObject                 // json.RawMessage holding an object
	Bool                       // bool; not given means the setting's DefaultText
	StringList                 // []string: a flag given again or A,B,... adds to the list
)

// Kind is the setting's kind.
func (s *Setting) Kind() Kind {
	switch s.field(&Options{}).(type) {
	case **string:
		return OptionalString
	case *int, *int64:
		return Int
	case **int64:
		return OptionalInt
	case *float64, **float64:
		return Float
	case *time.Duration:
		return Seconds
	case *json.RawMessage:
		return JSONObject
	case **bool:
		return Bool
	case *[]string:
		return StringList
	}
	return String
}

// optional reports whether the setting's number may be not given (a pointer field).
func (s *Setting) optional() bool {
	switch s.field(&Options{}).(type) {
	case **int64, **float64:
		return true
	}
	return false
}

// Set checks v (of the Go type of the setting's Kind) and stores it in o. An
// optional number (--seed, --top-p) also takes "": not given.
func (s *Setting) Set(o *Options, v any) error {
	if v == "" && s.optional() {
		s.store(o, v)
		return nil
	}
	if err := s.checkValue(v); err != nil {
		return err
	}
	s.store(o, v)
	return nil
}

// checkValue checks v: every number is finite, then the setting's own check.
func (s *Setting) checkValue(v any) error {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return fmt.Errorf("want a finite number (got %v)", f)
	}
	if s.check != nil {
		return s.check(v)
	}
	return nil
}

func (s *Setting) store(o *Options, v any) {
	switch p := s.field(o).(type) {
	case *string:
		*p = v.(string)
	case **string:
		x := v.(string)
		*p = &x
	case *int:
		*p = int(v.(int64))
	case *int64:
		*p = v.(int64)
	case **int64:
		if x, ok := v.(int64); ok {
			*p = &x
		} else {
			*p = nil // "": not given
		}
	case *float64:
		*p = v.(float64)
	case **float64:
		if x, ok := v.(float64); ok {
			*p = &x
		} else {
			*p = nil
		}
	case *time.Duration:
		*p = v.(time.Duration)
	case *json.RawMessage:
		*p = v.(json.RawMessage)
	case **bool:
		x := v.(bool)
		*p = &x
	case *[]string:
		*p = append([]string(nil), v.([]string)...)
	}
}

// Value is the setting's value in o, of the Go type of its Kind; nil for an
// optional setting not given.
func (s *Setting) Value(o Options) any {
	switch p := s.field(&o).(type) {
	case *string:
		return *p
	case **string:
		if *p == nil {
			return nil
		}
		return **p
	case *int:
		return int64(*p)
	case *int64:
		return *p
	case **int64:
		if *p == nil {
			return nil
		}
		return **p
	case *float64:
		return *p
	case **float64:
		if *p == nil {
			return nil
		}
		return **p
	case *time.Duration:
		return *p
	case *json.RawMessage:
		return *p
	case **bool:
		if *p == nil {
			return nil
		}
		return **p
	case *[]string:
		return *p
	}
	return nil
}

// Parse reads a value written as the flag takes it; "" for an optional number
// reads as "" (not given).
func (s *Setting) Parse(text string) (any, error) {
	if strings.TrimSpace(text) == "" && s.optional() {
		return "", nil
	}
	switch s.Kind() {
	case Int, OptionalInt:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return nil, errors.New("want a whole number")
		}
		return n, nil
	case Float:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return nil, errors.New("want a number")
		}
		return f, nil
	case Seconds:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("want a number of seconds")
		}
		if f > MaxTimeout.Seconds() {
			// Checked here, before the conversion: a time.Duration overflows past 292 years.
			return nil, fmt.Errorf("must be at most %d seconds (%s), got %s", int(MaxTimeout.Seconds()), shortDuration(MaxTimeout), strings.TrimSpace(text))
		}
		return time.Duration(f * float64(time.Second)), nil
	case JSONObject:
		if strings.TrimSpace(text) == "" {
			return json.RawMessage(nil), nil
		}
		return json.RawMessage(text), nil
	case Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return nil, errors.New("want true or false")
		}
		return b, nil
	case StringList:
		return splitList(text), nil
	}
	return text, nil
}

// splitList reads a comma-separated list, dropping empty entries.
func splitList(text string) []string {
	var out []string
	for _, part := range strings.Split(text, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// ReservedBodyKeys are the request body's keys that quanteval sets itself, each with
// the flag that sets it ("" when no flag does): --extra-body may not set them, since
// the result would record one value while the server used another.
var ReservedBodyKeys = map[string]string{
	"model":                 "--model",
	"messages":              "",
	"prompt":                "",
	"stream":                "",
	"stream_options":        "",
	"max_tokens":            "--max-tokens",
	"max_completion_tokens": "--max-tokens",
	"temperature":           "--temperature",
	"seed":                  "--seed",
	"logprobs":              "--logprobs",
	"top_logprobs":          "--logprobs",
	"n":                     "",
	"best_of":               "",
}

// extraBody checks that a json.RawMessage is a JSON object (or nothing) that sets no
// key of ReservedBodyKeys.
func extraBody(v any) error {
	raw := v.(json.RawMessage)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("want a JSON object: %v", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		flag, reserved := ReservedBodyKeys[k]
		switch {
		case !reserved:
		case flag != "":
			return fmt.Errorf("%q is set by quanteval: use %s instead", k, flag)
		default:
			return fmt.Errorf("%q is set by quanteval and cannot be changed", k)
		}
	}
	return nil
}

// Format writes the setting's value in o as the flag takes it ("" for an optional
// setting not given).
func (s *Setting) Format(o Options) string {
	switch v := s.Value(o).(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case time.Duration:
		return strconv.FormatFloat(v.Seconds(), 'g', -1, 64)
	case json.RawMessage:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case []string:
		return strings.Join(v, ",")
	}
	return ""
}

// Check checks every setting of o, naming the flag of the first one that is wrong.
func (o Options) Check() error {
	for i := range Settings {
		s := &Settings[i]
		if v := s.Value(o); v != nil {
			if err := s.checkValue(v); err != nil {
				return &InputError{fmt.Errorf("--%s: %v", s.Flag, err)}
			}
		}
	}
	return nil
}

func atLeast(min int64) func(any) error {
	return func(v any) error {
		if n := v.(int64); n < min {
			return fmt.Errorf("must be at least %d (got %d)", min, n)
		}
		return nil
	}
}

// atLeastAtMost is atLeast(min) with a bound that typos and absurd values pass.
func atLeastAtMost(min, max int64) func(any) error {
	return func(v any) error {
		if n := v.(int64); n > max {
			return fmt.Errorf("must be at most %d (got %d)", max, n)
		}
		return atLeast(min)(v)
	}
}

func between(min, max int64) func(any) error {
	return func(v any) error {
		if n := v.(int64); n < min || n > max {
			return fmt.Errorf("must be between %d and %d (got %d)", min, max, n)
		}
		return nil
	}
}

func floatBetween(min, max float64) func(any) error {
	return func(v any) error {
		if x := v.(float64); !(x >= min && x <= max) {
			return fmt.Errorf("must be between %g and %g (got %g)", min, max, x)
		}
		return nil
	}
}

// The largest values of settings that have one: beyond them a value is a typo (an
// extra 0) or would exhaust the machine, not a wish.
const (
	// MaxConcurrency bounds --concurrency: each request in flight holds a
	// connection, a file descriptor and a goroutine, and no single server serves
	// more at once.
	MaxConcurrency = 4096
	// MaxTimeout bounds --timeout, per request attempt.
	MaxTimeout = 24 * time.Hour
	// MaxRetries bounds --retries.
	MaxRetries = 100
)

func timeout(v any) error {
	switch d := v.(time.Duration); {
	case d <= 0:
		return fmt.Errorf("must be positive (got %s)", d)
	case d > MaxTimeout:
		return fmt.Errorf("must be at most %d seconds (%s), got %s", int(MaxTimeout.Seconds()), shortDuration(MaxTimeout), d)
	}
	return nil
}

// baseURLs checks a list of replicas' base URLs: at least one, each http(s) with a
// host, none twice.
func baseURLs(v any) error {
	urls := v.([]string)
	if len(urls) == 0 {
		return errors.New("want at least one URL")
	}
	seen := map[string]bool{}
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q: want http://HOST:PORT or https://...", redact.URL(s))
		}
		key := strings.TrimSuffix(strings.TrimRight(u.Host+u.Path, "/"), "/v1")
		if seen[key] {
			return fmt.Errorf("%q given twice", redact.URL(s))
		}
		seen[key] = true
	}
	return nil
}

func notNegative(v any) error {
	if f := v.(float64); f < 0 {
		return fmt.Errorf("must be 0 or more (got %v)", f)
	}
	return nil
}

// shortDuration writes whole hours as "24h" rather than "24h0m0s".
func shortDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// shardValue checks the syntax of --shard: I/N or auto (whose index is read from
// the environment when the run starts: ShardSpec).
func shardValue(v any) error {
	text := strings.TrimSpace(v.(string))
	if text == "" || text == "auto" {
		return nil
	}
	if _, err := shard.Parse(text, 0, func(string) (string, bool) { return "", false }); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "--shard ")) // Check names the flag
	}
	return nil
}
