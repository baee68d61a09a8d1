// Package termbar decides how progress is shown: a bar that redraws itself when the
// writer is a terminal, plain lines elsewhere (a log file, CI, a pipe), where a bar's
// carriage returns are noise. run (items) and hub (bytes) both show progress this way.
package termbar

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// OnTerminal reports whether w is a terminal.
func OnTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New returns a bar on w for total units (items or bytes) in the house's look (30
// wide, redrawn at most every 100 ms) plus opts; nil when w is not a terminal, and
// the caller writes plain lines instead.
func New(w io.Writer, total int64, opts ...progressbar.Option) *progressbar.ProgressBar {
	if w == nil || !OnTerminal(w) {
		return nil
	}
	base := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
	}
	return progressbar.NewOptions64(total, append(base, opts...)...)
}
