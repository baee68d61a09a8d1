package matrix

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/redact"
	"github.com/quanteval/quanteval/server"
)

// A variant with replicas (plan.Replica) runs several servers of one model: all are
// started, waited for and stopped together, and the evals get all their URLs
// (Job.BaseURL "URL,URL,...") and spread their requests over them.
//
// Decisions:
//   - Replica i listens on its own port, logs to OUTPUT/logs/VARIANT.rI.log and, on
//     a node with gpus, sees its share of the variant's devices in order; in a
//     plan without gpus, the devices the replica names (plan.Replica.Devices).
//   - The group fails as one: a replica that exits fails the variant as a lone
//     server's exit does (the evals are cut short, the result marked incomplete, so
//     that --resume finishes it).

// serverProc is what running a variant needs of its server: one *server.Server, or
// a replicaGroup.
type serverProc interface {
	URL() string // several replicas: URL,URL,...
	PID() int
	Done() <-chan struct{} // nil for an external endpoint
	ExitStatus() string
	ExitError(during string) *server.ExitError
	WaitReady(ctx context.Context) error
	ModelListed(ctx context.Context) error
	Version(ctx context.Context) (string, error)
	Stop(ctx context.Context) error
	Strays() []server.Stray // processes that outlived the stop
}

var (
	_ serverProc = (*server.Server)(nil)
	_ serverProc = (*replicaGroup)(nil)
)

// startServers starts variant v's server from spec, or its replicas; an external
// endpoint with several URLs is a group of external replicas.
func startServers(p *plan.Plan, v plan.Variant, spec server.Spec) (serverProc, error) {
	if len(v.Replicas) == 0 && !strings.Contains(spec.BaseURL, ",") {
		srv, err := server.Start(spec)
		if err != nil {
			return nil, err
		}
		return srv, nil
	}
	g := &replicaGroup{}
	for _, rs := range replicaSpecs(p, v, spec) {
		srv, err := server.Start(rs)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("replica on port %d: %w", rs.Port, err), g.Stop(context.Background()))
		}
		g.servers = append(g.servers, srv)
		if srv.Done() == nil {
			continue // an external endpoint: nothing to exit
		}
		g.ensureDone()
		go func() {
			<-srv.Done()
			g.once.Do(func() { close(g.done) })
		}()
	}
	return g, nil
}

// replicaSpecs are the specs of v's replicas from the variant's spec: each its port,
// its log and its share of the devices spec gives in CUDA_VISIBLE_DEVICES; for an
// external endpoint, each of its URLs.
func replicaSpecs(p *plan.Plan, v plan.Variant, spec server.Spec) []server.Spec {
	if len(v.Replicas) == 0 {
		var out []server.Spec
		for _, u := range strings.Split(spec.BaseURL, ",") {
			rs := spec
			rs.BaseURL = u
			out = append(out, rs)
		}
		return out
	}
	var devices []string
	if d, ok := spec.Env["CUDA_VISIBLE_DEVICES"]; ok && len(p.GPUs) > 0 {
		devices = strings.Split(d, ",")
	}
	var out []server.Spec
	for i, r := range v.Replicas {
		rs := spec
		rs.Port = r.Port
		rs.Log = replicaLogPath(p, v.Name, i)
		switch {
		case len(r.Devices) > 0: // named in the plan (a plan without the node's gpus)
			rs.Env = maps.Clone(spec.Env)
			if rs.Env == nil {
				rs.Env = map[string]string{}
			}
			rs.Env["CUDA_VISIBLE_DEVICES"] = strings.Join(r.Devices, ",")
		case len(devices) >= r.GPUCount():
			rs.Env = maps.Clone(spec.Env)
			rs.Env["CUDA_VISIBLE_DEVICES"] = strings.Join(devices[:r.GPUCount()], ",")
			devices = devices[r.GPUCount():]
		}
		out = append(out, rs)
	}
	return out
}

func replicaLogPath(p *plan.Plan, variant string, i int) string {
	return strings.TrimSuffix(logPath(p, variant), ".log") + fmt.Sprintf(".r%d.log", i)
}

// replicaGroup is a variant's replicas as one server.
type replicaGroup struct {
	servers []*server.Server
	done    chan struct{} // closed when the first replica exits; nil: external replicas
	once    sync.Once
}

func (g *replicaGroup) ensureDone() chan struct{} {
	if g.done == nil {
		g.done = make(chan struct{})
	}
	return g.done
}

// URL lists the replicas' URLs, comma-separated.
func (g *replicaGroup) URL() string {
	urls := make([]string, len(g.servers))
	for i, s := range g.servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

// PID is the first replica's.
func (g *replicaGroup) PID() int { return g.servers[0].PID() }

func (g *replicaGroup) Done() <-chan struct{} { return g.done }

// ExitStatus lists the replicas' exit statuses.
func (g *replicaGroup) ExitStatus() string {
	st := make([]string, len(g.servers))
	for i, s := range g.servers {
		st[i] = s.ExitStatus()
	}
	return strings.Join(st, "; ")
}

// ExitError is the first replica's exit, in order.
func (g *replicaGroup) ExitError(during string) *server.ExitError {
	for _, s := range g.servers {
		if ee := s.ExitError(during); ee != nil {
			return ee
		}
	}
	return nil
}

// WaitReady waits until every replica serves.
func (g *replicaGroup) WaitReady(ctx context.Context) error {
	for i, s := range g.servers {
		if err := s.WaitReady(ctx); err != nil {
			return fmt.Errorf("replica %d: %w", i, err)
		}
	}
	return nil
}

// ModelListed checks that every replica lists the model.
func (g *replicaGroup) ModelListed(ctx context.Context) error {
	for i, s := range g.servers {
		if err := s.ModelListed(ctx); err != nil {
			return fmt.Errorf("replica %d: %w", i, err)
		}
	}
	return nil
}

// Version is the first replica's.
func (g *replicaGroup) Version(ctx context.Context) (string, error) { return g.servers[0].Version(ctx) }

// Strays are every replica's.
func (g *replicaGroup) Strays() []server.Stray {
	var out []server.Stray
	for _, s := range g.servers {
		out = append(out, s.Strays()...)
	}
	return out
}

// Stop stops every replica at once, each as a lone server stops.
func (g *replicaGroup) Stop(ctx context.Context) error {
	errs := make([]error, len(g.servers))
	var wg sync.WaitGroup
	for i, s := range g.servers {
		wg.Go(func() {
			if err := s.Stop(ctx); err != nil {
				errs[i] = fmt.Errorf("replica %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// redactURLs redacts each of a comma-separated list of URLs.
func redactURLs(s string) string {
	urls := strings.Split(s, ",")
	for i, u := range urls {
		urls[i] = redact.URL(u)
	}
	return strings.Join(urls, ",")
}
