package loadgen

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestDeploymentRoundTrip writes a result with a deployment and reads both back;
// a plain result has none, and Read still reads the file with one.
func TestDeploymentRoundTrip(t *testing.T) {
	dir := t.TempDir()
	res := &Result{Model: "m", Complete: true, Levels: []LevelResult{{Level: Level{Concurrency: 2, Requests: 5}, Complete: true}}}
	dep := &Deployment{Variant: "FP8", LoadSeconds: 12.5, CostPerHour: 3,
		Memory:      &Memory{AfterLoadMiB: 1000, PeakMiB: 1200, TotalMiB: 8000, Devices: []string{"mig MIG-1"}},
		Determinism: map[string]string{"VLLM_BATCH_INVARIANT": "1"}}
	p := filepath.Join(dir, "b.json")
	if err := WriteWithDeployment(p, res, dep); err != nil {
		t.Fatal(err)
	}
	got, gotDep, err := ReadWithDeployment(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotDep, dep) || got.Model != "m" || got.Schema != Schema || len(got.Levels) != 1 || got.Levels[0].Level.Concurrency != 2 {
		t.Errorf("read back %+v, %+v", got, gotDep)
	}
	if !gotDep.Memory.Known() || (&Memory{Note: "no nvidia-smi"}).Known() {
		t.Error("Memory.Known")
	}
	if _, err := Read(p); err != nil {
		t.Errorf("Read of a file with a deployment: %v", err)
	}
	plain := filepath.Join(dir, "plain.json")
	if err := Write(plain, &Result{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, d, err := ReadWithDeployment(plain); err != nil || d != nil {
		t.Errorf("plain result: deployment %+v, %v", d, err)
	}
	os.WriteFile(plain, []byte(`{"schema":"quanteval/bench/v1","deployment":[1]}`), 0o644)
	if _, _, err := ReadWithDeployment(plain); err == nil {
		t.Error("a bad deployment was read")
	}
}
