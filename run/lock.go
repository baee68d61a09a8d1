package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// One output has one writer. A run holds an exclusive lock on OUT.lock from before it
// reads the journal until after it has written the result: a second run on the same
// output (a second --resume, a run and a resume) is refused before it asks anything.
// The lock is flock(2), which the kernel drops when its holder dies however it dies,
// so a lock file left by a killed run never blocks; the file only says who holds it.

// LockPath is the lock file of a result file.
func LockPath(out string) string { return out + ".lock" }

// OutputFiles are the files a run on out writes: the result, its journal, the
// journal an earlier run left (kept as .prev), the lock and, with logprobs, the
// side file. None of them may be an input of the run.
func OutputFiles(out string, logprobs int) []string {
	jpath := JournalPath(out)
	files := []string{out, jpath, jpath + ".prev", LockPath(out)}
	if logprobs > 0 {
		files = append(files, LogprobsPath(out))
	}
	return files
}

// LockedError refuses a run on an output another process is writing.
type LockedError struct {
	Out    string // the result file
	Holder string // who holds it: "pid 1234 on host h, started ..."
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another quanteval (%s) is writing %s; wait for it to end, or give another --out", e.Holder, e.Out)
}

// holder is what a lock file says of the process holding it.
type holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

func (h holder) String() string {
	return fmt.Sprintf("pid %d on host %s, started %s", h.PID, h.Host, h.Started.Local().Format("2006-01-02 15:04:05 MST"))
}

// describeHolder is how a LockedError names the holder from its lock file; a holder
// that has not yet written it (it has just taken the lock) is unknown.
func describeHolder(data []byte, path string) string {
	var h holder
	if json.Unmarshal(data, &h) != nil || h.PID == 0 {
		return "a process that has not yet written its PID into " + path
	}
	return h.String()
}

// Lock is the hold of one output; Release gives it up.
type Lock struct {
	f    *os.File
	path string
}

// LockOutput takes the lock of out without waiting: when another process holds it,
// the error is a *LockedError naming that process. The lock file is that of out
// with symbolic links resolved, so a link to an output (or to its folder) is the
// same output.
func LockOutput(out string) (*Lock, error) {
	path := LockPath(canonical(out))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for range 100 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		locked, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !locked {
			data, _ := io.ReadAll(io.LimitReader(f, 4096))
			f.Close()
			return nil, &LockedError{Out: out, Holder: describeHolder(data, path)}
		}
		// The last holder removes the file as it lets go: a lock taken on the file
		// it removed would lock nothing, so the file must still be the one at path.
		if st, err := f.Stat(); err == nil {
			if cur, err := os.Stat(path); err == nil && os.SameFile(st, cur) {
				l := &Lock{f: f, path: path}
				return l, l.sign()
			}
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock %s: the file keeps being replaced", path)
}

// canonical is out with symbolic links resolved (out's own, or a folder's on its
// way when out does not exist yet): two names of one output take one lock.
func canonical(out string) string {
	if p, err := filepath.EvalSymlinks(out); err == nil {
		return p
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(out)); err == nil {
		return filepath.Join(dir, filepath.Base(out))
	}
	return out
}

// sign writes who holds the lock into the lock file, for a second run's message.
func (l *Lock) sign() error {
	host, _ := os.Hostname()
	b, _ := json.Marshal(holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second)})
	if err := l.f.Truncate(0); err != nil {
		l.Release()
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		l.Release()
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	return nil
}

// Release removes the lock file and gives up the lock; a nil Lock is released.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	rerr := os.Remove(l.path) // while still held: nobody can have taken it meanwhile
	if errors.Is(rerr, os.ErrNotExist) {
		rerr = nil
	}
	unlock(l.f)
	cerr := l.f.Close()
	l.f = nil
	return errors.Join(rerr, cerr)
}

// lockOutput is LockOutput for a run: none when the result is not written to a file.
func lockOutput(cfg Config) (*Lock, error) {
	if cfg.Out == "" || cfg.Out == "-" {
		return nil, nil
	}
	return LockOutput(cfg.Out)
}
