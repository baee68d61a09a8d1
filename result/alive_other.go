//go:build !unix

package result

// processAlive cannot tell here: every writer counts as alive, so only temporary
// files of an earlier version's naming are ever removed, by age.
func processAlive(int) bool { return true }
