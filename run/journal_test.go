package run

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

func TestInterruptAndResume(t *testing.T) {
	set := suite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var answered atomic.Int32
	base := answerer(set)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(req vllmtest.ChatRequest) vllmtest.Reply {
		if answered.Add(1) == 15 {
			cancel() // Ctrl-C in the middle of the run
		}
		return base(req)
	}})
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.Concurrency = 2
	f, err := Evaluate(ctx, cfg, set)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if f.Complete || len(f.Items) < 15 || len(f.Items) >= 40 {
		t.Fatalf("interrupted result: complete=%v items=%d", f.Complete, len(f.Items))
	}
	disk, err := result.Read(out)
	if err != nil || disk.Complete || len(disk.Items) != len(f.Items) {
		t.Fatalf("partial result not written: %v", err)
	}
	firstRun := srv.Requests()
	kept := len(f.Items)

	// Resume: only the missing items are sent.
	cfg.Resume = true
	f, err = Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Complete || len(f.Items) != 40 || f.Summary.OK != 40 {
		t.Fatalf("resumed: complete=%v items=%d ok=%d", f.Complete, len(f.Items), f.Summary.OK)
	}
	if sent := srv.Requests() - firstRun; sent != 40-kept {
		t.Errorf("resume sent %d requests, want %d", sent, 40-kept)
	}
	// The journal records each item exactly once.
	data, _ := os.ReadFile(JournalPath(out))
	if lines := strings.Count(string(data), "\n"); lines != 41 {
		t.Errorf("journal has %d lines, want header + 40", lines)
	}
}

func TestResumeRefusesOtherRun(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"test-model", "other"}, Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	if _, err := Evaluate(context.Background(), config(hs.URL, out), set); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"model", func(c *Config) { c.Model = "other" }, "model (journal test-model, now other)"},
		{"max tokens", func(c *Config) { c.MaxTokens = 100 }, "max_tokens (journal 256, now 100)"},
		{"system", func(c *Config) { s := "be brief"; c.System = &s }, "system"},
		{"extra body", func(c *Config) { c.ExtraBody = json.RawMessage(`{"top_k": 1}`) }, `extra_body (journal {}, now {"top_k":1})`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(hs.URL, out)
			cfg.Resume = true
			tc.change(&cfg)
			_, err := Evaluate(context.Background(), cfg, set)
			if err == nil || !strings.Contains(err.Error(), "cannot resume") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a refusal naming %s", err, tc.want)
			}
		})
	}
	// Concurrency may change between sessions.
	cfg := config(hs.URL, out)
	cfg.Resume, cfg.Concurrency = true, 1
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatalf("resume with other concurrency: %v", err)
	}
}

func TestRerunKeepsTheEarlierJournal(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	for range 2 {
		if _, err := Evaluate(context.Background(), config(hs.URL, out), set); err != nil {
			t.Fatal(err)
		}
	}
	prev, err := os.ReadFile(JournalPath(out) + ".prev")
	if err != nil || strings.Count(string(prev), "\n") != 4 {
		t.Fatalf("earlier journal not kept: %v %q", err, prev)
	}
}

func TestLogprobsSideFile(t *testing.T) {
	set := suite(t)
	set.Limit(3)
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set)})
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.Logprobs = 3
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if f.Logprobs != "r.logprobs.jsonl" {
		t.Fatalf("logprobs_file = %q", f.Logprobs)
	}
	lp, err := result.ReadLogprobs(filepath.Join(filepath.Dir(out), f.Logprobs))
	if err != nil || len(lp) != 3 {
		t.Fatalf("side file: %v, %d items", err, len(lp))
	}
	toks := lp[set.Items[0].ID]
	if len(toks) == 0 || len(toks[0].Top) != 3 {
		t.Fatalf("tokens %+v", toks)
	}

	// A crash cut the side file mid-line and lost the last journal record: resume
	// drops the torn line and asks that item again.
	side := filepath.Join(filepath.Dir(out), f.Logprobs)
	data, _ := os.ReadFile(side)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(side, []byte(lines[0]+lines[1]+lines[2][:10]), 0o644)
	j, _ := os.ReadFile(JournalPath(out))
	jl := strings.SplitAfter(string(j), "\n")
	os.WriteFile(JournalPath(out), []byte(strings.Join(jl[:3], "")), 0o644)
	cfg.Resume = true
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatal(err)
	}
	lp, err = result.ReadLogprobs(side)
	if err != nil || len(lp) != 3 {
		t.Fatalf("side file after resume: %v, %d items", err, len(lp))
	}
}
