package sandbox

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// bwrapArgs is the command line that runs /tmp/main.py (read from file descriptor fd)
// in the sandbox described in the package comment.
func bwrapArgs(o Options, bwrap, prlimit string, fd int, args []string) []string {
	argv := []string{bwrap,
		"--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
		"--cap-drop", "ALL", "--hostname", "sandbox",
		"--ro-bind", "/usr", "/usr",
		"--symlink", "usr/bin", "/bin",
		"--symlink", "usr/lib", "/lib",
		"--symlink", "usr/lib64", "/lib64",
		// Debian reaches some shared libraries through /etc/alternatives (numpy's
		// libblas.so.3, libgfortran users); the loader cache saves a search. Both
		// hold symlinks and paths only.
		"--ro-bind-try", "/etc/alternatives", "/etc/alternatives",
		"--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
		"--proc", "/proc",
		"--dev", "/dev",
		"--size", strconv.FormatInt(o.TmpSize, 10), "--tmpfs", "/tmp",
		"--ro-bind-data", strconv.Itoa(fd), "/tmp/main.py",
		"--remount-ro", "/dev",
		// After /dev is read-only, a small tmpfs of its own: multiprocessing's
		// semaphores live in /dev/shm, and its size is bounded apart from /tmp's.
		"--size", strconv.FormatInt(o.ShmSize, 10), "--tmpfs", "/dev/shm",
		"--remount-ro", "/",
		"--chdir", "/tmp",
		"--clearenv",
	}
	for _, kv := range programEnv("/tmp") {
		k, v, _ := strings.Cut(kv, "=")
		argv = append(argv, "--setenv", k, v)
	}
	argv = append(argv, "--")
	argv = append(argv, prlimitArgs(o, prlimit)...)
	argv = append(argv, o.Python, "/tmp/main.py")
	return append(argv, args...)
}

// unsafeArgs is the command line that runs the program without a sandbox, under
// the same limits.
func unsafeArgs(o Options, prlimit, file string, args []string) []string {
	argv := append(prlimitArgs(o, prlimit), o.Python, file)
	return append(argv, args...)
}

// prlimitArgs sets every limit, soft = hard, then execs what follows. The CPU limit
// is the exception: its hard limit is a second above, so that the soft limit ends
// the program with SIGXCPU, which tells a CPU limit apart from other kills.
func prlimitArgs(o Options, prlimit string) []string {
	return []string{prlimit,
		fmt.Sprintf("--cpu=%d:%d", o.CPUSeconds, o.CPUSeconds+1),
		fmt.Sprintf("--as=%d", o.AddressSpace),
		fmt.Sprintf("--fsize=%d", o.FileSize),
		fmt.Sprintf("--nofile=%d", o.OpenFiles),
		fmt.Sprintf("--nproc=%d", o.Processes),
		"--core=0",
		"--",
	}
}

// programEnv is the whole environment of a program: nothing of quanteval's own (no
// tokens), home and temporary folder, and one thread for numerical libraries
// (OpenBLAS starts a thread per CPU, which RLIMIT_NPROC would refuse).
func programEnv(home string) []string {
	return []string{"HOME=" + home, "TMPDIR=" + home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1"}
}

// sourceFile returns a file in memory holding src, positioned at its start.
func sourceFile(src string) (*os.File, error) {
	fd, err := unix.MemfdCreate("main.py", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sandbox: memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "main.py")
	if _, err := f.WriteString(src); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: writing the program: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return f, nil
}
