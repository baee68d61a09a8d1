package eval

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// A server that refuses the key and echoes it in its 401 body, already when the
// model is looked up: the error Run returns hides the key.
func TestRunHidesAnEchoedKey(t *testing.T) {
	const key = "sk-eval-echoed-key-7"
	t.Setenv("QE_TEST_API_KEY", key)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":"no such key: %s"}`, r.Header.Get("Authorization"))
	}))
	defer hs.Close()
	o := Defaults()
	o.BaseURL, o.APIKeyEnv, o.Retries = []string{hs.URL}, "QE_TEST_API_KEY", 0
	_, err := Run(context.Background(), o, Output{Path: filepath.Join(t.TempDir(), "r.json")})
	if err == nil {
		t.Fatal("Run succeeded against a server that refuses every key")
	}
	if strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "Bearer ***") {
		t.Errorf("err = %v, want the server's message with the key hidden", err)
	}
}

// The secret values a caller passes (a matrix plan's) are hidden in Run's error as
// its own are, and reach the runner, which hides them in what it records.
func TestRunHidesTheCallersSecrets(t *testing.T) {
	const planSecret = "plan-secret-in-message-5"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/models") {
			fmt.Fprint(w, `{"data":[{"id":"m"}]}`)
			return
		}
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"error":"the server's key is %s"}`, planSecret)
	}))
	defer hs.Close()
	o := Defaults()
	o.BaseURL, o.Retries, o.Limit = []string{hs.URL}, 0, 2
	out := filepath.Join(t.TempDir(), "r.json")
	f, err := Run(context.Background(), o, Output{Path: out, Secrets: []string{planSecret}})
	if err == nil {
		t.Fatal("Run succeeded against a server that refuses every request")
	}
	if strings.Contains(err.Error(), planSecret) || !strings.Contains(err.Error(), "the server's key is ***") {
		t.Errorf("err = %v, want the server's message with the caller's secret hidden", err)
	}
	if f == nil || len(f.Items) == 0 || strings.Contains(f.Items[0].Error, planSecret) {
		t.Errorf("result %+v, want records with the caller's secret hidden", f)
	}
}
