package matrix

import (
	"context"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/server"
)

// Several variants at once on a node of several GPUs (plan keys gpus, max_parallel).
//
// Decisions:
//   - A variant starts when the GPUs it needs are free, no running variant uses its
//     port, and fewer than the cap are running; a variant that fits starts before an
//     earlier one that waits for more GPUs. Without gpus in the plan and without
//     --max-parallel, one variant runs at a time in the plan's order, as before.
//   - Each variant gets the lowest free devices, in CUDA_VISIBLE_DEVICES, and the
//     manifest records them (VariantRun.Devices).
//   - The reference runs alone and first when the others' evals compare against its
//     results as they run: when an eval asks for logprobs.
//   - Each running variant works on its own VariantRun; a checkpoint copies it into
//     the manifest under the run's lock, so the manifest written is always whole.
//   - A failed variant frees its GPUs for the next; --fail-fast starts no more but
//     lets those running finish. Ctrl-C reaches every running variant, each of which
//     stops its server as a lone variant does.

// devicePool hands out a node's devices, the lowest free first.
type devicePool struct {
	ids  []string
	used []bool
}

func newDevicePool(ids []string) *devicePool {
	return &devicePool{ids: ids, used: make([]bool, len(ids))}
}

// take returns n free devices and marks them used, or false when fewer are free.
func (d *devicePool) take(n int) ([]string, bool) {
	var idx []int
	for i, u := range d.used {
		if len(idx) == n {
			break
		}
		if !u {
			idx = append(idx, i)
		}
	}
	if len(idx) < n {
		return nil, false
	}
	out := make([]string, n)
	for k, i := range idx {
		d.used[i], out[k] = true, d.ids[i]
	}
	return out, true
}

// give frees devices taken before.
func (d *devicePool) give(ids []string) {
	for _, id := range ids {
		if i := slices.Index(d.ids, id); i >= 0 {
			d.used[i] = false
		}
	}
}

// schedule decides which variant starts next. It is not safe for concurrent use:
// the runner's loop alone calls it.
type schedule struct {
	need    []int      // GPUs each variant needs
	port    [][]string // host:port each variant's servers listen on
	pending []int      // variants not started, in the order they may start
	running map[int][]string
	devices *devicePool // nil: the plan gives no GPUs
	max     int         // variants running at once, at most
	first   int         // the variant that runs alone before the others, -1: none
}

// newSchedule schedules variants on the node's devices (none: GPUs ignored), at most
// maxParallel at once; first (-1: none) runs alone before any other.
func newSchedule(variants []plan.Variant, devices []string, maxParallel, first int) *schedule {
	s := &schedule{running: map[int][]string{}, max: max(maxParallel, 1), first: first}
	if len(devices) > 0 {
		s.devices = newDevicePool(devices)
	}
	if first >= 0 {
		s.pending = append(s.pending, first)
	}
	for i, v := range variants {
		s.need = append(s.need, v.GPUCount())
		s.port = append(s.port, ports(v))
		if i != first {
			s.pending = append(s.pending, i)
		}
	}
	return s
}

// next returns a variant that may start now, with its devices, and counts it running.
func (s *schedule) next() (int, []string, bool) {
	if len(s.running) >= s.max {
		return -1, nil, false
	}
	if _, ok := s.running[s.first]; ok || len(s.pending) > 0 && s.pending[0] == s.first && len(s.running) > 0 {
		return -1, nil, false // the first runs alone
	}
	for k, i := range s.pending {
		if k > 0 && s.pending[0] == s.first {
			break
		}
		if s.portBusy(i) {
			continue
		}
		var devs []string
		if s.devices != nil {
			var ok bool
			if devs, ok = s.devices.take(s.need[i]); !ok {
				continue
			}
		}
		s.pending = slices.Delete(s.pending, k, k+1)
		s.running[i] = devs
		return i, devs, true
	}
	return -1, nil, false
}

func (s *schedule) portBusy(i int) bool {
	for j := range s.running {
		for _, p := range s.port[i] {
			if slices.Contains(s.port[j], p) {
				return true
			}
		}
	}
	return false
}

// ports are the host:port addresses variant v's servers listen on: its own, or its
// replicas'; none for an external endpoint.
func ports(v plan.Variant) []string {
	if v.Server.Kind == server.KindExternal {
		return nil
	}
	if len(v.Replicas) == 0 {
		return []string{net.JoinHostPort(v.Server.Host, strconv.Itoa(v.Server.Port))}
	}
	var out []string
	for _, r := range v.Replicas {
		out = append(out, net.JoinHostPort(v.Server.Host, strconv.Itoa(r.Port)))
	}
	return out
}

