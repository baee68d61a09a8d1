// Package plan owns the test plan of `quanteval matrix`: its YAML format, the
// checks that run before anything starts, and the merging of the server defaults into
// each variant.
//
// Decisions:
//   - Every error names the file, the line and the key (variants[1].ready_timeout),
//     and all of a plan's errors are reported at once, so that a plan is fixed in one
//     go instead of one start of a 30-minute server at a time.
//   - A variant may override any server field. args and command replace the
//     defaults' (a list has no natural merge); env is merged key by key, the
//     variant's value winning. A variant that changes kind without giving a command
//     gets the new kind's default command, not the defaults' one.
//   - Numbers and booleans are accepted where strings are wanted (env values, args),
//     as YAML users write `CUDA_VISIBLE_DEVICES: 0` and `[--max-num-seqs, 16]`.
//   - An eval's keys are the settings of eval.Settings (the `run` flags with _ for
//     -), decoded and checked through that table, over eval.Defaults(); the plan
//     records which it gives (Eval.Given), and its JSON holds only those.
//   - Durations are Go durations ("30m", "1h30m") or plain numbers of seconds.
//   - Relative paths (output, eval sets, prepare commands) are relative to the
//     working directory, as on the command line; the plan does not move them.
package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/quanteval/quanteval/eval"
	"github.com/quanteval/quanteval/server"
)

// Plan is a checked test plan, with every variant's server settings complete.
type Plan struct {
	Name     string    `json:"name"`
	Output   string    `json:"output"`   // results/NAME unless given
	Server   Server    `json:"server"`   // the defaults, filled in
	Variants []Variant `json:"variants"` // in the order they run
	Evals    []Eval    `json:"evals"`    // run on every variant, in order
	// QuantevalImage and Kubernetes are for --emit kubernetes (cluster.go).
	QuantevalImage string      `json:"quanteval_image,omitempty"`
	Kubernetes     *Kubernetes `json:"kubernetes,omitempty"`
	File           string      `json:"file,omitempty"`   // the file the plan was read from
	SHA256         string      `json:"sha256,omitempty"` // of that file's bytes
	// Bench, when given, is run on every variant's server after its evals.
	Bench *Bench `json:"bench,omitempty"`
	// ReferenceRepeats is how many times the reference runs each eval (default 1):
	// with 2 or more, the flips between its own runs are the report's noise floor.
	ReferenceRepeats int `json:"reference_repeats,omitempty"`

	// GPUs are the node's devices the variants share (indices or MIG UUIDs); none:
	// one variant at a time, as the GPUs are not known (gpus.go).
	GPUs []string `json:"gpus,omitempty"`
	// MaxParallel caps the variants running at once (0: as the GPUs allow).
	MaxParallel int `json:"max_parallel,omitempty"`
}

// Server is how a variant's server is started. In Plan.Server the zero values have
// been replaced by the defaults given in the comments.
type Server struct {
	Kind         string            `json:"kind"`                    // vllm
	Command      []string          `json:"command,omitempty"`       // the kind's default
	Host         string            `json:"host,omitempty"`          // 127.0.0.1
	Port         int               `json:"port,omitempty"`          // 8000
	Args         []string          `json:"args,omitempty"`          // none
	Env          map[string]string `json:"env,omitempty"`           // none
	BaseURL      string            `json:"base_url,omitempty"`      // external only
	ReadyTimeout Duration          `json:"ready_timeout,omitempty"` // 30m
	StopGrace    Duration          `json:"stop_grace,omitempty"`    // 15s
	// KillStrays lets the stop kill the processes outside the server's process
	// group that still hold its port or GPU memory it took (server.Spec.KillStrays).
	KillStrays bool   `json:"kill_strays,omitempty"` // false
	Image      string `json:"image,omitempty"`       // the container image (--emit kubernetes)
	// CostPerHour is what the server's hardware costs an hour (any currency), for
	// the report's cost per million output tokens; 0: not given.
	CostPerHour float64 `json:"cost_per_hour,omitempty"`
}

// Variant is one precision (one model) to evaluate.
type Variant struct {
	Name      string    `json:"name"`
	Model     string    `json:"model"`
	Reference bool      `json:"reference,omitempty"`
	GPUs      int       `json:"gpus,omitempty"`    // GPUs the server needs (0: not given)
	Server    Server    `json:"server"`            // the defaults with this variant's overrides
	Prepare   []Command `json:"prepare,omitempty"` // run after the server is ready, before the evals
	Line      int       `json:"-"`

	Replicas []Replica `json:"replicas,omitempty"` // several servers of it (replicas.go)
}

