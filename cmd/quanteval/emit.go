package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/quanteval/quanteval/matrix"
	"github.com/quanteval/quanteval/plan"
)

// emitPlan writes plan p as the manifests of target (kubernetes) under outDir and
// starts nothing; with dryRun it prints them instead.
func emitPlan(stdout, stderr io.Writer, p *plan.Plan, only []string, target, outDir string, dryRun bool) error {
	if target != "kubernetes" {
		return usagef("matrix: --emit %q: the one target is kubernetes", target)
	}
	if outDir == "" && !dryRun {
		return usagef("matrix: --emit kubernetes needs --out-dir DIR (or --dry-run to print the manifests)")
	}
	if dryRun {
		files, err := matrix.BuildKubernetes(p, only)
		if err != nil {
			return usageError{err}
		}
		for _, f := range files {
			fmt.Fprintf(stdout, "# %s\n---\n%s", f.Path, f.Data)
		}
		return nil
	}
	files, err := matrix.EmitKubernetes(p, only, outDir)
	if err != nil {
		return usageError{err}
	}
	for _, f := range files {
		fmt.Fprintln(stderr, "wrote", filepath.Join(outDir, filepath.FromSlash(f.Path)))
	}
	fmt.Fprintf(stdout, "apply in order, waiting between: %[1]s/servers/, %[1]s/evals/, %[1]s/merge.yaml (see examples/kubernetes/README.md)\n", outDir)
	return nil
}
