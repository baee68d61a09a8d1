package matrix

import (
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/plan"
	"github.com/quanteval/quanteval/server"
)

func TestDevicePool(t *testing.T) {
	d := newDevicePool([]string{"0", "1", "MIG-a", "MIG-b"})
	steps := []struct {
		take int
		give []string
		want []string
		ok   bool
	}{
		{take: 2, want: []string{"0", "1"}, ok: true},
		{take: 3, ok: false},
		{take: 1, want: []string{"MIG-a"}, ok: true},
		{give: []string{"0", "1"}},
		{take: 4, ok: false},
		{take: 3, want: []string{"0", "1", "MIG-b"}, ok: true},
		{take: 1, ok: false},
		{give: []string{"MIG-a", "unknown"}},
		{take: 1, want: []string{"MIG-a"}, ok: true},
		{take: 0, want: []string{}, ok: true},
	}
	for k, s := range steps {
		if s.give != nil {
			d.give(s.give)
			continue
		}
		got, ok := d.take(s.take)
		if ok != s.ok || s.ok && !reflect.DeepEqual(got, s.want) {
			t.Fatalf("step %d: take(%d) = %q, %v; want %q, %v", k, s.take, got, ok, s.want, s.ok)
		}
	}
}

// variantsOf builds variants "name:gpus:port[:ref]".
func variantsOf(specs ...string) []plan.Variant {
	var out []plan.Variant
	for _, s := range specs {
		f := strings.Split(s, ":")
		v := plan.Variant{Name: f[0], Server: plan.Server{Kind: server.KindVLLM, Host: "127.0.0.1"}}
		for _, c := range f[1] {
			v.GPUs = v.GPUs*10 + int(c-'0')
		}
		for _, c := range f[2] {
			v.Server.Port = v.Server.Port*10 + int(c-'0')
		}
		if f[2] == "ext" {
			v.Server.Kind, v.Server.Port = server.KindExternal, 0
		}
		v.Reference = len(f) > 3
		out = append(out, v)
	}
	return out
}

// TestSchedule plays a schedule: each step either starts what may start (the
// variants and their devices, in order) or ends a variant.
func TestSchedule(t *testing.T) {
	type step struct {
		end    int      // >= 0: this variant ends
		starts []string // else: what starts now, "NAME=DEVICES"
	}
	start := func(s ...string) step { return step{end: -1, starts: s} }
	end := func(i int) step { return step{end: i} }
	four := []string{"0", "1", "2", "3"}
	for _, tc := range []struct {
		name     string
		variants []plan.Variant
		devices  []string
		max      int
		first    int
		steps    []step
	}{
		{"four on four GPUs", variantsOf("a:1:1", "b:1:2", "c:1:3", "d:1:4"), four, 4, -1,
			[]step{start("a=0", "b=1", "c=2", "d=3"), end(2), start(), end(0), end(1), end(3)}},
		{"max-parallel 1 is sequential in order", variantsOf("a:1:1", "b:1:2", "c:1:3"), four, 1, -1,
			[]step{start("a=0"), end(0), start("b=0"), end(1), start("c=0"), end(2), start()}},
		{"no GPUs declared: one at a time", variantsOf("a:0:1", "b:0:2"), nil, 1, -1,
			[]step{start("a="), end(0), start("b=")}},
		{"a smaller variant fills in", variantsOf("a:2:1", "b:4:2", "c:1:3", "d:1:4"), four, 4, -1,
			[]step{start("a=0,1", "c=2", "d=3"), end(0), start(), end(2), end(3), start("b=0,1,2,3")}},
		{"same port never together", variantsOf("a:1:8000", "b:1:8000", "c:1:8001"), four, 4, -1,
			[]step{start("a=0", "c=1"), end(0), start("b=0")}},
		{"external needs no GPU", variantsOf("a:4:1", "x:0:ext", "y:0:ext"), four, 4, -1,
			[]step{start("a=0,1,2,3", "x=", "y=")}},
		{"the reference runs alone first", variantsOf("a:1:1", "b:1:2", "ref:1:3:ref"), four, 4, 2,
			[]step{start("ref=0"), start(), end(2), start("a=0", "b=1")}},
	} {
		s := newSchedule(tc.variants, tc.devices, tc.max, tc.first)
		for k, st := range tc.steps {
			if st.end >= 0 {
				s.done(st.end)
				continue
			}
			var got []string
			for {
				i, devs, ok := s.next()
				if !ok {
					break
				}
				got = append(got, tc.variants[i].Name+"="+strings.Join(devs, ","))
			}
			if len(got) != len(st.starts) || len(got) > 0 && !reflect.DeepEqual(got, st.starts) {
				t.Errorf("%s: step %d: started %q, want %q", tc.name, k, got, st.starts)
				break
			}
		}
	}
}

func TestParallelism(t *testing.T) {
	vs := variantsOf("a:1:1", "b:1:2", "c:1:3")
	for _, tc := range []struct {
		flag, planMax int
		gpus          []string
		want          int
	}{
		{0, 0, nil, 1},
		{0, 0, []string{"0", "1"}, 3},
		{0, 2, []string{"0", "1", "2"}, 2},
		{1, 2, []string{"0", "1", "2"}, 1},
		{3, 0, nil, 3},
	} {
		o := Options{MaxParallel: tc.flag, Plan: &plan.Plan{MaxParallel: tc.planMax, GPUs: tc.gpus}}
		if got := parallelism(o, vs); got != tc.want {
			t.Errorf("flag %d, plan %d, gpus %q: %d at once, want %d", tc.flag, tc.planMax, tc.gpus, got, tc.want)
		}
	}
	p := &plan.Plan{Evals: []plan.Eval{{}}}
	withRef := variantsOf("a:1:1", "ref:1:2:ref")
	if got := referenceFirst(p, withRef); got != -1 {
		t.Errorf("reference first without logprobs: %d", got)
	}
	p.Evals = append(p.Evals, plan.Eval{})
	p.Evals[1].Logprobs = 5
	if got := referenceFirst(p, withRef); got != 1 {
		t.Errorf("reference first with logprobs: %d, want 1", got)
	}
	if got := referenceFirst(p, vs); got != -1 {
		t.Errorf("no reference: %d", got)
	}
}
