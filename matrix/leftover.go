package matrix

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/server"
)

// serversDir holds a record of each server while it runs (server.Record), so that
// a later run on the same output finds a server whose quanteval was killed.
func serversDir(p *plan.Plan) string { return filepath.Join(p.Output, "servers") }

func recordPath(p *plan.Plan, v string) string { return filepath.Join(serversDir(p), v+".json") }

// stopLeftovers stops, before anything starts, the servers recorded in the output
// by an earlier quanteval that is gone (killed, out of memory) while they still
// run, the normal way (SIGINT, SIGTERM, SIGKILL to the group), and records them in
// the manifest. A server of a quanteval that still runs is left alone.
func (r *runner) stopLeftovers(ctx context.Context) error {
	found, notes, err := server.FindLeftovers(serversDir(r.p))
	for _, n := range notes {
		fmt.Fprintf(r.progress, "matrix: %s\n", n)
	}
	if err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	for _, l := range found {
		fmt.Fprintf(r.progress, "matrix: found a %s; stopping it\n", l)
		r.m.Leftovers = append(r.m.Leftovers, l.String())
		r.checkpoint()
		if err := l.Stop(ctx, r.p.Server.StopGrace.D(), 0); err != nil {
			return fmt.Errorf("matrix: %w", err)
		}
		fmt.Fprintf(r.progress, "matrix: stopped the leftover server PID %d\n", l.PID)
	}
	return nil
}
