package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// Snapshot is a set of files of one commit of a data-set repo, all present in the
// cache.
type Snapshot struct {
	Repo     string
	Revision string // as asked, e.g. "main"
	Commit   string // the 40-hex commit it resolved to
	Dir      string // snapshots/<commit> in the cache
	Pattern  string // the pattern that matched
	Files    []File // sorted by Path
	// Cached is true when no request was made: everything came from the cache.
	Cached bool
}

// File is one cached file.
type File struct {
	Path  string // in the repo, e.g. "main/test-00000-of-00001.parquet"
	Local string // the snapshot path (a symlink into blobs/)
	Blob  string // the blob id: sha256 for LFS files, git sha1 otherwise
}

var (
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	repoRE   = regexp.MustCompile(`^([A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$`)
	shardRE  = regexp.MustCompile(`^(.*)-(\d+)-of-(\d+)(\.[^/]*)$`)
)

func checkRepo(repo string) error {
	if !repoRE.MatchString(repo) || strings.Contains(repo, "..") || strings.Contains(repo, "--") {
		return fmt.Errorf("hub: bad repo id %q (want ORG/NAME)", repo)
	}
	return nil
}

func checkRevision(rev string) error {
	for _, seg := range strings.Split(rev, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("hub: bad revision %q", rev)
		}
	}
	return nil
}

// checkPath refuses a repo path that would leave the snapshot directory.
func checkPath(p string) error {
	if p == "" || path.IsAbs(p) || strings.Contains(p, "\\") {
		return fmt.Errorf("hub: bad file path %q", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("hub: bad file path %q", p)
		}
	}
	return nil
}

// RepoDir is the cache folder of a data-set repo: CACHE/datasets--ORG--NAME.
func (c *Client) RepoDir(repo string) string {
	return filepath.Join(c.cacheDir, "datasets--"+strings.ReplaceAll(repo, "/", "--"))
}

func (c *Client) lockPath(repo, blob string) string {
	return filepath.Join(c.cacheDir, ".locks", filepath.Base(c.RepoDir(repo)), blob+".lock")
}

// resolveCached maps a revision to a commit with the cache alone.
func (c *Client) resolveCached(repo, rev string) (string, error) {
	if commitRE.MatchString(rev) {
		return rev, nil
	}
	ref := filepath.Join(c.RepoDir(repo), "refs", filepath.FromSlash(rev))
	b, err := os.ReadFile(ref)
	if err != nil {
		return "", fmt.Errorf("no refs/%s", rev)
	}
	commit := strings.TrimSpace(string(b))
	if !commitRE.MatchString(commit) {
		return "", fmt.Errorf("%s does not hold a commit hash", ref)
	}
	return commit, nil
}

// cached finds the files of the first pattern that matches in the cached snapshot.
// The reason says what is missing when ok is false.
func (c *Client) cached(repo, rev string, patterns []string) (snap *Snapshot, reason string) {
	commit, err := c.resolveCached(repo, rev)
	if err != nil {
		return nil, err.Error()
	}
	dir := filepath.Join(c.RepoDir(repo), "snapshots", commit)
	var all []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasSuffix(p, linkTmpSuffix) {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		all = append(all, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Sprintf("no snapshot of commit %s", commit)
	}
	sort.Strings(all)
	for _, pat := range patterns {
		var files []File
		for _, p := range all {
			if ok, _ := path.Match(pat, p); !ok {
				continue
			}
			local := filepath.Join(dir, filepath.FromSlash(p))
			if _, err := os.Stat(local); err != nil { // a link whose blob is gone
				return nil, fmt.Sprintf("%s points to a missing blob", p)
			}
			files = append(files, File{Path: p, Local: local, Blob: blobOf(local)})
		}
		if len(files) == 0 {
			continue
		}
		if missing := missingShard(files); missing != "" {
			return nil, fmt.Sprintf("shard %s is missing", missing)
		}
		return &Snapshot{Repo: repo, Revision: rev, Commit: commit, Dir: dir, Pattern: pat, Files: files, Cached: true}, ""
	}
	return nil, fmt.Sprintf("snapshot %s has no such file", commit)
}

// missingShard names the first absent shard of a split written as NAME-i-of-N.EXT,
// so that a split cached in part is not taken for the whole.
func missingShard(files []File) string {
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	for _, f := range files {
		m := shardRE.FindStringSubmatch(f.Path)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[3])
		if err != nil || n > 100000 {
			continue
		}
		for i := 0; i < n; i++ {
			p := fmt.Sprintf("%s-%0*d-of-%s%s", m[1], len(m[2]), i, m[3], m[4])
			if !have[p] {
				return p
			}
		}
	}
	return ""
}

// blobOf reads the blob id from a snapshot link (empty when the file is a copy).
func blobOf(local string) string {
	target, err := os.Readlink(local)
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

const linkTmpSuffix = ".quanteval-tmp"

var tmpSeq atomic.Int64

// tmpName is a name beside p no other writer uses, ending in linkTmpSuffix so that a
// leftover is never taken for a snapshot file.
func tmpName(p string) string {
	return fmt.Sprintf("%s.%d-%d%s", p, os.Getpid(), tmpSeq.Add(1), linkTmpSuffix)
}

// link points the snapshot path at the blob with a relative symlink, as
// huggingface_hub does, replacing whatever was there. Where symlinks are not
// possible it copies the blob.
func link(local, blob string) error {
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	rel, err := filepath.Rel(filepath.Dir(local), blob)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	tmp := tmpName(local)
	if err := os.Symlink(rel, tmp); err != nil {
		return copyFile(blob, local)
	}
	if err := os.Rename(tmp, local); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	defer in.Close()
	tmp := tmpName(dst)
	out, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("hub: copying %s: %w", src, err)
	}
	return nil
}

// writeRef records that rev resolved to commit, atomically.
func (c *Client) writeRef(repo, rev, commit string) error {
	if rev == commit {
		return nil
	}
	ref := filepath.Join(c.RepoDir(repo), "refs", filepath.FromSlash(rev))
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if b, err := os.ReadFile(ref); err == nil && string(b) == commit {
		return nil
	}
	tmp := tmpName(ref)
	if err := os.WriteFile(tmp, []byte(commit), 0o644); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := os.Rename(tmp, ref); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, fs.ErrNotExist) && err == nil
}