// done frees what variant i held.
func (s *schedule) done(i int) {
	if s.devices != nil {
		s.devices.give(s.running[i])
	}
	delete(s.running, i)
	if i == s.first {
		s.first = -1
	}
}

// parallelism is how many variants may run at once: --max-parallel, else the
// plan's max_parallel, else as many as there are with GPUs given, else one.
func parallelism(o Options, variants []plan.Variant) int {
	switch {
	case o.MaxParallel > 0:
		return o.MaxParallel
	case o.Plan.MaxParallel > 0:
		return o.Plan.MaxParallel
	case len(o.Plan.GPUs) > 0:
		return len(variants)
	}
	return 1
}

// referenceFirst is the index of the reference among variants when the others need
// its results while they run (an eval asks for logprobs), else -1.
func referenceFirst(p *plan.Plan, variants []plan.Variant) int {
	if !slices.ContainsFunc(p.Evals, func(e plan.Eval) bool { return e.Logprobs > 0 }) {
		return -1
	}
	return slices.IndexFunc(variants, func(v plan.Variant) bool { return v.Reference })
}

// withDevices is v whose server sees only devices.
func withDevices(v plan.Variant, devices []string) plan.Variant {
	if len(devices) == 0 {
		return v
	}
	env := maps.Clone(v.Server.Env)
	if env == nil {
		env = map[string]string{}
	}
	env["CUDA_VISIBLE_DEVICES"] = strings.Join(devices, ",")
	v.Server.Env = env
	return v
}

// finished is a variant's end, as its goroutine reports it.
type finished struct {
	index int
	err   error
}

// runVariants runs the variants as the schedule allows and returns the names of
// those that failed; when ctx ends it waits for the running ones to stop and returns
// the interruption's error.
func (r *runner) runVariants(ctx context.Context, variants []plan.Variant) ([]string, error) {
	par := parallelism(r.o, variants)
	s := newSchedule(variants, r.p.GPUs, par, referenceFirst(r.p, variants))
	if par > 1 {
		r.progress = &lockedWriter{w: r.progress}
		if r.o.Progress != nil {
			r.o.Progress = &lockedWriter{w: r.o.Progress}
		}
	}
	done := make(chan finished)
	var failed, during []string
	stopStarting := false
	for {
		for !stopStarting && ctx.Err() == nil {
			i, devs, ok := s.next()
			if !ok {
				break
			}
			go func() { done <- finished{i, r.runOne(ctx, i, len(variants), variants[i], devs)} }()
		}
		if len(s.running) == 0 {
			break
		}
		f := <-done
		s.done(f.index)
		name := variants[f.index].Name
		switch {
		case ctx.Err() != nil:
			during = append(during, name)
		case f.err != nil:
			failed = append(failed, name)
			r.say(f.index, len(variants), name, "FAILED: %s", firstLine(f.err.Error()))
			stopStarting = stopStarting || r.o.FailFast
		}
	}
	if ctx.Err() != nil {
		if len(during) == 0 {
			during = []string{"the plan"}
		}
		return failed, r.interrupted(ctx, strings.Join(during, ", "))
	}
	for _, i := range s.pending {
		r.m.Variants[i].Status = StatusNotRun // after --fail-fast
	}
	return failed, nil
}

// runOne runs variant i (with devices) on a VariantRun of its own, published into
// the manifest at every checkpoint and at the end.
func (r *runner) runOne(ctx context.Context, i, n int, v plan.Variant, devices []string) error {
	r.st.mu.Lock()
	vr := r.m.Variants[i]
	r.st.mu.Unlock()
	vr.Devices = devices
	own := *r
	own.own, own.ownIndex = &vr, i
	err := own.variant(ctx, i, n, withDevices(v, devices), &vr)
	if serr := own.save(); serr != nil && err == nil {
		err = serr
	}
	return err
}

// snapshot is a copy of vr that shares nothing its variant's goroutine changes.
func (vr *VariantRun) snapshot() VariantRun {
	c := *vr
	c.Evals = slices.Clone(vr.Evals)
	c.Prepare = slices.Clone(vr.Prepare)
	return c
}

// lockedWriter serialises the writes of the variants running at once.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
