package loadgen

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/quanteval/quanteval/result"
)

// Schema is the value of the "schema" field of a bench result.
const Schema = "quanteval/bench/v1"

// Result is the file a bench leaves behind: its parameters, what the server said of
// itself and one entry per level run (a level repeated N times appears N times).
type Result struct {
	Schema     string        `json:"schema"`
	Complete   bool          `json:"complete"` // false when interrupted
	Tool       string        `json:"tool,omitempty"`
	Model      string        `json:"model"`
	BaseURL    string        `json:"base_url"` // redacted
	Server     ServerInfo    `json:"server"`
	Params     Params        `json:"params"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt time.Time     `json:"finished_at"`
	Levels     []LevelResult `json:"levels"`
	Notes      []string      `json:"notes,omitempty"` // "no /metrics", "no nvidia-smi", ...
}

// ServerInfo is what the server said of itself.
type ServerInfo struct {
	Version string `json:"version,omitempty"`
	Metrics bool   `json:"metrics"` // it serves Prometheus /metrics
}

// Params are the settings that make two benches comparable.
type Params struct {
	Workload    string  `json:"workload"` // "synthetic" or the eval set's path
	InputLen    int     `json:"input_len,omitempty"`
	OutputLen   int     `json:"output_len,omitempty"`
	IgnoreEOS   bool    `json:"ignore_eos,omitempty"`
	Temperature float64 `json:"temperature"`
	Stream      bool    `json:"stream"`
	Concurrency []int   `json:"concurrency,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	Seed        uint64  `json:"seed,omitempty"`
	Requests    int     `json:"requests,omitempty"`
	DurationS   float64 `json:"duration_s,omitempty"`
	Warmup      int     `json:"warmup,omitempty"`
	Repeats     int     `json:"repeats,omitempty"`
	SLO         SLO     `json:"slo,omitzero"`
}

// Write writes res to path atomically (a synced temporary file, then a rename), so
// a reader, or a bench interrupted while writing, never leaves half a file.
func Write(path string, res *Result) error {
	if res.Schema == "" {
		res.Schema = Schema
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("bench result %s: %w", path, err)
	}
	if err := result.WriteFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("bench result %s: %w", path, err)
	}
	return nil
}

// Read reads a bench result and checks its schema.
func Read(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res Result
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if res.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q", path, res.Schema, Schema)
	}
	return &res, nil
}
