package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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
	{Flag: "base-url", Arg: "URL", Help: "the server, with or without a trailing /v1", NotInPlan: "the variant's server gives it",
		field: func(o *Options) any { return &o.BaseURL }},
	{Flag: "model", Arg: "NAME", Help: "the model name; an error names them when the server lists several", DefaultText: "the single model `GET /v1/models` lists", NotInPlan: "the variant gives it",
		field: func(o *Options) any { return &o.Model }},
	{Flag: "evalset", Arg: "SPEC", Help: "a JSONL path, builtin:NAME, gsm8k, mmlu, mmlu:SUBJECT,..., hf:ORG/NAME or a .parquet file (with --task)",
		field: func(o *Options) any { return &o.Evalset }},
	{Flag: "concurrency", Arg: "N", Help: "requests in flight",
		field: func(o *Options) any { return &o.Concurrency }, check: atLeast(1)},
	{Flag: "max-tokens", Arg: "N", Help: "max_tokens of every request", DefaultText: "256 (GSM8K 1024, MMLU 512)",
		field: func(o *Options) any { return &o.MaxTokens }, check: atLeast(0)},
	{Flag: "temperature", Arg: "T", Help: "sampling temperature",
		field: func(o *Options) any { return &o.Temperature }},
	{Flag: "timeout", Arg: "SECONDS", Help: "seconds per request attempt (in a plan also a duration such as 20m)",
		field: func(o *Options) any { return &o.Timeout }, check: positive},
	{Flag: "retries", Arg: "N", Help: "further attempts after a 429, a 5xx, a dropped connection, a timeout or a cut-off body; 0: none",
		field: func(o *Options) any { return &o.Retries }, check: atLeast(0)},
	{Flag: "seed", Arg: "N", Help: "sent as seed with every request", DefaultText: "none",
		field: func(o *Options) any { return &o.Seed }},
	{Flag: "system", Arg: "TEXT", Help: `replaces the system message; "" sends none (standard data sets send none by default)`, DefaultText: defaultSystemText,
		field: func(o *Options) any { return &o.System }},
	{Flag: "extra-body", Arg: "JSON", Help: "a JSON object merged into every request body",
		field: func(o *Options) any { return &o.ExtraBody }, check: jsonObject},
	{Flag: "api-key-env", Arg: "VAR", Help: "the environment variable holding the API key, sent as Authorization: Bearer",
		field: func(o *Options) any { return &o.APIKeyEnv }},
	{Flag: "limit", Arg: "N", Help: "the first N items", DefaultText: "all",
		field: func(o *Options) any { return &o.Limit }, check: atLeast(0)},
	{Flag: "logprobs", Arg: "K", Help: "keep each generated token's top-K log-probabilities in a side file",
		field: func(o *Options) any { return &o.Logprobs }, check: between(0, 20)},
	{Flag: "repeats", Arg: "N", Help: "ask each item N times and keep every sample (with --seed, sample i is sent seed+i); the summary adds avg_at_n, pass_at_k and maj_at_n", DefaultText: "1",
		field: func(o *Options) any { return &o.Repeats }, check: atLeast(0)},
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
	Float                      // float64
	Seconds                    // time.Duration: seconds on the command line; a plan also takes "20m"
	JSONObject                 // json.RawMessage holding an object
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
	case *float64:
		return Float
	case *time.Duration:
		return Seconds
	case *json.RawMessage:
		return JSONObject
	}
	return String
}

// Set checks v (of the Go type of the setting's Kind) and stores it in o.
func (s *Setting) Set(o *Options, v any) error {
	if s.check != nil {
		if err := s.check(v); err != nil {
			return err
		}
	}
	s.store(o, v)
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
		x := v.(int64)
		*p = &x
	case *float64:
		*p = v.(float64)
	case *time.Duration:
		*p = v.(time.Duration)
	case *json.RawMessage:
		*p = v.(json.RawMessage)
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
	case *time.Duration:
		return *p
	case *json.RawMessage:
		return *p
	}
	return nil
}

// Parse reads a value written as the flag takes it.
func (s *Setting) Parse(text string) (any, error) {
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
		if err != nil {
			return nil, errors.New("want a number of seconds")
		}
		return time.Duration(f * float64(time.Second)), nil
	case JSONObject:
		if strings.TrimSpace(text) == "" {
			return json.RawMessage(nil), nil
		}
		return json.RawMessage(text), nil
	}
	return text, nil
}

// jsonObject checks that a json.RawMessage is a JSON object (or nothing).
func jsonObject(v any) error {
	raw := v.(json.RawMessage)
	if len(raw) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("want a JSON object: %v", err)
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
	}
	return ""
}

// Check checks every setting of o, naming the flag of the first one that is wrong.
func (o Options) Check() error {
	for i := range Settings {
		s := &Settings[i]
		if s.check == nil {
			continue
		}
		if v := s.Value(o); v != nil {
			if err := s.check(v); err != nil {
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

func between(min, max int64) func(any) error {
	return func(v any) error {
		if n := v.(int64); n < min || n > max {
			return fmt.Errorf("must be between %d and %d (got %d)", min, max, n)
		}
		return nil
	}
}

func positive(v any) error {
	if d := v.(time.Duration); d <= 0 {
		return fmt.Errorf("must be positive (got %s)", d)
	}
	return nil
}
