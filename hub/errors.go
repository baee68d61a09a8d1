package hub

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotCached is matched (errors.Is) by a *NotCachedError.
var ErrNotCached = errors.New("not in the hub cache")

// StatusError is a refusal from the hub, with a reason a user can act on.
type StatusError struct {
	StatusCode int
	Code       string // the hub's X-Error-Code: GatedRepo, RepoNotFound, RevisionNotFound, EntryNotFound ...
	Message    string // the hub's X-Error-Message, token redacted
	Endpoint   string
	Repo       string
	Revision   string
	File       string // empty for repo-level requests
	TokenSet   bool   // whether the request carried a token
	// RetryAfter is the wait the hub asked for (Retry-After), 0 when none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	page := e.Endpoint + "/datasets/" + e.Repo
	what := "dataset " + e.Repo
	var s string
	switch {
	case (e.StatusCode == 401 || e.StatusCode == 403) && !e.TokenSet && e.Code == "RepoNotFound":
		s = fmt.Sprintf("%s not found, or private: check the name; if it is private set HF_TOKEN to a token that can read it", what)
	case (e.StatusCode == 401 || e.StatusCode == 403) && !e.TokenSet:
		s = fmt.Sprintf("%s needs a token (gated or private, HTTP %d): accept its conditions at %s, then set HF_TOKEN to a read token", what, e.StatusCode, page)
	case e.StatusCode == 401 || e.StatusCode == 403:
		s = fmt.Sprintf("the token in HF_TOKEN was refused for %s (HTTP %d): check that it can read the repo and that its conditions are accepted at %s", what, e.StatusCode, page)
	case e.StatusCode == 404 && e.Code == "RevisionNotFound":
		s = fmt.Sprintf("%s has no revision %q", what, e.Revision)
	case e.StatusCode == 404 && e.File != "":
		s = fmt.Sprintf("%s has no file %q at revision %q", what, e.File, e.Revision)
	case e.StatusCode == 404:
		s = fmt.Sprintf("%s not found (revision %q)", what, e.Revision)
	default:
		s = fmt.Sprintf("%s, revision %q", what, e.Revision)
		if e.File != "" {
			s += ", file " + e.File
		}
		s += fmt.Sprintf(": HTTP %d", e.StatusCode)
	}
	if e.Message != "" {
		s += " (hub: " + e.Message + ")"
	}
	return "hub: " + s
}

// NotCachedError says which files an offline client could not find in the cache.
type NotCachedError struct {
	Repo     string
	Revision string
	Patterns []string // the files wanted, as globs
	CacheDir string
	Reason   string // what exactly is missing
}

func (e *NotCachedError) Error() string {
	return fmt.Sprintf("hub: dataset %s (revision %s): %s is not in the cache %s (%s), and hub access is off (HF_HUB_OFFLINE=1, or no hub client); "+
		"fetch it once with hub access, or with `huggingface-cli download %s --repo-type dataset --revision %s --include '%s'`",
		e.Repo, e.Revision, strings.Join(e.Patterns, " or "), e.CacheDir, e.Reason,
		e.Repo, e.Revision, e.Patterns[0])
}

func (e *NotCachedError) Is(target error) bool { return target == ErrNotCached }
