// Package testenv holds what the tests of several packages share: a free port on the
// loopback interface, and the `vllm serve` stand-in (internal/fakevllm) built as a
// real binary, since the code under test starts it as a child process.
package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

var fake struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// FakeVLLM returns the path of the `vllm serve` stand-in (internal/fakevllm), built
// once per test binary into a temporary folder that Main removes; a failed build
// fails tb.
func FakeVLLM(tb testing.TB) string {
	tb.Helper()
	fake.once.Do(func() {
		if fake.dir, fake.err = os.MkdirTemp("", "fakevllm"); fake.err == nil {
			fake.path, fake.err = buildFakeVLLM(fake.dir)
		}
	})
	if fake.err != nil {
		tb.Fatal(fake.err)
	}
	return fake.path
}

// Main runs m's tests and then removes what FakeVLLM built; a package that uses
// FakeVLLM calls it from its TestMain: os.Exit(testenv.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if fake.dir != "" {
		os.RemoveAll(fake.dir)
	}
	return code
}

// buildFakeVLLM builds internal/fakevllm into dir and returns the binary's path.
func buildFakeVLLM(dir string) (string, error) {
	bin := filepath.Join(dir, "fakevllm")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/quanteval/quanteval/internal/fakevllm").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building fakevllm: %v\n%s", err, out)
	}
	return bin, nil
}
