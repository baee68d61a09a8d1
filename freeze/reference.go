package freeze

import (
	"bytes"
	"fmt"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/result"
)

// Reference is a finished run to freeze, read with the eval set it ran on.
type Reference struct {
	Path string // the result file
	File *result.File
	// Set is the eval set the run names when it is still there unchanged, else nil:
	// the questions then come from the records (see Items).
	Set *evalset.Set
	// Fallback says why Set is nil and what that means ("" when it is not nil).
	Fallback string
}

// Read reads the result file at path and the eval set it names. An eval set that
// cannot be read or has changed since the run is no error: Fallback says so.
func Read(path string) (*Reference, error) {
	f, err := result.Read(path)
	if err != nil {
		return nil, err
	}
	ref := &Reference{Path: path, File: f}
	const single = "each item is frozen as the single prompt its record holds"
	set, err := evalset.Open(f.Evalset.Path)
	switch {
	case err != nil:
		ref.Fallback = fmt.Sprintf("%s cannot be read (%v): %s", f.Evalset.Path, err, single)
	case set.SHA256 != f.Evalset.SHA256:
		ref.Fallback = fmt.Sprintf("%s has changed since the run: %s", f.Evalset.Path, single)
	default:
		ref.Set = set
	}
	return ref, nil
}

// Items freezes the reference into eval items (see the function Items); an error
// names the result file.
func (r *Reference) Items(firstSentence bool) ([]evalset.Item, error) {
	items, err := Items(r.File, r.Set, firstSentence)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Path, err)
	}
	return items, nil
}

// JSONL is the frozen set as it is written: Header's comments, then items as JSON
// Lines. It is checked to read back as a valid set named name before it is returned,
// so that what lands on disk is a set.
func (r *Reference) JSONL(items []evalset.Item, firstSentence bool, name string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(Header(r.File, firstSentence))
	if err := evalset.WriteJSONL(&buf, items); err != nil {
		return nil, err
	}
	if _, err := evalset.Parse(name, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("the frozen set does not read back: %w", err)
	}
	return buf.Bytes(), nil
}

// Summary says how many of the reference's records were frozen into out (n of them)
// and how many were skipped, and why.
func (r *Reference) Summary(n int, out string) string {
	errs := 0
	for _, rec := range r.File.Items {
		if rec.Error != "" {
			errs++
		}
	}
	skipped := len(r.File.Items) - n
	return fmt.Sprintf("froze %d items of %s into %s; skipped %d (%d errors, %d without output)\n",
		n, r.Path, out, skipped, errs, skipped-errs)
}
