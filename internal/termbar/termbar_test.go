package termbar

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestNoBarOffATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]io.Writer{"buffer": &bytes.Buffer{}, "file": f} {
		if OnTerminal(w) {
			t.Errorf("%s: taken for a terminal", name)
		}
		if b := New(w, 10); b != nil {
			t.Errorf("%s: got a bar, want plain lines", name)
		}
	}
	if New(nil, 10) != nil {
		t.Error("a nil writer got a bar")
	}
}
