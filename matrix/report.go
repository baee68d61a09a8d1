package matrix

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/result"
)

// ReportDir is the folder of the comparison of eval e.
func ReportDir(outDir, e string) string { return filepath.Join(outDir, "report", e) }

// report hands each eval's complete results to the Report function, or writes the
// plain summary table when there is none.
//
// A plan with a reference variant is compared against it or not at all: when the
// reference has no complete result for an eval (it failed, or --only left it out
// and no earlier run left one), the eval's report is an error saying so, and the
// plain table of what exists is written to OUTPUT/report/EVAL/summary.md and
// Stdout instead, rather than a comparison against a stand-in.
func (r *runner) report(ctx context.Context) error {
	if r.o.Report == nil {
		return r.summary()
	}
	ref := r.p.Reference()
	var errs []string
	for _, e := range r.p.Evals {
		refs := r.completeResults(e.Name)
		dir := ReportDir(r.p.Output, e.Name)
		rr := ReportRun{Eval: e.Name, Dir: dir}
		hasRef := false
		for _, rf := range refs {
			rr.Files = append(rr.Files, rf.Path)
			hasRef = hasRef || rf.Reference && rf.Repeat == 0
		}
		switch {
		case len(refs) == 0:
			rr.Error = "no complete results"
		case ref != nil && !hasRef:
			rr.Error = fmt.Sprintf("reference variant %s has no complete result for %s; no comparison made", ref.Name, e.Name)
			errs = append(errs, rr.Error)
			fmt.Fprintf(r.progress, "matrix: report %s: %s\n", e.Name, rr.Error)
			if err := r.evalSummary(dir, e, rr.Error); err != nil {
				errs = append(errs, err.Error())
			}
		default:
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

// completeResults are the complete results of eval e, in the plan's order: those
// of the variants run, and the reference's from an earlier run when --only left
// it out.
func (r *runner) completeResults(e string) []ResultRef {
	ran := map[string]*VariantRun{}
	for i := range r.m.Variants {
		ran[r.m.Variants[i].Name] = &r.m.Variants[i]
	}
	var refs []ResultRef
	for _, v := range r.p.Variants {
		vr, ok := ran[v.Name]
		if !ok {
			path := resultPath(r.p, v.Name, e)
			if f, err := result.Read(path); v.Reference && err == nil && f.Complete {
				refs = append(refs, ResultRef{Label: v.Name, Path: path, Reference: true, Bench: r.benchOf(v.Name)})
				refs = append(refs, r.repeatsOnDisk(v.Name, e)...)
			}
			continue
		}
		for _, er := range vr.Evals {
			if er.Name == e && er.Complete {
				refs = append(refs, ResultRef{Label: vr.Name, Path: er.Result, Reference: vr.Reference, Bench: r.benchOf(v.Name)})
			}
		}
		if v.Reference && len(vr.Repeats) == 0 {
			// Skipped whole (--resume): its repeats are those on disk.
			refs = append(refs, r.repeatsOnDisk(v.Name, e)...)
		}
		for _, er := range vr.Repeats {
			if er.Name == e && er.Complete {
				refs = append(refs, ResultRef{Label: fmt.Sprintf("%s#%d", vr.Name, er.Repeat), Path: er.Result, Reference: vr.Reference, Repeat: er.Repeat})
			}
		}
	}
	return refs
}

// benchOf is variant v's complete bench result, "" when there is none.
func (r *runner) benchOf(v string) string {
	if r.p.Bench == nil {
		return ""
	}
	if p := BenchPath(r.p.Output, v); benchComplete(p) {
		return p
	}
	return ""
}

// repeatsOnDisk are the complete further runs of eval e by the reference ref left
// by an earlier run.
func (r *runner) repeatsOnDisk(ref, e string) []ResultRef {
	var refs []ResultRef
	for k := 2; k <= r.p.ReferenceRepeats; k++ {
		path := RepeatPath(r.p.Output, ref, e, k)
		if f, err := result.Read(path); err == nil && f.Complete {
			refs = append(refs, ResultRef{Label: fmt.Sprintf("%s#%d", ref, k), Path: path, Reference: true, Repeat: k})
		}
	}
	return refs
}

// evalSummary writes the plain table of eval e, headed by why there is no
// comparison, to DIR/summary.md and to Stdout.
func (r *runner) evalSummary(dir string, e plan.Eval, why string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s.\n\n", e.Name, why)
	writeEvalSummary(&b, r.m, e)
	path := filepath.Join(dir, "summary.md")
	if err := result.WriteFileAtomic(path, []byte(b.String())); err != nil {
		return fmt.Errorf("%s: summary: %w", e.Name, err)
	}
	if _, err := io.WriteString(r.o.Stdout, "\n"+b.String()); err != nil {
		return fmt.Errorf("%s: summary: %w", e.Name, err)
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
		writeEvalSummary(w, m, e)
	}
}

// writeEvalSummary writes the table of eval e: variant | model | ok / count | accuracy.
func writeEvalSummary(w io.Writer, m *Manifest, e plan.Eval) {
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
