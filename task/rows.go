package task

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/quanteval/quanteval/internal/parquetrows"
)

// ReadRows reads every row of a .parquet file or a hub-style .jsonl file (one
// object a line, the parquet's columns as keys) as column -> value: strings,
// int64 (float64 for other numbers), bool, []any for lists and map[string]any for
// structs, as Build takes them. A null top-level cell reads as its column's zero
// value ("" or 0), as datasets reads it.
func ReadRows(path string) ([]Row, error) {
	if strings.HasSuffix(path, ".jsonl") {
		return readJSONL(path)
	}
	return readParquet(path)
}

func readParquet(path string) ([]Row, error) {
	pf, err := parquetrows.Open(path)
	if err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	defer pf.Close()
	schema := pf.Schema()
	var out []Row
	err = pf.Each(func(i int, r parquet.Row) error {
		m := Row{}
		if err := schema.Reconstruct(&m, r); err != nil {
			return fmt.Errorf("%s: row %d: %w", path, i, err)
		}
		zeroNulls(schema, m)
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	return out, nil
}

// zeroNulls gives a null top-level cell of a plain column its type's zero value.
func zeroNulls(schema *parquet.Schema, m Row) {
	for _, f := range schema.Fields() {
		if v, ok := m[f.Name()]; ok && v != nil || !f.Leaf() {
			continue
		}
		switch f.Type().Kind() {
		case parquet.ByteArray, parquet.FixedLenByteArray:
			m[f.Name()] = ""
		case parquet.Int32, parquet.Int64:
			m[f.Name()] = int64(0)
		case parquet.Float, parquet.Double:
			m[f.Name()] = 0.0
		case parquet.Boolean:
			m[f.Name()] = false
		}
	}
}

func readJSONL(path string) ([]Row, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	var out []Row
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("task: %s:%d: not a JSON object: %w", path, line, err)
		}
		out = append(out, numbers(m).(map[string]any))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("task: %s:%d: %w", path, line+1, err)
	}
	return out, nil
}

// numbers turns json.Numbers into int64 when whole, float64 otherwise.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = numbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = numbers(x[k])
		}
	}
	return v
}
