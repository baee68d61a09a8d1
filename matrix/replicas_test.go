package matrix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/result"
)

// TestVariantReplicas: a variant with two replicas starts both (each its port,
// device and log), its evals get both URLs, and both stop with it.
func TestVariantReplicas(t *testing.T) {
	dir := t.TempDir()
	f := &fixture{dir: dir, events: filepath.Join(dir, "events"), pids: filepath.Join(dir, "pids")}
	p1, p2 := freePort(t), freePort(t)
	src := fmt.Sprintf(`
gpus: 2
output: %s
server: {command: [%s, serve], env: {FAKEVLLM_EVENTS: %s, FAKEVLLM_PIDS: %s}, ready_timeout: 1m, stop_grace: 2s}
variants:
  - {name: R, model: test/R-q1, replicas: [{port: %d}, {port: %d}]}
evals:
  - {evalset: "builtin:qwen3_32b_accuracy_suite_v1"}
`, filepath.Join(dir, "out"), testenv.FakeVLLM(t), f.events, f.pids, p1, p2)
	p, err := plan.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f.plan = p
	var jobURL string
	evaluate := func(ctx context.Context, job Job) (*result.File, error) {
		jobURL = job.BaseURL
		urls := strings.Split(job.BaseURL, ",")
		for _, u := range urls {
			if out, err := ask(ctx, Job{BaseURL: u, Model: job.Model}, "[q2] What is 7 * 6?"); err != nil || out != "42" {
				return nil, fmt.Errorf("replica %s: %q, %v", u, out, err)
			}
		}
		job.BaseURL = urls[0]
		return (&fakeEval{}).Evaluate(ctx, job)
	}
	m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: p, Evaluate: evaluate})
	if err != nil {
		t.Fatal(err)
	}
	f.checkNoProcessLeft(t)
	want := fmt.Sprintf("http://127.0.0.1:%d,http://127.0.0.1:%d", p1, p2)
	if jobURL != want || m.Variants[0].BaseURL != want || !reflect.DeepEqual(m.Variants[0].Devices, []string{"0", "1"}) {
		t.Errorf("job URL %q, manifest %q, devices %q; want %q", jobURL, m.Variants[0].BaseURL, m.Variants[0].Devices, want)
	}
	events := f.eventLines(t)
	for _, e := range []string{fmt.Sprintf("listen test/R-q1 %d", p1), fmt.Sprintf("listen test/R-q1 %d", p2)} {
		if !strings.Contains(strings.Join(events, "\n"), e) {
			t.Errorf("no %q in %q", e, events)
		}
	}
	if n := strings.Count(strings.Join(events, "\n"), "exit test/R-q1"); n != 2 {
		t.Errorf("%d replicas exited gracefully, want 2: %q", n, events)
	}
	for i := range 2 {
		log, err := os.ReadFile(replicaLogPath(p, "R", i))
		if err != nil || !strings.Contains(string(log), fmt.Sprintf("CUDA_VISIBLE_DEVICES=%d\n", i)) {
			t.Errorf("replica %d's log: %v\n%s", i, err, log)
		}
	}
}

// TestExternalReplicas: an external endpoint's base_url may list several replicas;
// the evals get them all, the manifest shows them with their passwords hidden.
func TestExternalReplicas(t *testing.T) {
	var urls []string
	for range 2 {
		_, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"remote"}})
		urls = append(urls, hs.URL)
	}
	withPass := strings.Replace(urls[1], "http://", "http://u:s3cretpw@", 1)
	dir := t.TempDir()
	src := fmt.Sprintf("output: %s\nvariants: [{name: R, model: remote, kind: external, base_url: [%q, %q]}]\nevals: [{evalset: x.jsonl}]\n",
		dir, urls[0]+"/v1", withPass)
	p, err := plan.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var jobURL string
	evaluate := func(ctx context.Context, job Job) (*result.File, error) {
		jobURL = job.BaseURL
		return &result.File{Complete: true}, result.Write(job.Out, &result.File{Schema: result.Schema, Complete: true})
	}
	m, err := Run(context.Background(), Options{PollInterval: 20 * time.Millisecond, Plan: p, Evaluate: evaluate})
	if err != nil {
		t.Fatal(err)
	}
	if want := urls[0] + "," + withPass; jobURL != want {
		t.Errorf("job URL %q, want %q", jobURL, want)
	}
	data, err := os.ReadFile(ManifestPath(p))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "s3cretpw") || m.Variants[0].BaseURL != urls[0]+","+strings.Replace(withPass, "s3cretpw", "xxxxx", 1) {
		t.Errorf("manifest base URL %q (password shown: %v)", m.Variants[0].BaseURL, strings.Contains(string(data), "s3cretpw"))
	}
}
