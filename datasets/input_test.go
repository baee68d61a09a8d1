package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadJSONLBytes checks the hub-style JSONL reader against the same odd input as
// the eval-set reader: a byte-order mark, bytes that are not UTF-8, a device that
// never ends.
func TestReadJSONLBytes(t *testing.T) {
	dir := t.TempDir()
	row := `{"question":"q","answer":"#### 4"}`
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	zero := filepath.Join(dir, "zero.jsonl")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		rows       int
		want       string
	}{
		{"BOM", write("bom.jsonl", "\uFEFF"+row+"\n"+row+"\n"), 2, ""},
		{"invalid UTF-8", write("latin1.jsonl", row+"\n"+`{"question":"caf`+"\xe9"+`","answer":"#### 4"}`+"\n"), 0, "latin1.jsonl:2: not valid UTF-8 (byte 17)"},
		{"/dev/zero", "/dev/zero", 0, "/dev/zero: not a regular file (a character device)"},
		{"link to /dev/zero", zero, 0, "zero.jsonl: not a regular file (a character device)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := readJSONL(tc.path, gsm8kColumns)
			if tc.want == "" {
				if err != nil || len(recs) != tc.rows {
					t.Fatalf("got %d rows, %v; want %d rows", len(recs), err, tc.rows)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
