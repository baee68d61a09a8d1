package result

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quanteval/quanteval/internal/boundedfile"
)

// MaxFileBytes bounds the result file Read takes: it is read whole, and a larger one
// (or a device that never ends) would exhaust memory before it failed. 2 GiB is a
// result of 100,000 items with long reasoning outputs.
const MaxFileBytes = 2 << 30

// RefusedError is a file Read refuses to read: not a regular file, or larger than
// MaxFileBytes. It is bad input (exit status 2).
type RefusedError struct {
	File   string
	Reason string
}

func (e *RefusedError) Error() string { return e.File + ": " + e.Reason }

// readFile reads a whole regular file of at most limit bytes. The file is opened
// without blocking (an open of a named pipe would wait for a writer), its kind is
// checked on the open file, and the read is bounded too, for a file that grows.
func readFile(path string, limit int64) ([]byte, error) {
	f, st, err := boundedfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if !st.Mode().IsRegular() {
		return nil, &RefusedError{File: path, Reason: "not a regular file (" + boundedfile.Kind(st.Mode()) + "); give a result file"}
	}
	tooBig := func(n int64) error {
		return &RefusedError{File: path, Reason: fmt.Sprintf("%d bytes, over the limit of %d MiB for a result file", n, limit>>20)}
	}
	if st.Size() > limit {
		return nil, tooBig(st.Size())
	}
	data := make([]byte, 0, st.Size()+512)
	buf := bytesWriter{&data}
	n, err := io.Copy(buf, io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if n > limit {
		return nil, tooBig(n)
	}
	return data, nil
}

// bytesWriter appends to a slice: io.Copy into a buffer sized from Stat.
type bytesWriter struct{ b *[]byte }

func (w bytesWriter) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}

// ClashError is an output that is the same file as one of the inputs: writing it
// would destroy the input.
type ClashError struct {
	Output string // the path as the output was given
	Input  string // the path as the input was given
}

func (e *ClashError) Error() string {
	return fmt.Sprintf("%s is also an input: it is the same file as %s; writing it would destroy that input, so give another output path", e.Output, e.Input)
}

// CheckClash returns a *ClashError when one of outputs is the same file as one of
// inputs. Files are compared by identity (device and inode), so a symbolic link, a
// hard link, a relative or ./ form of the same file all count. An output that does
// not exist yet is no input; nor is an input that is not a file (a data-set name);
// "" and "-" (standard output) are skipped.
func CheckClash(outputs, inputs []string) error {
	var ins []string
	var stats []os.FileInfo
	for _, in := range inputs {
		if in == "" || in == "-" {
			continue
		}
		if st, err := os.Stat(in); err == nil {
			ins, stats = append(ins, in), append(stats, st)
		}
	}
	for _, out := range outputs {
		if out == "" || out == "-" {
			continue
		}
		for _, st := range statForms(out) {
			for i := range stats {
				if os.SameFile(st, stats[i]) {
					return &ClashError{Output: out, Input: ins[i]}
				}
			}
		}
	}
	return nil
}

// statForms stats path as given and, when that fails, its cleaned form: "sub/../x"
// is x once sub has been created by the write.
func statForms(path string) []os.FileInfo {
	var sts []os.FileInfo
	for _, p := range []string{path, filepath.Clean(path)} {
		if st, err := os.Stat(p); err == nil {
			sts = append(sts, st)
			break
		}
	}
	return sts
}

// tempPrefix is how the temporary files of a write of path begin: hidden, named for
// the output and carrying the writer's PID (.r.json.tmp-PID-RANDOM), so that a later
// write can tell a killed writer's litter from a live writer's file.
func tempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// legacyTempAge is how old a temporary file named by an earlier version (no PID in
// its name) must be to count as stale: no write of a result takes that long.
const legacyTempAge = time.Hour

// removeStaleTemps removes the temporary files an earlier, killed write of path left
// behind: those named for path whose writer's PID is not a live process here, and
// those of an earlier version's naming older than legacyTempAge. What cannot be
// removed is left: litter is no reason to fail a write.
func removeStaleTemps(path string) {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if staleTemp(rest, e) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// staleTemp decides on a temporary file whose name ends in rest: "PID-RANDOM" (this
// version) or "RANDOM" (os.CreateTemp's digits, an earlier version).
func staleTemp(rest string, e fs.DirEntry) bool {
	if pid, random, found := strings.Cut(rest, "-"); found {
		n, err := strconv.Atoi(pid)
		if err != nil || !digits(random) || n <= 0 {
			return false
		}
		return n != os.Getpid() && !processAlive(n)
	}
	if !digits(rest) {
		return false
	}
	info, err := e.Info()
	return err == nil && time.Since(info.ModTime()) > legacyTempAge
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// createTemp creates the temporary file of a write of path, in its folder.
func createTemp(path string) (*os.File, error) {
	return os.CreateTemp(filepath.Dir(path), tempPrefix(path)+strconv.Itoa(os.Getpid())+"-*")
}
