package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanteval/quanteval/internal/hubtest"
)

const testPath = "main/test-00000-of-00001.parquet"

func newFixture(t *testing.T) (*hubtest.Server, []byte) {
	t.Helper()
	s := hubtest.NewServer(t)
	s.AddGSM8K(t, hubtest.GSM8KRows("test", 40), hubtest.GSM8KRows("train", 8))
	data := hubtest.WriteParquet(t, hubtest.GSM8KRows("test", 40))
	return s, data
}

func newClient(s *hubtest.Server, cache string, mod func(*Config)) *Client {
	cfg := Config{Endpoint: s.URL, CacheDir: cache}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func count(reqs []hubtest.Request, prefix string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

func TestFirstDownloadLayout(t *testing.T) {
	s, data := newFixture(t)
	cache := t.TempDir()
	var progress bytes.Buffer
	c := newClient(s, cache, func(cfg *Config) { cfg.Progress = &progress })
	snap, err := c.DownloadDataset(context.Background(), "openai/gsm8k", "", "main/test-*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	sum := hubtest.SHA256(data)
	repoDir := filepath.Join(cache, "datasets--openai--gsm8k")
	if snap.Commit != hubtest.GSM8KCommit || snap.Revision != "main" || snap.Cached {
		t.Errorf("snapshot = %+v", snap)
	}
	if len(snap.Files) != 1 || snap.Files[0].Path != testPath || snap.Files[0].Blob != sum {
		t.Fatalf("files = %+v", snap.Files)
	}
	blob, err := os.ReadFile(filepath.Join(repoDir, "blobs", sum))
	if err != nil || !bytes.Equal(blob, data) {
		t.Fatalf("blob: err %v, %d bytes, want %d", err, len(blob), len(data))
	}
	local := filepath.Join(repoDir, "snapshots", hubtest.GSM8KCommit, "main", "test-00000-of-00001.parquet")
	if snap.Files[0].Local != local {
		t.Errorf("local = %s, want %s", snap.Files[0].Local, local)
	}
	target, err := os.Readlink(local)
	if err != nil || target != "../../../blobs/"+sum {
		t.Errorf("snapshot link -> %q (%v), want ../../../blobs/%s", target, err, sum)
	}
	ref, err := os.ReadFile(filepath.Join(repoDir, "refs", "main"))
	if err != nil || string(ref) != hubtest.GSM8KCommit {
		t.Errorf("refs/main = %q (%v)", ref, err)
	}
	if _, err := os.Stat(filepath.Join(cache, ".locks", "datasets--openai--gsm8k", sum+".lock")); err != nil {
		t.Errorf("lock file: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(repoDir, "blobs"))
	if len(entries) != 1 {
		t.Errorf("blobs/ holds %d entries, want 1 (no .incomplete left)", len(entries))
	}
	reqs := s.Requests()
	if len(reqs) == 0 || reqs[0].Path != "/api/datasets/openai/gsm8k/revision/main" {
		t.Errorf("first request %+v", reqs)
	}
	if n := count(reqs, "/datasets/openai/gsm8k/resolve/"+hubtest.GSM8KCommit+"/"+testPath); n != 2 {
		t.Errorf("%d resolve requests, want 2 (HEAD, GET)", n)
	}
	if !strings.Contains(progress.String(), "hub: downloading openai/gsm8k "+testPath) ||
		!strings.Contains(progress.String(), "done") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

func TestCacheHitMakesNoRequest(t *testing.T) {
	s, _ := newFixture(t)
	cache := t.TempDir()
	ctx := context.Background()
	first, err := newClient(s, cache, nil).DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	s.ResetRequests()
	for _, offline := range []bool{false, true} {
		c := newClient(s, cache, func(cfg *Config) { cfg.Offline = offline })
		snap, err := c.DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet")
		if err != nil {
			t.Fatalf("offline=%t: %v", offline, err)
		}
		if !snap.Cached || snap.Files[0].Local != first.Files[0].Local || snap.Files[0].Blob != first.Files[0].Blob {
			t.Errorf("offline=%t: snapshot %+v", offline, snap)
		}
		// By commit too: no ref needed.
		if _, err := c.DownloadDataset(ctx, "openai/gsm8k", hubtest.GSM8KCommit, "main/test-*.parquet"); err != nil {
			t.Errorf("offline=%t, by commit: %v", offline, err)
		}
	}
	if reqs := s.Requests(); len(reqs) != 0 {
		t.Errorf("cache hit made %d requests: %+v", len(reqs), reqs)
	}
	// Another split of the same commit is fetched without touching the first.
	if _, err := newClient(s, cache, nil).DownloadDataset(ctx, "openai/gsm8k", "main", "main/train-*.parquet"); err != nil {
		t.Fatal(err)
	}
	if n := count(s.Requests(), "/datasets/openai/gsm8k/resolve/"+hubtest.GSM8KCommit+"/"+testPath); n != 0 {
		t.Errorf("fetching train re-fetched test (%d requests)", n)
	}
}

// A cache written by Python's huggingface_hub, laid out by hand, is read offline.
func TestReadsPythonCache(t *testing.T) {
	cache := t.TempDir()
	data := []byte("PAR1 not really parquet")
	sum := hubtest.SHA256(data)
	repoDir := filepath.Join(cache, "datasets--cais--mmlu")
	snapDir := filepath.Join(repoDir, "snapshots", hubtest.MMLUCommit, "all")
	for _, d := range []string{filepath.Join(repoDir, "blobs"), snapDir, filepath.Join(repoDir, "refs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(filepath.Join(repoDir, "blobs", sum), data, 0o644))
	must(t, os.Symlink("../../../blobs/"+sum, filepath.Join(snapDir, "test-00000-of-00001.parquet")))
	must(t, os.WriteFile(filepath.Join(repoDir, "refs", "main"), []byte(hubtest.MMLUCommit), 0o644))
	c := New(Config{Endpoint: "http://127.0.0.1:1", CacheDir: cache, Offline: true})
	snap, err := c.DownloadDataset(context.Background(), "cais/mmlu", "main", "all/test-*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(snap.Files[0].Local)
	if err != nil || !bytes.Equal(got, data) || snap.Files[0].Blob != sum {
		t.Errorf("read %q (%v), blob %s", got, err, snap.Files[0].Blob)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOfflineMiss(t *testing.T) {
	s, _ := newFixture(t)
	cache := t.TempDir()
	ctx := context.Background()
	if _, err := newClient(s, cache, nil).DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet"); err != nil {
		t.Fatal(err)
	}
	s.ResetRequests()
	c := newClient(s, cache, func(cfg *Config) { cfg.Offline = true })
	tests := []struct {
		name, repo, rev, pattern string
		want                     []string
	}{
		{"no repo", "cais/mmlu", "main", "all/test-*.parquet",
			[]string{"cais/mmlu", "all/test-*.parquet", "no refs/main", "HF_HUB_OFFLINE", "huggingface-cli download cais/mmlu --repo-type dataset"}},
		{"other split", "openai/gsm8k", "main", "main/train-*.parquet",
			[]string{"main/train-*.parquet", "has no such file", "--include 'main/train-*.parquet'"}},
		{"other revision", "openai/gsm8k", "v2", "main/test-*.parquet", []string{"no refs/v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DownloadDataset(ctx, tt.repo, tt.rev, tt.pattern)
			var nc *NotCachedError
			if !errors.As(err, &nc) || !errors.Is(err, ErrNotCached) {
				t.Fatalf("err = %v, want a *NotCachedError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if reqs := s.Requests(); len(reqs) != 0 {
		t.Errorf("offline client made %d requests", len(reqs))
	}
}

func TestAuth(t *testing.T) {
	const secret = "hf_SECRETtoken123"
	tests := []struct {
		name   string
		token  Token
		status int
		want   []string
	}{
		{"no token", "", 401, []string{"needs a token", "set HF_TOKEN", "/datasets/openai/gsm8k"}},
		{"wrong token", "hf_wrongWRONG", 403, []string{"token in HF_TOKEN was refused", "HTTP 403"}},
		{"right token", secret, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newFixture(t)
			s.RequireToken(secret)
			c := newClient(s, t.TempDir(), func(cfg *Config) { cfg.Token = tt.token })
			_, err := c.DownloadDataset(context.Background(), "openai/gsm8k", "main", "main/test-*.parquet")
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range s.Requests() {
					if !strings.HasPrefix(r.Path, "/cdn/") && r.Auth != "Bearer "+secret {
						t.Errorf("%s %s: Authorization %q", r.Method, r.Path, r.Auth)
					}
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status || se.Code != "GatedRepo" {
				t.Fatalf("err = %#v, want a %d StatusError", err, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.token != "" && strings.Contains(err.Error(), string(tt.token)) {
				t.Errorf("error shows the token: %v", err)
			}
			if len(s.Requests()) != 1 {
				t.Errorf("%d requests; a refusal is not retried", len(s.Requests()))
			}
		})
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	const secret = "hf_SECRETtoken123"
	cfg := Config{Endpoint: "http://127.0.0.1:1", Token: secret, CacheDir: "/x"}
	c := New(cfg)
	c.token = secret
	for _, s := range []string{
		fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.Token),
		fmt.Sprintf("%v %+v %#v %s", c, c, c, c),
		c.redact("echo " + secret),
		(&StatusError{StatusCode: 403, Repo: "a/b", TokenSet: true, Message: c.redact(secret)}).Error(),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("token printed: %s", s)
		}
	}
}

func TestNotFound(t *testing.T) {
	s, _ := newFixture(t)
	c := newClient(s, t.TempDir(), nil)
	ctx := context.Background()
	tests := []struct {
		name, repo, rev, pattern string
		want                     string
	}{
		{"repo", "openai/nope", "main", "main/test-*.parquet", "dataset openai/nope not found"},
		{"revision", "openai/gsm8k", "v9", "main/test-*.parquet", `dataset openai/gsm8k has no revision "v9"`},
		{"split", "openai/gsm8k", "main", "main/validation-*.parquet",
			"no file matches main/validation-*.parquet; its parquet files are under main/, socratic/"},
		{"bad repo", "../etc", "main", "x", "bad repo id"},
		{"bad revision", "openai/gsm8k", "../x", "x", "bad revision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DownloadDataset(ctx, tt.repo, tt.rev, tt.pattern)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPatternFallback(t *testing.T) {
	s := hubtest.NewServer(t)
	data := hubtest.WriteParquet(t, hubtest.GSM8KRows("t", 3))
	s.AddDataset("me/copy", hubtest.GSM8KCommit, map[string][]byte{
		"data/test-00000-of-00002.parquet": data,
		"data/test-00001-of-00002.parquet": data,
	})
	cache := t.TempDir()
	ctx := context.Background()
	pats := []string{"main/test-*.parquet", "data/test-*.parquet"}
	snap, err := newClient(s, cache, nil).DownloadDataset(ctx, "me/copy", "main", pats...)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Pattern != pats[1] || len(snap.Files) != 2 || snap.Files[0].Path != "data/test-00000-of-00002.parquet" {
		t.Errorf("snapshot %+v", snap)
	}
	// A shard lost from the cache is noticed offline, not taken for the whole split.
	must(t, os.Remove(snap.Files[1].Local))
	_, err = newClient(s, cache, func(cfg *Config) { cfg.Offline = true }).DownloadDataset(ctx, "me/copy", "main", pats...)
	if err == nil || !strings.Contains(err.Error(), "shard data/test-00001-of-00002.parquet is missing") {
		t.Errorf("err = %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"defaults from HF_HOME", map[string]string{"HF_HOME": home},
			Config{CacheDir: filepath.Join(home, "hub")}},
		{"all set", map[string]string{"HF_HOME": home, "HF_HUB_CACHE": "/c", "HF_ENDPOINT": "http://h/", "HF_TOKEN": " tok ", "HF_HUB_OFFLINE": "yes"},
			Config{Endpoint: "http://h", CacheDir: "/c", Token: "tok", Offline: true}},
		{"xdg", map[string]string{"XDG_CACHE_HOME": home, "HF_HUB_OFFLINE": "0"},
			Config{CacheDir: filepath.Join(home, "huggingface", "hub")}},
		{"token file", map[string]string{"HF_HOME": home, "HF_TOKEN_PATH": filepath.Join(home, "tokenfile")},
			Config{CacheDir: filepath.Join(home, "hub"), Token: "fromfile"}},
	}
	must(t, os.WriteFile(filepath.Join(home, "tokenfile"), []byte("fromfile\n"), 0o600))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN", "HF_HUB_OFFLINE", "XDG_CACHE_HOME"} {
				t.Setenv(k, tt.env[k])
			}
			p, ok := tt.env["HF_TOKEN_PATH"]
			if !ok {
				p = filepath.Join(home, "absent")
			}
			t.Setenv("HF_TOKEN_PATH", p)
			got := ConfigFromEnv()
			got.Progress = nil
			if got != tt.want {
				t.Errorf("got %+v (token %q), want %+v (token %q)", got, string(got.Token), tt.want, string(tt.want.Token))
			}
		})
	}
}

func TestStatusErrorText(t *testing.T) {
	base := StatusError{Endpoint: "https://hf.example", Repo: "o/n", Revision: "main"}
	tests := []struct {
		status   int
		code     string
		file     string
		tokenSet bool
		want     string
	}{
		{401, "GatedRepo", "", false, "dataset o/n needs a token (gated or private, HTTP 401): accept its conditions at https://hf.example/datasets/o/n, then set HF_TOKEN"},
		{401, "RepoNotFound", "", false, "dataset o/n not found, or private"},
		{403, "GatedRepo", "", true, "the token in HF_TOKEN was refused for dataset o/n (HTTP 403)"},
		{404, "RevisionNotFound", "", false, `dataset o/n has no revision "main"`},
		{404, "EntryNotFound", "all/test.parquet", false, `dataset o/n has no file "all/test.parquet" at revision "main"`},
		{404, "RepoNotFound", "", false, `dataset o/n not found (revision "main")`},
		{500, "", "x.parquet", false, `dataset o/n, revision "main", file x.parquet: HTTP 500`},
	}
	for _, tt := range tests {
		e := base
		e.StatusCode, e.Code, e.File, e.TokenSet = tt.status, tt.code, tt.file, tt.tokenSet
		if got := e.Error(); !strings.HasPrefix(got, "hub: "+tt.want) {
			t.Errorf("%d %s: %q\nwant prefix %q", tt.status, tt.code, got, "hub: "+tt.want)
		}
	}
}

func TestTokenNotSentOffHost(t *testing.T) {
	first, _ := http.NewRequest("GET", "https://huggingface.co/datasets/x/resolve/main/f", nil)
	for _, tc := range []struct {
		to       string
		keepAuth bool
	}{
		{"https://huggingface.co/api/x", true},
		{"https://cdn-lfs.huggingface.co/blob", false}, // a subdomain: Go alone would keep it
		{"https://cas-bridge.xethub.hf.co/blob", false},
	} {
		req, _ := http.NewRequest("GET", tc.to, nil)
		req.Header.Set("Authorization", "Bearer hf_x")
		if err := stripAuthOffHost(req, []*http.Request{first}); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("Authorization") != ""; got != tc.keepAuth {
			t.Errorf("redirect to %s: token kept %v, want %v", tc.to, got, tc.keepAuth)
		}
	}
}
