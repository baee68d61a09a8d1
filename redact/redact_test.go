package redact

import (
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestIsSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"HF_TOKEN": true, "OPENAI_API_KEY": true, "API_KEY": true, "my_secret_x": true,
		"DB_PASSWORD": true, "--api-key": true, "--hf-token": true, "HF_HOME": false,
		"CUDA_VISIBLE_DEVICES": false, "KEYCLOAK_URL": false, "--port": false,
		"--token": true, "HUGGING_FACE_HUB_TOKEN": true, "GITHUB_TOKEN": true, "hftoken": true,
		"MAX_TOKENS": false, "--max-num-batched-tokens": false, "--tokenizer": false,
		"--skip-tokenizer-init": false, "--return-tokens-as-token-ids": false,
	} {
		if got := IsSecret(name); got != want {
			t.Errorf("IsSecret(%q) = %v, want %v", name, got, want)
		}
	}
	env := Env(map[string]string{"HF_TOKEN": "hf_abc", "HF_HOME": "/data"})
	if env["HF_TOKEN"] != "***" || env["HF_HOME"] != "/data" {
		t.Errorf("RedactEnv = %v", env)
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name       string
		args, want []string
	}{
		{"flags", []string{"--api-key", "sk-1", "--port", "8000", "--hf-token=hf_x", "--enforce-eager", "--api-key"},
			[]string{"--api-key", "***", "--port", "8000", "--hf-token=***", "--enforce-eager", "--api-key"}},
		{"a value that starts with a dash", []string{"--api-key", "-dashkey", "--port", "8000"},
			[]string{"--api-key", "***", "--port", "8000"}},
		{"docker -e", []string{"docker", "run", "-e", "HF_TOKEN=hf_leak", "-e", "HF_HOME=/data", "img"},
			[]string{"docker", "run", "-e", "HF_TOKEN=***", "-e", "HF_HOME=/data", "img"}},
		{"env", []string{"env", "OPENAI_API_KEY=sk-2", "my_password=pw", "vllm", "serve"},
			[]string{"env", "OPENAI_API_KEY=***", "my_password=***", "vllm", "serve"}},
		{"counts of tokens are not secrets", []string{"--skip-tokenizer-init", "--max-num-batched-tokens", "8192", "MAX_TOKENS=5", "--port", "1"},
			[]string{"--skip-tokenizer-init", "--max-num-batched-tokens", "8192", "MAX_TOKENS=5", "--port", "1"}},
		{"not an assignment", []string{"--extra", `{"token=x": 1}`, "a=b"},
			[]string{"--extra", `{"token=x": 1}`, "a=b"}},
		{"shell script", []string{"sh", "-c", `HF_TOKEN=hf_a huggingface-cli download --token hf_b repo; export API_KEY='a b'&& run --api-key=sk-c --token "$HF_TOKEN" HF_TOKEN=$T`},
			[]string{"sh", "-c", `HF_TOKEN=*** huggingface-cli download --token *** repo; export API_KEY=***&& run --api-key=*** --token "$HF_TOKEN" HF_TOKEN=$T`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]string(nil), tt.args...)
			if got := Args(in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Args(%q)\n = %q\nwant %q", tt.args, got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.args) {
				t.Error("RedactArgs changed its input")
			}
		})
	}
}

func TestError(t *testing.T) {
	argv := []string{"HF_TOKEN=hf_leak", "true"}
	_, err := exec.LookPath(argv[0])
	got := Error(fmt.Errorf("starting: %w", err), argv)
	if got == nil || strings.Contains(got.Error(), "hf_leak") || !strings.Contains(got.Error(), `"HF_TOKEN=***"`) {
		t.Errorf("RedactError = %v", got)
	}
	plain := errors.New("exit status 1")
	if Error(plain, argv) != plain {
		t.Error("an error without a secret was not returned as it is")
	}
}

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pw1@10.0.0.2:8000/v1": "http://user:xxxxx@10.0.0.2:8000/v1",
		"http://10.0.0.2:8000":             "http://10.0.0.2:8000",
		"http://u:pw2@h x/":                "xxxxx@h x/", // no URL: everything before the @ goes
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactorHidesKnownValues(t *testing.T) {
	r := New("sk-long-secret", "", "sk-long")
	tests := []struct{ in, want string }{
		{"key sk-long-secret and sk-long", "key *** and ***"}, // the longer value is hidden whole
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	args := r.Args([]string{"serve", "--model=sk-long-secret", "--api-key", "other"})
	if want := []string{"serve", "--model=***", "--api-key", "***"}; !reflect.DeepEqual(args, want) {
		t.Errorf("Args = %q, want %q", args, want)
	}
	env := r.Env(map[string]string{"URL": "http://x/?k=sk-long", "HF_TOKEN": "t"})
	if env["URL"] != "http://x/?k=***" || env["HF_TOKEN"] != "***" {
		t.Errorf("Env = %v", env)
	}
	err := r.Error(errors.New("refused key sk-long-secret"), nil)
	if err.Error() != "refused key ***" {
		t.Errorf("Error = %v", err)
	}
	var none *Redactor
	if got := none.String("sk-long-secret"); got != "sk-long-secret" {
		t.Errorf("a nil Redactor changed %q", got)
	}
}
