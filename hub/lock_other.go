//go:build !unix

package hub

import (
	"context"
	"sync"
)

var lockMu sync.Mutex

// lockFile serialises downloads within the process where flock is not available.
func lockFile(context.Context, string) (unlock func(), err error) {
	lockMu.Lock()
	return lockMu.Unlock, nil
}
