package server

import "syscall"

// procAttr puts the server in a process group of its own and has the kernel send it
// SIGKILL when quanteval dies (even by SIGKILL, which no handler sees), so that a
// killed quanteval leaves no server holding the port and the GPU. SIGKILL, not
// SIGTERM: a server that ignores SIGTERM would outlive quanteval. Other processes of
// the group (vLLM's engine core) are not the leader's children in the kernel's
// sense of this signal; the record (Spec.Record) lets the next quanteval stop them.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
