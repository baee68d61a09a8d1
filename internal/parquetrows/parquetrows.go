// Package parquetrows reads a parquet file row by row, row group after row group:
// the part of reading a data set that datasets (the standard sets) and task (task
// specs' source files) share. What a row means is theirs.
package parquetrows

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// File is an open parquet file.
type File struct {
	path string
	f    *os.File
	pf   *parquet.File
}

// Open opens the parquet file at path. An error that is not the operating system's
// names path ("PATH: not a readable parquet file: ...").
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: not a readable parquet file: %w", path, err)
	}
	return &File{path: path, f: f, pf: pf}, nil
}

// Schema is the file's schema.
func (f *File) Schema() *parquet.Schema { return f.pf.Schema() }

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Each calls fn for every row in order, with its index from 0, and stops at fn's
// first error, which it returns as it is. A row that cannot be read is an error
// naming the file and the row ("PATH: row N: ..."). The row is only valid during
// the call.
func (f *File) Each(fn func(i int, row parquet.Row) error) error {
	i := 0
	buf := make([]parquet.Row, 256)
	for _, rg := range f.pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				if ferr := fn(i, row); ferr != nil {
					rows.Close()
					return ferr
				}
				i++
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("%s: row %d: %w", f.path, i, err)
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
	}
	return nil
}
