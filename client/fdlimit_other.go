//go:build !unix

package client

// OpenFileLimit is unknown on this system: ok is false.
func OpenFileLimit() (n uint64, ok bool) { return 0, false }
