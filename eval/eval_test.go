package eval

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/evalset"
	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/run"
)

// TestEveryFieldHasOneSetting: a field of Options without a row in Settings would be
// an option that no flag, plan key or dry run knows.
func TestEveryFieldHasOneSetting(t *testing.T) {
	var o Options
	rows := map[uintptr]string{}
	for _, s := range Settings {
		p := reflect.ValueOf(s.field(&o)).Pointer()
		if other, dup := rows[p]; dup {
			t.Errorf("--%s and --%s set the same field", s.Flag, other)
		}
		rows[p] = s.Flag
	}
	v := reflect.ValueOf(&o).Elem()
	for i := 0; i < v.NumField(); i++ {
		if _, ok := rows[v.Field(i).Addr().Pointer()]; !ok {
			t.Errorf("Options.%s has no row in Settings", v.Type().Field(i).Name)
		}
	}
	if len(Settings) != v.NumField() {
		t.Errorf("%d settings for %d fields", len(Settings), v.NumField())
	}
}

func TestKeysAndLookup(t *testing.T) {
	for _, s := range Settings {
		if strings.ContainsAny(s.Flag, "_ ") || s.Flag != strings.ToLower(s.Flag) {
			t.Errorf("flag %q: want lower case words joined by -", s.Flag)
		}
		if got := Lookup(s.Key()); got == nil || got.Flag != s.Flag {
			t.Errorf("Lookup(%q) = %v", s.Key(), got)
		}
		if s.Help == "" || s.Arg == "" && s.Kind() != Bool {
			t.Errorf("--%s: no help or no argument name", s.Flag)
		}
	}
	if Lookup("max_tokens").Key() != "max_tokens" || Lookup("fewshot_file") == nil || Lookup("nope") != nil {
		t.Error("Lookup")
	}
	keys := strings.Join(PlanKeys(), ",")
	if strings.Contains(keys, "base_url") || strings.Contains(keys, "model") || !strings.Contains(keys, "fewshot_file") {
		t.Errorf("plan keys %s: want no base_url or model (the variant's), and fewshot_file", keys)
	}
}

