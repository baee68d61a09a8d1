package server

import (
	"io"
	"os"
	"time"

	"github.com/quanteval/quanteval/redact"
)

// Secrets returns a Redactor for what spec's server writes and what is said about
// it: the secret values of quanteval's own environment (HF_TOKEN, the proxies'
// passwords ...), of the environment spec adds, of its command line argv (the
// value after --api-key ...) and the password of its URL.
func Secrets(spec Spec, argv []string) *redact.Redactor {
	return redact.New(redact.FromEnviron(os.Environ())...).
		With(redact.FromEnv(spec.AddedEnv())...).
		With(redact.FromArgs(argv)...).
		With(redact.FromURL(spec.URL())...).
		With(redact.FromURL(spec.BaseURL)...)
}

// logCopy copies a child's output into its log file with the known secret values
// hidden as they are written (vLLM prints its arguments, --api-key included). The
// child writes into a pipe of its own (Out), not into a pipe of exec's, so that
// exec.Cmd.Wait never waits for a daemon the server left holding it.
type logCopy struct {
	Out  *os.File // the child's stdout and stderr; closed by Started
	done chan struct{}
}

// startLogCopy opens path for appending and starts copying into it, redacted by rd.
func startLogCopy(path string, rd *redact.Redactor) (*logCopy, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		f.Close()
		return nil, err
	}
	lc := &logCopy{Out: pw, done: make(chan struct{})}
	go func() {
		defer close(lc.done)
		w := rd.NewWriter(f)
		io.Copy(w, pr) // ends when every holder of the pipe has closed it
		w.Close()      // what was held back as the possible start of a secret
		pr.Close()
		f.Close()
	}()
	return lc, nil
}

// Started closes quanteval's end of the child's pipe, once the child has it (or
// could not start): the copy ends when the child and its children close theirs.
func (lc *logCopy) Started() { lc.Out.Close() }

// Wait waits until everything the server wrote is in the log, or d has passed (a
// daemon that left the process group may hold the pipe for ever).
func (lc *logCopy) Wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-lc.done:
	case <-t.C:
	}
}

// logFlushWait bounds how long the reaper waits for the last of the server's
// output to reach the log.
const logFlushWait = 2 * time.Second
