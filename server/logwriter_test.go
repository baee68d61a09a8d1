package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quanteval/quanteval/redact"
)

// The fake vLLM prints its arguments, --api-key included, as vLLM does: the log
// and the tail in errors must show the key hidden.
func TestLogHidesTheAPIKey(t *testing.T) {
	const key = "sk-fake-server-key-123"
	spec := fakeSpec(t, "m", map[string]string{"FAKEVLLM_EXIT": "3", "FAKE_SECRET_TOKEN": "env-secret-value"})
	spec.Args = append(spec.Args, "--api-key", key)
	s := startServer(t, spec)
	err := s.WaitReady(context.Background())
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an *ExitError", err)
	}
	log, rerr := os.ReadFile(spec.Log)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if strings.Contains(string(log), key) || strings.Contains(err.Error(), key) {
		t.Errorf("the key is in the log or the error:\n%s\n%v", log, err)
	}
	if !strings.Contains(string(log), "'api_key': ['***']") || !strings.Contains(err.Error(), "'api_key': ['***']") {
		t.Errorf("the fake's args line is missing or not redacted:\n%s\n%v", log, err)
	}
	if !strings.Contains(string(log), "CUDA out of memory") {
		t.Errorf("the server's last line did not reach the log before its exit was reported:\n%s", log)
	}
}

func TestLogCopySplitSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	lc, err := startLogCopy(path, redact.New("hf_split_token_value"))
	if err != nil {
		t.Fatal(err)
	}
	w := lc.Out
	for _, part := range []string{"token: hf_split_", "token_value\nnext hf_split_tok"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // let the copy see two writes
	}
	lc.Started()
	lc.Wait(5 * time.Second)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "token: ***\nnext hf_split_tok"; string(got) != want {
		t.Errorf("log = %q, want %q (the held-back end flushed at the close)", got, want)
	}
}

func TestSecretsOfASpec(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://u:proxy-password@proxy:3128")
	spec := Spec{Kind: KindExternal, BaseURL: "http://u:base-password@10.0.0.2:8000", Env: map[string]string{"VLLM_API_KEY": "env-api-key"}}
	rd := Secrets(spec, []string{"vllm", "serve", "--api-key=argv-api-key"})
	got := rd.String("proxy-password base-password env-api-key argv-api-key")
	if got != "*** *** *** ***" {
		t.Errorf("Secrets hid %q", got)
	}
}
