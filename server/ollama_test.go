package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeOllamaEnv makes the test binary, started as a server's command, behave like
// `ollama serve`: it listens on OLLAMA_HOST, answers "Ollama is running" on / and
// {"version":"0.0.0"} on /api/version, and lists in /v1/models the files of the
// folder OLLAMA_MODELS (which it creates, as Ollama does), so that a test "creates"
// a model by writing a file there and learns the child got the variable.
const fakeOllamaEnv = "QUANTEVAL_FAKE_OLLAMA"

func fakeOllama() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "fake ollama:", err)
		os.Exit(1)
	}
	if len(os.Args) != 2 || os.Args[1] != "serve" {
		fail(fmt.Errorf("want the arguments [serve], got %q", os.Args[1:]))
	}
	host, store := os.Getenv("OLLAMA_HOST"), os.Getenv("OLLAMA_MODELS")
	if host == "" || store == "" {
		fail(fmt.Errorf("OLLAMA_HOST=%q OLLAMA_MODELS=%q: want both set", host, store))
	}
	if err := os.MkdirAll(store, 0o755); err != nil {
		fail(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "Ollama is running") })
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"version":"0.0.0"}`) })
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		type model struct {
			ID string `json:"id"`
		}
		var data []model // null when empty, as Ollama says it
		entries, _ := os.ReadDir(store)
		for _, e := range entries {
			data = append(data, model{ID: e.Name()})
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
	})
	fmt.Printf("time=%s level=INFO msg=\"Listening on %s (version 0.0.0)\"\n", time.Now().Format(time.RFC3339), host)
	fail(http.ListenAndServe(host, mux))
}

func TestOllamaEnv(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want map[string]string
	}{
		{"state dir", Spec{Kind: KindOllama, Model: "tiny:f16", Port: 11439, StateDir: "/runs/tiny", Log: "/runs/tiny/logs/F16.log"},
			map[string]string{"OLLAMA_HOST": "127.0.0.1:11439", "OLLAMA_MODELS": "/runs/tiny/ollama-models"}},
		{"beside the log", Spec{Kind: KindOllama, Model: "tiny:f16", Host: "::1", Port: 11439, Log: "/runs/tiny/logs/F16.log"},
			map[string]string{"OLLAMA_HOST": "[::1]:11439", "OLLAMA_MODELS": "/runs/tiny/logs/ollama-models"}},
		{"user's variables kept, and win", Spec{Kind: KindOllama, Model: "m", StateDir: "/o", Env: map[string]string{"OLLAMA_NUM_PARALLEL": "1", "OLLAMA_HOST": "127.0.0.1:9"}},
			map[string]string{"OLLAMA_HOST": "127.0.0.1:9", "OLLAMA_MODELS": "/o/ollama-models", "OLLAMA_NUM_PARALLEL": "1"}},
		{"vllm adds none", Spec{Kind: KindVLLM, Model: "m", StateDir: "/o"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spec.AddedEnv(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AddedEnv() = %v, want %v", got, tt.want)
			}
		})
	}
	// A relative store is made absolute: the server and the prepare commands must
	// agree on it whatever their working directory.
	got := Spec{Kind: KindOllama, Model: "m", StateDir: "results/tiny"}.AddedEnv()["OLLAMA_MODELS"]
	if !filepath.IsAbs(got) || !strings.HasSuffix(got, filepath.Join("results", "tiny", "ollama-models")) {
		t.Errorf("relative state dir: OLLAMA_MODELS = %q, want an absolute .../results/tiny/ollama-models", got)
	}
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Model: "Qwen/Qwen3-32B"}, `GET http://127.0.0.1:8000/health = 200 and GET /v1/models lists "Qwen/Qwen3-32B"`},
		{Spec{Kind: KindOllama, Model: "tiny:f16", Port: 11439}, `GET http://127.0.0.1:11439/ = 200; after the prepare commands, GET /v1/models lists "tiny:f16"`},
		{Spec{Kind: KindExternal, Model: "m", BaseURL: "http://h:1/v1"}, `GET http://h:1/v1/models lists "m"`},
	}
	for _, tt := range tests {
		if got := tt.spec.Readiness(); got != tt.want {
			t.Errorf("%s: Readiness() = %s, want %s", tt.spec.kind(), got, tt.want)
		}
	}
	if !(Spec{Kind: KindOllama}).ModelLater() || (Spec{Kind: KindVLLM}).ModelLater() {
		t.Error("ModelLater: want true for ollama only")
	}
}

// TestOllamaReadyBeforeModel starts the stand-in `ollama serve`: it is ready with no
// model listed, the model appears once "created" in the store the child was given,
// and the stop leaves nothing.
func TestOllamaReadyBeforeModel(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	spec := Spec{
		Kind:         KindOllama,
		Command:      []string{self, "serve"},
		Model:        "tiny",
		Port:         freePort(t),
		Env:          map[string]string{fakeOllamaEnv: "1", "OLLAMA_NUM_PARALLEL": "1"},
		Log:          filepath.Join(dir, "logs", "tiny.log"),
		StateDir:     dir,
		ReadyTimeout: time.Minute,
		StopGrace:    5 * time.Second,
		PollInterval: 20 * time.Millisecond,
	}
	if err := os.MkdirAll(filepath.Dir(spec.Log), 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, spec)
	ctx := context.Background()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady with no model yet: %v", err)
	}
	if err := s.ModelListed(ctx); err == nil || !strings.Contains(err.Error(), `model "tiny" not listed`) {
		t.Errorf("ModelListed before the model is made: err = %v", err)
	}
	// What `ollama create tiny` would leave in the store: Ollama lists it as tiny:latest.
	if err := os.WriteFile(filepath.Join(dir, OllamaModelsDir, "tiny:latest"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.ModelListed(ctx); err != nil {
		t.Errorf("ModelListed after the model is made: %v", err)
	}
	if v, err := s.Version(ctx); err != nil || v != "0.0.0" {
		t.Errorf("Version() = %q, %v; want 0.0.0 from /api/version", v, err)
	}
	pid := s.PID()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !gone(pid) || len(GroupPIDs(pid)) != 0 {
		t.Errorf("process group %d still alive: %v", pid, GroupPIDs(pid))
	}
	log, err := os.ReadFile(spec.Log)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Listening on 127.0.0.1:" + fmt.Sprint(spec.Port); !strings.Contains(string(log), want) {
		t.Errorf("log lacks %q (OLLAMA_HOST not passed?):\n%s", want, log)
	}
}
