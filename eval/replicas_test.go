package eval

import (
	"context"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/internal/vllmtest"
)

// TestBaseURLList: --base-url given again, or as a comma list, lists the replicas;
// the first use replaces the default.
func TestBaseURLList(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"http://127.0.0.1:8000"}},
		{[]string{"--base-url", "http://a:1"}, []string{"http://a:1"}},
		{[]string{"--base-url", "http://a:1", "--base-url", "http://b:2/v1"}, []string{"http://a:1", "http://b:2/v1"}},
		{[]string{"--base-url", "http://a:1, http://b:2,", "--base-url=http://c:3"}, []string{"http://a:1", "http://b:2", "http://c:3"}},
	} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		o := Defaults()
		Register(fs, &o)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o.BaseURL, tc.want) {
			t.Errorf("%q: base URLs %q, want %q", tc.args, o.BaseURL, tc.want)
		}
		if err := o.Check(); err != nil {
			t.Errorf("%q: %v", tc.args, err)
		}
		if got := Lookup("base-url").Format(o); got != strings.Join(tc.want, ",") {
			t.Errorf("%q: shown as %q", tc.args, got)
		}
	}
	for _, bad := range [][]string{{}, {"127.0.0.1:8000"}, {"http://a:1", "http://a:1/v1"}, {"ftp://a/"}, {"http://u:sekrit@"}} {
		o := Defaults()
		o.BaseURL = bad
		err := o.Check()
		if err == nil || !strings.Contains(err.Error(), "--base-url") {
			t.Errorf("%q: error %v, want one naming --base-url", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "sekrit") {
			t.Errorf("%q: the error shows the password: %v", bad, err)
		}
	}
}

// TestRunOnReplicas: a run on two replicas uses both, every record names the replica
// that answered, and a concurrency of 2 per replica puts 4 in flight.
func TestRunOnReplicas(t *testing.T) {
	var urls []string
	var servers []*vllmtest.Server
	for range 2 {
		s, hs := vllmtest.Start(t, vllmtest.Options{})
		servers, urls = append(servers, s), append(urls, hs.URL)
	}
	o := Defaults()
	o.BaseURL, o.APIKeyEnv, o.Concurrency = urls, "", 2
	out := filepath.Join(t.TempDir(), "r.json")
	f, err := Run(context.Background(), o, Output{Path: out})
	if err != nil {
		t.Fatal(err)
	}
	if f.Params.Concurrency != 4 || f.BaseURL != strings.Join(urls, ",") {
		t.Errorf("params concurrency %d, base_url %q", f.Params.Concurrency, f.BaseURL)
	}
	seen := map[int]int{}
	for _, r := range f.Items {
		if r.Replica == nil || r.Replica.URL != urls[r.Replica.Index] {
			t.Fatalf("item %s: replica %+v", r.ID, r.Replica)
		}
		seen[r.Replica.Index]++
	}
	if seen[0] == 0 || seen[1] == 0 || servers[0].Requests()+servers[1].Requests() != len(f.Items) {
		t.Errorf("answers per replica %v, requests %d+%d for %d items", seen, servers[0].Requests(), servers[1].Requests(), len(f.Items))
	}
}

// TestReplicaWithoutTheModel: every replica must serve the model; the error names
// the replica that does not.
func TestReplicaWithoutTheModel(t *testing.T) {
	_, a := vllmtest.Start(t, vllmtest.Options{Models: []string{"m"}})
	_, b := vllmtest.Start(t, vllmtest.Options{Models: []string{"other"}})
	o := Defaults()
	o.BaseURL, o.APIKeyEnv = []string{a.URL, b.URL}, ""
	_, err := Run(context.Background(), o, Output{Path: filepath.Join(t.TempDir(), "r.json")})
	var ie *InputError
	var ue *client.UnknownModelError
	if !errors.As(err, &ie) || !errors.As(err, &ue) || !strings.Contains(err.Error(), "replica 1") {
		t.Errorf("error %v, want an input error naming replica 1", err)
	}
}
