package eval

import (
	"errors"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/shard"
)

func TestShardSpec(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(name string) (string, bool) {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == name {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	for _, tc := range []struct {
		shard   string
		count   int
		env     func(string) (string, bool)
		want    *shard.Spec
		wantErr string
	}{
		{"", 0, env(), nil, ""},
		{"1/4", 0, env(), &shard.Spec{Index: 1, Count: 4}, ""},
		{"1/4", 4, env(), &shard.Spec{Index: 1, Count: 4}, ""},
		{"1/4", 8, env(), nil, "disagree"},
		{"auto", 8, env("JOB_COMPLETION_INDEX", "3"), &shard.Spec{Index: 3, Count: 8}, ""},
		{"auto", 0, env("JOB_COMPLETION_INDEX", "3"), nil, "--shard-count"},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "4"), &shard.Spec{Index: 2, Count: 4}, ""},
		{"auto", 0, env(), nil, "neither JOB_COMPLETION_INDEX"},
		{"", 4, env(), nil, "--shard-count is given without --shard"},
	} {
		o := Defaults()
		o.Shard, o.ShardCount = tc.shard, tc.count
		got, err := o.ShardSpec(tc.env)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, new(*InputError)) {
				t.Errorf("%q/%d: err = %v, want an *InputError with %q", tc.shard, tc.count, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%q/%d: %v", tc.shard, tc.count, err)
		case (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want:
			t.Errorf("%q/%d: got %v, want %v", tc.shard, tc.count, got, tc.want)
		}
	}
}

// The flag's syntax is checked with every other option, before anything starts.
func TestShardFlagChecked(t *testing.T) {
	for _, tc := range []struct {
		shard string
		count int
		want  string
	}{
		{"4/4", 0, "--shard"},
		{"two", 0, "--shard"},
		{"-1/4", 0, "--shard"},
		{"auto", -1, "--shard-count"},
		{"auto", shard.MaxCount + 1, "--shard-count"},
	} {
		o := Defaults()
		o.Shard, o.ShardCount = tc.shard, tc.count
		err := o.Check()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want+":") {
			t.Errorf("%q/%d: err = %v, want one naming %s", tc.shard, tc.count, err, tc.want)
		} else if tc.want == "--shard" && strings.Count(err.Error(), "--shard") != 1 {
			t.Errorf("%q: %v names the flag more than once", tc.shard, err)
		}
	}
	o := Defaults()
	o.Shard = "auto"
	if err := o.Check(); err != nil {
		t.Errorf("auto: %v", err)
	}
}
