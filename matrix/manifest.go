package matrix

import (
	"time"

	"github.com/quanteval/quanteval/loadgen"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/server"
)

// ManifestSchema is the value of the manifest's "schema" field.
const ManifestSchema = "quanteval/matrix-manifest/v1"

// Statuses of a plan and of a variant.
const (
	StatusPending     = "pending"     // not started yet
	StatusRunning     = "running"     // the manifest was written while it ran
	StatusComplete    = "complete"    // the plan: every variant ok and the report made
	StatusOK          = "ok"          // a variant: every eval complete
	StatusSkipped     = "skipped"     // a variant: every eval was already complete (--resume)
	StatusFailed      = "failed"      // see the error
	StatusInterrupted = "interrupted" // ctx ended (Ctrl-C)
	StatusNotRun      = "not run"     // after an interruption or --fail-fast
)

// Manifest is OUTPUT/manifest.json: what ran, how, and what it produced.
type Manifest struct {
	Schema     string       `json:"schema"`
	Tool       string       `json:"tool"`
	Status     string       `json:"status"`
	StartedAt  time.Time    `json:"started_at"`
	FinishedAt time.Time    `json:"finished_at,omitzero"`
	Only       []string     `json:"only,omitempty"`
	Resume     bool         `json:"resume,omitempty"`
	FailFast   bool         `json:"fail_fast,omitempty"`
	Plan       *plan.Plan   `json:"plan"` // as run, secrets redacted
	Variants   []VariantRun `json:"variants"`
	Reports    []ReportRun  `json:"reports,omitempty"`
	// Leftovers are servers of an earlier, killed quanteval that this run found
	// still running in the output and stopped before starting anything.
	Leftovers []string `json:"leftovers,omitempty"`
}

// VariantRun is one variant's server and evals.
type VariantRun struct {
	Name          string            `json:"name"`
	Model         string            `json:"model"`
	Kind          string            `json:"kind"`
	Reference     bool              `json:"reference,omitempty"`
	Status        string            `json:"status"`
	Error         string            `json:"error,omitempty"`
	BaseURL       string            `json:"base_url"`
	Devices       []string          `json:"devices,omitempty"` // CUDA_VISIBLE_DEVICES, on a node of several GPUs
	Command       []string          `json:"command,omitempty"` // redacted
	Env           map[string]string `json:"env,omitempty"`     // added to the environment, redacted
	Log           string            `json:"log,omitempty"`
	PID           int               `json:"pid,omitempty"`
	ServerVersion string            `json:"server_version,omitempty"` // GET /version
	StartedAt     *time.Time        `json:"started_at,omitempty"`
	ReadyAt       *time.Time        `json:"ready_at,omitempty"`
	StoppedAt     *time.Time        `json:"stopped_at,omitempty"`
	FinishedAt    *time.Time        `json:"finished_at,omitempty"`
	ExitStatus    string            `json:"exit_status,omitempty"` // "exit status 0", "signal: killed"
	Prepare       []CommandRun      `json:"prepare,omitempty"`
	// Strays are processes outside the server's group found holding its port or
	// GPU memory after the stop (killed only with kill_strays); Warnings say so.
	Strays   []server.Stray `json:"strays,omitempty"`
	Warnings []string       `json:"warnings,omitempty"`
	Evals    []EvalRun      `json:"evals"`
	// Repeats are the reference's further runs of its evals (reference_repeats).
	Repeats []EvalRun `json:"reference_repeats,omitempty"`
	// LoadSeconds is the time from the server's start to ready (model load).
	LoadSeconds float64 `json:"load_s,omitempty"`
	// GPUMemory is the memory of the server's devices after load and at its peak
	// during the bench (measured when the plan has a bench).
	GPUMemory   *loadgen.Memory   `json:"gpu_memory,omitempty"`
	CostPerHour float64           `json:"cost_per_hour,omitempty"` // from the plan
	Determinism map[string]string `json:"determinism,omitempty"`   // see DeterminismEnv
	Bench       *BenchRun         `json:"bench,omitempty"`
}

// CommandRun is one prepare command.
type CommandRun struct {
	Command    []string   `json:"command"` // redacted
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ExitStatus string     `json:"exit_status,omitempty"`
}

// EvalRun is one eval of one variant and the result file it left.
type EvalRun struct {
	Name       string     `json:"name"`
	Repeat     int        `json:"repeat,omitempty"` // 2, 3, ...: a further run of the reference
	Evalset    string     `json:"evalset"`
	Result     string     `json:"result"`
	SHA256     string     `json:"sha256,omitempty"` // of the result file
	Complete   bool       `json:"complete"`
	Skipped    bool       `json:"skipped,omitempty"` // complete before this run (--resume)
	Resumed    bool       `json:"resumed,omitempty"`
	Count      int        `json:"count"`
	OK         int        `json:"ok"`
	Accuracy   float64    `json:"accuracy"`
	Errors     int        `json:"errors"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// ReportRun is the report of one eval.
type ReportRun struct {
	Eval  string   `json:"eval"`
	Dir   string   `json:"dir"`
	Files []string `json:"results"`
	Error string   `json:"error,omitempty"`
}

func newManifest(o Options, variants []plan.Variant) *Manifest {
	m := &Manifest{
		Schema:    ManifestSchema,
		Tool:      o.Tool,
		Status:    StatusRunning,
		StartedAt: time.Now(),
		Only:      o.Only,
		Resume:    o.Resume,
		FailFast:  o.FailFast,
		Plan:      RedactPlan(o.Plan),
	}
	for _, v := range variants {
		m.Variants = append(m.Variants, VariantRun{
			Name: v.Name, Model: v.Model, Kind: v.Server.Kind, Reference: v.Reference,
			Status: StatusPending, Evals: []EvalRun{},
		})
	}
	return m
}

// RedactPlan returns a copy of p with the secrets in environments and command
// lines replaced by redact.Mark (see redact.Args) and the passwords of
// base URLs hidden.
func RedactPlan(p *plan.Plan) *plan.Plan {
	c := *p
	c.Server = redactServer(p.Server)
	c.Variants = make([]plan.Variant, len(p.Variants))
	for i, v := range p.Variants {
		v.Server = redactServer(v.Server)
		if v.Prepare != nil {
			v.Prepare = make([]plan.Command, len(p.Variants[i].Prepare))
			for j, cmd := range p.Variants[i].Prepare {
				v.Prepare[j] = redact.Args(cmd)
			}
		}
		c.Variants[i] = v
	}
	return &c
}

func redactServer(s plan.Server) plan.Server {
	s.Env = redact.Env(s.Env)
	s.Args = redact.Args(s.Args)
	s.Command = redact.Args(s.Command)
	if s.BaseURL != "" {
		s.BaseURL = redactURLs(s.BaseURL)
	}
	return s
}
