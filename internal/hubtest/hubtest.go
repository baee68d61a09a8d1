// Package hubtest owns a fake Hugging Face hub for tests: an httptest server with the
// hub's URL layout and behaviour (repo info, resolve redirects with X-Repo-Commit and
// X-Linked-Etag, byte ranges, gating), switches that break or corrupt a download, a
// request log, other files at other branches (AddBranch: a parquet conversion),
// and parquet writers for the GSM8K and MMLU schemas.
package hubtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// Request is one request the server saw.
type Request struct {
	Method string
	Path   string // unescaped
	Range  string // the Range header
	Auth   string // the Authorization header
}

// Server is a fake hub. Its zero configuration serves every added repo without a
// token; the switches change the next responses.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	repos      map[string]*repo
	token      string
	breakAfter int64 // >0: the next file body stops after this many bytes
	corrupt    bool
	reqs       []Request
}

type repo struct {
	commit string
	branch string // a branch other than main it is also served at ("refs/convert/parquet")
	files  map[string][]byte
	// branches are other files served at other branches (AddBranch).
	branches map[string]*repo
}

// NewServer starts a fake hub, closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{repos: map[string]*repo{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Setenv points the hub environment at the server with a fresh HF_HOME, no token and
// no offline mode, and returns the hub cache directory (HF_HOME/hub).
func (s *Server) Setenv(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HF_ENDPOINT", s.URL)
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", home+"/no-token")
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_HUB_OFFLINE", "")
	return home + "/hub"
}

// AddDataset serves a data-set repo at one commit (40 hex digits) with the files.
// Files ending in .parquet are served as LFS files, through a CDN redirect.
func (s *Server) AddDataset(name, commit string, files map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[name] = &repo{commit: commit, files: files}
}

// AddDatasetAt is AddDataset for a repo also served at the branch rev, as the hub
// serves its parquet conversion at refs/convert/parquet.
func (s *Server) AddDatasetAt(name, rev, commit string, files map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[name] = &repo{commit: commit, branch: rev, files: files}
}

// AddBranch serves other files of an added repo at the branch rev, at their own
// commit: as the hub serves a repo of JSON lines at main and its parquet
// conversion at refs/convert/parquet.
func (s *Server) AddBranch(name, rev, commit string, files map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repos[name]
	if rp.branches == nil {
		rp.branches = map[string]*repo{}
	}
	rp.branches[rev] = &repo{commit: commit, files: files}
}

// RequireToken makes every repo gated: no token is a 401, another token a 403.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// BreakNext makes the next file download send n bytes of its body and drop the
// connection.
func (s *Server) BreakNext(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.breakAfter = n
}

// SetCorrupt makes file downloads send other bytes than the ETag announces.
func (s *Server) SetCorrupt(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt = on
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ResetRequests forgets the requests seen so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// SHA256 is the hex sha256 of b: the blob id of an LFS file.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Range: r.Header.Get("Range"), Auth: r.Header.Get("Authorization")})
	s.mu.Unlock()
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	switch {
	case len(segs) >= 4 && segs[0] == "api" && segs[1] == "datasets":
		s.serveInfo(w, r, segs[2]+"/"+segs[3], segs[4:])
	case len(segs) >= 6 && segs[0] == "datasets" && segs[3] == "resolve":
		s.serveResolve(w, r, segs[1]+"/"+segs[2], segs[4], strings.Join(segs[5:], "/"))
	case len(segs) == 2 && segs[0] == "cdn":
		s.serveBlob(w, r, segs[1])
	default:
		http.NotFound(w, r)
	}
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Error-Code", code)
	w.Header().Set("X-Error-Message", msg)
	http.Error(w, msg, status)
}

// authorize answers 401/403 as the hub does for a gated repo.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, name string) bool {
	s.mu.Lock()
	token := s.token
	s.mu.Unlock()
	if token == "" {
		return true
	}
	switch r.Header.Get("Authorization") {
	case "Bearer " + token:
		return true
	case "":
		hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to dataset "+name+" is restricted. You must be authenticated to access it.")
	default:
		hubError(w, http.StatusForbidden, "GatedRepo", "Access to dataset "+name+" is restricted and you are not in the authorized list.")
	}
	return false
}

