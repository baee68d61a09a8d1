//go:build !linux

package server

import "syscall"

// procAttr puts the server in a process group of its own. Only Linux has a
// parent-death signal; elsewhere the record (Spec.Record) is the only net.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
