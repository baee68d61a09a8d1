package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quanteval/quanteval/client"
	"github.com/quanteval/quanteval/redact"
)

// ErrNoMatch is the error of a repo that holds no file a DownloadDataset pattern
// matches at the revision asked for.
var ErrNoMatch = errors.New("no file matches")

// DownloadDataset makes sure the files of a data-set repo that match the first of
// patterns (globs in path.Match syntax over repo paths, e.g. "main/test-*.parquet")
// to match anything are in the cache at revision (default "main"), fetching those
// missing, and returns them. With everything cached it makes no request; offline it
// never does, and a miss is a *NotCachedError.
func (c *Client) DownloadDataset(ctx context.Context, repo, revision string, patterns ...string) (_ *Snapshot, err error) {
	defer func() { err = c.secrets().Error(err, nil) }() // a message may quote the endpoint or a proxy
	if revision == "" {
		revision = "main"
	}
	if err := checkRepo(repo); err != nil {
		return nil, err
	}
	if err := checkRevision(revision); err != nil {
		return nil, err
	}
	if len(patterns) == 0 {
		return nil, errors.New("hub: no file pattern given")
	}
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("hub: bad pattern %q: %w", p, err)
		}
	}
	snap, reason := c.cached(repo, revision, patterns)
	if snap != nil {
		return snap, nil
	}
	if c.offline {
		return nil, &NotCachedError{Repo: repo, Revision: revision, Patterns: patterns, CacheDir: c.RepoDir(repo), Reason: reason}
	}
	info, err := c.info(ctx, repo, revision)
	if err != nil {
		return nil, err
	}
	paths, pat := pick(info.Siblings, patterns)
	if len(paths) == 0 {
		return nil, fmt.Errorf("hub: dataset %s at revision %s (commit %s): %w %s%s",
			repo, revision, info.SHA, ErrNoMatch, strings.Join(patterns, " or "), describeLayout(info.Siblings))
	}
	snap = &Snapshot{Repo: repo, Revision: revision, Commit: info.SHA, Pattern: pat,
		Dir: filepath.Join(c.RepoDir(repo), "snapshots", info.SHA)}
	for _, p := range paths {
		f, err := c.fetch(ctx, repo, revision, info.SHA, p)
		if err != nil {
			return nil, err
		}
		snap.Files = append(snap.Files, f)
	}
	if err := c.writeRef(repo, revision, info.SHA); err != nil {
		return nil, err
	}
	return snap, nil
}

type sibling struct {
	RFilename string `json:"rfilename"`
}

type repoInfo struct {
	SHA      string    `json:"sha"`
	Siblings []sibling `json:"siblings"`
}

// pick returns the sorted repo paths of the first pattern that matches any.
func pick(sibs []sibling, patterns []string) ([]string, string) {
	for _, pat := range patterns {
		var out []string
		for _, s := range sibs {
			if ok, _ := path.Match(pat, s.RFilename); ok {
				out = append(out, s.RFilename)
			}
		}
		if len(out) > 0 {
			sort.Strings(out)
			return out, pat
		}
	}
	return nil, ""
}

// describeLayout lists the folders holding parquet files, which are the configs of
// a converted data set: the likely fix for a pattern that matched nothing.
func describeLayout(sibs []sibling) string {
	seen := map[string]bool{}
	var dirs []string
	for _, s := range sibs {
		if !strings.HasSuffix(s.RFilename, ".parquet") {
			continue
		}
		d := path.Dir(s.RFilename)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d+"/")
		}
	}
	if len(dirs) == 0 {
		return "; the repo has no parquet files"
	}
	sort.Strings(dirs)
	if len(dirs) > 20 {
		dirs = append(dirs[:20], fmt.Sprintf("... (%d in all)", len(dirs)))
	}
	return "; its parquet files are under " + strings.Join(dirs, ", ")
}

