// Package testenv holds what the tests of several packages share: a free port on the
// loopback interface, and the `vllm serve` stand-in (internal/fakevllm) built as a
// real binary, since the code under test starts it as a child process.
package testenv

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
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

// BuildFakeVLLM builds internal/fakevllm into dir and returns the binary's path.
func BuildFakeVLLM(dir string) (string, error) {
	bin := filepath.Join(dir, "fakevllm")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/quanteval/quanteval/internal/fakevllm").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building fakevllm: %v\n%s", err, out)
	}
	return bin, nil
}