// TestFlags: every setting read from its flag, with the syntax of its kind.
func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := Defaults()
	Register(fs, &o)
	err := fs.Parse([]string{"--base-url", "http://h:1", "--model", "m", "--evalset", "gsm8k", "--concurrency", "8",
		"--max-tokens", "100", "--temperature", "0.7", "--timeout", "2.5", "--retries", "0", "--seed", "0",
		"--system", "", "--extra-body", `{"top_k":1}`, "--api-key-env", "K", "--limit", "5", "--logprobs", "3",
		"--task", "mmlu", "--sample", "9", "--sample-seed", "4", "--fewshot", "2", "--revision", "v1", "--fewshot-file", "dev.parquet", "--stream=false"})
	if err != nil {
		t.Fatal(err)
	}
	zero, none, no := int64(0), "", false
	want := Options{BaseURL: []string{"http://h:1"}, Model: "m", Evalset: "gsm8k", Concurrency: 8, MaxTokens: 100, Temperature: 0.7,
		Timeout: 2500 * time.Millisecond, Retries: 0, Seed: &zero, System: &none, ExtraBody: json.RawMessage(`{"top_k":1}`),
		APIKeyEnv: "K", Limit: 5, Logprobs: 3, Task: "mmlu", Sample: 9, SampleSeed: 4, Fewshot: 2, Revision: "v1", FewshotFile: "dev.parquet", Stream: &no}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("options\n got %+v\nwant %+v", o, want)
	}
	if err := o.Check(); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{{"--seed", "1.5"}, {"--timeout", "soon"}, {"--concurrency", "four"}, {"--temperature", "hot"},
		{"--timeout", "NaN"}, {"--timeout", "Inf"}, {"--timeout", "-Inf"}, {"--timeout", "1e300"}, {"--timeout", "86401"}} {
		if err := fs.Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestFormatParse: each setting's default, written as the flag takes it, reads back.
func TestFormatParse(t *testing.T) {
	seed, sys, no := int64(-3), "be brief", false
	o := Defaults()
	o.Stream, o.UnsafeExec = &no, &no
	o.Seed, o.System, o.Timeout, o.ExtraBody, o.Temperature = &seed, &sys, 90*time.Second, json.RawMessage(`{"a":[1]}`), 0.25
	for i := range Settings {
		s := &Settings[i]
		v, err := s.Parse(s.Format(o))
		if err != nil {
			t.Errorf("--%s %q: %v", s.Flag, s.Format(o), err)
			continue
		}
		if got, want := v, s.Value(o); !reflect.DeepEqual(got, want) && !(want == nil && v == "") {
			t.Errorf("--%s: %q reads back as %#v, want %#v", s.Flag, s.Format(o), got, want)
		}
	}
	if got := Lookup("timeout").Format(o); got != "90" {
		t.Errorf("timeout shown as %q, want seconds", got)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string // "" for no error
	}{
		{"defaults", func(*Options) {}, ""},
		{"no retries", func(o *Options) { o.Retries = 0 }, ""},
		{"negative retries", func(o *Options) { o.Retries = -1 }, "--retries: must be at least 0 (got -1)"},
		{"zero concurrency", func(o *Options) { o.Concurrency = 0 }, "--concurrency: must be at least 1 (got 0)"},
		{"negative concurrency", func(o *Options) { o.Concurrency = -8 }, "--concurrency: must be at least 1 (got -8)"},
		{"concurrency at the cap", func(o *Options) { o.Concurrency = MaxConcurrency }, ""},
		{"absurd concurrency", func(o *Options) { o.Concurrency = 1 << 40 }, "--concurrency: must be at most 4096 (got 1099511627776)"},
		{"absurd retries", func(o *Options) { o.Retries = 1e9 }, "--retries: must be at most 100 (got 1000000000)"},
		{"NaN temperature", func(o *Options) { o.Temperature = math.NaN() }, "--temperature: want a finite number (got NaN)"},
		{"infinite temperature", func(o *Options) { o.Temperature = math.Inf(1) }, "--temperature: want a finite number (got +Inf)"},
		{"negative temperature", func(o *Options) { o.Temperature = -0.5 }, "--temperature: must be 0 or more (got -0.5)"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "--timeout: must be positive"},
		{"timeout at the cap", func(o *Options) { o.Timeout = MaxTimeout }, ""},
		{"timeout beyond the cap", func(o *Options) { o.Timeout = MaxTimeout + time.Second }, "--timeout: must be at most 86400 seconds (24h)"},
		{"negative max tokens", func(o *Options) { o.MaxTokens = -1 }, "--max-tokens: must be at least 0 (got -1)"},
		{"zero timeout", func(o *Options) { o.Timeout = 0 }, "--timeout: must be positive"},
		{"logprobs 20", func(o *Options) { o.Logprobs = 20 }, ""},
		{"logprobs 21", func(o *Options) { o.Logprobs = 21 }, "--logprobs: must be between 0 and 20"},
		{"negative limit", func(o *Options) { o.Limit = -1 }, "--limit: must be at least 0"},
		{"max tokens 0 is the set's", func(o *Options) { o.MaxTokens = 0 }, ""},
		{"extra body a list", func(o *Options) { o.ExtraBody = json.RawMessage(`[1]`) }, "--extra-body: want a JSON object"},
		{"extra body not JSON", func(o *Options) { o.ExtraBody = json.RawMessage(`{`) }, "--extra-body: want a JSON object"},
		{"extra body null", func(o *Options) { o.ExtraBody = json.RawMessage(`null`) }, ""},
		{"extra body of the server's own keys", func(o *Options) {
			o.ExtraBody = json.RawMessage(`{"top_k":1,"chat_template_kwargs":{"enable_thinking":false}}`)
		}, ""},
		{"extra body sets max_tokens", func(o *Options) { o.ExtraBody = json.RawMessage(`{"max_tokens":9}`) }, `--extra-body: "max_tokens" is set by quanteval: use --max-tokens instead`},
		{"extra body sets max_completion_tokens", func(o *Options) { o.ExtraBody = json.RawMessage(`{"max_completion_tokens":9}`) }, `"max_completion_tokens" is set by quanteval: use --max-tokens instead`},
		{"extra body sets the model", func(o *Options) { o.ExtraBody = json.RawMessage(`{"top_k":1,"model":"x"}`) }, `"model" is set by quanteval: use --model instead`},
		{"extra body sets the temperature", func(o *Options) { o.ExtraBody = json.RawMessage(`{"temperature":1}`) }, `use --temperature instead`},
		{"extra body sets the seed", func(o *Options) { o.ExtraBody = json.RawMessage(`{"seed":1}`) }, `use --seed instead`},
		{"extra body sets top_logprobs", func(o *Options) { o.ExtraBody = json.RawMessage(`{"top_logprobs":1}`) }, `use --logprobs instead`},
		{"extra body streams", func(o *Options) { o.ExtraBody = json.RawMessage(`{"stream":true}`) }, `--extra-body: "stream" is set by quanteval and cannot be changed`},
		{"extra body sets messages", func(o *Options) { o.ExtraBody = json.RawMessage(`{"messages":[]}`) }, `"messages" is set by quanteval and cannot be changed`},
		{"extra body asks for n", func(o *Options) { o.ExtraBody = json.RawMessage(`{"n":4}`) }, `"n" is set by quanteval`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Defaults()
			tc.edit(&o)
			err := o.Check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			case err != nil:
				if _, ok := err.(*InputError); !ok {
					t.Errorf("%T is not an *InputError: the command would not exit 2", err)
				}
			}
		})
	}
}