func (c *Client) newRequest(ctx context.Context, method, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	req.Header.Set("User-Agent", "quanteval")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// escapeRev escapes a revision as one path segment ("refs/pr/1" -> "refs%2Fpr%2F1").
func escapeRev(rev string) string {
	return strings.ReplaceAll(url.PathEscape(rev), "/", "%2F")
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (c *Client) statusError(resp *http.Response, repo, rev, file string) *StatusError {
	return &StatusError{
		StatusCode: resp.StatusCode,
		Code:       resp.Header.Get("X-Error-Code"),
		Message:    c.redact(resp.Header.Get("X-Error-Message")),
		RetryAfter: client.RetryAfter(resp.Header),
		Endpoint:   redact.URL(c.endpoint),
		Repo:       repo,
		Revision:   rev,
		File:       file,
		TokenSet:   c.token != "",
	}
}

// info asks the hub for the commit of revision and the repo's file list.
func (c *Client) info(ctx context.Context, repo, rev string) (*repoInfo, error) {
	u := fmt.Sprintf("%s/api/datasets/%s/revision/%s", c.endpoint, repo, escapeRev(rev))
	var info repoInfo
	err := c.retry(ctx, func() (bool, error) {
		req, err := c.newRequest(ctx, http.MethodGet, u)
		if err != nil {
			return false, err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return true, fmt.Errorf("hub: dataset %s: %w", repo, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return client.RetryableStatus(resp.StatusCode), c.statusError(resp, repo, rev, "")
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&info); err != nil {
			return true, fmt.Errorf("hub: dataset %s revision %s: reading the repo info: %w", repo, rev, err)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if !commitRE.MatchString(info.SHA) {
		return nil, fmt.Errorf("hub: dataset %s revision %s: the hub gave no commit hash (sha %q)", repo, rev, info.SHA)
	}
	for _, s := range info.Siblings {
		if err := checkPath(s.RFilename); err != nil {
			return nil, fmt.Errorf("hub: dataset %s: %w", repo, err)
		}
	}
	return &info, nil
}

func (c *Client) resolveURL(repo, rev, p string) string {
	return fmt.Sprintf("%s/datasets/%s/resolve/%s/%s", c.endpoint, repo, escapeRev(rev), escapePath(p))
}

// fileMeta is what a HEAD on the resolve URL says about a file.
type fileMeta struct {
	commit string
	etag   string
	size   int64 // -1 when unknown
}

var hexRE = regexp.MustCompile(`^[0-9a-f]+$`)

// head reads a file's metadata. The hub answers LFS files with a redirect to its
// CDN whose headers (X-Linked-Etag, X-Linked-Size, X-Repo-Commit) are the ones that
// describe the file, so redirects are followed only within the hub (a renamed repo).
func (c *Client) head(ctx context.Context, repo, rev, commit, p string) (fileMeta, error) {
	var m fileMeta
	err := c.retry(ctx, func() (bool, error) {
		u := c.resolveURL(repo, commit, p)
		for hops := 0; ; hops++ {
			req, err := c.newRequest(ctx, http.MethodHead, u)
			if err != nil {
				return false, err
			}
			req.Header.Set("Accept-Encoding", "identity")
			resp, err := c.meta.Do(req)
			if err != nil {
				return true, fmt.Errorf("hub: dataset %s file %s: %w", repo, p, err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 300 && resp.StatusCode < 400 {
				loc, err := resp.Location()
				if err == nil && hops < 5 && sameHost(loc, req.URL) && resp.Header.Get("X-Linked-Etag") == "" {
					u = loc.String()
					continue
				}
			} else if resp.StatusCode != http.StatusOK {
				return client.RetryableStatus(resp.StatusCode), c.statusError(resp, repo, rev, p)
			}
			m = fileMeta{commit: resp.Header.Get("X-Repo-Commit"), size: -1}
			m.etag = normalizeETag(resp.Header.Get("X-Linked-Etag"))
			if m.etag == "" {
				m.etag = normalizeETag(resp.Header.Get("ETag"))
			}
			size := resp.Header.Get("X-Linked-Size")
			if size == "" {
				size = resp.Header.Get("Content-Length")
			}
			if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 {
				m.size = n
			}
			return false, nil
		}
	})
	if err != nil {
		return m, err
	}
	if m.etag == "" || !hexRE.MatchString(m.etag) {
		return m, fmt.Errorf("hub: dataset %s file %s: the hub gave no usable ETag (%q), so the file cannot be verified", repo, p, m.etag)
	}
	if m.commit != "" && m.commit != commit {
		return m, fmt.Errorf("hub: dataset %s file %s: served from commit %s, asked for %s", repo, p, m.commit, commit)
	}
	return m, nil
}

func sameHost(a, b *url.URL) bool { return a.Host == b.Host && a.Scheme == b.Scheme }

// normalizeETag strips the weak marker and quotes: W/"abc" -> abc.
func normalizeETag(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	return strings.ToLower(strings.Trim(s, `"`))
}

// fetch puts one file of the commit in the cache.
func (c *Client) fetch(ctx context.Context, repo, rev, commit, p string) (File, error) {
	local := filepath.Join(c.RepoDir(repo), "snapshots", commit, filepath.FromSlash(p))
	if exists(local) {
		return File{Path: p, Local: local, Blob: blobOf(local)}, nil
	}
	m, err := c.head(ctx, repo, rev, commit, p)
	if err != nil {
		return File{}, err
	}
	blob := filepath.Join(c.RepoDir(repo), "blobs", m.etag)
	if !exists(blob) {
		if err := c.downloadLocked(ctx, repo, rev, commit, p, blob, m); err != nil {
			return File{}, err
		}
	}
	if err := link(local, blob); err != nil {
		return File{}, err
	}
	return File{Path: p, Local: local, Blob: m.etag}, nil
}

// downloadLocked downloads the blob holding the per-blob lock huggingface_hub also
// takes, so two processes never write one .incomplete file.
func (c *Client) downloadLocked(ctx context.Context, repo, rev, commit, p, blob string, m fileMeta) error {
	lp := c.lockPath(repo, m.etag)
	if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	unlock, err := lockFile(ctx, lp)
	if err != nil {
		return fmt.Errorf("hub: locking %s: %w", lp, err)
	}
	defer unlock()
	if exists(blob) { // another process finished it while we waited
		return nil
	}
	name := repo + " " + p
	u := c.resolveURL(repo, commit, p)
	incomplete := blob + ".incomplete"
	var lastErr error
	for attempt := 0; attempt < c.attempts; attempt++ {
		progressed, retry, err := c.transfer(ctx, u, incomplete, m.size, name, repo, rev, p)
		if err == nil {
			lastErr = nil
			break
		}
		lastErr = err
		if !retry || ctx.Err() != nil {
			return err
		}
		if !progressed && attempt+1 < c.attempts {
			if err := client.Sleep(ctx, retryDelay(err, attempt)); err != nil {
				return err
			}
		}
	}
	if lastErr != nil {
		return fmt.Errorf("%w (gave up after %d attempts; the partial file is kept and the next run resumes it)", lastErr, c.attempts)
	}
	if err := verify(incomplete, m, name); err != nil {
		_ = os.Remove(incomplete)
		return err
	}
	if err := os.Rename(incomplete, blob); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

// transfer appends the rest of the file to the incomplete file, asking for a byte
// range when part of it is there. It reports whether any bytes arrived and whether
// the error is worth another attempt.
func (c *Client) transfer(ctx context.Context, u, incomplete string, size int64, name, repo, rev, p string) (progressed, retry bool, err error) {
	f, err := os.OpenFile(incomplete, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return false, false, fmt.Errorf("hub: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err, retry = fmt.Errorf("hub: %w", cerr), false
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return false, false, fmt.Errorf("hub: %w", err)
	}
	have := st.Size()
	if size >= 0 && have == size {
		return false, false, nil // all there; verify decides
	}
	if size >= 0 && have > size {
		have = 0
	}
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return false, false, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, true, fmt.Errorf("hub: downloading %s: %w", name, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if have == 0 || rangeStart(resp.Header.Get("Content-Range")) != have {
			_ = f.Truncate(0)
			return false, true, fmt.Errorf("hub: downloading %s: the server sent range %q, asked for bytes=%d-", name, resp.Header.Get("Content-Range"), have)
		}
	case http.StatusOK:
		have = 0 // the whole file, whatever we asked for: start over
	case http.StatusRequestedRangeNotSatisfiable:
		_ = f.Truncate(0)
		return false, true, fmt.Errorf("hub: downloading %s: the server refused to resume at byte %d", name, have)
	default:
		return false, client.RetryableStatus(resp.StatusCode), c.statusError(resp, repo, rev, p)
	}
	if err := f.Truncate(have); err != nil {
		return false, false, fmt.Errorf("hub: %w", err)
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return false, false, fmt.Errorf("hub: %w", err)
	}
	bar := c.startProgress(name, size, have)
	n, err := io.Copy(io.MultiWriter(f, bar), resp.Body)
	bar.done(err)
	if err != nil {
		var werr *os.PathError
		if errors.As(err, &werr) {
			return n > 0, false, fmt.Errorf("hub: writing %s: %w", incomplete, err)
		}
		return n > 0, true, fmt.Errorf("hub: downloading %s: broken at byte %d: %w", name, have+n, err)
	}
	if size >= 0 && have+n < size {
		return n > 0, true, fmt.Errorf("hub: downloading %s: got %d of %d bytes", name, have+n, size)
	}
	return n > 0, false, nil
}

// rangeStart reads N from "bytes N-M/T" (-1 when malformed).
func rangeStart(cr string) int64 {
	rest, ok := strings.CutPrefix(strings.TrimSpace(cr), "bytes ")
	if !ok {
		return -1
	}
	start, _, ok := strings.Cut(rest, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// verify checks the downloaded bytes against the blob id and the size: a sha256 for
// LFS files (64 hex digits), git's blob sha1 for small files (40 hex digits).
func verify(file string, m fileMeta, name string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if m.size >= 0 && st.Size() != m.size {
		return fmt.Errorf("hub: %s: downloaded %d bytes, the hub announced %d; the file was discarded, run again", name, st.Size(), m.size)
	}
	var h hash.Hash
	kind := "sha256"
	switch len(m.etag) {
	case 64:
		h = sha256.New()
	case 40:
		h = sha1.New()
		fmt.Fprintf(h, "blob %d\x00", st.Size())
		kind = "git sha1"
	default:
		return nil // an id we cannot check; the size matched
	}
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("hub: reading %s: %w", file, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.etag {
		return fmt.Errorf("hub: %s: corrupt download: %s %s, want %s; the file was discarded, run again", name, kind, got, m.etag)
	}
	return nil
}

// retryDelay is the client package's policy (the one every HTTP retry of the house
// follows): the hub's Retry-After when it sent one, else exponential backoff with
// jitter.
func retryDelay(err error, attempt int) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return client.Backoff(se.RetryAfter, attempt)
	}
	return client.Backoff(0, attempt)
}

// retry runs fn up to the client's attempts while it asks for another.
func (c *Client) retry(ctx context.Context, fn func() (bool, error)) error {
	var err error
	for attempt := 0; attempt < c.attempts; attempt++ {
		var again bool
		again, err = fn()
		if err == nil || !again || ctx.Err() != nil {
			return err
		}
		if attempt+1 < c.attempts {
			if werr := client.Sleep(ctx, retryDelay(err, attempt)); werr != nil {
				return err
			}
		}
	}
	return err
}
