package run

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