// TestConfig: the set's own defaults apply unless the options give them, and a
// standard data set sends no system message by default.
func TestConfig(t *testing.T) {
	t.Setenv("QE_TEST_KEY", "sk-test")
	thousand, frozen, mine := 1024, "Be a story teller.", "mine"
	plain := &evalset.Set{}
	own := &evalset.Set{MaxTokens: 48, System: &frozen}
	standard := &evalset.Set{MaxTokens: thousand, Source: &evalset.Source{}}
	for _, tc := range []struct {
		name       string
		set        *evalset.Set
		edit       func(*Options)
		maxTokens  int
		system     *string
		wantAPIKey string
	}{
		{"builtin", plain, func(*Options) {}, DefaultMaxTokens, nil, ""},
		{"set's own defaults", own, func(*Options) {}, 48, &frozen, ""},
		{"options win", own, func(o *Options) { o.MaxTokens, o.System = 10, &mine }, 10, &mine, ""},
		{"standard set", standard, func(*Options) {}, thousand, new(string), ""},
		{"standard set, system given", standard, func(o *Options) { o.System = &mine }, thousand, &mine, ""},
		{"api key from its variable", plain, func(o *Options) { o.APIKeyEnv = "QE_TEST_KEY" }, DefaultMaxTokens, nil, "sk-test"},
		{"no variable", plain, func(o *Options) { o.APIKeyEnv = "" }, DefaultMaxTokens, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Defaults()
			tc.edit(&o)
			cfg := o.config(tc.set)
			if cfg.MaxTokens != tc.maxTokens || !reflect.DeepEqual(cfg.System, tc.system) || cfg.APIKey != tc.wantAPIKey {
				t.Errorf("max_tokens %d system %v key %q; want %d %v %q", cfg.MaxTokens, deref(cfg.System), cfg.APIKey, tc.maxTokens, deref(tc.system), tc.wantAPIKey)
			}
			if cfg.Retries != o.Retries || cfg.Timeout != o.Timeout || cfg.Concurrency != o.Concurrency {
				t.Errorf("retries/timeout/concurrency not passed on: %+v", cfg)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestResultPath(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"qwen3_32b_accuracy_suite_v1", "Qwen/Qwen3-32B"}: "results/qwen3_32b_accuracy_suite_v1__Qwen_Qwen3-32B.json",
		{"gsm8k", "RedHatAI/Qwen3-32B-NVFP4"}:             "results/gsm8k__RedHatAI_Qwen3-32B-NVFP4.json",
		{"mmlu:a,b", "tiny:q4_K_M"}:                       "results/mmlu_a_b__tiny_q4_K_M.json",
		{"../..", ""}:                                     "results/x__x.json",
	} {
		if got := ResultPath(in[0], in[1]); got != want {
			t.Errorf("ResultPath(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

// TestSetChecksPlanValues: a plan's value goes through Set, which checks it as the flag's
// value is checked, NaN included (YAML writes it .nan).
func TestSetChecksPlanValues(t *testing.T) {
	for _, tc := range []struct {
		key  string
		v    any
		want string
	}{
		{"temperature", math.NaN(), "want a finite number"},
		{"temperature", math.Inf(-1), "want a finite number"},
		{"concurrency", int64(5000), "must be at most 4096 (got 5000)"},
		{"timeout", 25 * time.Hour, "must be at most 86400 seconds"},
		{"extra_body", json.RawMessage(`{"stream_options":{}}`), `"stream_options" is set by quanteval`},
		{"temperature", 0.6, ""},
	} {
		o := Defaults()
		err := Lookup(tc.key).Set(&o, tc.v)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s = %v: error %v, want %q", tc.key, tc.v, err, tc.want)
		}
	}
}

// TestUnknownModel: a --model the server does not list stops before the first chat
// request, as an input error naming what the server lists; a listed one runs.
func TestUnknownModel(t *testing.T) {
	srv, hs := vllmtest.Start(t, vllmtest.Options{Models: []string{"org/Model-FP8", "org/Model"}})
	o := Defaults()
	o.BaseURL, o.Model, o.Evalset, o.Limit = []string{hs.URL}, "org/Model-NVFP4", evalset.DefaultSuite, 2
	out := filepath.Join(t.TempDir(), "r.json")
	_, err := Run(context.Background(), o, Output{Path: out})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `--model: the server does not serve model "org/Model-NVFP4": it lists org/Model-FP8, org/Model`) {
		t.Fatalf("err = %v, want an input error naming the models listed", err)
	}
	if srv.Requests() != 0 {
		t.Errorf("%d chat requests sent for a model the server does not serve", srv.Requests())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a result was written: %v", err)
	}
	o.Model = "org/Model"
	if f, err := Run(context.Background(), o, Output{Path: out}); err != nil || f.Summary.Count != 2 {
		t.Fatalf("listed model: %v", err)
	}
}

// TestKeyRefused: a server that refuses the key says so, whether the model list or
// the chat requests meet the refusal first.
func TestKeyRefused(t *testing.T) {
	_, hs := vllmtest.Start(t, vllmtest.Options{APIKey: "sk-right"})
	t.Setenv("QE_TEST_KEY", "sk-wrong")
	for _, model := range []string{"", "test-model"} {
		o := Defaults()
		o.BaseURL, o.Model, o.APIKeyEnv, o.Retries = []string{hs.URL}, model, "QE_TEST_KEY", 0
		_, err := Run(context.Background(), o, Output{Path: filepath.Join(t.TempDir(), "r.json")})
		if !errors.Is(err, run.ErrKeyRefused) || !strings.Contains(err.Error(), "the server refused the API key (HTTP 401): set it with --api-key-env / OPENAI_API_KEY") {
			t.Errorf("--model %q: err = %v, want the key refused", model, err)
		}
		if strings.Contains(err.Error(), "sk-wrong") {
			t.Errorf("the key is in the error: %v", err)
		}
	}
}
