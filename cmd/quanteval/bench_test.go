package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/loadgen"
)

// forcedReply answers max_tokens words stopped for "length", as vLLM with ignore_eos.
func forcedReply(req vllmtest.ChatRequest) vllmtest.Reply {
	return vllmtest.Reply{Content: vllmtest.Text(strings.Repeat("w ", req.MaxTokens)), FinishReason: "length"}
}

// TestBench: a sweep against the stand-in with a set TTFT, token delay and vLLM's
// /metrics writes a complete bench result and a table with a row per level.
func TestBench(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: forcedReply, Metrics: true,
		Delay: 10 * time.Millisecond, TokenDelay: time.Millisecond})
	out := filepath.Join(t.TempDir(), "bench.json")
	code, stdout, stderr := invoke(t, "bench", "--base-url", hs.URL, "--concurrency", "1,2", "--requests", "6",
		"--input-len", "8", "--output-len", "4", "--slo", "ttft:5000,e2el:10000", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res, err := loadgen.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Levels) != 2 || !res.Server.Metrics || res.Params.Workload != "synthetic" || !res.Params.Stream {
		t.Fatalf("result %+v", res)
	}
	for _, lr := range res.Levels {
		if lr.Stats.Completed != 6 || lr.Stats.TTFT.Median < 10 || lr.Stats.Goodput == nil || lr.Stats.Goodput.Good != 6 || len(lr.Server) == 0 {
			t.Errorf("level %+v", lr)
		}
	}
	for _, row := range []string{`(?m)^\| concurrency 1 \| [0-9.]+ \| [0-9.]+ \|`, `(?m)^\| concurrency 2 \|.*\| 0 \|$`, "bench result: " + regexp.QuoteMeta(out)} {
		if !regexp.MustCompile(row).MatchString(stdout) {
			t.Errorf("stdout lacks %s:\n%s", row, stdout)
		}
	}
	if !strings.Contains(stderr, "level 2/2: concurrency 2") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}

// TestBenchInterrupted: Ctrl-C keeps what was measured (complete: false) and exits
// 130, as run does.
func TestBenchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	_, hs := vllmtest.Start(t, vllmtest.Options{Answer: func(req vllmtest.ChatRequest) vllmtest.Reply {
		if n.Add(1) == 5 {
			cancel()
		}
		return forcedReply(req)
	}})
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := quanteval(ctx, []string{"bench", "--base-url", hs.URL, "--concurrency", "1,1", "--requests", "3", "--warmup", "0",
		"--input-len", "3", "--output-len", "2", "--out", out, "--quiet"}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != exitInterrupted {
		t.Fatalf("exit %d, want 130: %s", code, stderr.String())
	}
	res, rerr := loadgen.Read(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if res.Complete || len(res.Levels) != 2 || !res.Levels[0].Complete || res.Levels[1].Complete {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(stdout.String(), "concurrency 1 (interrupted)") {
		t.Errorf("table:\n%s", stdout.String())
	}
}

func TestBenchUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--stream=false"}, "TTFT"},
		{[]string{"--slo", "ttft"}, "--slo"},
		{[]string{"--concurrency", "0,4"}, "--concurrency"},
		{[]string{"--duration", "soon"}, "--duration"},
		{[]string{"--evalset", "gsm8k", "--input-len", "10"}, "--input-len"},
		{[]string{"--requests", "5", "--duration", "1s"}, "not both"},
		{[]string{"--rate", "2", "--concurrency", "1,2"}, "at most one"},
		{[]string{"stray"}, "unexpected argument"},
	} {
		code, _, stderr := invoke(t, append([]string{"bench", "--base-url", "http://127.0.0.1:9"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, stderr)
		}
	}
}

// TestReadmeBenchFlags: every flag of bench is in the README's bench table, as help
// writes it, with the default help shows (help may say more after it), and every
// flag of the table exists.
func TestReadmeBenchFlags(t *testing.T) {
	forms, defaults := helpFlags(t, "bench")
	section := readmeSection(t, "`quanteval bench`")
	cell := regexp.MustCompile("(?m)^\\| `(--[a-z-]+(?: [A-Z]+)?)` \\|([^|]*)\\|")
	clean := func(s string) string {
		s = strings.TrimSpace(strings.ReplaceAll(s, "`", ""))
		if s == "0" { // help, as Go's flag package, shows no zero default
			return ""
		}
		return s
	}
	seen := map[string]bool{}
	for _, m := range cell.FindAllStringSubmatch(section, -1) {
		name, _, _ := strings.Cut(strings.TrimPrefix(m[1], "--"), " ")
		seen[name] = true
		if forms[name] != m[1] {
			t.Errorf("README writes %s, help %q", m[1], forms[name])
		}
		help, readme := clean(defaults[name]), clean(m[2])
		if readme == "" && help != "" || !strings.HasPrefix(help, readme) {
			t.Errorf("--%s: help shows default %q, the README %q", name, help, readme)
		}
	}
	if len(seen) < 15 {
		t.Errorf("read %d flags from the README's table: the test read too little", len(seen))
	}
	for name := range forms {
		if !seen[name] {
			t.Errorf("bench --%s is not in the README's table", name)
		}
	}
}
