//go:build !unix

package run

import (
	"os"
	"path/filepath"
	"sync"
)

var (
	locksMu sync.Mutex
	locks   = map[string]bool{}
)

// tryLock has no flock here: it keeps two runs of this process off one output only.
func tryLock(f *os.File) (bool, error) {
	abs, err := filepath.Abs(f.Name())
	if err != nil {
		return false, err
	}
	locksMu.Lock()
	defer locksMu.Unlock()
	if locks[abs] {
		return false, nil
	}
	locks[abs] = true
	return true, nil
}

// unlock gives back what tryLock took.
func unlock(f *os.File) {
	if abs, err := filepath.Abs(f.Name()); err == nil {
		locksMu.Lock()
		delete(locks, abs)
		locksMu.Unlock()
	}
}
