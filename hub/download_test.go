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
	"time"

	"github.com/quanteval/quanteval/internal/hubtest"
)

func TestResumeAfterBreak(t *testing.T) {
	ctx := context.Background()
	t.Run("within one call", func(t *testing.T) {
		s, data := newFixture(t)
		half := int64(len(data) / 2)
		s.BreakNext(half)
		var progress bytes.Buffer
		c := newClient(s, t.TempDir(), func(cfg *Config) { cfg.Progress = &progress })
		snap, err := c.DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet")
		if err != nil {
			t.Fatal(err)
		}
		checkRanges(t, s.Requests(), "", fmt.Sprintf("bytes=%d-", half))
		got, _ := os.ReadFile(snap.Files[0].Local)
		if !bytes.Equal(got, data) {
			t.Error("resumed file differs")
		}
		if !strings.Contains(progress.String(), "broken at") || !strings.Contains(progress.String(), "resuming") {
			t.Errorf("progress:\n%s", progress.String())
		}
	})
	t.Run("across runs", func(t *testing.T) {
		s, data := newFixture(t)
		half := int64(len(data) / 3)
		s.BreakNext(half)
		cache := t.TempDir()
		c := newClient(s, cache, func(cfg *Config) { cfg.Attempts = 1 })
		_, err := c.DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet")
		if err == nil || !strings.Contains(err.Error(), "next run resumes") {
			t.Fatalf("err = %v, want a broken download", err)
		}
		repoDir := filepath.Join(cache, "datasets--openai--gsm8k")
		sum := hubtest.SHA256(data)
		st, err := os.Stat(filepath.Join(repoDir, "blobs", sum+".incomplete"))
		if err != nil || st.Size() != half {
			t.Fatalf("incomplete file: %v, size %v, want %d", err, st, half)
		}
		if exists(filepath.Join(repoDir, "blobs", sum)) || exists(filepath.Join(repoDir, "snapshots", hubtest.GSM8KCommit, testPath)) {
			t.Error("a half file entered the cache")
		}
		s.ResetRequests()
		snap, err := c.DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet")
		if err != nil {
			t.Fatal(err)
		}
		checkRanges(t, s.Requests(), fmt.Sprintf("bytes=%d-", half))
		got, _ := os.ReadFile(snap.Files[0].Local)
		if !bytes.Equal(got, data) {
			t.Error("resumed file differs")
		}
	})
}

// checkRanges asserts the Range headers of the CDN GETs, in order.
func checkRanges(t *testing.T, reqs []hubtest.Request, want ...string) {
	t.Helper()
	var got []string
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, "/cdn/") && r.Method == http.MethodGet {
			got = append(got, r.Range)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CDN ranges = %q, want %q", got, want)
	}
}

func TestCorruptDownloadRejected(t *testing.T) {
	s, data := newFixture(t)
	s.SetCorrupt(true)
	cache := t.TempDir()
	c := newClient(s, cache, nil)
	ctx := context.Background()
	_, err := c.DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet")
	sum := hubtest.SHA256(data)
	if err == nil || !strings.Contains(err.Error(), "corrupt download") || !strings.Contains(err.Error(), "want "+sum) {
		t.Fatalf("err = %v, want a corrupt download", err)
	}
	repoDir := filepath.Join(cache, "datasets--openai--gsm8k")
	for _, p := range []string{
		filepath.Join(repoDir, "blobs", sum),
		filepath.Join(repoDir, "blobs", sum+".incomplete"),
		filepath.Join(repoDir, "snapshots", hubtest.GSM8KCommit, testPath),
		filepath.Join(repoDir, "refs", "main"),
	} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists after a corrupt download", p)
		}
	}
	s.SetCorrupt(false)
	snap, err := c.DownloadDataset(ctx, "openai/gsm8k", "main", "main/test-*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(snap.Files[0].Local); !bytes.Equal(got, data) {
		t.Error("file differs after a clean download")
	}
}

// TestRetryPolicy: a download waits as a chat request does (client.Backoff): the
// hub's Retry-After when it sent one, else backoff less up to 25% jitter.
func TestRetryPolicy(t *testing.T) {
	if got := retryDelay(&StatusError{StatusCode: 429, RetryAfter: 3 * time.Second}, 0); got != 3*time.Second {
		t.Errorf("retryDelay with Retry-After 3s = %v", got)
	}
	se := New(Config{}).statusError(&http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"2"}}}, "r/d", "main", "")
	if se.RetryAfter != 2*time.Second {
		t.Errorf("a 429 with Retry-After: 2 reads as a wait of %v", se.RetryAfter)
	}
	for attempt, base := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second} {
		got := retryDelay(errors.New("connection reset"), attempt)
		if got > base || got < base*3/4 {
			t.Errorf("retryDelay(attempt %d) = %v, want within [%v, %v]", attempt, got, base*3/4, base)
		}
	}
}

func TestHeaderParsing(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `W/"ABC"`: "abc", "abc": "abc", "": ""} {
		if got := normalizeETag(in); got != want {
			t.Errorf("normalizeETag(%q) = %q", in, got)
		}
	}
	for in, want := range map[string]int64{"bytes 10-99/100": 10, "bytes 0-1/2": 0, "bytes */100": -1, "": -1, "items 1-2/3": -1} {
		if got := rangeStart(in); got != want {
			t.Errorf("rangeStart(%q) = %d", in, got)
		}
	}
	if got := escapeRev("refs/pr/1"); got != "refs%2Fpr%2F1" {
		t.Errorf("escapeRev = %q", got)
	}
}

func TestVerifyGitBlob(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(f, []byte("hello\n"), 0o644))
	// git hash-object of "hello\n".
	good := fileMeta{etag: "ce013625030ba8dba906f756967f9e9ca394464a", size: 6}
	if err := verify(f, good, "f"); err != nil {
		t.Errorf("verify: %v", err)
	}
	bad := good
	bad.etag = strings.Repeat("0", 40)
	if err := verify(f, bad, "f"); err == nil || !strings.Contains(err.Error(), "git sha1") {
		t.Errorf("verify(bad) = %v", err)
	}
	short := good
	short.size = 7
	if err := verify(f, short, "f"); err == nil || !strings.Contains(err.Error(), "announced 7") {
		t.Errorf("verify(size) = %v", err)
	}
}

// Concurrent downloads of one file share the blob: one transfer, every caller served.
func TestConcurrentDownloads(t *testing.T) {
	s, data := newFixture(t)
	c := newClient(s, t.TempDir(), nil)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			snap, err := c.DownloadDataset(context.Background(), "openai/gsm8k", "main", "main/test-*.parquet")
			if err == nil {
				var got []byte
				got, err = os.ReadFile(snap.Files[0].Local)
				if err == nil && !bytes.Equal(got, data) {
					err = errors.New("content differs")
				}
				if target, lerr := os.Readlink(snap.Files[0].Local); lerr != nil || !strings.HasPrefix(target, "../") {
					err = fmt.Errorf("snapshot file is not a relative link: %q %v", target, lerr)
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/cdn/") && r.Method == http.MethodGet {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d transfers of one blob, want 1", n)
	}
}

func TestLockHearsTheContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: %v, want the context's deadline", err)
	}
	unlock()
	again, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}