func (s *Server) lookup(w http.ResponseWriter, name, rev string) *repo {
	s.mu.Lock()
	rp := s.repos[name]
	s.mu.Unlock()
	if rp != nil {
		for b, br := range rp.branches {
			if rev == b || rev == br.commit {
				return br
			}
		}
	}
	switch {
	case rp == nil:
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return nil
	case rev != "main" && rev != rp.commit && (rp.branch == "" || rev != rp.branch):
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return nil
	}
	return rp
}

func (s *Server) serveInfo(w http.ResponseWriter, r *http.Request, name string, rest []string) {
	rev := "main"
	if len(rest) == 2 && rest[0] == "revision" {
		rev = rest[1]
	} else if len(rest) != 0 {
		http.NotFound(w, r)
		return
	}
	if !s.authorize(w, r, name) {
		return
	}
	rp := s.lookup(w, name, rev)
	if rp == nil {
		return
	}
	type sib struct {
		RFilename string `json:"rfilename"`
	}
	info := struct {
		ID       string `json:"id"`
		SHA      string `json:"sha"`
		Siblings []sib  `json:"siblings"`
	}{ID: name, SHA: rp.commit}
	for p := range rp.files {
		info.Siblings = append(info.Siblings, sib{p})
	}
	sort.Slice(info.Siblings, func(i, j int) bool { return info.Siblings[i].RFilename < info.Siblings[j].RFilename })
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(info)
}

func (s *Server) serveResolve(w http.ResponseWriter, r *http.Request, name, rev, p string) {
	if !s.authorize(w, r, name) {
		return
	}
	rp := s.lookup(w, name, rev)
	if rp == nil {
		return
	}
	data, ok := rp.files[p]
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", p+" does not exist on \""+rev+"\"")
		return
	}
	w.Header().Set("X-Repo-Commit", rp.commit)
	if strings.HasSuffix(p, ".parquet") {
		sum := SHA256(data)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		w.Header().Set("ETag", `"not-the-blob-id"`)
		w.Header().Set("Location", "/cdn/"+sum)
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+gitBlobID(data)+`"`)
	s.writeBody(w, r, data)
}

func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, sum string) {
	s.mu.Lock()
	var data []byte
	for _, rp := range s.repos {
		for _, r := range append([]*repo{rp}, branchList(rp)...) {
			for _, b := range r.files {
				if SHA256(b) == sum {
					data = b
				}
			}
		}
	}
	s.mu.Unlock()
	if data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", `"cdn-`+sum[:8]+`"`)
	s.writeBody(w, r, data)
}

func branchList(rp *repo) []*repo {
	var out []*repo
	for _, b := range rp.branches {
		out = append(out, b)
	}
	return out
}

// writeBody serves data honouring "Range: bytes=N-" and the break/corrupt switches.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, data []byte) {
	s.mu.Lock()
	corrupt := s.corrupt
	brk := int64(0)
	if r.Method == http.MethodGet {
		brk, s.breakAfter = s.breakAfter, 0
	}
	s.mu.Unlock()
	if corrupt {
		data = bytes.Clone(data)
		for i := range data {
			data[i] ^= 0x5a
		}
	}
	start := int64(0)
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
		if err != nil || n < 0 || n >= int64(len(data)) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, status = n, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, len(data)-1, len(data)))
	}
	body := data[start:]
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if brk > 0 && brk < int64(len(body)) {
		_, _ = w.Write(body[:brk])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // drops the connection mid-body
	}
	_, _ = w.Write(body)
}

// WriteParquet encodes rows with parquet-go, one row group.
func WriteParquet[T any](t testing.TB, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatalf("hubtest: writing parquet: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("hubtest: closing parquet: %v", err)
	}
	return buf.Bytes()
}
