package gpumem

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseXML(t *testing.T) {
	plain, err := ParseXML(readFixture(t, "plain-2gpu.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want0 := GPU{Index: 0, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-5b6c3f2e-8a41-4d7e-9c3b-2f1e0d9c8b7a", BusID: "00000000:18:00.0",
		Memory: Memory{TotalMiB: 81559, UsedMiB: 73012, Known: true}}
	if len(plain) != 2 || !reflect.DeepEqual(plain[0], want0) || plain[1].Memory.UsedMiB != 1 || plain[1].MIG {
		t.Errorf("plain GPUs = %+v", plain)
	}
	mig, err := ParseXML(readFixture(t, "mig-a100.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mig) != 1 || !mig[0].MIG || len(mig[0].Devices) != 2 {
		t.Fatalf("MIG GPU = %+v", mig)
	}
	wantMIG := MIGDevice{Index: 1, GPUInstanceID: 2, ComputeInstanceID: 0, Memory: Memory{TotalMiB: 40192, UsedMiB: 37, Known: true}}
	if !reflect.DeepEqual(mig[0].Devices[1], wantMIG) {
		t.Errorf("MIG device 1 = %+v, want %+v", mig[0].Devices[1], wantMIG)
	}
	h100, err := ParseXML(readFixture(t, "mig-h100-uuids.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if h100[0].Memory.Known || h100[0].Devices[0].UUID != "MIG-0a9b8c7d-6e5f-5a4b-8c3d-2e1f0a9b8c7d" || h100[0].Devices[0].Memory.UsedMiB != 42211 {
		t.Errorf("H100 MIG = %+v", h100[0])
	}
	if _, err := ParseXML([]byte("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")); err == nil {
		t.Error("driver failure text parsed")
	}
}

func TestFillMIGUUIDs(t *testing.T) {
	gpus, _ := ParseXML(readFixture(t, "mig-a100.xml"))
	if !missingMIGUUID(gpus) {
		t.Fatal("fixture has UUIDs already")
	}
	FillMIGUUIDs(gpus, readFixture(t, "list-a100.txt"))
	if gpus[0].Devices[0].UUID != "MIG-1d2c3b4a-5e6f-5a0b-9c8d-7e6f5a4b3c2d" || gpus[0].Devices[1].UUID != "MIG-8f7e6d5c-4b3a-5291-8e7f-6a5b4c3d2e1f" || missingMIGUUID(gpus) {
		t.Errorf("devices = %+v", gpus[0].Devices)
	}
}

func TestSelect(t *testing.T) {
	plain, _ := ParseXML(readFixture(t, "plain-2gpu.xml"))
	mig, _ := ParseXML(readFixture(t, "mig-a100.xml"))
	FillMIGUUIDs(mig, readFixture(t, "list-a100.txt"))
	for _, tc := range []struct {
		name    string
		gpus    []GPU
		visible string
		want    []string // kind:used_mib per device
		wantErr string
	}{
		{"unset: every GPU", plain, "", []string{"gpu:73012", "gpu:1"}, ""},
		{"by index", plain, "1", []string{"gpu:1"}, ""},
		{"two, in the given order", plain, "1,0", []string{"gpu:1", "gpu:73012"}, ""},
		{"by GPU UUID", plain, "GPU-a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d", []string{"gpu:1"}, ""},
		{"by unique UUID prefix", plain, "GPU-5b6c", []string{"gpu:73012"}, ""},
		{"MIG UUID: the instance, not the GPU", mig, "MIG-1d2c3b4a-5e6f-5a0b-9c8d-7e6f5a4b3c2d", []string{"mig:36510"}, ""},
		{"older MIG-GPU form", mig, "MIG-GPU-3e1f7a52-6b0c-1d2e-9f8a-7b6c5d4e3f21/2/0", []string{"mig:37"}, ""},
		{"unset on a MIG GPU: every instance", mig, "", []string{"mig:36510", "mig:37"}, ""},
		{"index out of range", plain, "2", nil, `no device "2"`},
		{"unknown MIG", mig, "MIG-ffffffff-0000-0000-0000-000000000000", nil, "no device"},
		{"ambiguous prefix", plain, "GPU-", nil, "matches 2 GPUs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := Select(tc.gpus, tc.visible)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Kind+":"+strconv.Itoa(d.Memory.UsedMiB))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("devices = %v, want %v", got, tc.want)
			}
		})
	}
}

// recorded answers nvidia-smi's arguments from fixtures.
func recorded(t *testing.T, xmlFile, listFile string, calls *atomic.Int64) func(context.Context, ...string) ([]byte, error) {
	return func(_ context.Context, args ...string) ([]byte, error) {
		calls.Add(1)
		switch strings.Join(args, " ") {
		case "-q -x":
			return readFixture(t, xmlFile), nil
		case "-L":
			if listFile == "" {
				return nil, errors.New("unexpected -L")
			}
			return readFixture(t, listFile), nil
		}
		return nil, errors.New("unexpected arguments")
	}
}

func TestReaderRead(t *testing.T) {
	var calls atomic.Int64
	r := &Reader{Run: recorded(t, "mig-a100.xml", "list-a100.txt", &calls)}
	ds, err := r.Read(context.Background(), "MIG-8f7e6d5c-4b3a-5291-8e7f-6a5b4c3d2e1f")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Memory.UsedMiB != 37 || ds[0].Memory.TotalMiB != 40192 || calls.Load() != 2 {
		t.Errorf("devices = %+v after %d calls", ds, calls.Load())
	}
	// UUIDs in the XML: no second call.
	calls.Store(0)
	r = &Reader{Run: recorded(t, "mig-h100-uuids.xml", "", &calls)}
	if ds, err := r.Read(context.Background(), "MIG-0a9b8c7d-6e5f-5a4b-8c3d-2e1f0a9b8c7d"); err != nil || ds[0].Memory.UsedMiB != 42211 || calls.Load() != 1 {
		t.Errorf("devices = %+v, %v after %d calls", ds, err, calls.Load())
	}
}

func TestNoSMI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := (&Reader{}).Read(context.Background(), "")
	if !errors.Is(err, ErrNoSMI) {
		t.Fatalf("err = %v, want ErrNoSMI", err)
	}
	u := (&Watcher{Reader: &Reader{}}).Begin(context.Background())().(Usage)
	if len(u.Devices) != 0 || !strings.Contains(u.Note, "nvidia-smi not found") {
		t.Errorf("usage = %+v", u)
	}
}

func TestWatcherPeak(t *testing.T) {
	// The used memory rises then falls; the peak is kept.
	used := []string{"36510", "39000", "38000"}
	var n atomic.Int64
	base := string(readFixture(t, "mig-a100.xml"))
	r := &Reader{Run: func(_ context.Context, args ...string) ([]byte, error) {
		if args[0] == "-L" {
			return readFixture(t, "list-a100.txt"), nil
		}
		i := min(int(n.Add(1))-1, len(used)-1)
		return []byte(strings.Replace(base, "<used>36510 MiB</used>", "<used>"+used[i]+" MiB</used>", 1)), nil
	}}
	w := &Watcher{Reader: r, Visible: "MIG-1d2c3b4a-5e6f-5a0b-9c8d-7e6f5a4b3c2d", Every: time.Millisecond}
	end := w.Begin(context.Background())
	for n.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	u := end().(Usage)
	if len(u.Devices) != 1 || u.Devices[0].StartUsedMiB != 36510 || u.Devices[0].PeakUsedMiB != 39000 || u.Devices[0].Memory.UsedMiB != 38000 || u.Polls < 3 {
		t.Errorf("usage = %+v", u)
	}
}
