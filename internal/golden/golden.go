// Package golden compares a test's output with a file kept under testdata/: the one
// helper every golden test of the house uses.
//
// `go test -update` rewrites the files from what the tests produce; a mismatch fails
// the test and leaves what it got beside the file as NAME.got, to diff or to accept.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

func init() {
	// A test package that still defines its own -update shares it.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

// Updating reports whether the test binary runs with -update.
func Updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Check compares got with the file at path. With -update it writes got there first
// (creating the folder). A mismatch fails tb and writes got to path+".got".
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if err := os.WriteFile(path+".got", got, 0o644); err != nil {
		tb.Errorf("writing %s.got: %v", path, err)
	}
	tb.Errorf("%s differs from the golden file; see %s.got (run with -update to accept)", path, path)
}
