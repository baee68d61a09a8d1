package run

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	var buf strings.Builder
	p := newProgress(&buf, 40, 10, 8, time.Hour)
	p.mu.Lock()
	p.start = time.Now().Add(-2 * time.Second)
	p.mu.Unlock()
	p.add(true, false)
	p.add(false, true)
	p.finish()
	out := buf.String()
	if !strings.HasPrefix(out, "resuming: 10/40 items already done\n") {
		t.Errorf("resume note %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "12/40 items, ok 9, errors 1, 1.0 items/s, ETA 28s") {
		t.Errorf("final line %q", last)
	}
}

// The plain display writes a line on its own clock, even while no item finishes.
func TestProgressTicks(t *testing.T) {
	w := &lockedBuffer{}
	p := newProgress(w, 5, 0, 0, 10*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(w.String(), "0/5 items") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.finish()
	if n := strings.Count(w.String(), "0/5 items, ok 0"); n < 2 {
		t.Errorf("%d lines while idle, want at least 2: %q", n, w.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
