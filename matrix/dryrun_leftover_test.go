package matrix

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/server"
)

// TestDryRunNamesLeftovers: the dry run names a server an earlier, dead quanteval
// left running on the output, and stops nothing.
func TestDryRunNamesLeftovers(t *testing.T) {
	f := newFixture(t, "", "")
	pid := leaveServer(t, f, "BF16")
	var out bytes.Buffer
	if err := DryRun(&out, f.plan, nil); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("leftover: server PID %d (port %d", pid, f.port); !strings.Contains(out.String(), want) {
		t.Errorf("dry run lacks %q:\n%s", want, out.String())
	}
	if st, err := server.ReadProcStat(pid); err != nil || st.Zombie() {
		t.Errorf("the dry run stopped the leftover %d: %v", pid, err)
	}
}
