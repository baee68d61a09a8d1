//go:build unix

package client

import "syscall"

// OpenFileLimit is the process's limit on open files (the soft RLIMIT_NOFILE, which Go
// raises to the hard limit at start); ok is false where it cannot be read.
func OpenFileLimit() (n uint64, ok bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, false
	}
	return uint64(rl.Cur), true
}