// Command is one prepare command as an argument list. A command written as a string
// in the plan becomes [sh, -c, STRING].
type Command []string

// Eval is one evaluation run on every variant: the options of `quanteval run`, named
// as its flags with underscores (see eval.Settings).
type Eval struct {
	// Name names the result file OUTPUT/VARIANT/NAME.json; by default the eval
	// set's base name, with "-TASK" when a task is given.
	Name string
	// Options are the plan's settings over run's defaults (eval.Defaults).
	eval.Options
	// Given are the flags of the settings the plan gives, in eval.Settings' order.
	Given []string
	Line  int
}

// MarshalJSON writes the eval as the plan gives it: its name, then each setting
// given, keyed as in the plan.
func (e Eval) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	name, _ := json.Marshal(e.Name)
	b.WriteString(`{"name":`)
	b.Write(name)
	for _, flag := range e.Given {
		s := eval.Lookup(flag)
		var v any = s.Value(e.Options)
		switch x := v.(type) {
		case time.Duration:
			v = Duration(x)
		case json.RawMessage:
			if len(x) == 0 {
				v = nil
			}
		}
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("plan: eval %s: %s: %w", e.Name, s.Key(), err)
		}
		fmt.Fprintf(&b, ",%q:", s.Key())
		b.Write(data)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an eval as MarshalJSON writes it (a manifest's plan).
func (e *Eval) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	*e = Eval{Options: eval.Defaults()}
	if err := json.Unmarshal(fields["name"], &e.Name); err != nil && fields["name"] != nil {
		return fmt.Errorf("plan: eval name: %w", err)
	}
	for i := range eval.Settings {
		s := &eval.Settings[i]
		raw, ok := fields[s.Key()]
		if !ok || !s.InPlan() {
			continue
		}
		if err := setJSON(&e.Options, s, raw); err != nil {
			return fmt.Errorf("plan: eval %s: %s: %w", e.Name, s.Key(), err)
		}
		e.Given = append(e.Given, s.Flag)
	}
	return nil
}

// setJSON stores the JSON value raw of setting s into o.
func setJSON(o *eval.Options, s *eval.Setting, raw json.RawMessage) error {
	var v any
	switch s.Kind() {
	case eval.String, eval.OptionalString:
		v = new(string)
	case eval.Int, eval.OptionalInt:
		v = new(int64)
	case eval.Float:
		v = new(float64)
	case eval.Seconds:
		v = new(Duration)
	case eval.Bool:
		v = new(bool)
	case eval.JSONObject:
		if string(raw) == "null" {
			raw = nil
		}
		return s.Set(o, raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	switch p := v.(type) {
	case *string:
		return s.Set(o, *p)
	case *int64:
		return s.Set(o, *p)
	case *float64:
		return s.Set(o, *p)
	case *Duration:
		return s.Set(o, p.D())
	case *bool:
		return s.Set(o, *p)
	}
	return nil
}

// Duration is a time.Duration written as "30m0s" in JSON.
type Duration time.Duration

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as Go prints it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// Reference is the plan's reference variant, nil when none is marked.
func (p *Plan) Reference() *Variant {
	for i := range p.Variants {
		if p.Variants[i].Reference {
			return &p.Variants[i]
		}
	}
	return nil
}

// Spec is the server.Spec of variant v, logging to logFile.
func (v *Variant) Spec(logFile string) server.Spec {
	s := v.Server
	return server.Spec{
		Kind:         s.Kind,
		Command:      s.Command,
		Model:        v.Model,
		Host:         s.Host,
		Port:         s.Port,
		Args:         s.Args,
		Env:          s.Env,
		BaseURL:      s.BaseURL,
		Log:          logFile,
		ReadyTimeout: s.ReadyTimeout.D(),
		StopGrace:    s.StopGrace.D(),
		KillStrays:   s.KillStrays,
	}
}

// Read reads and checks the plan in file.
func Read(file string) (*Plan, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return Parse(file, data)
}

var (
	safeName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	unsafeRune = regexp.MustCompile(`[^A-Za-z0-9._+-]+`)
)

// DefaultEvalName is the result file name of an eval: the eval set's base name
// without its extension, plus "-TASK" when a task is given.
func DefaultEvalName(evalset, task string) string {
	n := strings.TrimPrefix(evalset, "builtin:")
	n = path.Base(filepath.ToSlash(n))
	for _, ext := range []string{".jsonl", ".json", ".parquet", ".csv"} {
		n = strings.TrimSuffix(n, ext)
	}
	if task != "" {
		n += "-" + task
	}
	n = strings.Trim(unsafeRune.ReplaceAllString(n, "_"), "_")
	if n == "" {
		n = "eval"
	}
	return n
}
