package server

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quanteval/quanteval/redact"
)

// Proc is a process found in /proc: its PID and its command line, secrets
// redacted.
type Proc struct {
	PID     int    `json:"pid"`
	Command string `json:"command"`
}

func (p Proc) String() string { return fmt.Sprintf("PID %d (%s)", p.PID, p.Command) }

// procRoot is where the proc file system is mounted; tests replace it.
var procRoot = "/proc"

// PortOwners lists the processes with a socket listening on TCP port (IPv4 or
// IPv6, any address), found as Linux tells it: the socket's inode from
// /proc/net/tcp and tcp6, then the process whose /proc/PID/fd holds
// "socket:[INODE]". Processes of other users, whose descriptors cannot be read, are
// not found; a socket whose owner was not found is counted in unseen.
func PortOwners(port int) (owners []Proc, unseen int, err error) {
	inodes := map[string]bool{}
	for _, name := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(filepath.Join(procRoot, "net", name))
		if err != nil {
			if name == "tcp6" && os.IsNotExist(err) {
				continue // IPv6 disabled
			}
			return nil, 0, fmt.Errorf("server: finding the owner of port %d: %w", port, err)
		}
		for _, ino := range listeningInodes(data, port) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return nil, 0, nil
	}
	found := map[string]bool{}
	for _, pid := range allPIDs() {
		fds, err := os.ReadDir(filepath.Join(procRoot, strconv.Itoa(pid), "fd"))
		if err != nil {
			continue // gone, or another user's
		}
		holds := false
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(procRoot, strconv.Itoa(pid), "fd", fd.Name()))
			if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok && inodes[strings.TrimSuffix(ino, "]")] {
				holds = true
				found[strings.TrimSuffix(ino, "]")] = true
			}
		}
		if holds {
			owners = append(owners, Proc{PID: pid, Command: Cmdline(pid)})
		}
	}
	return owners, len(inodes) - len(found), nil
}

// listeningInodes reads a /proc/net/tcp table ("sl local_address rem_address st
// ... inode") and returns the inodes of the sockets in state LISTEN (0A) on port.
func listeningInodes(table []byte, port int) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" {
			continue // the header, or not listening
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port && f[9] != "0" {
			out = append(out, f[9])
		}
	}
	return out
}

// allPIDs lists the numeric entries of /proc.
func allPIDs() []int {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// Cmdline is the command line of pid as one shell-quoted line, secrets redacted;
// "?" when it cannot be read.
func Cmdline(pid int) string {
	data, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "cmdline"))
	if err != nil || len(data) == 0 {
		if comm, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "comm")); err == nil {
			return "[" + strings.TrimSpace(string(comm)) + "]"
		}
		return "?"
	}
	args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	return Quote(redact.Args(args))
}

// portTakenError says who holds a port that was to be free.
func portTakenError(port int, listenErr error) error {
	owners, unseen, err := PortOwners(port)
	switch {
	case err != nil:
		return fmt.Errorf("server: port %d is taken before start (another server still running?): %w", port, listenErr)
	case len(owners) > 0:
		names := make([]string, len(owners))
		for i, o := range owners {
			names[i] = o.String()
		}
		return fmt.Errorf("server: port %d is taken before start by %s, which this quanteval did not start: stop it or choose another port: %w", port, strings.Join(names, ", "), listenErr)
	case unseen > 0:
		return fmt.Errorf("server: port %d is taken before start by a process this user cannot see (another user's?): %w", port, listenErr)
	}
	return fmt.Errorf("server: port %d is taken before start (another server still running?): %w", port, listenErr)
}
