package sandbox

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWithDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Timeout != 10*time.Second || o.CPUSeconds != 10 || o.AddressSpace != 1<<30 ||
		o.Python != "/usr/bin/python3" || o.Workers < 1 || o.OutputLimit != 64<<10 {
		t.Errorf("defaults: %+v", o)
	}
	if got := (Options{Timeout: 1500 * time.Millisecond}).withDefaults().CPUSeconds; got != 2 {
		t.Errorf("CPUSeconds for a 1.5 s timeout = %d, want 2 (rounded up)", got)
	}
	if got := (Options{Timeout: 100 * time.Millisecond}).withDefaults().CPUSeconds; got != 1 {
		t.Errorf("CPUSeconds for a 0.1 s timeout = %d, want 1", got)
	}
}

func TestBwrapArgs(t *testing.T) {
	o := Options{AddressSpace: 123, CPUSeconds: 4, FileSize: 5, OpenFiles: 6, Processes: 7, TmpSize: 8, ShmSize: 9}.withDefaults()
	argv := bwrapArgs(o, "/usr/bin/bwrap", "/usr/bin/prlimit", 3, []string{"a b", "--x"})
	joined := strings.Join(argv, " ")
	for _, want := range []string{
		"--unshare-all --unshare-user --disable-userns --die-with-parent --new-session --cap-drop ALL",
		"--ro-bind /usr /usr", "--proc /proc", "--dev /dev", "--size 8 --tmpfs /tmp",
		"--ro-bind-data 3 /tmp/main.py", "--remount-ro /dev --size 9 --tmpfs /dev/shm --remount-ro /", "--chdir /tmp",
		"--ro-bind-try /etc/alternatives /etc/alternatives --ro-bind-try /etc/ld.so.cache /etc/ld.so.cache",
		"--clearenv --setenv HOME /tmp --setenv TMPDIR /tmp --setenv PATH /usr/bin:/bin",
		"-- /usr/bin/prlimit --cpu=4:5 --as=123 --fsize=5 --nofile=6 --nproc=7 --core=0 -- /usr/bin/python3 /tmp/main.py a b --x",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("bwrap argv lacks %q:\n%s", want, joined)
		}
	}
	if argv[0] != "/usr/bin/bwrap" {
		t.Errorf("argv[0] = %q", argv[0])
	}
	// Nothing of the host but /usr, and of /etc the library links, is bound.
	for i, a := range argv[:len(argv)-1] {
		etcLinks := argv[i+1] == "/etc/alternatives" || argv[i+1] == "/etc/ld.so.cache"
		if a == "--bind" || a == "--dev-bind" || a == "--bind-try" || a == "--dev-bind-try" ||
			(a == "--ro-bind" && argv[i+1] != "/usr") || (a == "--ro-bind-try" && !etcLinks) {
			t.Errorf("argv binds %s %s", a, argv[i+1])
		}
	}
	// The remounts come after everything they must cover.
	if slices.Index(argv, "--remount-ro") < slices.Index(argv, "--ro-bind-data") {
		t.Error("/ is remounted read-only before the program is placed")
	}
}

func TestUnsafeArgs(t *testing.T) {
	o := Options{}.withDefaults()
	got := strings.Join(unsafeArgs(o, "prlimit", "/x/main.py", []string{"m"}), " ")
	want := "prlimit --cpu=10:11 --as=1073741824 --fsize=16777216 --nofile=64 --nproc=32 --core=0 -- /usr/bin/python3 /x/main.py m"
	if got != want {
		t.Errorf("unsafe argv\n got %s\nwant %s", got, want)
	}
	for _, kv := range programEnv("/h") {
		if strings.HasPrefix(kv, "HF_") || strings.Contains(kv, "TOKEN") {
			t.Errorf("unsafe env passes %s", kv)
		}
	}
}

func TestCapture(t *testing.T) {
	cases := []struct {
		name     string
		limit    int
		writes   []string
		wantHead string
		wantTail string
	}{
		{"empty", 4, nil, "", ""},
		{"under", 4, []string{"ab"}, "ab", "ab"},
		{"exact", 4, []string{"ab", "cd"}, "abcd", "abcd"},
		{"over in pieces", 4, []string{"ab", "cd", "ef"}, "abcd", "cdef"},
		{"one big write", 4, []string{"abcdefghij"}, "abcd", "ghij"},
		{"wraps twice", 3, []string{"ab", "cd", "ef", "g"}, "abc", "efg"},
		{"big after small", 4, []string{"x", "abcdefg"}, "xabc", "defg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, tl := &headBuffer{limit: c.limit}, &tailBuffer{limit: c.limit}
			var total int64
			for _, w := range c.writes {
				if n, err := h.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("head Write = %d, %v", n, err)
				}
				if n, err := tl.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("tail Write = %d, %v", n, err)
				}
				total += int64(len(w))
			}
			ho, to := h.output(), tl.output()
			if string(ho.Data) != c.wantHead || ho.Total != total {
				t.Errorf("head = %q/%d, want %q/%d", ho.Data, ho.Total, c.wantHead, total)
			}
			if string(to.Data) != c.wantTail || to.Total != total {
				t.Errorf("tail = %q/%d, want %q/%d", to.Data, to.Total, c.wantTail, total)
			}
			if ho.Truncated() != (total > int64(c.limit)) {
				t.Errorf("Truncated = %v with %d of %d bytes", ho.Truncated(), len(ho.Data), total)
			}
		})
	}
}
