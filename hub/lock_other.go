//go:build !unix

package hub

import "sync"

var lockMu sync.Mutex

// lockFile serialises downloads within the process where flock is not available.
func lockFile(string) (unlock func(), err error) {
	lockMu.Lock()
	return lockMu.Unlock, nil
}
