//go:build unix

package result

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this PID exists on this machine. A
// process owned by another user (EPERM) exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
