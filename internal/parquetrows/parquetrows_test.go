package parquetrows

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	ID string `parquet:"id"`
	N  int64  `parquet:"n"`
}

// write writes rows to a parquet file, two rows a row group.
func write(t *testing.T, rows []row) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](f, parquet.MaxRowsPerRowGroup(2))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEach(t *testing.T) {
	want := []row{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}}
	path := write(t, want)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if groups := len(f.pf.RowGroups()); groups < 2 {
		t.Fatalf("%d row groups, want several to read across", groups)
	}
	schema := f.Schema()
	var got []row
	err = f.Each(func(i int, r parquet.Row) error {
		if i != len(got) {
			t.Errorf("index %d, want %d", i, len(got))
		}
		m := map[string]any{}
		if err := schema.Reconstruct(&m, r); err != nil {
			return err
		}
		got = append(got, row{ID: m["id"].(string), N: m["n"].(int64)})
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("rows %v, %v; want %v", got, err, want)
	}

	stop := errors.New("stop")
	calls := 0
	err = f.Each(func(i int, _ parquet.Row) error {
		calls++
		if i == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 3 {
		t.Errorf("err %v after %d calls, want fn's own error after 3", err, calls)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "none.parquet")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.parquet")
	if err := os.WriteFile(bad, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": not a readable parquet file: ") {
		t.Errorf("a file that is not parquet: %v", err)
	}
}
