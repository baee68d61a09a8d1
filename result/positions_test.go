package result

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestShardPositionsOnOneLine: a shard's positions are written on one line of the
// indented result (not one number per line), and Read gives them back; a shard
// with no items keeps its positions an empty list, and an unsharded result has no
// shard at all.
func TestShardPositionsOnOneLine(t *testing.T) {
	for _, tc := range []struct {
		name      string
		shard     *Shard
		wantLine  string
		wantShard bool
	}{
		{"positions", &Shard{Index: 1, Count: 4, Positions: []int{0, 3, 17, 2048}}, `    "positions": [0,3,17,2048]` + "\n", true},
		{"empty", &Shard{Index: 3, Count: 4, Positions: []int{}}, `    "positions": []` + "\n", true},
		{"unsharded", nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &File{Schema: Schema, Model: "m", Shard: tc.shard}
			var buf bytes.Buffer
			if err := Encode(&buf, f); err != nil {
				t.Fatal(err)
			}
			text := buf.String()
			if tc.wantLine != "" && !strings.Contains(text, tc.wantLine) {
				t.Errorf("positions not on one line:\n%s", text)
			}
			if !tc.wantShard && strings.Contains(text, `"shard"`) {
				t.Errorf("an unsharded result has a shard:\n%s", text)
			}
			path := filepath.Join(t.TempDir(), "r.json")
			if err := Write(path, f); err != nil {
				t.Fatal(err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v\n%s", err, text)
			}
			if (got.Shard != nil) != tc.wantShard {
				t.Fatalf("shard read back %+v", got.Shard)
			}
			if tc.wantShard && (got.Shard.Index != tc.shard.Index || got.Shard.Count != tc.shard.Count || !slices.Equal(got.Shard.Positions, tc.shard.Positions)) {
				t.Errorf("shard read back %+v, want %+v", got.Shard, tc.shard)
			}
			if tc.shard != nil && tc.shard.Positions == nil {
				t.Error("Encode changed the caller's shard")
			}
		})
	}
}
