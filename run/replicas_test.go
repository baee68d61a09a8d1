package run

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/result"
)

// numberSet is n items "What is i + 1?" answered i+1.
func numberSet(n int) *evalset.Set {
	set := &evalset.Set{Name: "numbers", SHA256: "x"}
	for i := range n {
		set.Items = append(set.Items, evalset.Item{ID: fmt.Sprintf("n%05d", i), Type: evalset.TypeNumber,
			Prompt: fmt.Sprintf("What is %d + 1?", i), Answer: float64(i + 1)})
	}
	return set
}

// numberAnswers answers "What is i + 1?" right, except every seventh, so that the
// summary has both.
func numberAnswers(req vllmtest.ChatRequest) vllmtest.Reply {
	var i int
	fmt.Sscanf(req.LastUser(), "What is %d + 1?", &i)
	a := fmt.Sprint(i + 1)
	if i%7 == 0 {
		a = "no idea"
	}
	return vllmtest.Reply{Content: vllmtest.Text(a)}
}

// dyingReplica is a stand-in that answers its first `after` chat requests and then
// dies: the requests it holds are dropped and every later one (and any other path)
// has its connection closed.
func dyingReplica(t *testing.T, opts vllmtest.Options, after int64) (*vllmtest.Server, *httptest.Server) {
	t.Helper()
	s := vllmtest.New(opts)
	var n atomic.Int64
	var dead atomic.Bool
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" && n.Add(1) == after {
			dead.Store(true)
			s.Close() // drops what it holds, this request among them
		}
		if dead.Load() && r.URL.Path == "/v1/chat/completions" {
			panic(http.ErrAbortHandler)
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	t.Cleanup(s.Close)
	return s, hs
}

// TestReplicasGiveTheSameResult: one set on one stand-in and on three, one of which
// dies mid-run, gives the same items and summary (timings and the replica aside),
// with no retries allowed: the items the dead replica held moved without counting
// as attempts.
func TestReplicasGiveTheSameResult(t *testing.T) {
	for _, noStream := range []bool{false, true} {
		t.Run(fmt.Sprintf("no-stream=%v", noStream), func(t *testing.T) { replicasSameResult(t, noStream) })
	}
}

func replicasSameResult(t *testing.T, noStream bool) {
	const items = 120
	opts := vllmtest.Options{Answer: numberAnswers, Delay: 2 * time.Millisecond}
	run := func(urls []string) *result.File {
		t.Helper()
		pool, err := client.NewPool(urls, client.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{BaseURL: urls[0], Model: "test-model", Concurrency: 4 * len(urls), Timeout: 5 * time.Second, Retries: 0, NoStream: noStream}
		f, err := EvaluateWith(context.Background(), cfg, numberSet(items), pool, "")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	_, one := vllmtest.Start(t, opts)
	single := run([]string{one.URL})

	a, ha := vllmtest.Start(t, opts)
	dying, hb := dyingReplica(t, opts, 15)
	c, hc := vllmtest.Start(t, opts)
	three := run([]string{ha.URL, hb.URL, hc.URL})

	if dying.Requests() != 14 || a.Requests() == 0 || c.Requests() == 0 {
		t.Fatalf("requests per replica %d, %d, %d: want 14 on the dying one, some on the others", a.Requests(), dying.Requests(), c.Requests())
	}
	byReplica := map[int]int{}
	for _, r := range three.Items {
		if r.Replica == nil {
			t.Fatalf("item %s names no replica", r.ID)
		}
		byReplica[r.Replica.Index]++
	}
	if byReplica[1] >= 15 || byReplica[0] == 0 || byReplica[2] == 0 {
		t.Errorf("answers per replica %v: replica 1 died at its 15th request", byReplica)
	}
	if got, want := comparable(three), comparable(single); !reflect.DeepEqual(got, want) {
		t.Errorf("three replicas differ from one:\n got %+v\nwant %+v", got.Summary, want.Summary)
		for i := range want.Items {
			if i < len(got.Items) && !reflect.DeepEqual(got.Items[i], want.Items[i]) {
				t.Errorf("first difference: %+v\n vs %+v", got.Items[i], want.Items[i])
				break
			}
		}
	}
}

// comparable is f with what may differ between runs on different replicas cleared:
// timings, latencies, the replica, and the parameters that say how many were used.
func comparable(f *result.File) *result.File {
	g := *f
	g.Items = nil
	for _, r := range f.Items {
		r.LatencyMS, r.Timing, r.Replica = 0, nil, nil
		g.Items = append(g.Items, r)
	}
	g.Summary.Timing = nil
	return &result.File{Items: g.Items, Summary: g.Summary, Complete: g.Complete}
}
