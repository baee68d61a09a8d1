package redact

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestIsSecretNames(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"OPENAI_API_KEY", true}, {"SSH_KEY", true}, {"ssh_key", true}, {"KEY", true},
		{"SMTP_PASS", true}, {"PASS", true}, {"DB_PASSWORD", true}, {"MYSQL_PASSWD", true}, {"PASSWD", true},
		{"AWS_SECRET_ACCESS_KEY", true}, {"CLIENT_SECRET", true}, {"GITHUB_TOKEN", true},
		{"GOOGLE_APPLICATION_CREDENTIALS", true}, {"DOCKER_CREDENTIAL", true}, {"AZURE_APIKEY", true},
		{"--api-key", true}, {"--hf-token", true}, {"--db.password", true}, {"api_key", true}, {"sig", false},
		// not secrets: a word that merely contains KEY or PASS, counts of tokens
		{"KEYCLOAK_URL", false}, {"KEY_FILE_DIR", false}, {"BYPASS", false}, {"PASSTHROUGH", false},
		{"MONKEY", false}, {"HF_HOME", false}, {"MAX_TOKENS", false}, {"--max-num-batched-tokens", false},
		{"--tokenizer", false}, {"--return-tokens-as-token-ids", false}, {"--port", false}, {"--ssl-keyfile", false},
	}
	for _, tt := range tests {
		if got := IsSecret(tt.name); got != tt.want {
			t.Errorf("IsSecret(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestArgsByForm(t *testing.T) {
	tests := []struct {
		name       string
		args, want []string
		found      []string
	}{
		{"curl bearer header", []string{"curl", "-H", "Authorization: Bearer sk-bearer-1", "http://h/v1"},
			[]string{"curl", "-H", "Authorization: Bearer ***", "http://h/v1"}, []string{"sk-bearer-1"}},
		{"header in a script", []string{"sh", "-c", `curl -sf -H "authorization: token ghp_abcdef" -H 'X-Api-Key: k-123456' http://h`},
			[]string{"sh", "-c", `curl -sf -H "authorization: token ***" -H 'X-Api-Key: ***' http://h`}, []string{"ghp_abcdef", "k-123456"}},
		{"query strings", []string{"wget", "https://h/f?api_key=q-secret1&x=1&token=q-secret2#top", "https://h/g?key=q-secret3&sig=q-secret4"},
			[]string{"wget", "https://h/f?api_key=***&x=1&token=***#top", "https://h/g?key=***&sig=***"},
			[]string{"q-secret1", "q-secret2", "q-secret3", "q-secret4"}},
		{"harmless query", []string{"curl", "http://h/v1/models?limit=5&page=2"},
			[]string{"curl", "http://h/v1/models?limit=5&page=2"}, nil},
		{"url password", []string{"pip", "install", "--index-url", "https://me:pw-secret@pypi.example/simple", "x"},
			[]string{"pip", "install", "--index-url", "https://me:***@pypi.example/simple", "x"}, []string{"pw-secret"}},
		{"new names", []string{"env", "SMTP_PASS=p-secret", "SSH_KEY=k-secret", "run", "--db-password", "d-secret"},
			[]string{"env", "SMTP_PASS=***", "SSH_KEY=***", "run", "--db-password", "***"},
			[]string{"p-secret", "k-secret", "d-secret"}},
		{"api key flag", []string{"vllm", "serve", "m", "--api-key", "sk-flag-1", "--api-key=sk-flag-2"},
			[]string{"vllm", "serve", "m", "--api-key", "***", "--api-key=***"}, []string{"sk-flag-1", "sk-flag-2"}},
		{"script values unquoted", []string{"sh", "-c", `export OPENAI_API_KEY='sk script'; run`},
			[]string{"sh", "-c", `export OPENAI_API_KEY=***; run`}, []string{"sk script"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Args(tt.args); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Args(%q)\n = %q\nwant %q", tt.args, got, tt.want)
			}
			found := FromArgs(tt.args)
			slices.Sort(found)
			want := slices.Clone(tt.found)
			slices.Sort(want)
			if !reflect.DeepEqual(found, want) {
				t.Errorf("FromArgs = %q, want %q", found, want)
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	env := []string{
		"HF_TOKEN=hf_token_value", "HUGGING_FACE_HUB_TOKEN=hf_old_value", "HF_HOME=/data/hf",
		"HF_ENDPOINT=https://u:endpoint-pw@hub.internal", "HTTP_PROXY=http://p:proxy-pw-1@proxy:3128",
		"https_proxy=http://p:proxy-pw-2@proxy:3128", "ALL_PROXY=socks5://p:proxy-pw-3@proxy:1080",
		"no_proxy=localhost,127.0.0.1", "MY_APP_PASSWORD=app-password", "PATH=/usr/bin:/bin",
	}
	got := FromEnviron(env)
	slices.Sort(got)
	want := []string{"app-password", "endpoint-pw", "hf_old_value", "hf_token_value", "proxy-pw-1", "proxy-pw-2", "proxy-pw-3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromEnviron = %q\nwant %q", got, want)
	}
	shown := Env(map[string]string{"HTTPS_PROXY": "http://p:proxy-pw@proxy:3128", "HF_HOME": "/d"})
	if shown["HTTPS_PROXY"] != "http://p:***@proxy:3128" || shown["HF_HOME"] != "/d" {
		t.Errorf("Env = %v, want the proxy password hidden", shown)
	}
}

func TestKnown(t *testing.T) {
	r := Known([]string{"HF_TOKEN=hf_from_env", "HTTPS_PROXY=http://u:proxy-pass@p:1"}, "http://u:url-pass@h:8000", "sk-the-api-key")
	in := `401: {"error": "bad key sk-the-api-key"} via http://u:proxy-pass@p:1 to http://u:url-pass@h:8000 (hf_from_env)`
	got := r.String(in)
	for _, secret := range []string{"sk-the-api-key", "proxy-pass", "url-pass", "hf_from_env"} {
		if strings.Contains(got, secret) {
			t.Errorf("String left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "bad key ***") {
		t.Errorf("String = %q", got)
	}
}

func TestShortValuesAreNotHidden(t *testing.T) {
	r := New("abc", "test1", "secret")
	if got := r.String("abc test1 secret"); got != "abc test1 ***" {
		t.Errorf("String = %q: values shorter than MinLen (%d) must stay, longer ones go", got, MinLen)
	}
	if r.Len() != len("secret") {
		t.Errorf("Len = %d", r.Len())
	}
	if New("  ").Len() != 0 || (*Redactor)(nil).Len() != 0 {
		t.Error("an empty Redactor has a length")
	}
}

func TestJSONEscapedValue(t *testing.T) {
	r := New(`pa"ss<wd>1`)
	got := r.String(`{"error":"key pa\"ss\u003cwd\u003e1 refused"}`)
	if got != `{"error":"key *** refused"}` {
		t.Errorf("String = %q, want the JSON-escaped value hidden", got)
	}
}

func TestWithDoesNotChangeTheOriginal(t *testing.T) {
	a := New("first-secret")
	b := a.With("second-secret")
	if a.String("second-secret") != "second-secret" || b.String("first-secret second-secret") != "*** ***" {
		t.Errorf("With: a %q, b %q", a.String("second-secret"), b.String("first-secret second-secret"))
	}
}

type codeError struct{ code int }

func (e *codeError) Error() string { return "HTTP 401: key sk-wrapped-key refused" }

func TestErrorKeepsTheChain(t *testing.T) {
	r := New("sk-wrapped-key")
	err := r.Error(&codeError{401}, nil)
	if err.Error() != "HTTP 401: key *** refused" {
		t.Errorf("Error = %q", err)
	}
	var ce *codeError
	if !errors.As(err, &ce) || ce.code != 401 {
		t.Error("the redacted error does not wrap the original")
	}
}
