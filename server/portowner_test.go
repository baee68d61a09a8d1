package server

import (
	"net"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quanteval/quanteval/internal/testenv"
)

func TestListeningInodes(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F40 0100007F:E780 01 00000000:00000000 00:00000000 00000000  1000        0 4712 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4713 1 0000000000000000 100 0 0 10 0
   3: 0100007F:1F40 0100007F:9C40 06 00000000:00000000 03:0000167E 00000000     0        0 0 3 0000000000000000
   4: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4714 1 0000000000000000 100 0 0 10 0
`
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5001 1 0000000000000000 100 0 0 10 0
`
	tests := []struct {
		name, table string
		port        int
		want        []string
	}{
		// 0x1F40 = 8000: the established connection (01) and TIME_WAIT (06) do
		// not hold the port for listening; two listeners (two addresses) do.
		{"ipv4 8000", table, 8000, []string{"4711", "4714"}},
		{"ipv4 8001", table, 8001, []string{"4713"}},
		{"ipv4 none", table, 9000, nil},
		{"ipv6", tcp6, 8000, []string{"5001"}},
		{"garbage", "not a table\n0: x y 0A\n", 8000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listeningInodes([]byte(tt.table), tt.port); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// foreignProc is a fake server quanteval did not start. Wait reaps it once, whoever
// calls it first (a test that reaps it as init would, or the cleanup).
type foreignProc struct {
	*exec.Cmd
	Wait func() error
}

// startForeign starts the fake server as a process quanteval did not start (no
// Server, killed at the end) and waits until it listens on port.
func startForeign(t *testing.T, port int, env ...string) foreignProc {
	t.Helper()
	cmd := exec.Command(testenv.FakeVLLM(t), "serve", "foreign/model", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--api-key", "sk-foreign-secret")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := foreignProc{Cmd: cmd, Wait: sync.OnceValue(cmd.Wait)}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		f.Wait()
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			c.Close()
			return f
		}
		if time.Now().After(deadline) {
			t.Fatal("the foreign server never listened")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPortOwners(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	owners, unseen, err := PortOwners(ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if len(owners) != 1 || owners[0].PID != os.Getpid() || unseen != 0 {
		t.Errorf("owners of this test's own port = %v (unseen %d), want PID %d", owners, unseen, os.Getpid())
	}
	if owners, _, err := PortOwners(testenv.FreePort(t)); err != nil || len(owners) != 0 {
		t.Errorf("a free port has owners %v (%v)", owners, err)
	}
}

// TestPortTakenNamesTheOwner: a port held by a process quanteval did not start is
// refused with that process's PID and command line, its secrets redacted.
func TestPortTakenNamesTheOwner(t *testing.T) {
	spec := fakeSpec(t, "m", nil)
	foreign := startForeign(t, spec.Port)
	_, err := Start(spec)
	if err == nil {
		t.Fatal("started on a taken port")
	}
	for _, want := range []string{
		"port " + strconv.Itoa(spec.Port) + " is taken before start by PID " + strconv.Itoa(foreign.Process.Pid),
		"fakevllm serve foreign/model", "which this quanteval did not start",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "sk-foreign-secret") {
		t.Errorf("the owner's secret leaked: %v", err)
	}
}
