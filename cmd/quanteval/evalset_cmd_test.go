package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
)

// writeRef writes a small complete reference result and returns its path.
func writeRef(t *testing.T, dir string) string {
	t.Helper()
	f := &result.File{
		Schema: result.Schema, Complete: true, Model: "tiny:f32",
		Evalset: result.Evalset{Name: "openings"},
		Params:  result.Params{MaxTokens: 48},
		Items: []result.Record{
			{ID: "story-01", Type: "exact", Category: "story", Prompt: "Once upon a time", Output: " there was a cat. It was happy."},
			{ID: "story-02", Type: "exact", Category: "story", Prompt: "The ball", Error: "timeout"},
			{ID: "story-03", Type: "exact", Category: "story", Prompt: "Tim", Output: ""},
			{ID: "story-04", Type: "exact", Category: "story", Prompt: "The dog", Output: " ran away!"},
		},
	}
	p := filepath.Join(dir, "ref.json")
	if err := result.Write(p, f); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvalsetFreeze(t *testing.T) {
	dir := t.TempDir()
	ref := writeRef(t, dir)
	tests := []struct {
		name     string
		args     []string
		wantType string
		answers  []any
	}{
		{"exact, flags after the file", []string{"freeze", ref, "--out", "SET"}, "exact",
			[]any{" there was a cat. It was happy.", " ran away!"}},
		{"first sentence, flags before the file", []string{"freeze", "--first-sentence", "--out", "SET", ref}, "contains",
			[]any{[]string{"there was a cat."}, []string{"ran away!"}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "set"+string(rune('a'+i))+".jsonl")
			for j := range tt.args {
				if tt.args[j] == "SET" {
					tt.args[j] = out
				}
			}
			var stdout, stderr bytes.Buffer
			if err := quanteval(context.Background(), append([]string{"evalset"}, tt.args...), &stdout, &stderr); err != nil {
				t.Fatalf("err %v; stderr %s", err, stderr.String())
			}
			if want := "froze 2 items"; !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "skipped 2 (1 errors, 1 without output)") {
				t.Errorf("stdout %q, want %q and the skipped counts", stdout.String(), want)
			}
			set, err := evalset.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Items) != 2 || set.Items[0].ID != "story-01" || set.Items[1].ID != "story-04" {
				t.Fatalf("items %+v, want story-01 and story-04", set.Items)
			}
			for k, it := range set.Items {
				if it.Type != tt.wantType || it.Category != "story" {
					t.Errorf("%s: type %s category %s, want %s story", it.ID, it.Type, it.Category, tt.wantType)
				}
				if got, want := it.Answer, tt.answers[k]; !equalAnswer(got, want) {
					t.Errorf("%s: answer %#v, want %#v", it.ID, got, want)
				}
			}
			data, _ := os.ReadFile(out)
			if !strings.HasPrefix(string(data), "// Frozen by") || !strings.Contains(string(data), "--max-tokens 48") {
				t.Errorf("no provenance header:\n%s", data)
			}
		})
	}
}

func equalAnswer(a, b any) bool {
	if x, ok := a.([]string); ok {
		y, ok := b.([]string)
		return ok && strings.Join(x, "\x00") == strings.Join(y, "\x00")
	}
	return a == b
}

func TestEvalsetFreezeToStdout(t *testing.T) {
	ref := writeRef(t, t.TempDir())
	var stdout, stderr bytes.Buffer
	if err := quanteval(context.Background(), []string{"evalset", "freeze", ref, "--out", "-"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	items, err := evalset.Parse("stdout", stdout.Bytes())
	if err != nil || len(items) != 2 {
		t.Fatalf("stdout is not the set: %v, %d items\n%s", err, len(items), stdout.String())
	}
	if !strings.Contains(stderr.String(), "froze 2 items") {
		t.Errorf("stderr %q lacks the summary", stderr.String())
	}
}

func TestEvalsetUsage(t *testing.T) {
	dir := t.TempDir()
	ref := writeRef(t, dir)
	incomplete := filepath.Join(dir, "part.json")
	f, _ := result.Read(ref)
	f.Complete = false
	if err := result.Write(incomplete, f); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"evalset"}, "no subcommand"},
		{"unknown subcommand", []string{"evalset", "melt"}, "unknown subcommand"},
		{"no file", []string{"evalset", "freeze", "--out", "x.jsonl"}, "want one result file, got 0"},
		{"two files", []string{"evalset", "freeze", ref, ref, "--out", "x.jsonl"}, "got 2"},
		{"no --out", []string{"evalset", "freeze", ref}, "--out is required"},
		{"bad flag", []string{"evalset", "freeze", "--nope", ref}, "nope"},
		{"missing file", []string{"evalset", "freeze", filepath.Join(dir, "gone.json"), "--out", "x.jsonl"}, "gone.json"},
		{"incomplete reference", []string{"evalset", "freeze", incomplete, "--out", "x.jsonl"}, "incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := quanteval(context.Background(), tt.args, &stdout, &stderr)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if exitCode(err, &stderr) != exitUsage {
				t.Errorf("exit code is not %d", exitUsage)
			}
		})
	}
}
