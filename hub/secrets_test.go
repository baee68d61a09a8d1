package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// An endpoint with a password in its URL (HF_ENDPOINT=https://user:PASS@mirror)
// and a proxy's password: neither shows in the hub's errors or the client's
// description; the error is still a *StatusError.
func TestEndpointPasswordHidden(t *testing.T) {
	const pass, proxyPass = "mirror-password-1", "proxy-password-1"
	t.Setenv("HTTPS_PROXY", "http://me:"+proxyPass+"@proxy.invalid:3128")
	s, _ := newFixture(t)
	c := newClient(s, t.TempDir(), func(cfg *Config) {
		cfg.Endpoint = strings.Replace(s.URL, "http://", "http://user:"+pass+"@", 1)
	})
	_, err := c.DownloadDataset(context.Background(), "nobody/missing", "main", "*.parquet")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 {
		t.Fatalf("err = %v, want a 404 StatusError", err)
	}
	for _, text := range []string{err.Error(), fmt.Sprint(c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(text, pass) || strings.Contains(text, proxyPass) {
			t.Errorf("a password shows: %s", text)
		}
	}
	if got := c.redact("via " + proxyPass); got != "via ***" {
		t.Errorf("redact = %q, want the proxy's password hidden", got)
	}
}
