package datasets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/parquetrows"
)

// colType is the type a column must have, as the hub's data-set viewer shows it.
type colType int

const (
	colString  colType = iota // parquet BYTE_ARRAY (STRING)
	colInt                    // parquet INT64 (INT32 accepted)
	colStrings                // parquet LIST of STRING
)

func (t colType) String() string {
	switch t {
	case colString:
		return "string"
	case colInt:
		return "int64"
	}
	return "list<string>"
}

type column struct {
	name string
	typ  colType
}

// value is one cell; which field is set follows the column's type.
type value struct {
	str  string
	num  int64
	list []string
}

// record is one row, its cells in the order of the wanted columns.
type record []value

func describeWant(cols []column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.name + " (" + c.typ.String() + ")"
	}
	return strings.Join(parts, ", ")
}

// SchemaError is a file whose columns are not the data set's.
type SchemaError struct {
	File  string
	Want  string // "question (string), answer (string)"
	Found string // the file's top-level columns and their types
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s: want columns %s; found %s", e.File, e.Want, e.Found)
}

// readTable reads the wanted columns of a .parquet or hub-style .jsonl file. Other
// columns are ignored: a copy with an extra id column is still the same data set.
func readTable(file string, cols []column) ([]record, error) {
	if strings.HasSuffix(file, ".jsonl") {
		return readJSONL(file, cols)
	}
	return readParquet(file, cols)
}

func readParquet(file string, cols []column) ([]record, error) {
	if err := evalset.CheckInput(file); err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	pf, err := parquetrows.Open(file)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer pf.Close()
	leafOf, err := mapColumns(file, pf.Schema(), cols)
	if err != nil {
		return nil, err
	}
	slot := map[int]int{} // leaf column index -> wanted column index
	for i, leaf := range leafOf {
		slot[leaf] = i
	}
	var out []record
	err = pf.Each(func(_ int, row parquet.Row) error {
		rec := make(record, len(cols))
		row.Range(func(leaf int, vals []parquet.Value) bool {
			if i, ok := slot[leaf]; ok {
				rec[i] = cell(cols[i].typ, vals)
			}
			return true
		})
		out = append(out, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	return out, nil
}

// cell converts a column's values in one row. A null cell reads as the zero value;
// the callers check for empty questions and answers.
func cell(t colType, vals []parquet.Value) value {
	var v value
	switch t {
	case colStrings:
		for _, x := range vals {
			if !x.IsNull() {
				v.list = append(v.list, string(x.ByteArray()))
			}
		}
	case colInt:
		if len(vals) > 0 && !vals[0].IsNull() {
			if vals[0].Kind() == parquet.Int32 {
				v.num = int64(vals[0].Int32())
			} else {
				v.num = vals[0].Int64()
			}
		}
	default:
		if len(vals) > 0 && !vals[0].IsNull() {
			v.str = string(vals[0].ByteArray())
		}
	}
	return v
}

// mapColumns finds the leaf column of each wanted column, checking its type. On a
// mismatch the error lists every top-level column of the file with its type.
func mapColumns(file string, schema *parquet.Schema, cols []column) ([]int, error) {
	leaves := map[string][]parquet.LeafColumn{}
	for _, path := range schema.Columns() {
		leaf, ok := schema.Lookup(path...)
		if ok {
			leaves[path[0]] = append(leaves[path[0]], leaf)
		}
	}
	out := make([]int, len(cols))
	bad := false
	for i, c := range cols {
		ls := leaves[c.name]
		if len(ls) != 1 || fieldType(ls) != c.typ.String() {
			bad = true
			continue
		}
		out[i] = ls[0].ColumnIndex
	}
	if !bad {
		return out, nil
	}
	var found []string
	for _, f := range schema.Fields() {
		found = append(found, f.Name()+" ("+fieldType(leaves[f.Name()])+")")
	}
	if len(found) == 0 {
		found = []string{"no columns"}
	}
	return nil, &SchemaError{File: file, Want: describeWant(cols), Found: strings.Join(found, ", ")}
}

// fieldType names a top-level field's type from its leaves, in the words the hub
// uses: string, int64, list<string>, ...
func fieldType(leaves []parquet.LeafColumn) string {
	if len(leaves) != 1 {
		return "struct"
	}
	l := leaves[0]
	base := leafType(l.Node.Type())
	switch {
	case l.MaxRepetitionLevel == 0 && len(l.Path) == 1:
		return base
	case l.MaxRepetitionLevel == 1:
		return "list<" + base + ">"
	case l.MaxRepetitionLevel > 1:
		return "nested list<" + base + ">"
	}
	return "struct"
}

func leafType(t parquet.Type) string {
	switch t.Kind() {
	case parquet.ByteArray:
		if lt := t.LogicalType(); lt != nil {
			if _, ok := lt.Value.(*format.StringType); ok {
				return "string"
			}
		}
		if ct := t.ConvertedType(); ct != nil && *ct == deprecated.UTF8 {
			return "string"
		}
		return "binary"
	case parquet.Int64:
		return "int64"
	case parquet.Int32:
		return "int32"
	case parquet.Double:
		return "double"
	case parquet.Float:
		return "float"
	case parquet.Boolean:
		return "bool"
	}
	return strings.ToLower(t.String())
}

// readJSONL reads the hub's JSON-lines export (one object a line, the parquet's
// columns as keys), as `datasets`' to_json writes it. The file is read and split as an
// eval set is (evalset.ReadInput, evalset.Lines): regular files only, bounded, a
// byte-order mark skipped, UTF-8 checked.
func readJSONL(file string, cols []column) ([]record, error) {
	data, err := evalset.ReadInput(file)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	var out []record
	err = evalset.Lines(file, data, func(line int, text []byte) error {
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			return nil
		}
		rec, err := jsonlRecord(file, line, text, cols)
		if err != nil {
			return err
		}
		out = append(out, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	return out, nil
}

func jsonlRecord(file string, line int, text []byte, cols []column) (record, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil {
		return nil, fmt.Errorf("%s:%d: not a JSON object: %w", file, line, err)
	}
	rec := make(record, len(cols))
	for i, c := range cols {
		v, ok := raw[c.name]
		if !ok {
			return nil, fmt.Errorf("%s:%d: no column %q; want columns %s", file, line, c.name, describeWant(cols))
		}
		var err error
		switch c.typ {
		case colString:
			err = json.Unmarshal(v, &rec[i].str)
		case colInt:
			err = json.Unmarshal(v, &rec[i].num)
		case colStrings:
			err = json.Unmarshal(v, &rec[i].list)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: column %q: want %s, got %s", file, line, c.name, c.typ, evalset.JSONKind(v))
		}
	}
	return rec, nil
}
