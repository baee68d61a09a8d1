package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// quanteval wait polls every URL until it answers 200, fails with exit 1 naming
// the URL when the timeout passes first, and refuses bad usage with exit 2.
func TestWait(t *testing.T) {
	var polls atomic.Int32
	loading := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" || polls.Add(1) <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer loading.Close()
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ready.Close()
	never := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer never.Close()

	code, stdout, stderr := invoke(t, "wait", "--interval", "10ms", loading.URL+"/health", ready.URL+"/")
	if code != 0 || polls.Load() != 4 || !strings.Contains(stdout, "ready: "+loading.URL+"/health\nready: "+ready.URL+"/\n") {
		t.Errorf("exit %d after %d polls: %s%s", code, polls.Load(), stdout, stderr)
	}
	code, _, stderr = invoke(t, "wait", "--interval", "10ms", "--timeout", "100ms", ready.URL, never.URL+"/health")
	if code != 1 || !strings.Contains(stderr, never.URL+"/health not ready after 100ms") || !strings.Contains(stderr, "503") {
		t.Errorf("a server that never gets ready: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{{"wait"}, {"wait", "localhost:8000"}, {"wait", "--timeout", "0s", ready.URL}} {
		if code, _, stderr := invoke(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr)
		}
	}
}
