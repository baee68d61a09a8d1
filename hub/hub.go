// Package hub owns fetching data-set files from the Hugging Face hub and keeping them
// in the hub's own cache, so that files fetched by Python's huggingface_hub are reused
// by quanteval and the reverse.
//
// The cache layout is huggingface_hub's, under HF_HUB_CACHE (default HF_HOME/hub,
// HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface):
//
//	datasets--ORG--NAME/
//	    blobs/<etag>                    the bytes, named by sha256 (LFS) or git sha1
//	    blobs/<etag>.incomplete         a download in progress, resumed with Range
//	    snapshots/<commit>/<path>       relative symlink to ../../blobs/<etag>
//	    refs/<revision>                 the commit hash the revision last resolved to
//	.locks/datasets--ORG--NAME/<etag>.lock
//
// Decisions:
//   - A revision found in refs/ whose files are all in snapshots/ is used without any
//     request, so a second run is offline by construction. The price is that a moved
//     branch is not noticed: pin a commit (Revision) or delete refs/<revision> to
//     refresh.
//   - A file enters blobs/ only after its bytes match the blob id (sha256 for LFS
//     files, git's blob sha1 otherwise) and the announced size; a mismatch deletes the
//     partial file. A broken transfer keeps the partial file and resumes it.
//   - The token goes only into the Authorization header: it is redacted from every
//     error and never printed, and dropped on a redirect to any other host than the
//     endpoint's (Go's client would keep it for a subdomain such as a CDN's).
package hub

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/quanteval/quanteval/redact"
)

// DefaultEndpoint is the public hub.
const DefaultEndpoint = "https://huggingface.co"

// Token is a hub access token. It formats as "[redacted]" so that printing a Config
// never shows it.
type Token string

func (Token) String() string   { return "[redacted]" }
func (Token) GoString() string { return `"[redacted]"` }

// Config configures a Client. The zero value of each field means its documented
// default; ConfigFromEnv fills them from the environment as huggingface_hub does.
type Config struct {
	Endpoint string // default DefaultEndpoint
	Token    Token  // sent as "Authorization: Bearer ..." when set
	CacheDir string // the hub cache (HF_HUB_CACHE); required
	Offline  bool   // cache only, never a request (HF_HUB_OFFLINE)
	// HTTP is the client for requests (default: a client without timeout; the
	// context bounds each call). Its CheckRedirect is not used for metadata requests.
	HTTP *http.Client
	// Progress receives download progress: a bar when it is a terminal, plain lines
	// otherwise; nil shows nothing.
	Progress io.Writer
	// Attempts is how many times a download is tried before giving up (default 4).
	// A transfer that broke after making progress is resumed at once; one that made
	// none waits 0.5 s x 2^n (capped at 8 s) first.
	Attempts int
}

// ConfigFromEnv reads HF_ENDPOINT, HF_TOKEN (else the token file at HF_TOKEN_PATH or
// HF_HOME/token that `huggingface-cli login` writes), HF_HOME, HF_HUB_CACHE and
// HF_HUB_OFFLINE. Progress goes to stderr.
func ConfigFromEnv() Config {
	cfg := Config{
		Endpoint: strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/"),
		Token:    Token(strings.TrimSpace(os.Getenv("HF_TOKEN"))),
		CacheDir: os.Getenv("HF_HUB_CACHE"),
		Offline:  truthy(os.Getenv("HF_HUB_OFFLINE")),
		Progress: os.Stderr,
	}
	home := os.Getenv("HF_HOME")
	if home == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			if h, err := os.UserHomeDir(); err == nil {
				cache = filepath.Join(h, ".cache")
			}
		}
		home = filepath.Join(cache, "huggingface")
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = os.Getenv("HUGGINGFACE_HUB_CACHE") // the older name
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(home, "hub")
	}
	if cfg.Token == "" {
		p := os.Getenv("HF_TOKEN_PATH")
		if p == "" {
			p = filepath.Join(home, "token")
		}
		if b, err := os.ReadFile(p); err == nil {
			cfg.Token = Token(strings.TrimSpace(string(b)))
		}
	}
	return cfg
}

// truthy follows huggingface_hub's reading of boolean environment variables.
func truthy(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// Client fetches data-set files into the hub cache. It is safe for concurrent use.
type Client struct {
	endpoint string
	token    string
	cacheDir string
	offline  bool
	http     *http.Client
	meta     *http.Client // same transport, redirects not followed
	progress io.Writer
	attempts int
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	c := &Client{
		endpoint: strings.TrimRight(cfg.Endpoint, "/"),
		token:    string(cfg.Token),
		cacheDir: cfg.CacheDir,
		offline:  cfg.Offline,
		http:     cfg.HTTP,
		progress: cfg.Progress,
		attempts: cfg.Attempts,
	}
	if c.endpoint == "" {
		c.endpoint = DefaultEndpoint
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	h := *c.http
	h.CheckRedirect = stripAuthOffHost
	c.http = &h
	meta := *c.http
	meta.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.meta = &meta
	if c.attempts <= 0 {
		c.attempts = 4
	}
	return c
}

// String describes the client without its token.
func (c *Client) String() string {
	auth := "no token"
	if c.token != "" {
		auth = "token set"
	}
	return fmt.Sprintf("hub.Client{%s, cache %s, offline %t, %s}", redact.URL(c.endpoint), c.cacheDir, c.offline, auth)
}

// GoString keeps %#v from printing the token.
func (c *Client) GoString() string { return c.String() }

// redact removes the token from text that came from elsewhere (a server's message),
// as redact.Redactor hides a known secret value everywhere.
func (c *Client) redact(s string) string { return c.secrets().String(s) }

// secrets hides the token, the endpoint's password and the secrets of the
// environment (the proxies' passwords ...).
func (c *Client) secrets() *redact.Redactor {
	return redact.New(c.token).With(redact.FromURL(c.endpoint)...).With(redact.FromEnviron(os.Environ())...)
}

// stripAuthOffHost is the clients' redirect policy: the token is sent to the
// endpoint's host only, never to a CDN it redirects to, subdomain or not.
func stripAuthOffHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		req.Header.Del("Authorization")
	}
	return nil
}
