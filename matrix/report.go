package matrix

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/quanteval/quanteval/result"
)

// ReportDir is the folder of the comparison of eval e.
func ReportDir(outDir, e string) string { return filepath.Join(outDir, "report", e) }

// report hands each eval's complete results to the Report function, or writes the
// plain summary table when there is none.
func (r *runner) report(ctx context.Context) error {
	if r.o.Report == nil {
		return r.summary()
	}
	var errs []string
	for _, e := range r.p.Evals {
		var refs []ResultRef
		for _, vr := range r.m.Variants {
			for _, er := range vr.Evals {
				if er.Name == e.Name && er.Complete {
					refs = append(refs, ResultRef{Label: vr.Name, Path: er.Result, Reference: vr.Reference})
				}
			}
		}
		dir := ReportDir(r.p.Output, e.Name)
		rr := ReportRun{Eval: e.Name, Dir: dir}
		for _, ref := range refs {
			rr.Files = append(rr.Files, ref.Path)
		}
		if len(refs) == 0 {
			rr.Error = "no complete results"
		} else {
			fmt.Fprintf(r.progress, "matrix: report %s: %d results -> %s\n", e.Name, len(refs), dir)
			if err := r.o.Report(ctx, dir, refs); err != nil {
				rr.Error = err.Error()
				errs = append(errs, fmt.Sprintf("%s: %v", e.Name, err))
			}
		}
		r.m.Reports = append(r.m.Reports, rr)
	}
	if len(errs) > 0 {
		return fmt.Errorf("matrix: report: %s", strings.Join(errs, "; "))
	}
	return nil
}

// summary writes the seed's table (variant | model | ok / count | accuracy) for
// each eval to OUTPUT/report/summary.md and to Stdout.
func (r *runner) summary() error {
	var b strings.Builder
	WriteSummary(&b, r.m)
	path := filepath.Join(r.p.Output, "report", "summary.md")
	if err := result.WriteFileAtomic(path, []byte(b.String())); err != nil {
		return fmt.Errorf("matrix: summary: %w", err)
	}
	r.m.Reports = append(r.m.Reports, ReportRun{Eval: "*", Dir: filepath.Dir(path)})
	if _, err := io.WriteString(r.o.Stdout, b.String()); err != nil {
		return fmt.Errorf("matrix: summary: %w", err)
	}
	return nil
}

// WriteSummary writes the plain summary table of m, one Markdown table per eval.
func WriteSummary(w io.Writer, m *Manifest) {
	for i, e := range m.Plan.Evals {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## %s\n\n", e.Name)
		fmt.Fprintln(w, "| variant | model | ok / count | accuracy |")
		fmt.Fprintln(w, "|---|---|---:|---:|")
		for _, vr := range m.Variants {
			name := vr.Name
			if vr.Reference {
				name += " (reference)"
			}
			cells := "— | " + vr.Status
			for _, er := range vr.Evals {
				switch {
				case er.Name != e.Name:
				case er.Complete:
					cells = fmt.Sprintf("%d/%d | %.3f", er.OK, er.Count, er.Accuracy)
				case er.Count > 0:
					cells = fmt.Sprintf("%d/%d | incomplete", er.OK, er.Count)
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", name, vr.Model, cells)
		}
	}
}
