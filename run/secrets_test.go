package run

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/vllmtest"
	"github.com/quanteval/quanteval/redact"
)

// A server that refuses the key and echoes it (and the proxy password a user set)
// in its 401 body: the records, the journal, the result and the error hide both.
func TestRefusedKeyEchoedIsHidden(t *testing.T) {
	const key, proxyPass = "sk-echoed-api-key-42", "proxy-pass-echoed"
	t.Setenv("HTTPS_PROXY", "http://me:"+proxyPass+"@proxy.invalid:3128")
	t.Setenv("NO_PROXY", "127.0.0.1")
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"invalid key in %q (proxy %s)","type":"auth"}}`, r.Header.Get("Authorization"), proxyPass)
	}))
	defer hs.Close()
	set := suite(t)
	set.Limit(3)
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.APIKey, cfg.Retries = key, 0
	f, err := Evaluate(context.Background(), cfg, set)
	if err == nil {
		t.Fatal("a run whose every request got 401 succeeded")
	}
	shown := []string{err.Error()}
	for _, r := range f.Items {
		shown = append(shown, r.Error)
	}
	for _, p := range []string{out, JournalPath(out)} {
		data, rerr := os.ReadFile(p)
		if rerr != nil {
			t.Fatal(rerr)
		}
		shown = append(shown, string(data))
	}
	for i, s := range shown {
		if strings.Contains(s, key) || strings.Contains(s, proxyPass) {
			t.Errorf("text %d shows a secret: %s", i, s)
		}
	}
	if len(f.Items) == 0 || !strings.Contains(f.Items[0].Error, "Bearer ***") {
		t.Errorf("record error = %q, want the server's message with the key hidden", f.Items[0].Error)
	}
}

// A key passed through the run's own settings (a proxy's key in the extra body, a
// token in the system message) is sent, but the result's params and the journal's
// header hide it; a resume of that journal still matches.
func TestSecretInParamsHidden(t *testing.T) {
	const key, token = "sk-param-key-0042", "hf_tokenInSystem77"
	t.Setenv("HF_TOKEN", token)
	set := suite(t)
	set.Limit(3)
	srv, hs := vllmtest.Start(t, vllmtest.Options{Answer: answerer(set), Capture: true})
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.APIKey = key
	sys := "You are a proxy client; token " + token + "."
	cfg.System = &sys
	cfg.ExtraBody = json.RawMessage(`{"proxy": {"api_key": "` + key + `", "region": "eu"}}`)
	f, err := Evaluate(context.Background(), cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	if body := srv.LastBody(); !strings.Contains(fmt.Sprint(body["proxy"]), key) {
		t.Errorf("the request lacks the extra body's key: %v", body["proxy"])
	}
	if f.Params.System != "You are a proxy client; token ***." || string(f.Params.ExtraBody) != `{"proxy":{"api_key":"***","region":"eu"}}` {
		t.Errorf("params system %q extra_body %s, want the secrets hidden", f.Params.System, f.Params.ExtraBody)
	}
	for _, p := range []string{out, JournalPath(out)} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), key) || strings.Contains(string(data), token) {
			t.Errorf("%s holds a secret:\n%s", p, data)
		}
	}
	cfg.Resume = true
	if _, err := Evaluate(context.Background(), cfg, set); err != nil {
		t.Fatalf("resume of a journal with hidden params: %v", err)
	}
}

func TestHideJSON(t *testing.T) {
	rd := redact.New("sk-secret-1", `a"b\c-secret`)
	for _, tt := range []struct{ in, want string }{
		{``, ``},
		{`{}`, `{}`},
		{`{"k":"sk-secret-1"}`, `{"k":"***"}`},
		{`{"k":"x sk-secret-1 y","n":1}`, `{"k":"x *** y","n":1}`},
		{`{"k":"a\"b\\c-secret"}`, `{"k":"***"}`}, // hidden in its JSON-escaped form
		{`{"sk-secret-1":1}`, `{"***":1}`},
	} {
		if got := string(hideJSON(json.RawMessage(tt.in), rd)); got != tt.want {
			t.Errorf("hideJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// Values given in Config.Secrets (a matrix plan's) are hidden like the run's own:
// a server that echoes one in its error body leaves it in no record, journal or
// result.
func TestConfigSecretsHidden(t *testing.T) {
	const planSecret = "plan-only-secret-77"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"server started with --api-key %s"}}`, planSecret)
	}))
	defer hs.Close()
	set := suite(t)
	set.Limit(2)
	out := filepath.Join(t.TempDir(), "r.json")
	cfg := config(hs.URL, out)
	cfg.Retries, cfg.NoStream, cfg.Secrets = 0, true, []string{planSecret}
	f, err := Evaluate(context.Background(), cfg, set)
	if err == nil {
		t.Fatal("a run whose every request failed succeeded")
	}
	if len(f.Items) == 0 || !strings.Contains(f.Items[0].Error, "--api-key ***") {
		t.Errorf("record error %q, want the server's message with the plan's secret hidden", f.Items[0].Error)
	}
	for _, p := range []string{out, JournalPath(out)} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), planSecret) {
			t.Errorf("%s holds the plan's secret:\n%s", p, data)
		}
	}
	if strings.Contains(err.Error(), planSecret) {
		t.Errorf("the error shows the plan's secret: %v", err)
	}
}
