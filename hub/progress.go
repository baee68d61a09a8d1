package hub

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/quanteval/quanteval/internal/termbar"
)

// meter receives a download's bytes and says when it ended.
type meter interface {
	io.Writer
	done(err error)
}

type noMeter struct{}

func (noMeter) Write(b []byte) (int, error) { return len(b), nil }
func (noMeter) done(error)                  {}

// startProgress shows a bar on a terminal and plain lines elsewhere (see termbar).
func (c *Client) startProgress(name string, size, offset int64) meter {
	w := c.progress
	if w == nil {
		return noMeter{}
	}
	bar := termbar.New(w, size,
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	if bar != nil {
		_ = bar.Set64(offset)
		return &barMeter{bar: bar}
	}
	m := &lineMeter{w: w, name: name, size: size, n: offset, start: time.Now()}
	if offset > 0 {
		fmt.Fprintf(w, "hub: resuming %s at %s of %s\n", name, humanBytes(offset), humanSize(size))
	} else {
		fmt.Fprintf(w, "hub: downloading %s (%s)\n", name, humanSize(size))
	}
	m.next = m.n + m.step()
	return m
}

type barMeter struct{ bar *progressbar.ProgressBar }

func (b *barMeter) Write(p []byte) (int, error) { return b.bar.Write(p) }
func (b *barMeter) done(err error) {
	if err == nil {
		_ = b.bar.Finish()
		return
	}
	_ = b.bar.Exit()
}

// lineMeter prints a line at each quarter of a file of known size.
type lineMeter struct {
	w       io.Writer
	name    string
	size, n int64
	next    int64
	start   time.Time
}

func (m *lineMeter) step() int64 {
	if m.size <= 0 {
		return 1 << 62
	}
	return max(m.size/4, 1)
}

func (m *lineMeter) Write(p []byte) (int, error) {
	m.n += int64(len(p))
	if m.n >= m.next && (m.size < 0 || m.n < m.size) {
		fmt.Fprintf(m.w, "hub: %s: %s of %s\n", m.name, humanBytes(m.n), humanSize(m.size))
		m.next = m.n + m.step()
	}
	return len(p), nil
}

func (m *lineMeter) done(err error) {
	if err != nil {
		fmt.Fprintf(m.w, "hub: %s: broken at %s of %s\n", m.name, humanBytes(m.n), humanSize(m.size))
		return
	}
	fmt.Fprintf(m.w, "hub: %s: done, %s in %s\n", m.name, humanBytes(m.n), time.Since(m.start).Round(time.Millisecond))
}

func humanSize(n int64) string {
	if n < 0 {
		return "unknown size"
	}
	return humanBytes(n)
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
