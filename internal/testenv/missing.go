package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Missing ends a test that needs something this machine lacks: locally it skips,
// under CI=true it fails, since CI (.ci/run) installs everything the tests need.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI must install it: see .ci/run)", msg)
	}
	tb.Skip(msg)
}
